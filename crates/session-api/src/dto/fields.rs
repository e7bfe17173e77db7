//! Collects every field problem of a request, so one response lists them all instead of making
//! the client fix them one round trip at a time.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::de::{Error as _, Unexpected};
use serde::{Deserialize, Deserializer};
use serde_json::Number;
use session_core::domain::{Aal, AuthMethod, AuthMethods};
use session_core::ids::{DeviceId, DeviceName, InvalidValue, SessionId};
use session_core::use_cases::LoginDevice;

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

/// A login's device: an id, and a name only with one.
pub(crate) fn login_device(
    id: Option<String>,
    name: Option<String>,
) -> Result<Option<LoginDevice>, InvalidValue> {
    let name = optional::<DeviceName>(name)?;
    match optional::<DeviceId>(id)? {
        Some(id) => Ok(Some(LoginDevice { id, name })),
        None if name.is_some() => Err(InvalidValue::new("device_name", "needs a device_id")),
        None => Ok(None),
    }
}

/// A session id given in a body field: a UUID.
pub(crate) fn session_id(
    field: &'static str,
    value: Option<String>,
) -> Result<Option<SessionId>, InvalidValue> {
    value
        .map(|text| {
            uuid::Uuid::parse_str(&text)
                .map(SessionId::from_uuid)
                .map_err(|_| InvalidValue::new(field, "must be a session id (a UUID)"))
        })
        .transpose()
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

/// An authenticator assurance level (1, 2 or 3); absent is 1.
pub(crate) fn aal(value: Option<u32>) -> Result<Aal, InvalidValue> {
    value.map_or(Ok(Aal::Aal1), |level| Aal::from_level(u64::from(level)))
}

/// Authentication methods (RFC 8176 values), duplicates merged; absent is none.
pub(crate) fn amr(value: Option<Vec<String>>) -> Result<AuthMethods, InvalidValue> {
    value
        .unwrap_or_default()
        .iter()
        .map(|text| AuthMethod::parse(text))
        .collect()
}

/// An optional count: a JSON number without a fractional part in the range of `u32`. JSON does not
/// tell `3` from `3.0`, and JSON Schema's `integer` accepts both, so neither does this (serde's
/// `u32` alone refuses `3.0`). For `#[serde(default, deserialize_with = "...")]`.
pub(crate) fn optional_whole_u32<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u32>, D::Error> {
    let Some(number) = Option::<Number>::deserialize(deserializer)? else {
        return Ok(None);
    };
    whole_u32(&number).map(Some).ok_or_else(|| {
        D::Error::invalid_value(
            Unexpected::Other(&number.to_string()),
            &"an integer between 0 and 4294967295",
        )
    })
}

fn whole_u32(number: &Number) -> Option<u32> {
    if let Some(whole) = number.as_u64() {
        return u32::try_from(whole).ok();
    }
    if number.is_i64() {
        return None;
    }
    let float = number.as_f64()?;
    let in_range = float.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&float);
    // Exact: a whole number within the range of u32.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    in_range.then_some(float as u32)
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
    fn whole_numbers_are_counts_whatever_their_notation() {
        #[derive(Debug, Deserialize)]
        struct Body {
            #[serde(default, deserialize_with = "optional_whole_u32")]
            count: Option<u32>,
        }
        let count = |json: &str| serde_json::from_str::<Body>(json).map(|body| body.count);
        assert_eq!(count("{}").unwrap(), None);
        assert_eq!(count(r#"{"count": null}"#).unwrap(), None);
        assert_eq!(count(r#"{"count": 3}"#).unwrap(), Some(3));
        assert_eq!(count(r#"{"count": 3.0}"#).unwrap(), Some(3));
        assert_eq!(count(r#"{"count": 3e2}"#).unwrap(), Some(300));
        assert_eq!(count(r#"{"count": 4294967295}"#).unwrap(), Some(u32::MAX));
        for bad in [
            "-1",
            "3.5",
            "4294967296",
            "4294967296.0",
            "1e300",
            r#""3""#,
            "-0.5",
        ] {
            let error = count(&format!(r#"{{"count": {bad}}}"#)).unwrap_err();
            assert!(error.is_data(), "{bad}: {error}");
        }
    }

    #[test]
    fn timestamps_need_an_offset() {
        assert!(timestamp("expires_at", Some("2026-01-01T00:00:00".into())).is_err());
        assert!(timestamp("expires_at", Some("2026-01-01T02:00:00+02:00".into())).is_ok());
        assert_eq!(timestamp("expires_at", None), Ok(None));
    }
}
