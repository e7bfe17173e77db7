//! GetSession: one session, to its owner only. Revoked and expired sessions are still returned to
//! their owner (with their status), as the reference does.

use crate::app::Sessions;
use crate::error::SessionError;
use crate::ids::{SessionId, UserId};
use crate::ports::SessionStore;
use crate::use_cases::list_user_sessions::ListedSession;

#[derive(Clone, Debug)]
pub struct GetSession {
    pub session_id: SessionId,
    pub user_id: UserId,
    /// The caller's own session, to mark `is_current`.
    pub current_session_id: Option<SessionId>,
}

impl<S: SessionStore> Sessions<S> {
    pub async fn get_session(&self, query: GetSession) -> Result<ListedSession, SessionError> {
        let Some(stored) = self.store.load_session(query.session_id).await? else {
            return Err(SessionError::SessionNotFound);
        };
        if *stored.value.user_id() != query.user_id {
            return Err(SessionError::NotSessionOwner);
        }
        Ok(ListedSession::at(
            stored.value,
            self.clock.now(),
            query.current_session_id,
        ))
    }
}
