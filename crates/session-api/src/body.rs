//! JSON request bodies: size cap, media type, and parser errors sorted into "not JSON at all"
//! (`malformed_json`) and "JSON of the wrong shape" (`invalid_body`).

use http::{HeaderMap, header};
use serde::de::DeserializeOwned;
use serde_json::error::Category;
use session_core::ids::truncate_text;

use crate::problem::ApiError;

/// Largest request body accepted. Every body of this API is a handful of short fields; the cap
/// bounds the work an attacker can cause per request.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Longest parser message echoed back (it may quote the offending input).
const MAX_PARSER_MESSAGE_BYTES: usize = 300;

/// What an absent body means for a route.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum EmptyBody {
    Rejected,
    /// Same as `{}`: every field of the body is optional.
    EmptyObject,
}

pub(crate) fn decode_json<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
    empty: EmptyBody,
) -> Result<T, ApiError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    let declared_json = match headers.get(header::CONTENT_TYPE) {
        None => false,
        Some(value) => {
            let is_json = value.to_str().is_ok_and(is_json_media_type);
            if !is_json {
                return Err(ApiError::UnsupportedMediaType);
            }
            true
        }
    };
    if body.trim_ascii().is_empty() {
        return match empty {
            EmptyBody::EmptyObject => parse(b"{}"),
            EmptyBody::Rejected => Err(ApiError::MalformedJson("a JSON body is required".into())),
        };
    }
    if !declared_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    parse(body)
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|error| {
        let message = truncate_text(&error.to_string(), MAX_PARSER_MESSAGE_BYTES);
        match error.classify() {
            Category::Data => ApiError::InvalidBody(message),
            Category::Syntax | Category::Eof | Category::Io => ApiError::MalformedJson(message),
        }
    })
}

/// `application/json` or any `application/*+json`, optionally with `charset=utf-8`.
fn is_json_media_type(value: &str) -> bool {
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let json = essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|subtype| subtype.ends_with("+json") && subtype.len() > "+json".len());
    let charset_ok = parts.all(|param| match param.split_once('=') {
        Some((name, charset)) if name.trim().eq_ignore_ascii_case("charset") => charset
            .trim()
            .trim_matches('"')
            .eq_ignore_ascii_case("utf-8"),
        _ => true,
    });
    json && charset_ok
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Body {
        name: Option<String>,
    }

    fn json_headers(content_type: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers
    }

    #[test]
    fn accepts_json_media_types() {
        for ok in [
            "application/json",
            "Application/JSON; charset=UTF-8",
            "application/merge-patch+json",
            "application/json; charset=\"utf-8\"",
        ] {
            assert!(is_json_media_type(ok), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/jsonx",
            "application/+json",
            "application/json; charset=latin1",
            "",
        ] {
            assert!(!is_json_media_type(bad), "{bad}");
        }
    }

    #[test]
    fn sorts_parser_errors_into_malformed_and_invalid() {
        let headers = json_headers("application/json");
        let malformed = decode_json::<Body>(&headers, b"{\"name\":", EmptyBody::Rejected);
        assert!(matches!(malformed, Err(ApiError::MalformedJson(_))));
        let wrong_type = decode_json::<Body>(&headers, b"{\"name\":5}", EmptyBody::Rejected);
        assert!(matches!(wrong_type, Err(ApiError::InvalidBody(_))));
        let unknown = decode_json::<Body>(&headers, b"{\"other\":1}", EmptyBody::Rejected);
        assert!(matches!(unknown, Err(ApiError::InvalidBody(_))));
        let not_utf8 = decode_json::<Body>(&headers, b"{\"name\":\"\xff\"}", EmptyBody::Rejected);
        assert!(matches!(not_utf8, Err(ApiError::MalformedJson(_))));
    }

    #[test]
    fn empty_bodies_follow_the_route() {
        let none = HeaderMap::new();
        assert_eq!(
            decode_json::<Body>(&none, b"", EmptyBody::EmptyObject).unwrap(),
            Body { name: None }
        );
        assert!(matches!(
            decode_json::<Body>(&none, b"  ", EmptyBody::Rejected),
            Err(ApiError::MalformedJson(_))
        ));
    }

    #[test]
    fn bodies_need_a_json_content_type() {
        let text = json_headers("text/plain");
        assert!(matches!(
            decode_json::<Body>(&text, b"{}", EmptyBody::Rejected),
            Err(ApiError::UnsupportedMediaType)
        ));
        assert!(matches!(
            decode_json::<Body>(&HeaderMap::new(), b"{}", EmptyBody::Rejected),
            Err(ApiError::UnsupportedMediaType)
        ));
    }

    #[test]
    fn oversized_bodies_are_refused_before_parsing() {
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert!(matches!(
            decode_json::<Body>(&json_headers("application/json"), &big, EmptyBody::Rejected),
            Err(ApiError::PayloadTooLarge { .. })
        ));
    }
}
