//! Signature, expiry, issuer and audience checks, then the claims this service needs: the user
//! (`sub`) and the session (`session_id`, or the registered `sid`). Stricter than `jsonwebtoken`
//! alone where RFC 7515 and RFC 7519 are: a header with `crit` is refused, `iss` and `sub` must
//! be strings (the library accepts an `iss` array that contains the issuer).

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use session_core::ids::{SessionId, UserId};
use thiserror::Error;

use crate::auth::config::{self, AuthConfigError, JwtConfig, MAX_LEEWAY_SECS, VerificationKey};
use crate::auth::jose_header;

/// Longest token looked at; real ones are well under 2 KiB.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Who a verified token speaks for.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TokenClaims {
    pub user_id: UserId,
    pub session_id: SessionId,
}

/// Why a token was not accepted. The texts are safe to show the client.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum TokenRejection {
    #[error("the token is larger than {MAX_TOKEN_BYTES} bytes")]
    TooLarge,
    #[error("the token is malformed")]
    Malformed,
    #[error(
        "the token's header lists critical extensions (`crit`), which this service does not support"
    )]
    CriticalHeader,
    #[error("the token signature is invalid")]
    BadSignature,
    #[error("the token is signed with an algorithm this service does not accept")]
    WrongAlgorithm,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token was issued by another issuer")]
    WrongIssuer,
    #[error("the token is meant for another audience")]
    WrongAudience,
    #[error("the token lacks the `{0}` claim")]
    MissingClaim(String),
    #[error("the token names no session (`session_id` or `sid` claim)")]
    MissingSessionClaim,
    #[error("the token's `{0}` claim is not valid")]
    InvalidClaim(&'static str),
}

/// Verifies bearer tokens against one key; built once at start-up.
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl TokenVerifier {
    pub fn new(config: JwtConfig) -> Result<Self, AuthConfigError> {
        config::check_names(&config.issuer, &config.audience)?;
        let invalid_key =
            |e: jsonwebtoken::errors::Error| AuthConfigError::InvalidKey(e.to_string());
        let (key, algorithm) = match &config.key {
            VerificationKey::Hs256Secret(secret) => {
                config::check_secret(secret)?;
                (DecodingKey::from_secret(secret), Algorithm::HS256)
            }
            VerificationKey::Rs256PublicPem(pem) => (
                DecodingKey::from_rsa_pem(pem.as_bytes()).map_err(invalid_key)?,
                Algorithm::RS256,
            ),
            VerificationKey::Es256PublicPem(pem) => (
                DecodingKey::from_ec_pem(pem.as_bytes()).map_err(invalid_key)?,
                Algorithm::ES256,
            ),
        };
        let mut validation = Validation::new(algorithm);
        validation.leeway = config.leeway_secs.min(MAX_LEEWAY_SECS);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_issuer(&[config.issuer.as_str()]);
        validation.set_audience(&[config.audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        Ok(Self { key, validation })
    }

    /// The leeway in force, after the cap.
    pub fn leeway_secs(&self) -> u64 {
        self.validation.leeway
    }

    pub fn verify(&self, token: &str) -> Result<TokenClaims, TokenRejection> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenRejection::TooLarge);
        }
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &self.key, &self.validation)
            .map_err(|error| rejection(error.kind()))?;
        // After the signature: a forged token is reported as forged whatever its header says.
        jose_header::refuse_critical_extensions(token)?;
        claims(&data.claims)
    }
}

fn rejection(kind: &ErrorKind) -> TokenRejection {
    match kind {
        ErrorKind::InvalidSignature => TokenRejection::BadSignature,
        ErrorKind::InvalidAlgorithm
        | ErrorKind::MissingAlgorithm
        | ErrorKind::InvalidAlgorithmName => TokenRejection::WrongAlgorithm,
        ErrorKind::ExpiredSignature => TokenRejection::Expired,
        ErrorKind::ImmatureSignature => TokenRejection::NotYetValid,
        ErrorKind::InvalidIssuer => TokenRejection::WrongIssuer,
        ErrorKind::InvalidAudience => TokenRejection::WrongAudience,
        ErrorKind::MissingRequiredClaim(claim) => TokenRejection::MissingClaim(claim.clone()),
        _ => TokenRejection::Malformed,
    }
}

fn claims(claims: &Map<String, Value>) -> Result<TokenClaims, TokenRejection> {
    // `jsonwebtoken` checked that the issuer is among the accepted ones; RFC 7519 section 4.1.1
    // makes `iss` one string, so an array that merely contains the issuer is refused.
    if !claims.get("iss").is_some_and(Value::is_string) {
        return Err(TokenRejection::InvalidClaim("iss"));
    }
    let user_id = claims
        .get("sub")
        .and_then(Value::as_str)
        .and_then(|sub| UserId::try_from(sub.to_owned()).ok())
        .ok_or(TokenRejection::InvalidClaim("sub"))?;
    let session_id = match (claims.get("session_id"), claims.get("sid")) {
        (None, None) => return Err(TokenRejection::MissingSessionClaim),
        (Some(claim), None) => session_claim(claim, "session_id")?,
        (None, Some(claim)) => session_claim(claim, "sid")?,
        // Both present is tolerated only when they agree; otherwise which one wins would be an
        // accident of this code.
        (Some(session), Some(sid)) => {
            let id = session_claim(session, "session_id")?;
            if session_claim(sid, "sid")? != id {
                return Err(TokenRejection::InvalidClaim("sid"));
            }
            id
        }
    };
    Ok(TokenClaims {
        user_id,
        session_id,
    })
}

fn session_claim(value: &Value, name: &'static str) -> Result<SessionId, TokenRejection> {
    value
        .as_str()
        .and_then(|text| text.parse().ok())
        .ok_or(TokenRejection::InvalidClaim(name))
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{EncodingKey, Header, encode, get_current_timestamp};
    use serde_json::json;

    use super::*;

    const SECRET: &[u8] = b"unit-test-secret-of-at-least-32-bytes!!";
    const SESSION: &str = "0193a5b0-7c1d-7e2f-8a3b-4c5d6e7f8a9b";

    fn hs_verifier() -> TokenVerifier {
        TokenVerifier::new(JwtConfig::new(
            VerificationKey::Hs256Secret(SECRET.to_vec()),
            "iss",
            "aud",
        ))
        .unwrap()
    }

    fn good_claims() -> Value {
        let now = get_current_timestamp();
        json!({"iss": "iss", "aud": "aud", "sub": "alice", "session_id": SESSION, "iat": now, "exp": now + 600})
    }

    fn sign(claims: &Value, header: Header, key: &EncodingKey) -> String {
        encode(&header, claims, key).unwrap()
    }

    fn hs(claims: &Value) -> String {
        sign(
            claims,
            Header::new(Algorithm::HS256),
            &EncodingKey::from_secret(SECRET),
        )
    }

    /// An HS256 header naming a critical extension.
    fn critical_header() -> Header {
        let mut header = Header::new(Algorithm::HS256);
        header.crit = Some(vec!["exp".to_owned()]);
        header
    }

    fn with(mut claims: Value, key: &str, value: Value) -> Value {
        claims[key] = value;
        claims
    }

    fn without(mut claims: Value, key: &str) -> Value {
        claims.as_object_mut().unwrap().remove(key);
        claims
    }

    #[test]
    fn accepts_a_valid_token_and_reads_user_and_session() {
        let claims = hs_verifier().verify(&hs(&good_claims())).unwrap();
        assert_eq!(claims.user_id.as_str(), "alice");
        assert_eq!(claims.session_id.to_string(), SESSION);
    }

    #[test]
    fn accepts_sid_as_the_session_claim() {
        let token = hs(&with(
            without(good_claims(), "session_id"),
            "sid",
            json!(SESSION),
        ));
        assert_eq!(
            hs_verifier().verify(&token).unwrap().session_id.to_string(),
            SESSION
        );
    }

    #[test]
    fn rejects_tokens_that_fail_a_check() {
        let now = get_current_timestamp();
        let cases = [
            (
                hs(&with(good_claims(), "exp", json!(now - 3600))),
                TokenRejection::Expired,
            ),
            (
                hs(&with(good_claims(), "nbf", json!(now + 3600))),
                TokenRejection::NotYetValid,
            ),
            (
                hs(&with(good_claims(), "iss", json!("other"))),
                TokenRejection::WrongIssuer,
            ),
            (
                hs(&with(good_claims(), "aud", json!("other"))),
                TokenRejection::WrongAudience,
            ),
            (
                hs(&without(good_claims(), "session_id")),
                TokenRejection::MissingSessionClaim,
            ),
            (
                hs(&without(good_claims(), "exp")),
                TokenRejection::MissingClaim("exp".into()),
            ),
            (
                hs(&without(good_claims(), "sub")),
                TokenRejection::MissingClaim("sub".into()),
            ),
            (
                hs(&with(good_claims(), "sub", json!("has space"))),
                TokenRejection::InvalidClaim("sub"),
            ),
            (
                hs(&with(good_claims(), "session_id", json!("nope"))),
                TokenRejection::InvalidClaim("session_id"),
            ),
            (
                hs(&with(
                    good_claims(),
                    "sid",
                    json!("0193a5b0-7c1d-7e2f-8a3b-000000000000"),
                )),
                TokenRejection::InvalidClaim("sid"),
            ),
            (
                sign(
                    &good_claims(),
                    Header::new(Algorithm::HS256),
                    &EncodingKey::from_secret(b"another-secret-of-at-least-32-bytes!"),
                ),
                TokenRejection::BadSignature,
            ),
            (
                sign(
                    &good_claims(),
                    Header::new(Algorithm::HS512),
                    &EncodingKey::from_secret(SECRET),
                ),
                TokenRejection::WrongAlgorithm,
            ),
            (
                hs(&with(good_claims(), "iss", json!(["iss", "other"]))),
                TokenRejection::InvalidClaim("iss"),
            ),
            (
                hs(&with(good_claims(), "iss", json!(["other"]))),
                TokenRejection::WrongIssuer,
            ),
            (
                hs(&with(good_claims(), "nbf", json!((now + 3600).to_string()))),
                TokenRejection::Malformed,
            ),
            (
                sign(
                    &good_claims(),
                    critical_header(),
                    &EncodingKey::from_secret(SECRET),
                ),
                TokenRejection::CriticalHeader,
            ),
            ("not.a.token".to_owned(), TokenRejection::Malformed),
            ("x".repeat(MAX_TOKEN_BYTES + 1), TokenRejection::TooLarge),
        ];
        let verifier = hs_verifier();
        for (token, expected) in cases {
            assert_eq!(verifier.verify(&token), Err(expected));
        }
    }

    #[test]
    fn sub_must_be_a_string() {
        let verifier = hs_verifier();
        for sub in [
            json!(["alice"]),
            json!(42),
            json!({"id": "alice"}),
            json!(null),
        ] {
            let rejected = verifier.verify(&hs(&with(good_claims(), "sub", sub.clone())));
            // `jsonwebtoken` refuses most of these itself (as malformed claims or a missing
            // `sub`); whatever gets past it is refused when the user id is read.
            assert!(
                match &rejected {
                    Err(TokenRejection::Malformed | TokenRejection::InvalidClaim("sub")) => true,
                    Err(TokenRejection::MissingClaim(claim)) => claim == "sub",
                    _ => false,
                },
                "{sub}: {rejected:?}"
            );
        }
    }

    #[test]
    fn a_forged_token_with_crit_is_reported_as_forged() {
        let forged = sign(
            &good_claims(),
            critical_header(),
            &EncodingKey::from_secret(b"another-secret-of-at-least-32-bytes!"),
        );
        assert_eq!(
            hs_verifier().verify(&forged),
            Err(TokenRejection::BadSignature)
        );
    }

    #[test]
    fn leeway_tolerates_small_skew_and_is_capped() {
        let now = get_current_timestamp();
        let just_expired = hs(&with(good_claims(), "exp", json!(now - 5)));
        assert!(hs_verifier().verify(&just_expired).is_ok());
        let config = JwtConfig::new(VerificationKey::Hs256Secret(SECRET.to_vec()), "iss", "aud")
            .with_leeway_secs(86_400);
        assert_eq!(
            TokenVerifier::new(config).unwrap().leeway_secs(),
            MAX_LEEWAY_SECS
        );
    }

    #[test]
    fn refuses_weak_configuration() {
        let short = JwtConfig::new(
            VerificationKey::Hs256Secret(b"short".to_vec()),
            "iss",
            "aud",
        );
        assert!(matches!(
            TokenVerifier::new(short),
            Err(AuthConfigError::ShortSecret { .. })
        ));
        let no_issuer = JwtConfig::new(VerificationKey::Hs256Secret(SECRET.to_vec()), " ", "aud");
        assert!(matches!(
            TokenVerifier::new(no_issuer),
            Err(AuthConfigError::EmptyIssuer)
        ));
        let no_audience = JwtConfig::new(VerificationKey::Hs256Secret(SECRET.to_vec()), "iss", "");
        assert!(matches!(
            TokenVerifier::new(no_audience),
            Err(AuthConfigError::EmptyAudience)
        ));
        let bad_pem = JwtConfig::new(
            VerificationKey::Es256PublicPem("not a pem".into()),
            "iss",
            "aud",
        );
        assert!(matches!(
            TokenVerifier::new(bad_pem),
            Err(AuthConfigError::InvalidKey(_))
        ));
    }

    #[test]
    fn verifies_es256_tokens_with_a_pem_public_key() {
        let private =
            EncodingKey::from_ec_pem(include_bytes!("../../testdata/es256-private.pem")).unwrap();
        let token = sign(&good_claims(), Header::new(Algorithm::ES256), &private);
        let public = include_str!("../../testdata/es256-public.pem").to_owned();
        let verifier = TokenVerifier::new(JwtConfig::new(
            VerificationKey::Es256PublicPem(public),
            "iss",
            "aud",
        ))
        .unwrap();
        assert!(verifier.verify(&token).is_ok());

        let other = include_str!("../../testdata/es256-other-public.pem").to_owned();
        let wrong_key = TokenVerifier::new(JwtConfig::new(
            VerificationKey::Es256PublicPem(other),
            "iss",
            "aud",
        ))
        .unwrap();
        assert_eq!(wrong_key.verify(&token), Err(TokenRejection::BadSignature));
    }

    #[test]
    fn verifies_rs256_tokens_and_refuses_hs256_tokens_signed_with_the_public_key() {
        let private =
            EncodingKey::from_rsa_pem(include_bytes!("../../testdata/rs256-private.pem")).unwrap();
        let token = sign(&good_claims(), Header::new(Algorithm::RS256), &private);
        let public = include_str!("../../testdata/rs256-public.pem");
        let verifier = TokenVerifier::new(JwtConfig::new(
            VerificationKey::Rs256PublicPem(public.to_owned()),
            "iss",
            "aud",
        ))
        .unwrap();
        assert!(verifier.verify(&token).is_ok());

        // The classic algorithm-confusion attack: HMAC keyed with the public key.
        let forged = sign(
            &good_claims(),
            Header::new(Algorithm::HS256),
            &EncodingKey::from_secret(public.as_bytes()),
        );
        assert_eq!(
            verifier.verify(&forged),
            Err(TokenRejection::WrongAlgorithm)
        );
    }
}
