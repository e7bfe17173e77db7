//! Strict query strings: every parameter must be known to the route and appear at most once, so a
//! typo (`activeonly=false`) is an error instead of a silently ignored filter.

use session_core::ids::truncate_text;

use crate::dto::FieldError;
use crate::percent;
use crate::problem::ApiError;

/// Longest parameter name echoed back in an error.
const MAX_ECHOED_NAME_BYTES: usize = 64;

#[derive(Debug, Default)]
pub(crate) struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    pub(crate) fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let mut pairs = Vec::new();
        for part in raw
            .unwrap_or_default()
            .split('&')
            .filter(|part| !part.is_empty())
        {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            let Some(name) = percent::decode(name, true) else {
                return Err(ApiError::field(
                    "query",
                    "is not valid percent-encoded UTF-8",
                ));
            };
            let Some(value) = percent::decode(value, true) else {
                return Err(ApiError::field(
                    echo(&name),
                    "is not valid percent-encoded UTF-8",
                ));
            };
            pairs.push((name, value));
        }
        Ok(Self { pairs })
    }

    /// Removes and returns the value of `name`, if given once.
    pub(crate) fn take(&mut self, name: &'static str) -> Result<Option<String>, ApiError> {
        let mut found = None;
        let mut repeated = false;
        self.pairs.retain(|(key, value)| {
            if key != name {
                return true;
            }
            repeated |= found.replace(value.clone()).is_some();
            false
        });
        if repeated {
            return Err(ApiError::field(name, "must be given at most once"));
        }
        Ok(found)
    }

    /// Fails when parameters the route did not take remain.
    pub(crate) fn finish(self) -> Result<(), ApiError> {
        if self.pairs.is_empty() {
            return Ok(());
        }
        let mut errors: Vec<FieldError> = Vec::new();
        for (name, _) in self.pairs {
            let name = echo(&name);
            if !errors.iter().any(|e| e.field == name) {
                errors.push(FieldError::new(name, "unknown query parameter"));
            }
        }
        Err(ApiError::Validation(errors))
    }
}

fn echo(name: &str) -> String {
    truncate_text(name, MAX_ECHOED_NAME_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_known_parameters_and_rejects_the_rest() {
        let mut query = QueryParams::parse(Some("limit=5&cursor=abc%3D&extra=1")).unwrap();
        assert_eq!(query.take("limit").unwrap().as_deref(), Some("5"));
        assert_eq!(query.take("cursor").unwrap().as_deref(), Some("abc="));
        assert_eq!(query.take("active_only").unwrap(), None);
        let Err(ApiError::Validation(errors)) = query.finish() else {
            panic!("unknown parameter accepted");
        };
        assert_eq!(
            errors,
            [FieldError::new("extra", "unknown query parameter")]
        );
    }

    #[test]
    fn repeated_parameters_are_rejected() {
        let mut query = QueryParams::parse(Some("limit=5&limit=6")).unwrap();
        assert!(matches!(query.take("limit"), Err(ApiError::Validation(_))));
    }

    #[test]
    fn empty_and_absent_queries_have_no_parameters() {
        for raw in [None, Some(""), Some("&&")] {
            assert!(QueryParams::parse(raw).unwrap().finish().is_ok());
        }
    }

    #[test]
    fn undecodable_parameters_are_rejected() {
        assert!(QueryParams::parse(Some("cursor=%FF")).is_err());
        assert!(QueryParams::parse(Some("%zz=1")).is_err());
    }
}
