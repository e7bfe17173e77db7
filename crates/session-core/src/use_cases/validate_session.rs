//! ValidateSession: "is this session still valid?", asked on every token refresh and by the
//! authorizer on every request. One consistent read; expiry and idle timeout checked against now.

use chrono::{DateTime, Utc};

use crate::app::Sessions;
use crate::domain::{SessionAssurance, SessionStatus};
use crate::error::SessionError;
use crate::ids::{SessionId, UserId};
use crate::ports::SessionStore;

#[derive(Clone, Debug)]
pub struct ValidateSession {
    pub session_id: SessionId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Validity {
    Active {
        user_id: UserId,
        expires_at: DateTime<Utc>,
        assurance: SessionAssurance,
    },
    Inactive {
        /// `None` when the session does not exist.
        status: Option<SessionStatus>,
        user_id: Option<UserId>,
    },
}

impl Validity {
    pub fn is_active(&self) -> bool {
        matches!(self, Self::Active { .. })
    }

    /// Why the session is not active: `revoked`, `expired`, `idle_expired` or `not_found`.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            Self::Active { .. } => None,
            Self::Inactive {
                status: Some(status),
                ..
            } => Some(status.as_str()),
            Self::Inactive { status: None, .. } => Some("not_found"),
        }
    }
}

impl<S: SessionStore> Sessions<S> {
    pub async fn validate_session(&self, query: ValidateSession) -> Result<Validity, SessionError> {
        let Some(stored) = self.store.load_session(query.session_id).await? else {
            return Ok(Validity::Inactive {
                status: None,
                user_id: None,
            });
        };
        let session = stored.value;
        Ok(match session.status(self.clock.now()) {
            SessionStatus::Active => Validity::Active {
                user_id: session.user_id().clone(),
                expires_at: session.expires_at(),
                assurance: session.assurance(),
            },
            status => Validity::Inactive {
                status: Some(status),
                user_id: Some(session.user_id().clone()),
            },
        })
    }
}
