//! The JOSE header of a token, read as sent: `jsonwebtoken` parses it into a fixed struct, where
//! a `"crit": null` reads the same as no `crit` at all, so the check below looks at the keys.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::auth::verifier::TokenRejection;

/// Refuses a header that lists critical extensions. RFC 7515 section 4.1.11: a recipient must
/// reject a token whose `crit` names an extension it does not understand, and this service
/// understands none, so any `crit` (whatever its value) is refused.
pub(crate) fn refuse_critical_extensions(token: &str) -> Result<(), TokenRejection> {
    let encoded = token.split('.').next().unwrap_or_default();
    let decoded = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| TokenRejection::Malformed)?;
    let header: Map<String, Value> =
        serde_json::from_slice(&decoded).map_err(|_| TokenRejection::Malformed)?;
    if header.contains_key("crit") {
        return Err(TokenRejection::CriticalHeader);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_with_header(header: &str) -> String {
        format!("{}.e30.sig", URL_SAFE_NO_PAD.encode(header))
    }

    #[test]
    fn any_crit_is_refused_and_a_header_without_one_passes() {
        for header in [
            r#"{"alg":"HS256","crit":["exp"]}"#,
            r#"{"alg":"HS256","crit":["b64"],"b64":false}"#,
            r#"{"alg":"HS256","crit":[]}"#,
            r#"{"alg":"HS256","crit":null}"#,
            r#"{"crit":"x","alg":"HS256"}"#,
        ] {
            assert_eq!(
                refuse_critical_extensions(&token_with_header(header)),
                Err(TokenRejection::CriticalHeader),
                "{header}"
            );
        }
        assert_eq!(
            refuse_critical_extensions(&token_with_header(r#"{"alg":"HS256","typ":"JWT"}"#)),
            Ok(())
        );
    }

    #[test]
    fn a_header_that_is_not_a_base64url_json_object_is_malformed() {
        for token in [
            "",
            "%%%.e30.sig",
            &token_with_header("[1]"),
            &token_with_header("{"),
        ] {
            assert_eq!(
                refuse_critical_extensions(token),
                Err(TokenRejection::Malformed),
                "{token}"
            );
        }
    }
}
