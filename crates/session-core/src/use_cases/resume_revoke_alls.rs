//! ResumeRevokeAlls: the sweep that finishes revoke-alls whose runner was cut off between two
//! chunks (docs/0046). It takes over a continuation whose lease ran out by writing it at its
//! version, reads the user's remaining sessions again and goes on with the same outcome event
//! id, so the command still ends with exactly one outcome.

use chrono::Duration;

use crate::app::Sessions;
use crate::error::SessionError;
use crate::events::{self, EventPayload};
use crate::ids::EventId;
use crate::ports::{
    ChangeSet, CommitError, ContinuationWrite, RevokeAllContinuation, SessionStore, Versioned,
};
use crate::use_cases::revoke_all_user_sessions::{
    ChunksEnd, Progress, REVOKE_ALL_LEASE, RevokeAllScope, RevokeAllUserSessions,
};

/// A revoke-all that has not finished this long after it began is given up: its failure is
/// recorded (`AllSessionsRevocationFailed` with what was revoked) and its continuation removed.
/// Only a store that fails for a day, or a command that can never finish, gets there.
pub const GIVE_UP_AFTER: Duration = Duration::hours(24);

/// The `failure_reason` of a revoke-all given up after [`GIVE_UP_AFTER`].
pub const ABANDONED: &str = "revoke_all_abandoned";

/// What one sweep did, by outcome event id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResumedRevokeAlls {
    /// Finished with their outcome (AllSessionsRevoked).
    pub finished: Vec<EventId>,
    /// Given up, their failure recorded.
    pub given_up: Vec<EventId>,
    /// Taken by another runner before or while this sweep ran.
    pub handed_over: Vec<EventId>,
    /// Still unfinished: resuming failed (the next sweep tries again) or the lease is running.
    pub left: usize,
}

impl<S: SessionStore> Sessions<S> {
    /// Resumes every unfinished revoke-all whose lease has run out.
    pub async fn resume_revoke_alls(&self) -> Result<ResumedRevokeAlls, SessionError> {
        let mut report = ResumedRevokeAlls::default();
        for stored in self.store.unfinished_revoke_alls().await? {
            let outcome_id = stored.value.outcome_id;
            if stored.value.lease_until > self.clock.now() {
                report.left += 1;
                continue;
            }
            match self.resume_revoke_all(stored).await {
                Ok(Resumed::Finished) => report.finished.push(outcome_id),
                Ok(Resumed::GivenUp) => report.given_up.push(outcome_id),
                Ok(Resumed::HandedOver) => report.handed_over.push(outcome_id),
                Err(error) => {
                    tracing::warn!(%error, %outcome_id, "could not resume a revoke-all yet");
                    report.left += 1;
                }
            }
        }
        Ok(report)
    }

    async fn resume_revoke_all(
        &self,
        stored: Versioned<RevokeAllContinuation>,
    ) -> Result<Resumed, SessionError> {
        let now = self.clock.now();
        if now - stored.value.started_at > GIVE_UP_AFTER {
            return self.give_up(stored, ABANDONED).await;
        }
        // The claim: from this commit on the runner before is refused at its next chunk.
        let mut claimed = stored.value.clone();
        claimed.lease_until = now + REVOKE_ALL_LEASE;
        let claim = ChangeSet {
            continuation: Some(ContinuationWrite::Put {
                continuation: Box::new(claimed.clone()),
                expected_version: Some(stored.version),
            }),
            ..ChangeSet::default()
        };
        match self.store.commit(claim).await {
            Ok(()) => {}
            Err(CommitError::Conflict | CommitError::AlreadyProcessed) => {
                return Ok(Resumed::HandedOver);
            }
            Err(CommitError::Store(error)) => return Err(error.into()),
        }
        let held = stored.version + 1;
        // Claimed, the runner before can start no more commits: what it had in flight has
        // landed or never will.
        claimed.revoked = self.revoked_by(&claimed).await?;
        claimed.in_flight = None;
        let cmd = RevokeAllUserSessions::from_announced(claimed.command.clone());
        let scope = RevokeAllScope {
            created_before: Some(claimed.cutoff),
            once: claimed.once.clone(),
            status: None,
        };
        let mut progress = Progress {
            first: None,
            revoked: claimed.revoked.clone(),
            outcome_id: claimed.outcome_id,
            held: Some(held),
            started_at: claimed.started_at,
            cutoff: Some(claimed.cutoff),
            planned: None,
        };
        match self.revoke_all_chunks(&cmd, &scope, &mut progress).await {
            Ok(ChunksEnd::Finished | ChunksEnd::AlreadyProcessed) => Ok(Resumed::Finished),
            Ok(ChunksEnd::HandedOver) => Ok(Resumed::HandedOver),
            // The user is gone (a deleted account's ledger expired): nothing is left to revoke,
            // and nothing can be.
            Err(SessionError::UserNotFound) => {
                let Some(version) = progress.held else {
                    return Ok(Resumed::HandedOver);
                };
                claimed.revoked = progress.revoked;
                let current = Versioned {
                    value: claimed,
                    version,
                };
                self.give_up(current, SessionError::UserNotFound.code())
                    .await
            }
            Err(error) => Err(error),
        }
    }

    /// Records the command's failure with its one outcome id and removes its continuation, in
    /// one commit conditioned on the continuation's version.
    async fn give_up(
        &self,
        stored: Versioned<RevokeAllContinuation>,
        failure_reason: &str,
    ) -> Result<Resumed, SessionError> {
        let command = &stored.value.command;
        // Giving up must end the command even when its in-flight sessions cannot be read (an
        // item that no longer decodes): then only the revocations the runners saw answered are
        // listed, and the others are named in the log.
        let revoked_so_far = match self.revoked_by(&stored.value).await {
            Ok(revoked) => revoked,
            Err(error) => {
                let unknown = stored
                    .value
                    .in_flight
                    .as_ref()
                    .map_or(0, |in_flight| in_flight.session_ids.len());
                tracing::error!(
                    %error,
                    outcome_id = %stored.value.outcome_id,
                    unknown,
                    "could not read which in-flight revocations landed; giving up without them"
                );
                stored.value.revoked.clone()
            }
        };
        let failed = self.event_with_id(
            stored.value.outcome_id,
            EventPayload::AllSessionsRevocationFailed(events::AllSessionsRevocationFailed {
                user_id: command.user_id.clone(),
                reason: command.reason,
                by: command.by.clone(),
                trigger: command.trigger,
                failure_reason: failure_reason.to_owned(),
                revoked_so_far,
            }),
        );
        let mut changes = ChangeSet::events(vec![failed]);
        changes.continuation = Some(ContinuationWrite::Delete {
            outcome_id: stored.value.outcome_id,
            expected_version: stored.version,
        });
        match self.store.commit(changes).await {
            Ok(()) => {
                tracing::error!(
                    outcome_id = %stored.value.outcome_id,
                    failure_reason,
                    "gave a revoke-all up"
                );
                Ok(Resumed::GivenUp)
            }
            Err(CommitError::Conflict | CommitError::AlreadyProcessed) => Ok(Resumed::HandedOver),
            Err(CommitError::Store(error)) => Err(error.into()),
        }
    }
}

enum Resumed {
    Finished,
    GivenUp,
    HandedOver,
}
