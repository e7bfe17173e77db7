//! Injected failures, so tests can prove commands fail cleanly when the store does.

use std::sync::atomic::{AtomicU32, Ordering};

/// How many of the next reads / commits fail as if the store were unreachable.
#[derive(Debug, Default)]
pub struct FaultPlan {
    failing_reads: AtomicU32,
    failing_commits: AtomicU32,
}

impl FaultPlan {
    pub fn fail_next_reads(&self, n: u32) {
        self.failing_reads.store(n, Ordering::SeqCst);
    }

    pub fn fail_next_commits(&self, n: u32) {
        self.failing_commits.store(n, Ordering::SeqCst);
    }

    pub(crate) fn take_read_failure(&self) -> bool {
        take(&self.failing_reads)
    }

    pub(crate) fn take_commit_failure(&self) -> bool {
        take(&self.failing_commits)
    }
}

fn take(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}
