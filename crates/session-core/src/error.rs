//! The use cases' typed errors, each with the stable code the API and events carry.

use thiserror::Error;

use crate::domain::{Session, SessionStatus};
use crate::ids::InvalidValue;
use crate::ports::StoreError;

/// Input that is well-formed but not acceptable to the domain.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum InvalidInput {
    #[error(transparent)]
    Value(#[from] InvalidValue),
    #[error("expires_at must be in the future")]
    ExpiryInPast,
    #[error("expires_at must be within the session lifetime of {max_secs} seconds")]
    ExpiryBeyondLifetime { max_secs: u32 },
    #[error("unknown tier `{0}`")]
    UnknownTier(String),
    #[error("max_sessions must be at least 1")]
    ZeroMaxSessions,
    #[error("max_sessions must be at most {max}; omit it for the tier's limit")]
    MaxSessionsTooHigh { max: u32 },
    #[error("cursor is not valid")]
    InvalidCursor,
    #[error("limit must be between 1 and {max}")]
    PageLimit { max: u32 },
    #[error("trusted_until must be in the future and at most {max_days} days ahead")]
    TrustExpiry { max_days: i64 },
}

#[derive(Debug, Error)]
pub enum SessionError {
    #[error("user not found")]
    UserNotFound,
    #[error("session not found")]
    SessionNotFound,
    /// No such device of the user (another user's device is not found either).
    #[error("device not found")]
    DeviceNotFound,
    #[error("session belongs to another user")]
    NotSessionOwner,
    #[error("session already revoked")]
    SessionAlreadyRevoked,
    #[error("session limit of {max_sessions} reached")]
    SessionLimitExceeded { max_sessions: u32 },
    /// An `ask` tier's limit: the user picks one of `sessions` (active, least recently used
    /// first) for the login to replace (docs/0049).
    #[error("session limit of {max_sessions} reached; choose a session to replace")]
    SessionLimitReached {
        max_sessions: u32,
        sessions: Vec<Session>,
    },
    #[error("session is {}", status.as_str())]
    SessionInactive { status: SessionStatus },
    /// The account is disabled (or deleted): no login until it is enabled again.
    #[error("the account is disabled")]
    AccountDisabled,
    /// A deleted account cannot be enabled again.
    #[error("the account was deleted")]
    AccountDeleted,
    /// The user's sessions were revoked while this login was in progress: it started before
    /// the cutoff and would outlive the sign-out it raced.
    #[error("the user's sessions were revoked while this login was in progress")]
    LoginSuperseded,
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    /// A refresh token was presented after its rotation (or was never issued): the session was
    /// revoked.
    #[error("the refresh token was already used; the session is revoked")]
    RefreshTokenReused,
    /// A refresh of a session that has no refresh token yet.
    #[error("the session has no refresh token to rotate")]
    RefreshTokenNotLinked,
    /// The idempotency key was first used with a different request.
    #[error("the idempotency key was already used with a different request")]
    IdempotencyKeyReused,
    /// Concurrent changes kept winning until the retry budget ran out.
    #[error("too many concurrent changes; try again")]
    Contention,
    /// The command's deadline passed before it could finish; whatever it committed before is
    /// whole (each commit is atomic), and a retry picks up from there.
    #[error("the request's deadline passed before the command finished")]
    DeadlineExceeded,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SessionError {
    /// Stable machine-readable code (the reference service's codes where it had one).
    pub fn code(&self) -> &'static str {
        match self {
            Self::UserNotFound => "user_not_found",
            Self::SessionNotFound => "session_not_found",
            Self::DeviceNotFound => "device_not_found",
            Self::NotSessionOwner => "not_session_owner",
            Self::SessionAlreadyRevoked => "session_already_revoked",
            Self::SessionLimitExceeded { .. } => "session_limit_exceeded",
            Self::SessionLimitReached { .. } => "session_limit_reached",
            Self::SessionInactive { .. } => "session_inactive",
            Self::AccountDisabled => "account_disabled",
            Self::AccountDeleted => "account_deleted",
            Self::LoginSuperseded => "login_superseded",
            Self::Invalid(_) => "validation_failed",
            Self::RefreshTokenReused => "refresh_token_reused",
            Self::RefreshTokenNotLinked => "refresh_token_not_linked",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::Contention => "contention",
            Self::DeadlineExceeded => "deadline_exceeded",
            Self::Store(StoreError::Unavailable(_)) => "store_unavailable",
            Self::Store(StoreError::Rejected(_)) => "store_rejected",
            Self::Store(StoreError::Corrupt(_)) => "store_corrupt",
        }
    }
}

impl SessionError {
    /// Whether this failure is a defect of the deployment or the code (a refused or corrupt
    /// store answer) rather than the request's fault or a passing condition: the ones an
    /// operator must hear about.
    pub fn is_defect(&self) -> bool {
        matches!(self, Self::Store(error) if !error.is_transient())
    }
}

impl From<InvalidValue> for SessionError {
    fn from(value: InvalidValue) -> Self {
        Self::Invalid(InvalidInput::Value(value))
    }
}
