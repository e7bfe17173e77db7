//! RevokeAllUserSessions: sign out everywhere (optionally except one session). Three-state
//! events; committed in chunks that fit the store's transaction size. A revoke-all of several
//! chunks records a continuation with its first one, so once it has begun it is finished even if
//! its runner is cut off: by the runner, or by the sweep that resumes it (docs/0046,
//! `resume_revoke_alls`). Between its first and last commits, a large one sends its chunks in
//! waves of concurrent commits (docs/0052, `wave`).

mod wave;

pub use wave::WAVE_FOLLOWERS;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};

use crate::app::Sessions;
use crate::domain::{AccountStatus, ActiveEntry, Actor, Revocation, RevocationReason};
use crate::error::SessionError;
use crate::events::{self, DomainEvent, EventPayload, RevokeAllTrigger};
use crate::ids::{EventId, Note, SessionId, UserId};
use crate::ports::{
    ChangeSet, CommitError, ContinuationWrite, InFlight, LedgerWrite, ProcessedMarker,
    RevokeAllContinuation, RevokeAllMark, SessionStore, SessionWrite, UserWithIndex,
};

/// How long a runner of a revoke-all is presumed alive after its last lead commit: longer than
/// any function that runs revoke-alls runs (their timeouts in template.yaml are at most 60 s), so
/// a sweep takes over only from a runner that is gone. A lead of a runner slower still loses on
/// the continuation's version; its follower commits carry no version, so that they land before
/// the sweep reads them back rests on this lease (docs/0052).
pub const REVOKE_ALL_LEASE: Duration = Duration::seconds(120);

#[derive(Clone, Debug)]
pub struct RevokeAllUserSessions {
    pub user_id: UserId,
    pub reason: RevocationReason,
    /// The session to keep (the caller's, for "sign out everywhere else"); `None` revokes every
    /// one, the ones in use included.
    pub except_session_id: Option<SessionId>,
    pub by: Actor,
    pub trigger: RevokeAllTrigger,
    pub note: Option<Note>,
}

impl RevokeAllUserSessions {
    /// A user signing out everywhere: every session but `except_session_id`.
    pub fn by_user(user_id: UserId, except_session_id: Option<SessionId>) -> Self {
        Self {
            by: Actor::User {
                user_id: user_id.clone(),
            },
            user_id,
            reason: RevocationReason::LogoutAll,
            except_session_id,
            trigger: RevokeAllTrigger::UserRequest,
            note: None,
        }
    }
}

/// Narrows or extends a revoke-all.
#[derive(Clone, Debug, Default)]
pub struct RevokeAllScope {
    /// Only sessions created at or before this instant (when a credential changed), so a late
    /// or repeated delivery never signs out a login made with the new credential.
    pub created_before: Option<DateTime<Utc>>,
    /// Makes the command happen once: a second run with the same marker key changes nothing
    /// and emits nothing.
    pub once: Option<ProcessedMarker>,
    /// A new account status (disabled, deleted) committed with the first revocations, and the
    /// event announcing it: from that commit on, logins are refused.
    pub status: Option<(AccountStatus, EventPayload)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokedAll {
    /// The sessions this run revoked. When another runner took the command over (a sweep that
    /// found this one's lease run out), the rest are revoked by that one, with the outcome.
    pub session_ids: Vec<SessionId>,
    /// The command had already run (its marker exists); nothing was done this time.
    pub already_processed: bool,
}

impl RevokeAllUserSessions {
    /// The command as its Attempted event announces it (and its continuation keeps it).
    fn announced(&self) -> events::AllSessionsRevocationAttempted {
        events::AllSessionsRevocationAttempted {
            user_id: self.user_id.clone(),
            reason: self.reason,
            except_session_id: self.except_session_id,
            by: self.by.clone(),
            trigger: self.trigger,
            note: self.note.clone(),
        }
    }

    /// The revocation every session of this command carries when revoked at `at`.
    fn revocation(&self, at: DateTime<Utc>) -> Revocation {
        Revocation {
            at,
            reason: self.reason,
            by: self.by.clone(),
            note: self.note.clone(),
        }
    }

    /// The writes revoking `chunk` (each session and its index entry).
    fn revoking(&self, chunk: &[SessionId], revocation: &Revocation) -> Vec<SessionWrite> {
        chunk
            .iter()
            .map(|id| SessionWrite::Revoke {
                session_id: *id,
                user_id: self.user_id.clone(),
                revocation: revocation.clone(),
            })
            .collect()
    }

    /// The command a continuation keeps.
    pub(crate) fn from_announced(command: events::AllSessionsRevocationAttempted) -> Self {
        Self {
            user_id: command.user_id,
            reason: command.reason,
            except_session_id: command.except_session_id,
            by: command.by,
            trigger: command.trigger,
            note: command.note,
        }
    }
}

/// What is left to revoke, as of the last read of the ledger.
struct Plan {
    /// Live sessions in scope, oldest first.
    remaining: Vec<SessionId>,
    /// Index entries of expired sessions, dropped with the next chunk.
    expired: Vec<SessionId>,
    /// The ledger's cutoff when it was read.
    revoked_before: Option<DateTime<Utc>>,
    /// The ledger's version when it was read: the first chunk commits only if no login
    /// committed since (one would not be in the plan, yet older than the cutoff).
    ledger_version: Option<u64>,
    /// Whether chunks may commit concurrently: the ledger keeps no sessions (an unlimited
    /// tier), so only the leads of the waves need to write it.
    concurrent: bool,
}

/// Progress of one revoke-all, carried across chunks and retries (and, through its
/// continuation, across runners).
pub(crate) struct Progress {
    /// The events the first chunk commits (Attempted, and a status change's event) until it
    /// has committed.
    pub(crate) first: Option<Vec<DomainEvent>>,
    pub(crate) revoked: Vec<SessionId>,
    /// The id of the command's one outcome event, AllSessionsRevoked or
    /// AllSessionsRevocationFailed: sharing it, the outbox takes only the first of the two.
    pub(crate) outcome_id: EventId,
    /// The version of the command's continuation this runner wrote last; `None` until one is
    /// written (a revoke-all of one chunk never writes one).
    pub(crate) held: Option<u64>,
    pub(crate) started_at: DateTime<Utc>,
    /// The cutoff the first chunk recorded: every later continuation keeps it, so a resumed
    /// command never reaches a login made after it began.
    pub(crate) cutoff: Option<DateTime<Utc>>,
    /// The sessions the first chunk's reading found (the command's sessions): a later reading
    /// keeps to them, so a login committed after the first chunk is not signed out by it, however
    /// its clock stood. `None` before the first chunk commits, and for a resumed command (which
    /// keeps to its recorded cutoff).
    pub(crate) planned: Option<BTreeSet<SessionId>>,
}

/// How a run of the chunks ended without an error.
pub(crate) enum ChunksEnd {
    /// The outcome is committed.
    Finished,
    /// A concurrent run with the same marker finished the work first.
    AlreadyProcessed,
    /// Another runner holds the continuation now (or finished it); it commits the outcome.
    HandedOver,
}

/// The continuation a chunk that is not the last writes: the command, its cutoff, what is
/// revoked with this chunk included, the followers about to be sent, and a fresh lease.
fn continuation(
    cmd: &RevokeAllUserSessions,
    scope: &RevokeAllScope,
    progress: &Progress,
    cutoff: DateTime<Utc>,
    chunk: &[SessionId],
    in_flight: Option<InFlight>,
    now: DateTime<Utc>,
) -> ContinuationWrite {
    let mut revoked = progress.revoked.clone();
    revoked.extend(chunk);
    ContinuationWrite::Put {
        continuation: Box::new(RevokeAllContinuation {
            outcome_id: progress.outcome_id,
            command: cmd.announced(),
            cutoff,
            once: scope.once.clone(),
            revoked,
            in_flight,
            started_at: progress.started_at,
            lease_until: now + REVOKE_ALL_LEASE,
        }),
        expected_version: progress.held,
    }
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
        let attempted = self.event(EventPayload::AllSessionsRevocationAttempted(
            cmd.announced(),
        ));
        let mut first = vec![attempted];
        first.extend(
            scope
                .status
                .as_ref()
                .map(|(_, announced)| self.event(announced.clone())),
        );
        let mut progress = Progress {
            first: Some(first),
            revoked: Vec::new(),
            outcome_id: self.new_event_id(),
            held: None,
            started_at: self.clock.now(),
            cutoff: scope.created_before,
            planned: None,
        };
        match self.revoke_all_chunks(&cmd, &scope, &mut progress).await {
            Ok(end) => Ok(RevokedAll {
                session_ids: progress.revoked,
                already_processed: matches!(end, ChunksEnd::AlreadyProcessed),
            }),
            // Chunks have committed, and with the first of them the continuation: the command is
            // finished by the sweep, which commits its one outcome (docs/0046).
            Err(error) if progress.held.is_some() => {
                tracing::warn!(
                    %error,
                    outcome_id = %progress.outcome_id,
                    "a revoke-all stopped between chunks; the sweep will finish it"
                );
                Err(error)
            }
            Err(error) => {
                let failed = self.event_with_id(
                    progress.outcome_id,
                    EventPayload::AllSessionsRevocationFailed(
                        events::AllSessionsRevocationFailed {
                            user_id: cmd.user_id.clone(),
                            reason: cmd.reason,
                            by: cmd.by.clone(),
                            trigger: cmd.trigger,
                            failure_reason: error.code().to_owned(),
                            revoked_so_far: progress.revoked.clone(),
                        },
                    ),
                );
                // Only the Attempted event stands for a command that changed nothing.
                let events = progress
                    .first
                    .take()
                    .and_then(|first| first.into_iter().next())
                    .into_iter()
                    .chain([failed])
                    .collect();
                self.record_failure(events).await;
                Err(error)
            }
        }
    }

    /// Commits a chunk revoking `chunk` with `revocation`. The answer may have been lost after
    /// the write: a chunk answered with a store failure is read back, so a landed chunk is not
    /// reported as a failure (the command would get two outcomes, or a failure under-counting
    /// what it revoked).
    pub(super) async fn commit_chunk(
        &self,
        changes: ChangeSet,
        chunk: &[SessionId],
        revocation: &Revocation,
    ) -> Result<(), CommitError> {
        match self.store.commit(changes).await {
            Err(CommitError::Store(_)) if self.chunk_landed(chunk, revocation).await => Ok(()),
            other => other,
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

    /// Reads the user's ledger and index of unrevoked sessions (together) and lists what the
    /// revoke-all has to do: the sessions created up to `created_before` when it is set (a
    /// credential change's cutoff, or the one a resumed command recorded), and only those of
    /// `planned` when it is set (the first reading's, once the first chunk committed).
    async fn plan_revoke_all(
        &self,
        cmd: &RevokeAllUserSessions,
        created_before: Option<DateTime<Utc>>,
        planned: Option<&BTreeSet<SessionId>>,
        now: DateTime<Utc>,
    ) -> Result<Plan, SessionError> {
        let UserWithIndex { ledger, index } = self.store.load_user_with_index(&cmd.user_id).await?;
        let Some(ledger) = ledger else {
            return Err(SessionError::UserNotFound);
        };
        let mut live: Vec<(SessionId, ActiveEntry)> = Vec::new();
        let mut expired = Vec::new();
        for (id, entry) in index {
            if entry.expires_at <= now {
                expired.push(id);
            } else {
                live.push((id, entry));
            }
        }
        live.sort_by_key(|(id, entry)| (entry.created_at, *id));
        let remaining = live
            .into_iter()
            .filter(|(_, entry)| created_before.is_none_or(|t| entry.created_at <= t))
            .map(|(id, _)| id)
            .filter(|id| planned.is_none_or(|planned| planned.contains(id)))
            .filter(|id| Some(*id) != cmd.except_session_id)
            .collect();
        Ok(Plan {
            remaining,
            expired,
            revoked_before: ledger.value.revoked_before,
            ledger_version: Some(ledger.version),
            concurrent: ledger.value.active.is_empty(),
        })
    }

    /// Whether the continuation this runner wrote last is still the stored one.
    async fn still_holds(&self, progress: &Progress) -> Result<bool, SessionError> {
        let Some(held) = progress.held else {
            return Ok(true);
        };
        let stored = self.store.load_revoke_all(progress.outcome_id).await?;
        Ok(stored.is_some_and(|stored| stored.version == held))
    }

    /// Revokes what the plan lists, chunk after chunk, and commits the outcome with the last.
    pub(crate) async fn revoke_all_chunks(
        &self,
        cmd: &RevokeAllUserSessions,
        scope: &RevokeAllScope,
        progress: &mut Progress,
    ) -> Result<ChunksEnd, SessionError> {
        let max_writes = self.store.max_writes_per_commit();
        let mut conflicts = 0;
        // The ledger is read once and its sessions revoked chunk after chunk; only a conflict
        // (something changed under a chunk) makes it read again. Logins after the read are not
        // part of this sign-out.
        let mut plan: Option<Plan> = None;
        loop {
            let now = self.clock.now();
            let Plan {
                remaining,
                expired,
                revoked_before,
                ledger_version,
                concurrent,
            } = match plan.take() {
                Some(plan) => plan,
                None => {
                    self.plan_revoke_all(cmd, scope.created_before, progress.planned.as_ref(), now)
                        .await?
                }
            };
            // Each chunk is one commit: the ledger update, this chunk's events and marker and the
            // continuation's write leave the rest of the commit's room for revocations.
            // A session's revocation is two items: the session and its entry in the user's
            // index.
            let opening = 2 + progress.first.as_ref().map_or(0, Vec::len);
            let closing = 1 + usize::from(scope.once.is_some());
            let last = 2 * remaining.len() + opening + closing <= max_writes;
            let chunk_size = if last {
                remaining.len()
            } else {
                (max_writes.saturating_sub(opening) / 2).max(1)
            };
            let chunk: Vec<SessionId> = remaining.iter().take(chunk_size).copied().collect();
            // The last commit: the ledger, the continuation's removal, the outcome and marker.
            let last_room = max_writes.saturating_sub(2 + closing) / 2;
            let followers = if last || !concurrent {
                Vec::new()
            } else {
                wave::followers(&remaining[chunk.len()..], max_writes, last_room)
            };

            let mut changes = ChangeSet::default();
            let first_chunk = progress.first.is_some();
            changes
                .events
                .extend(progress.first.clone().into_iter().flatten());
            let mut removed = chunk.clone();
            removed.extend(expired);
            // The first chunk records the cutoff (and a new status): logins that started before
            // it are refused from this commit on, so none can outlive the revoke-all it raced.
            let cutoff = progress.cutoff.unwrap_or(now);
            changes.continuation = if last {
                progress
                    .held
                    .map(|expected_version| ContinuationWrite::Delete {
                        outcome_id: progress.outcome_id,
                        expected_version,
                    })
            } else {
                let in_flight = (!followers.is_empty()).then(|| InFlight {
                    revoked_at: now,
                    session_ids: followers.concat(),
                });
                Some(continuation(
                    cmd, scope, progress, cutoff, &chunk, in_flight, now,
                ))
            };
            let mark = first_chunk.then(|| RevokeAllMark {
                revoked_before: revoked_before.map_or(cutoff, |stored| stored.max(cutoff)),
                status: scope.status.as_ref().map(|(status, _)| status.clone()),
            });
            changes.ledger = Some(LedgerWrite::RemoveActive {
                user_id: cmd.user_id.clone(),
                session_ids: removed,
                mark,
                expected_version: ledger_version.filter(|_| first_chunk),
            });
            let revocation = cmd.revocation(now);
            changes.sessions.extend(cmd.revoking(&chunk, &revocation));
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
                        by: cmd.by.clone(),
                        trigger: cmd.trigger,
                    }),
                ));
            }
            match self.commit_chunk(changes, &chunk, &revocation).await {
                Ok(()) => {
                    if first_chunk {
                        progress.planned = Some(remaining.iter().copied().collect());
                    }
                    progress.first = None;
                    progress.cutoff = Some(cutoff);
                    if last {
                        progress.revoked.extend(chunk);
                        return Ok(ChunksEnd::Finished);
                    }
                    progress.held = Some(progress.held.map_or(1, |held| held + 1));
                    let sent = chunk.len() + followers.iter().map(Vec::len).sum::<usize>();
                    progress.revoked.extend(chunk);
                    plan = Some(Plan {
                        remaining: remaining[sent..].to_vec(),
                        expired: Vec::new(),
                        revoked_before: None,
                        ledger_version: None,
                        concurrent,
                    });
                    if !followers.is_empty() {
                        let wave = self.revoke_followers(cmd, followers, &revocation).await;
                        progress.revoked.extend(wave.revoked);
                        // The continuation lists the followers in flight: whoever resumes
                        // reads which of them landed (docs/0052).
                        if let Some(error) = wave.failed {
                            return Err(error);
                        }
                        // A session changed under a follower: read what is left again.
                        if wave.conflicted {
                            plan = None;
                        }
                    }
                }
                Err(CommitError::AlreadyProcessed) => {
                    if progress.first.is_none() {
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
                                by: cmd.by.clone(),
                                trigger: cmd.trigger,
                            }),
                        );
                        let mut closing = ChangeSet::events(vec![done]);
                        closing.continuation =
                            progress
                                .held
                                .map(|expected_version| ContinuationWrite::Delete {
                                    outcome_id: progress.outcome_id,
                                    expected_version,
                                });
                        self.store.commit(closing).await.map_err(|e| match e {
                            CommitError::Store(e) => SessionError::Store(e),
                            CommitError::Conflict | CommitError::AlreadyProcessed => {
                                SessionError::Contention
                            }
                        })?;
                    }
                    return Ok(ChunksEnd::AlreadyProcessed);
                }
                Err(CommitError::Conflict) => {
                    // The continuation's version decides between two runners: the one that
                    // lost it stops, and the other commits the outcome.
                    if !self.still_holds(progress).await? {
                        return Ok(ChunksEnd::HandedOver);
                    }
                    conflicts += 1;
                    if conflicts >= self.max_attempts {
                        return Err(SessionError::Contention);
                    }
                    self.backoff_before_retry(conflicts).await?;
                }
                Err(CommitError::Store(e)) => return Err(e.into()),
            }
        }
    }
}
