//! Minting HS256 tokens the verifier accepts: for the local server's `token` command and for
//! tests. Production tokens come from the auth service, never from here.

use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use session_core::ids::{SessionId, UserId};
use thiserror::Error;

use crate::auth::config::{self, AuthConfigError};

#[derive(Debug, Error)]
#[error("could not sign the token: {0}")]
pub struct IssueError(#[from] jsonwebtoken::errors::Error);

pub struct TokenIssuer {
    key: EncodingKey,
    issuer: String,
    audience: String,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    aud: &'a str,
    sub: &'a str,
    session_id: String,
    iat: i64,
    exp: i64,
}

impl TokenIssuer {
    pub fn hs256(
        secret: &[u8],
        issuer: impl Into<String>,
        audience: impl Into<String>,
    ) -> Result<Self, AuthConfigError> {
        let (issuer, audience) = (issuer.into(), audience.into());
        config::check_names(&issuer, &audience)?;
        config::check_secret(secret)?;
        Ok(Self {
            key: EncodingKey::from_secret(secret),
            issuer,
            audience,
        })
    }

    /// A token valid from now for `ttl`.
    pub fn issue(
        &self,
        user_id: &UserId,
        session_id: SessionId,
        ttl: Duration,
    ) -> Result<String, IssueError> {
        self.issue_at(user_id, session_id, Utc::now(), ttl)
    }

    /// A token issued at `issued_at` (in the past for an already expired token).
    pub fn issue_at(
        &self,
        user_id: &UserId,
        session_id: SessionId,
        issued_at: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<String, IssueError> {
        let iat = issued_at.timestamp();
        let ttl_secs = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
        let claims = Claims {
            iss: &self.issuer,
            aud: &self.audience,
            sub: user_id.as_str(),
            session_id: session_id.to_string(),
            iat,
            exp: iat.saturating_add(ttl_secs),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.key,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use uuid::Uuid;

    use super::*;
    use crate::auth::{JwtConfig, TokenRejection, TokenVerifier, VerificationKey};

    const SECRET: &[u8] = b"unit-test-secret-of-at-least-32-bytes!!";

    #[test]
    fn issued_tokens_verify_and_carry_user_and_session() {
        let issuer = TokenIssuer::hs256(SECRET, "iss", "aud").unwrap();
        let verifier = TokenVerifier::new(JwtConfig::new(
            VerificationKey::Hs256Secret(SECRET.to_vec()),
            "iss",
            "aud",
        ))
        .unwrap();
        let user = UserId::from_str("alice").unwrap();
        let session = SessionId::from_uuid(Uuid::now_v7());
        let claims = verifier
            .verify(
                &issuer
                    .issue(&user, session, Duration::from_secs(60))
                    .unwrap(),
            )
            .unwrap();
        assert_eq!((claims.user_id, claims.session_id), (user.clone(), session));

        let old = Utc::now() - chrono::Duration::hours(2);
        let expired = issuer
            .issue_at(&user, session, old, Duration::from_secs(3600))
            .unwrap();
        assert_eq!(verifier.verify(&expired), Err(TokenRejection::Expired));
    }

    #[test]
    fn refuses_short_secrets() {
        assert!(matches!(
            TokenIssuer::hs256(b"short", "iss", "aud"),
            Err(AuthConfigError::ShortSecret { .. })
        ));
    }
}
