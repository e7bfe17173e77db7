//! A store on which every commit loses its race (docs/0044): without a deadline a login gives
//! up after its retry budget (`contention`); with one, its conflict retries stop at the deadline
//! (`deadline_exceeded`), long before the budget, and no back-off starts after it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use session_core::app::DEFAULT_MAX_ATTEMPTS;
use session_core::domain::PolicyConfig;
use session_core::ids::UserId;
use session_core::ports::{ChangeSet, CommitError, SessionStore};
use session_core::{Deadline, SessionError, Sessions};
use session_memory::MemoryStore;
use session_tests::fixture::{login_cmd, register, user};

/// Each back-off: long enough that the whole retry budget takes far longer than the deadline.
const BACKOFF: Duration = Duration::from_millis(10);
const BUDGET: Duration = Duration::from_millis(150);
/// How late after the deadline the answer may come: one back-off and a busy machine.
const SLACK: Duration = Duration::from_millis(250);

/// Reads from the embedded store; every commit conflicts, as if another command always won,
/// after waiting `hang` (a store that holds its writes).
#[derive(Clone)]
pub(super) struct LosingStore {
    pub(super) inner: MemoryStore,
    pub(super) commits: Arc<AtomicU32>,
    hang: Duration,
}

impl LosingStore {
    /// Over an embedded store where `user` is registered on the basic tier.
    pub(super) async fn with_user(user: &UserId) -> Self {
        let inner = MemoryStore::new();
        register(
            &Sessions::new(inner.clone(), PolicyConfig::default()),
            user,
            "basic",
            None,
        )
        .await;
        Self {
            inner,
            commits: Arc::default(),
            hang: Duration::ZERO,
        }
    }

    /// Each commit waits `hang` before it loses.
    pub(super) fn hanging(mut self, hang: Duration) -> Self {
        self.hang = hang;
        self
    }
}

impl SessionStore for LosingStore {
    session_core::forward_store_reads!(inner);

    async fn commit(&self, _changes: ChangeSet) -> Result<(), CommitError> {
        self.commits.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.hang).await;
        Err(CommitError::Conflict)
    }

    fn max_writes_per_commit(&self) -> usize {
        self.inner.max_writes_per_commit()
    }

    async fn backoff(&self, _attempt: u32) {
        tokio::time::sleep(BACKOFF).await;
    }
}

#[tokio::test]
async fn conflict_retries_stop_at_the_deadline() {
    let user = user("contended");

    let store = LosingStore::with_user(&user).await;
    let unbounded = Sessions::new(store.clone(), PolicyConfig::default());
    let result = unbounded.create_session(login_cmd(&user)).await;
    assert!(
        matches!(result, Err(SessionError::Contention)),
        "{result:?}"
    );
    assert_eq!(store.commits.load(Ordering::SeqCst), DEFAULT_MAX_ATTEMPTS);

    let store = LosingStore::with_user(&user).await;
    let bounded = Sessions::new(store.clone(), PolicyConfig::default())
        .with_deadline(Deadline::after(BUDGET));
    let started = Instant::now();
    let result = bounded.create_session(login_cmd(&user)).await;
    let took = started.elapsed();
    assert!(
        matches!(result, Err(SessionError::DeadlineExceeded)),
        "{result:?}"
    );
    assert!(took >= BUDGET, "stopped before the deadline: {took:?}");
    assert!(took <= BUDGET + SLACK, "stopped late: {took:?}");
    let commits = store.commits.load(Ordering::SeqCst);
    assert!(
        commits > 1 && commits < DEFAULT_MAX_ATTEMPTS,
        "{commits} commits: retried until the deadline, not the budget"
    );
    eprintln!("contention: {commits} commits in {took:?} against a {BUDGET:?} deadline");
}
