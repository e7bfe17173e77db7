//! RedactPersonalData: the retention sweep (docs/0050). Pages through the sessions whose
//! personal data is due to be cut and commits each one's [`Session::redact`] on its own,
//! conditioned on the version read, so a concurrent write wins and the next sweep tries again.

use std::collections::HashSet;

use crate::app::Sessions;
use crate::error::SessionError;
use crate::ids::SessionId;
use crate::ports::{ChangeSet, CommitError, SessionStore, SessionWrite};

/// Sessions read per page when the command does not say.
pub const REDACTION_PAGE: u32 = 100;

#[derive(Clone, Copy, Debug)]
pub struct RedactPersonalData {
    /// Sessions read per page (at least 1).
    pub page_size: u32,
}

impl Default for RedactPersonalData {
    fn default() -> Self {
        Self {
            page_size: REDACTION_PAGE,
        }
    }
}

/// What one sweep did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Redacted {
    /// Sessions whose personal data this sweep cut.
    pub redacted: Vec<SessionId>,
    /// Sessions written meanwhile (or answered again by a late index): left to the next sweep.
    pub conflicts: usize,
}

impl<S: SessionStore> Sessions<S> {
    /// Cuts the personal data of every session due at the clock's now. Stops at a page with
    /// nothing new in it, so a session that keeps conflicting cannot hold the sweep forever.
    pub async fn redact_personal_data(
        &self,
        cmd: RedactPersonalData,
    ) -> Result<Redacted, SessionError> {
        let now = self.clock.now();
        let mut report = Redacted::default();
        let mut seen = HashSet::new();
        loop {
            self.check_deadline()?;
            let due = self
                .store
                .sessions_due_for_redaction(now, cmd.page_size.max(1))
                .await?;
            let fresh: Vec<_> = due
                .into_iter()
                .filter(|stored| seen.insert(stored.value.id()))
                .collect();
            if fresh.is_empty() {
                return Ok(report);
            }
            for stored in fresh {
                let mut session = stored.value;
                let id = session.id();
                if now < session.personal_data_until() {
                    // Not ours to cut yet: a store's answer is checked, not trusted.
                    continue;
                }
                // Already cut (an index answering late) still commits: the write takes the
                // session out of the index for good.
                session.redact(now);
                let changes = ChangeSet {
                    sessions: vec![SessionWrite::Redact {
                        session,
                        expected_version: stored.version,
                    }],
                    ..ChangeSet::default()
                };
                match self.store.commit(changes).await {
                    Ok(()) => report.redacted.push(id),
                    Err(CommitError::Conflict | CommitError::AlreadyProcessed) => {
                        report.conflicts += 1;
                    }
                    Err(CommitError::Store(error)) => return Err(error.into()),
                }
            }
        }
    }
}
