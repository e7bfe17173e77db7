//! Bearer tokens: verifying them ([`TokenVerifier`]), minting them for local use and tests
//! ([`TokenIssuer`]), and turning one into a [`crate::Caller`] whose session is active
//! ([`Authenticator`], what the Lambda authorizer runs). Tokens never reach a log.

mod authenticator;
mod config;
mod issuer;
mod jose_header;
mod verifier;

pub use authenticator::{
    AuthError, Authenticator, ClientSighting, authorization_header, bearer_token,
};
pub use config::{
    AuthConfigError, DEFAULT_LEEWAY_SECS, JwtConfig, MAX_LEEWAY_SECS, MIN_SECRET_BYTES,
    VerificationKey,
};
pub use issuer::{IssueError, TokenIssuer};
pub use verifier::{MAX_TOKEN_BYTES, TokenClaims, TokenRejection, TokenVerifier};
