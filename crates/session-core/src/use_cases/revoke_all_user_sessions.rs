//! RevokeAllUserSessions: sign out everywhere (optionally except one session). Three-state
//! events; committed in chunks that fit the store's transaction size, so a failure part-way
//! reports what was revoked so far and a retry finishes the job.

use chrono::{DateTime, Utc};

use crate::app::Sessions;
use crate::domain::{Actor, Revocation, RevocationReason};
use crate::error::SessionError;
use crate::events::{self, DomainEvent, EventPayload};
use crate::ids::{EventId, SessionId, UserId};
use crate::ports::{
    ChangeSet, CommitError, LedgerWrite, ProcessedMarker, SessionStore, SessionWrite,
};

#[derive(Clone, Debug)]
pub struct RevokeAllUserSessions {
    pub user_id: UserId,
    pub reason: RevocationReason,
    pub except_session_id: Option<SessionId>,
    pub by: Actor,
}

/// Narrows a revoke-all triggered by an outside event (a password change).
#[derive(Clone, Debug, Default)]
pub struct RevokeAllScope {
    /// Only sessions created at or before this instant (when the password changed), so a late
    /// or repeated delivery never signs out a login made with the new password.
    pub created_before: Option<DateTime<Utc>>,
    /// Makes the command happen once: a second run with the same marker key changes nothing
    /// and emits nothing.
    pub once: Option<ProcessedMarker>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokedAll {
    pub session_ids: Vec<SessionId>,
    /// The command had already run (its marker exists); nothing was done this time.
    pub already_processed: bool,
}

/// Items a chunk needs besides its session writes: the ledger update and up to two events.
const CHUNK_OVERHEAD: usize = 3;

/// What is left to revoke, as of the last read of the ledger.
struct Plan {
    /// Live sessions in scope, oldest first.
    remaining: Vec<SessionId>,
    /// Index entries of expired sessions, dropped with the next chunk.
    expired: Vec<SessionId>,
}

/// Progress of one revoke-all, carried across chunks and retries.
struct Progress {
    attempted: Option<DomainEvent>,
    revoked: Vec<SessionId>,
    /// The id of the command's one outcome event, AllSessionsRevoked or
    /// AllSessionsRevocationFailed: sharing it, the outbox takes only the first of the two.
    outcome_id: EventId,
}

impl<S: SessionStore> Sessions<S> {
    pub async fn revoke_all_user_sessions(
        &self,
        cmd: RevokeAllUserSessions,
    ) -> Result<RevokedAll, SessionError> {
        self.revoke_all_user_sessions_in_scope(cmd, RevokeAllScope::default())
            .await
    }

    pub async fn revoke_all_user_sessions_in_scope(
        &self,
        cmd: RevokeAllUserSessions,
        scope: RevokeAllScope,
    ) -> Result<RevokedAll, SessionError> {
        if let Some(marker) = &scope.once
            && self.store.has_marker(&marker.key).await?
        {
            return Ok(RevokedAll {
                session_ids: Vec::new(),
                already_processed: true,
            });
        }
        let mut progress = Progress {
            attempted: Some(self.event(EventPayload::AllSessionsRevocationAttempted(
                events::AllSessionsRevocationAttempted {
                    user_id: cmd.user_id.clone(),
                    reason: cmd.reason,
                    except_session_id: cmd.except_session_id,
                },
            ))),
            revoked: Vec::new(),
            outcome_id: self.new_event_id(),
        };
        match self.revoke_all_chunks(&cmd, &scope, &mut progress).await {
            Ok(already_processed) => Ok(RevokedAll {
                session_ids: progress.revoked,
                already_processed,
            }),
            Err(error) => {
                let failed = self.event_with_id(
                    progress.outcome_id,
                    EventPayload::AllSessionsRevocationFailed(
                        events::AllSessionsRevocationFailed {
                            user_id: cmd.user_id.clone(),
                            reason: cmd.reason,
                            failure_reason: error.code().to_owned(),
                            revoked_so_far: progress.revoked.clone(),
                        },
                    ),
                );
                let events = progress
                    .attempted
                    .take()
                    .into_iter()
                    .chain([failed])
                    .collect();
                self.record_failure(events).await;
                Err(error)
            }
        }
    }

    /// Whether a chunk whose commit answered with a store failure was applied all the same: its
    /// first session carries this very revocation (the chunk is one transaction). `false` when
    /// that cannot be told (an empty chunk, or the store still failing).
    async fn chunk_landed(&self, chunk: &[SessionId], revocation: &Revocation) -> bool {
        let Some(first) = chunk.first() else {
            return false;
        };
        match self.store.load_session(*first).await {
            Ok(Some(stored)) => stored.value.revocation() == Some(revocation),
            Ok(None) | Err(_) => false,
        }
    }

    /// Reads the user's ledger and lists what the revoke-all has to do.
    async fn plan_revoke_all(
        &self,
        cmd: &RevokeAllUserSessions,
        scope: &RevokeAllScope,
        now: DateTime<Utc>,
    ) -> Result<Plan, SessionError> {
        let Some(ledger) = self.store.load_user(&cmd.user_id).await? else {
            return Err(SessionError::UserNotFound);
        };
        let remaining = ledger
            .value
            .live_oldest_first(now)
            .into_iter()
            .filter(|(_, entry)| scope.created_before.is_none_or(|t| entry.created_at <= t))
            .map(|(id, _)| id)
            .filter(|id| Some(*id) != cmd.except_session_id)
            .collect();
        let expired = ledger
            .value
            .active
            .iter()
            .filter(|(_, entry)| entry.expires_at <= now)
            .map(|(id, _)| *id)
            .collect();
        Ok(Plan { remaining, expired })
    }

    /// Returns whether a concurrent run with the same marker finished first.
    async fn revoke_all_chunks(
        &self,
        cmd: &RevokeAllUserSessions,
        scope: &RevokeAllScope,
        progress: &mut Progress,
    ) -> Result<bool, SessionError> {
        let chunk_size = self
            .store
            .max_writes_per_commit()
            .saturating_sub(CHUNK_OVERHEAD)
            .max(1);
        let mut conflicts = 0;
        // The ledger is read once and its sessions revoked chunk after chunk; only a conflict
        // (something changed under a chunk) makes it read again. Logins after the read are not
        // part of this sign-out.
        let mut plan: Option<Plan> = None;
        loop {
            let now = self.clock.now();
            let Plan { remaining, expired } = match plan.take() {
                Some(plan) => plan,
                None => self.plan_revoke_all(cmd, scope, now).await?,
            };
            let chunk: Vec<SessionId> = remaining.iter().take(chunk_size).copied().collect();
            let last = chunk.len() == remaining.len();

            let mut changes = ChangeSet::default();
            changes.events.extend(progress.attempted.clone());
            let mut removed = chunk.clone();
            removed.extend(expired);
            changes.ledger = Some(LedgerWrite::RemoveActive {
                user_id: cmd.user_id.clone(),
                session_ids: removed,
            });
            let revocation = Revocation {
                at: now,
                reason: cmd.reason,
                by: cmd.by.clone(),
            };
            for id in &chunk {
                changes.sessions.push(SessionWrite::Revoke {
                    session_id: *id,
                    user_id: cmd.user_id.clone(),
                    revocation: revocation.clone(),
                });
            }
            if last {
                changes.marker = scope.once.clone();
                let mut all = progress.revoked.clone();
                all.extend(&chunk);
                changes.events.push(self.event_with_id(
                    progress.outcome_id,
                    EventPayload::AllSessionsRevoked(events::AllSessionsRevoked {
                        user_id: cmd.user_id.clone(),
                        reason: cmd.reason,
                        session_count: u32::try_from(all.len()).unwrap_or(u32::MAX),
                        session_ids: all,
                        except_session_id: cmd.except_session_id,
                    }),
                ));
            }
            let committed = match self.store.commit(changes).await {
                // The answer may have been lost after the write: a chunk whose outcome is
                // unknown is read back, so a landed chunk is not reported as a failure (the
                // command would get two outcomes, or a failure under-counting what it revoked).
                Err(CommitError::Store(error)) => {
                    if self.chunk_landed(&chunk, &revocation).await {
                        Ok(())
                    } else {
                        return Err(error.into());
                    }
                }
                other => other,
            };
            match committed {
                Ok(()) => {
                    progress.attempted = None;
                    if last {
                        progress.revoked.extend(chunk);
                        return Ok(false);
                    }
                    plan = Some(Plan {
                        remaining: remaining[chunk.len()..].to_vec(),
                        expired: Vec::new(),
                    });
                    progress.revoked.extend(chunk);
                }
                Err(CommitError::AlreadyProcessed) => {
                    if progress.attempted.is_none() {
                        // Earlier chunks of this run committed with its Attempted event; close it.
                        let done = self.event_with_id(
                            progress.outcome_id,
                            EventPayload::AllSessionsRevoked(events::AllSessionsRevoked {
                                user_id: cmd.user_id.clone(),
                                reason: cmd.reason,
                                session_count: u32::try_from(progress.revoked.len())
                                    .unwrap_or(u32::MAX),
                                session_ids: progress.revoked.clone(),
                                except_session_id: cmd.except_session_id,
                            }),
                        );
                        self.store
                            .commit(ChangeSet::events(vec![done]))
                            .await
                            .map_err(|e| match e {
                                CommitError::Store(e) => SessionError::Store(e),
                                CommitError::Conflict | CommitError::AlreadyProcessed => {
                                    SessionError::Contention
                                }
                            })?;
                    }
                    return Ok(true);
                }
                Err(CommitError::Conflict) => {
                    conflicts += 1;
                    if conflicts >= self.max_attempts {
                        return Err(SessionError::Contention);
                    }
                    self.store.backoff(conflicts).await;
                }
                Err(CommitError::Store(e)) => return Err(e.into()),
            }
        }
    }
}
