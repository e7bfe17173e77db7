//! The concurrent part of a large revoke-all (docs/0052). Every commit that writes the
//! continuation (the first one included) is a lead: it records, besides what is revoked, the
//! sessions of the follower commits sent right after it, all at once; the next lead goes on when
//! every follower has answered. A runner cut off among its followers leaves them listed as in
//! flight, and whoever resumes reads which of them carry the command's revocation.

use std::collections::BTreeSet;

use crate::app::Sessions;
use crate::domain::Revocation;
use crate::domain::policy::MAX_SESSIONS_LIMIT;
use crate::error::SessionError;
use crate::ids::SessionId;
use crate::ports::{ChangeSet, CommitError, InFlight, RevokeAllContinuation, SessionStore};

use super::RevokeAllUserSessions;

/// Follower commits sent at once after a lead: 7 commits of 50 revocations (with the lead's 49,
/// about 400 sessions per two round trips). The continuation then lists at most 350 sessions in
/// flight, some 13 KB of its item.
pub const WAVE_FOLLOWERS: usize = 7;

/// The followers of a lead that leaves `after_lead` to revoke: as many full commits as a wave
/// holds, keeping back what the last commit can take with the outcome (`last_room`), so the
/// command does not end with a commit of the outcome alone.
pub(super) fn followers(
    after_lead: &[SessionId],
    max_writes: usize,
    last_room: usize,
) -> Vec<Vec<SessionId>> {
    // A follower holds revocations only: the session and its index entry.
    let size = (max_writes / 2).max(1);
    let take = after_lead
        .len()
        .saturating_sub(last_room)
        .min(WAVE_FOLLOWERS * size);
    after_lead[..take].chunks(size).map(<[_]>::to_vec).collect()
}

/// Sessions read back at once: the store port reads at most a limit's worth in one call.
const READ_BATCH: usize = MAX_SESSIONS_LIMIT as usize;

/// How a wave of followers ended.
pub(super) struct WaveEnd {
    /// Sessions whose revocation committed (or whose commit is known to have landed).
    pub(super) revoked: Vec<SessionId>,
    /// A follower was refused: a session it names was revoked or changed meanwhile.
    pub(super) conflicted: bool,
    /// A follower failed and could not be told to have landed: the runner stops, and whoever
    /// resumes reads the in-flight sessions.
    pub(super) failed: Option<SessionError>,
}

impl<S: SessionStore> Sessions<S> {
    /// Sends the followers at once and waits for every answer.
    pub(super) async fn revoke_followers(
        &self,
        cmd: &RevokeAllUserSessions,
        followers: Vec<Vec<SessionId>>,
        revocation: &Revocation,
    ) -> WaveEnd {
        let commits = followers.into_iter().map(|chunk| async move {
            let changes = ChangeSet {
                sessions: cmd.revoking(&chunk, revocation),
                ..ChangeSet::default()
            };
            let committed = self.commit_chunk(changes, &chunk, revocation).await;
            (chunk, committed)
        });
        let mut end = WaveEnd {
            revoked: Vec::new(),
            conflicted: false,
            failed: None,
        };
        for (chunk, committed) in futures_util::future::join_all(commits).await {
            match committed {
                Ok(()) => end.revoked.extend(chunk),
                Err(CommitError::Conflict | CommitError::AlreadyProcessed) => end.conflicted = true,
                Err(CommitError::Store(error)) => end.failed = Some(error.into()),
            }
        }
        end
    }

    /// What a continuation's runners revoked: the sessions it counts, and those of its
    /// in-flight commits that carry the command's revocation of that time (read in one batch).
    pub(crate) async fn revoked_by(
        &self,
        continuation: &RevokeAllContinuation,
    ) -> Result<Vec<SessionId>, SessionError> {
        let mut revoked = continuation.revoked.clone();
        let Some(InFlight {
            revoked_at,
            session_ids,
        }) = &continuation.in_flight
        else {
            return Ok(revoked);
        };
        let counted: BTreeSet<SessionId> = revoked.iter().copied().collect();
        let ours = RevokeAllUserSessions::from_announced(continuation.command.clone())
            .revocation(*revoked_at);
        let mut landed: Vec<SessionId> = Vec::new();
        for batch in session_ids.chunks(READ_BATCH) {
            landed.extend(
                self.store
                    .load_sessions(batch)
                    .await?
                    .into_iter()
                    .filter(|stored| stored.value.revocation() == Some(&ours))
                    .map(|stored| stored.value.id())
                    .filter(|id| !counted.contains(id)),
            );
        }
        // The order the runner sent them in, not the store's.
        landed.sort_by_key(|id| session_ids.iter().position(|sent| sent == id));
        revoked.extend(landed);
        Ok(revoked)
    }
}
