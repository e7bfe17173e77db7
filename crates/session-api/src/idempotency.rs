//! The `Idempotency-Key` request header of a login (IETF draft-ietf-httpapi-idempotency-key-header)
//! and the `Idempotent-Replayed` response header that marks a stored answer.

use http::header::HeaderName;
use http::{HeaderMap, HeaderValue};
use session_core::ids::IdempotencyKey;

use crate::problem::ApiError;

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

const FIELD: &str = "Idempotency-Key";

/// The key, if the request sent one. Sent twice, empty, or not a valid key: a 400 naming the
/// header, never a silently unkeyed (and so unsafe to retry) login.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, ApiError> {
    let mut values = headers.get_all(&IDEMPOTENCY_KEY).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::field(FIELD, "must be sent once"));
    }
    let text = value
        .to_str()
        .map_err(|_| ApiError::field(FIELD, "must be visible ASCII"))?;
    text.parse()
        .map(Some)
        .map_err(|invalid: session_core::ids::InvalidValue| ApiError::field(FIELD, invalid.problem))
}

pub(crate) fn replayed_value() -> HeaderValue {
    HeaderValue::from_static("true")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(IDEMPOTENCY_KEY, HeaderValue::from_bytes(value).unwrap());
        }
        headers
    }

    #[test]
    fn no_header_is_no_key() {
        assert!(idempotency_key(&HeaderMap::new()).unwrap().is_none());
    }

    #[test]
    fn a_visible_ascii_key_is_taken_as_sent() {
        let key = idempotency_key(&headers(&[b"8e0f6a6e-4c4e-4a8f-9b1e-2f7c0d0b9a11"]))
            .unwrap()
            .unwrap();
        assert_eq!(key.as_str(), "8e0f6a6e-4c4e-4a8f-9b1e-2f7c0d0b9a11");
    }

    #[test]
    fn bad_keys_are_refused_with_the_header_named() {
        let too_long = vec![b'k'; 256];
        for bad in [
            &[&b""[..]][..],
            &[b"has space"],
            &[b"\xff\xfe"],
            &[b"---"],
            &[&too_long[..]],
            &[b"one", b"two"],
        ] {
            let error = idempotency_key(&headers(bad)).unwrap_err();
            assert_eq!(error.code(), "validation_failed", "{bad:?}");
            let problem = error.to_problem("/internal/sessions", "t");
            assert_eq!(problem.errors.unwrap()[0].field, FIELD, "{bad:?}");
        }
    }
}
