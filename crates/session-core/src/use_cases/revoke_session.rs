//! RevokeSession: a user (or service) revokes one session. Three-state events: Attempted, then
//! exactly one of Revoked or RevocationFailed, whatever the failure (store errors included).

use crate::app::{Retry, Sessions};
use crate::domain::{Actor, Revocation, RevocationReason, Session};
use crate::error::SessionError;
use crate::events::{self, DomainEvent, EventPayload};
use crate::ids::{SessionId, UserId};
use crate::ports::{ChangeSet, LedgerWrite, SessionStore, SessionWrite};

#[derive(Clone, Debug)]
pub struct RevokeSession {
    pub session_id: SessionId,
    /// The owner the caller claims; a session of anyone else is refused.
    pub user_id: UserId,
    pub reason: RevocationReason,
    pub by: Actor,
}

impl<S: SessionStore> Sessions<S> {
    pub async fn revoke_session(&self, cmd: RevokeSession) -> Result<Session, SessionError> {
        let attempted = self.event(EventPayload::SessionRevocationAttempted(
            events::SessionRevocationAttempted {
                session_id: cmd.session_id,
                user_id: cmd.user_id.clone(),
                reason: cmd.reason,
            },
        ));
        let outcome = self
            .retry_on_conflict(|| self.try_revoke(&cmd, &attempted))
            .await
            .map_err(SessionError::from);
        if let Err(error) = &outcome {
            let failed = self.event(EventPayload::SessionRevocationFailed(
                events::SessionRevocationFailed {
                    session_id: cmd.session_id,
                    user_id: cmd.user_id.clone(),
                    reason: cmd.reason,
                    failure_reason: error.code().to_owned(),
                },
            ));
            self.record_failure(vec![attempted, failed]).await;
        }
        outcome
    }

    async fn try_revoke(
        &self,
        cmd: &RevokeSession,
        attempted: &DomainEvent,
    ) -> Result<Session, Retry> {
        let Some(stored) = self.store.load_session(cmd.session_id).await? else {
            return Err(SessionError::SessionNotFound.into());
        };
        let mut session = stored.value;
        if *session.user_id() != cmd.user_id {
            return Err(SessionError::NotSessionOwner.into());
        }
        session.revoke(Revocation {
            at: self.clock.now(),
            reason: cmd.reason,
            by: cmd.by.clone(),
        })?;
        let revoked = self.event(EventPayload::SessionRevoked(events::SessionRevoked {
            session_id: session.id(),
            user_id: session.user_id().clone(),
            reason: cmd.reason,
            device_info: session.device_info().map(str::to_owned),
            revoked_by_user: cmd.by.user_id().cloned(),
        }));
        let changes = ChangeSet {
            ledger: Some(LedgerWrite::RemoveActive {
                user_id: session.user_id().clone(),
                session_ids: vec![session.id()],
            }),
            sessions: vec![SessionWrite::Replace {
                session: session.clone(),
                expected_version: stored.version,
            }],
            events: vec![attempted.clone(), revoked],
            ..ChangeSet::default()
        };
        self.store.commit(changes).await?;
        Ok(session)
    }
}
