//! LinkRefreshTokenToSession: the auth service ties a refresh token it issued to the session,
//! making it the current link of the session's refresh-token chain.
//!
//! Superseded by the refresh route (`refresh_session`), which checks the presented token,
//! rotates and records activity in one call; kept for callers of the earlier API. Setting a
//! link here makes the earlier one the previous link, as a rotation would.

use crate::app::{Retry, Sessions};
use crate::error::SessionError;
use crate::ids::{RefreshTokenId, SessionId};
use crate::ports::{ChangeSet, SessionStore, SessionWrite};

#[derive(Clone, Debug)]
pub struct LinkRefreshTokenToSession {
    pub session_id: SessionId,
    pub refresh_token_id: RefreshTokenId,
}

impl<S: SessionStore> Sessions<S> {
    pub async fn link_refresh_token(
        &self,
        cmd: LinkRefreshTokenToSession,
    ) -> Result<(), SessionError> {
        self.retry_on_conflict(|| self.try_link_refresh_token(&cmd))
            .await
            .map_err(SessionError::from)
    }

    async fn try_link_refresh_token(&self, cmd: &LinkRefreshTokenToSession) -> Result<(), Retry> {
        let Some(stored) = self.store.load_session(cmd.session_id).await? else {
            return Err(SessionError::SessionNotFound.into());
        };
        let mut session = stored.value;
        let status = session.status(self.clock.now());
        if status != crate::domain::SessionStatus::Active {
            return Err(SessionError::SessionInactive { status }.into());
        }
        let hash = cmd.refresh_token_id.hash();
        if session.refresh_token_hash() == Some(&hash) {
            return Ok(());
        }
        session.rotate_refresh_token(hash, self.clock.now())?;
        let changes = ChangeSet {
            sessions: vec![SessionWrite::Replace {
                session,
                expected_version: stored.version,
            }],
            ..ChangeSet::default()
        };
        self.store.commit(changes).await?;
        Ok(())
    }
}
