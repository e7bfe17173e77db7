//! RevokeSession: a user revokes one of their sessions, or an admin any session. Three-state
//! events: Attempted, then exactly one of Revoked or RevocationFailed, whatever the failure
//! (store errors included). An admin's revocation of a session that does not exist concerns no
//! user and emits nothing.

use crate::app::{Retry, Sessions};
use crate::domain::{Actor, Revocation, RevocationReason, Session};
use crate::error::SessionError;
use crate::events::{self, DomainEvent, EventPayload};
use crate::ids::{EventId, Note, SessionId, UserId};
use crate::ports::{ChangeSet, LedgerWrite, SessionStore, SessionWrite};

/// Whose session the caller means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    /// The caller's own: a session of anyone else is refused (`not_session_owner`).
    User(UserId),
    /// Any user's (support and security tooling).
    Any,
}

#[derive(Clone, Debug)]
pub struct RevokeSession {
    pub session_id: SessionId,
    pub owner: Owner,
    pub reason: RevocationReason,
    pub by: Actor,
    pub note: Option<Note>,
}

impl RevokeSession {
    /// A user signing one of their own sessions out.
    pub fn by_user(session_id: SessionId, user_id: UserId, reason: RevocationReason) -> Self {
        Self {
            session_id,
            owner: Owner::User(user_id.clone()),
            reason,
            by: Actor::User { user_id },
            note: None,
        }
    }
}

/// The ids of the command's Attempted and outcome events, fixed before the first attempt.
struct EventIds {
    attempted: EventId,
    outcome: EventId,
}

impl<S: SessionStore> Sessions<S> {
    pub async fn revoke_session(&self, cmd: RevokeSession) -> Result<Session, SessionError> {
        let ids = EventIds {
            attempted: self.new_event_id(),
            outcome: self.new_event_id(),
        };
        let outcome = self
            .retry_on_conflict(|| self.try_revoke(&cmd, &ids))
            .await
            .map_err(SessionError::from);
        if let Err(error) = &outcome {
            let user_id = match &cmd.owner {
                Owner::User(user_id) => Some(user_id.clone()),
                // The session's owner, when it could be read.
                Owner::Any => match self.store.load_session(cmd.session_id).await {
                    Ok(Some(stored)) => Some(stored.value.user_id().clone()),
                    Ok(None) | Err(_) => None,
                },
            };
            if let Some(user_id) = user_id {
                let failed = self.event_with_id(
                    ids.outcome,
                    EventPayload::SessionRevocationFailed(events::SessionRevocationFailed {
                        session_id: cmd.session_id,
                        user_id: user_id.clone(),
                        reason: cmd.reason,
                        by: cmd.by.clone(),
                        failure_reason: error.code().to_owned(),
                    }),
                );
                let attempted = self.attempted(&cmd, &user_id, ids.attempted);
                self.record_failure(vec![attempted, failed]).await;
            }
        }
        outcome
    }

    fn attempted(&self, cmd: &RevokeSession, user_id: &UserId, id: EventId) -> DomainEvent {
        self.event_with_id(
            id,
            EventPayload::SessionRevocationAttempted(events::SessionRevocationAttempted {
                session_id: cmd.session_id,
                user_id: user_id.clone(),
                reason: cmd.reason,
                by: cmd.by.clone(),
            }),
        )
    }

    async fn try_revoke(&self, cmd: &RevokeSession, ids: &EventIds) -> Result<Session, Retry> {
        let Some(stored) = self.store.load_session(cmd.session_id).await? else {
            return Err(SessionError::SessionNotFound.into());
        };
        let mut session = stored.value;
        if let Owner::User(user_id) = &cmd.owner
            && session.user_id() != user_id
        {
            return Err(SessionError::NotSessionOwner.into());
        }
        session.revoke(Revocation {
            at: self.clock.now(),
            reason: cmd.reason,
            by: cmd.by.clone(),
            note: cmd.note.clone(),
        })?;
        let attempted = self.attempted(cmd, session.user_id(), ids.attempted);
        let revoked = self.event_with_id(
            ids.outcome,
            EventPayload::SessionRevoked(events::SessionRevoked {
                session_id: session.id(),
                user_id: session.user_id().clone(),
                reason: cmd.reason,
                device_info: session.device_info().map(str::to_owned),
                revoked_by_user: cmd.by.user_id().cloned(),
                by: cmd.by.clone(),
                note: cmd.note.clone(),
            }),
        );
        let changes = ChangeSet {
            ledger: Some(LedgerWrite::RemoveActive {
                user_id: session.user_id().clone(),
                session_ids: vec![session.id()],
                mark: None,
                expected_version: None,
            }),
            sessions: vec![SessionWrite::Replace {
                session: session.clone(),
                expected_version: stored.version,
            }],
            events: vec![attempted, revoked],
            ..ChangeSet::default()
        };
        self.store.commit(changes).await?;
        Ok(session)
    }
}
