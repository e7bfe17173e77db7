//! SetAccountStatus: disable an account (every session revoked and logins refused, in the commit
//! that revokes the first sessions), enable it again (logins allowed; no old session comes back,
//! revocation being final), or mark it deleted (blocked for good). docs/0013.

use crate::app::{Retry, Sessions};
use crate::domain::{AccountStatus, Actor, RevocationReason};
use crate::error::SessionError;
use crate::events::{self, EventPayload, RevokeAllTrigger};
use crate::ids::{Note, SessionId, UserId};
use crate::ports::{ChangeSet, LedgerWrite, ProcessedMarker, SessionStore};
use crate::use_cases::{RevokeAllScope, RevokeAllUserSessions};

/// The status asked for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RequestedStatus {
    Active,
    Disabled,
    Deleted,
}

#[derive(Clone, Debug)]
pub struct SetAccountStatus {
    pub user_id: UserId,
    pub status: RequestedStatus,
    /// Why, as recorded on the status event; `None` for an enable by the auth service.
    pub reason: Option<RevocationReason>,
    pub by: Actor,
    pub note: Option<Note>,
    /// Makes the change happen once (an incoming event's id).
    pub once: Option<ProcessedMarker>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AccountStatusChange {
    pub status: AccountStatus,
    /// The sessions a disable or delete revoked.
    pub revoked_session_ids: Vec<SessionId>,
    /// The change had already been made (its marker exists); nothing was done this time.
    pub already_processed: bool,
}

impl<S: SessionStore> Sessions<S> {
    pub async fn set_account_status(
        &self,
        cmd: SetAccountStatus,
    ) -> Result<AccountStatusChange, SessionError> {
        match cmd.status {
            RequestedStatus::Active => self.enable_account(cmd).await,
            RequestedStatus::Disabled | RequestedStatus::Deleted => self.block_account(cmd).await,
        }
    }

    /// Revokes everything with the status change in the first commit. A repeated disable runs
    /// again: it finishes what an interrupted one left and keeps the first `since`.
    async fn block_account(
        &self,
        cmd: SetAccountStatus,
    ) -> Result<AccountStatusChange, SessionError> {
        let Some(ledger) = self.store.load_user(&cmd.user_id).await? else {
            return Err(SessionError::UserNotFound);
        };
        let now = self.clock.now();
        let status = match (cmd.status, ledger.value.status) {
            (RequestedStatus::Disabled, current @ AccountStatus::Disabled { .. })
            | (_, current @ AccountStatus::Deleted { .. }) => current,
            (RequestedStatus::Deleted, _) => AccountStatus::Deleted { since: now },
            _ => AccountStatus::Disabled {
                since: now,
                by: cmd.by.clone(),
            },
        };
        let revocation_reason = match status {
            AccountStatus::Deleted { .. } => RevocationReason::AccountDeleted,
            _ => RevocationReason::AccountDisabled,
        };
        let announced = EventPayload::UserSessionsBlocked(events::UserSessionsBlocked {
            user_id: cmd.user_id.clone(),
            status: status.as_str().to_owned(),
            reason: cmd.reason.unwrap_or(revocation_reason),
            by: cmd.by.clone(),
            note: cmd.note.clone(),
        });
        let trigger = match cmd.by {
            Actor::AuthEvent { .. } => RevokeAllTrigger::AuthEvent,
            _ => RevokeAllTrigger::AccountStatus,
        };
        let revoked = self
            .revoke_all_user_sessions_in_scope(
                RevokeAllUserSessions {
                    user_id: cmd.user_id,
                    reason: revocation_reason,
                    except_session_id: None,
                    by: cmd.by,
                    trigger,
                    note: cmd.note,
                },
                RevokeAllScope {
                    created_before: None,
                    once: cmd.once,
                    status: Some((status.clone(), announced)),
                },
            )
            .await?;
        Ok(AccountStatusChange {
            status,
            revoked_session_ids: revoked.session_ids,
            already_processed: revoked.already_processed,
        })
    }

    async fn enable_account(
        &self,
        cmd: SetAccountStatus,
    ) -> Result<AccountStatusChange, SessionError> {
        let outcome = self
            .retry_on_conflict(|| async {
                let Some(stored) = self.store.load_user(&cmd.user_id).await? else {
                    return Err(Retry::from(SessionError::UserNotFound));
                };
                let mut ledger = stored.value;
                match ledger.status {
                    // Nothing to change; an event's marker is still recorded, so its
                    // redelivery is recognised like any other.
                    AccountStatus::Active => {
                        let already_processed = match &cmd.once {
                            None => false,
                            Some(marker) => {
                                let changes = ChangeSet {
                                    marker: Some(marker.clone()),
                                    ..ChangeSet::default()
                                };
                                match self.store.commit(changes).await {
                                    Err(crate::ports::CommitError::AlreadyProcessed) => true,
                                    other => {
                                        other?;
                                        false
                                    }
                                }
                            }
                        };
                        return Ok(AccountStatusChange {
                            status: AccountStatus::Active,
                            revoked_session_ids: Vec::new(),
                            already_processed,
                        });
                    }
                    AccountStatus::Deleted { .. } => {
                        return Err(SessionError::AccountDeleted.into());
                    }
                    AccountStatus::Disabled { .. } => {}
                }
                ledger.status = AccountStatus::Active;
                let unblocked = self.event(EventPayload::UserSessionsUnblocked(
                    events::UserSessionsUnblocked {
                        user_id: cmd.user_id.clone(),
                        reason: cmd.reason,
                        by: cmd.by.clone(),
                        note: cmd.note.clone(),
                    },
                ));
                let changes = ChangeSet {
                    ledger: Some(LedgerWrite::Put {
                        ledger,
                        expected_version: Some(stored.version),
                    }),
                    events: vec![unblocked],
                    marker: cmd.once.clone(),
                    ..ChangeSet::default()
                };
                match self.store.commit(changes).await {
                    Err(crate::ports::CommitError::AlreadyProcessed) => Ok(AccountStatusChange {
                        status: AccountStatus::Active,
                        revoked_session_ids: Vec::new(),
                        already_processed: true,
                    }),
                    other => {
                        other?;
                        Ok(AccountStatusChange {
                            status: AccountStatus::Active,
                            revoked_session_ids: Vec::new(),
                            already_processed: false,
                        })
                    }
                }
            })
            .await;
        outcome.map_err(SessionError::from)
    }
}
