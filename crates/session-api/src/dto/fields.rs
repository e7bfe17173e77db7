//! Collects every field problem of a request, so one response lists them all instead of making
//! the client fix them one round trip at a time.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use session_core::ids::InvalidValue;

use crate::dto::FieldError;
use crate::problem::ApiError;

#[derive(Default, Debug)]
pub(crate) struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// The value when valid; otherwise records why and returns `None`.
    pub(crate) fn check<T>(&mut self, result: Result<T, InvalidValue>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(invalid) => {
                self.0.push(FieldError::new(invalid.field, invalid.problem));
                None
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn into_error(self) -> ApiError {
        ApiError::Validation(self.0)
    }
}

/// Parses an optional newtype field, keeping "absent" apart from "invalid".
pub(crate) fn optional<T>(value: Option<String>) -> Result<Option<T>, InvalidValue>
where
    T: TryFrom<String, Error = InvalidValue>,
{
    value.map(T::try_from).transpose()
}

pub(crate) fn ip_address(
    field: &'static str,
    value: Option<String>,
) -> Result<Option<IpAddr>, InvalidValue> {
    value
        .map(|text| {
            text.parse::<IpAddr>()
                .map_err(|_| InvalidValue::new(field, "must be an IPv4 or IPv6 address"))
        })
        .transpose()
}

pub(crate) fn timestamp(
    field: &'static str,
    value: Option<String>,
) -> Result<Option<DateTime<Utc>>, InvalidValue> {
    value
        .map(|text| {
            DateTime::parse_from_rfc3339(&text)
                .map(|at| at.with_timezone(&Utc))
                .map_err(|_| {
                    InvalidValue::new(field, "must be an RFC 3339 timestamp with an offset")
                })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use session_core::ids::UserId;

    use super::*;

    #[test]
    fn collects_every_invalid_field() {
        let mut errors = FieldErrors::default();
        let user: Option<UserId> = errors.check(UserId::try_from(String::new()));
        let ip = errors.check(ip_address("ip_address", Some("999.1.1.1".into())));
        let at = errors.check(timestamp("expires_at", Some("2026-01-01T00:00:00Z".into())));
        assert!(user.is_none() && ip.is_none());
        assert!(at.is_some_and(|at| at.is_some()));
        let ApiError::Validation(fields) = errors.into_error() else {
            panic!("expected a validation error");
        };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["user_id", "ip_address"]);
    }

    #[test]
    fn timestamps_need_an_offset() {
        assert!(timestamp("expires_at", Some("2026-01-01T00:00:00".into())).is_err());
        assert!(timestamp("expires_at", Some("2026-01-01T02:00:00+02:00".into())).is_ok());
        assert_eq!(timestamp("expires_at", None), Ok(None));
    }
}
