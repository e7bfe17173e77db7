//! `session-local token`: a bearer token the local server accepts, for curl and tests.

use std::time::Duration;

use session_api::{AuthConfigError, IssueError, TokenIssuer};
use session_core::ids::{SessionId, UserId};
use thiserror::Error;

use crate::config::{AUDIENCE, ISSUER, JwtSecret};

#[derive(Debug, Error)]
pub enum TokenError {
    #[error(transparent)]
    Config(#[from] AuthConfigError),
    #[error(transparent)]
    Issue(#[from] IssueError),
}

/// A token for `user`'s session `session`, signed with `secret`, valid for `ttl`.
pub fn mint(
    secret: &JwtSecret,
    user: &UserId,
    session: SessionId,
    ttl: Duration,
) -> Result<String, TokenError> {
    let issuer = TokenIssuer::hs256(secret.as_bytes(), ISSUER, AUDIENCE)?;
    Ok(issuer.issue(user, session, ttl)?)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use session_api::{JwtConfig, TokenVerifier, VerificationKey};

    use super::*;

    #[test]
    fn minted_tokens_verify_with_the_servers_settings() {
        let secret = JwtSecret::dev_default();
        let user = UserId::from_str("alice").unwrap();
        let session = SessionId::from_str("0193a5b0-7c1d-7e2f-8a3b-4c5d6e7f8a9b").unwrap();
        let token = mint(&secret, &user, session, Duration::from_secs(60)).unwrap();
        let verifier = TokenVerifier::new(JwtConfig::new(
            VerificationKey::Hs256Secret(secret.as_bytes().to_vec()),
            ISSUER,
            AUDIENCE,
        ))
        .unwrap();
        let claims = verifier.verify(&token).unwrap();
        assert_eq!((claims.user_id, claims.session_id), (user, session));
    }

    #[test]
    fn short_configured_secrets_are_refused() {
        let secret = JwtSecret::resolve(Some("short".into()));
        let user = UserId::from_str("alice").unwrap();
        let session = SessionId::from_str("0193a5b0-7c1d-7e2f-8a3b-4c5d6e7f8a9b").unwrap();
        assert!(matches!(
            mint(&secret, &user, session, Duration::from_secs(60)),
            Err(TokenError::Config(AuthConfigError::ShortSecret { .. }))
        ));
    }
}
