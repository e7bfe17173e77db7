//! How tokens are verified: the key, the issuer and audience they must name, the clock leeway.

use std::fmt;

use thiserror::Error;

/// Clock skew tolerated on `exp` / `nbf` unless configured otherwise.
pub const DEFAULT_LEEWAY_SECS: u64 = 30;
/// Most leeway accepted: more would keep revoked-by-expiry tokens alive for minutes.
pub const MAX_LEEWAY_SECS: u64 = 300;
/// Shortest HS256 secret accepted (RFC 7518 §3.2: at least the hash size).
pub const MIN_SECRET_BYTES: usize = 32;

/// The key tokens are signed with, and so the one algorithm accepted (no algorithm confusion:
/// a token whose header names another algorithm is rejected).
#[derive(Clone)]
pub enum VerificationKey {
    /// HS256 shared secret.
    Hs256Secret(Vec<u8>),
    /// RS256 public key, PEM (`-----BEGIN PUBLIC KEY-----`).
    Rs256PublicPem(String),
    /// ES256 (P-256) public key, PEM.
    Es256PublicPem(String),
}

// Hand-written so a shared secret never appears in a log or a panic message.
impl fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hs256Secret(_) => f.write_str("Hs256Secret(<redacted>)"),
            Self::Rs256PublicPem(_) => f.write_str("Rs256PublicPem"),
            Self::Es256PublicPem(_) => f.write_str("Es256PublicPem"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct JwtConfig {
    pub key: VerificationKey,
    /// The `iss` every token must carry.
    pub issuer: String,
    /// An `aud` every token must carry.
    pub audience: String,
    /// Capped at [`MAX_LEEWAY_SECS`].
    pub leeway_secs: u64,
}

impl JwtConfig {
    pub fn new(
        key: VerificationKey,
        issuer: impl Into<String>,
        audience: impl Into<String>,
    ) -> Self {
        Self {
            key,
            issuer: issuer.into(),
            audience: audience.into(),
            leeway_secs: DEFAULT_LEEWAY_SECS,
        }
    }

    pub fn with_leeway_secs(mut self, leeway_secs: u64) -> Self {
        self.leeway_secs = leeway_secs;
        self
    }
}

/// A verifier or issuer that cannot be built: configuration errors, found at start-up.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum AuthConfigError {
    #[error("the JWT issuer must not be empty")]
    EmptyIssuer,
    #[error("the JWT audience must not be empty")]
    EmptyAudience,
    #[error("the HS256 secret must be at least {min_bytes} bytes")]
    ShortSecret { min_bytes: usize },
    #[error("the JWT key is not usable: {0}")]
    InvalidKey(String),
}

pub(crate) fn check_names(issuer: &str, audience: &str) -> Result<(), AuthConfigError> {
    if issuer.trim().is_empty() {
        return Err(AuthConfigError::EmptyIssuer);
    }
    if audience.trim().is_empty() {
        return Err(AuthConfigError::EmptyAudience);
    }
    Ok(())
}

pub(crate) fn check_secret(secret: &[u8]) -> Result<(), AuthConfigError> {
    if secret.len() < MIN_SECRET_BYTES {
        return Err(AuthConfigError::ShortSecret {
            min_bytes: MIN_SECRET_BYTES,
        });
    }
    Ok(())
}
