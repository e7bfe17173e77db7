//! A store wrapper that cuts a revoke-all off between its chunks: commits hold few items (so a
//! handful of sessions takes several chunks), and once a number of revoking commits went
//! through, the next ones fail as in an outage, wait until released (a runner that is slow,
//! not gone), or land and lose their answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use session_core::ports::{ChangeSet, CommitError, SessionStore, SessionWrite, StoreError};
use tokio::sync::Semaphore;

/// What happens to the revoking commits after the ones let through.
#[derive(Clone, Copy, Debug)]
enum After {
    Fail,
    Hold,
    LoseAnswer,
}

#[derive(Clone)]
pub struct CutStore<S> {
    inner: S,
    max_writes: usize,
    /// Revoking commits still let through.
    passes: Arc<AtomicUsize>,
    after: After,
    /// One permit per held commit that waits.
    waiting: Arc<Semaphore>,
    /// Permits to go on, given by [`Release::release`].
    released: Arc<Semaphore>,
}

/// Lets the commits a [`CutStore`] holds go on.
pub struct Release {
    waiting: Arc<Semaphore>,
    released: Arc<Semaphore>,
}

impl<S> CutStore<S> {
    /// Commits of at most `max_writes` items; after `passes` revoking commits, the others fail.
    pub fn failing_after(inner: S, max_writes: usize, passes: usize) -> Self {
        Self::new(inner, max_writes, passes, After::Fail)
    }

    /// Commits of at most `max_writes` items; after `passes` revoking commits, the others are
    /// applied and then answered with a store failure, as when the answer is lost on the way.
    pub fn losing_answers_after(inner: S, max_writes: usize, passes: usize) -> Self {
        Self::new(inner, max_writes, passes, After::LoseAnswer)
    }

    /// Commits of at most `max_writes` items; after `passes` revoking commits, the others wait
    /// until released.
    pub fn holding_after(inner: S, max_writes: usize, passes: usize) -> (Self, Release) {
        let store = Self::new(inner, max_writes, passes, After::Hold);
        let release = Release {
            waiting: Arc::clone(&store.waiting),
            released: Arc::clone(&store.released),
        };
        (store, release)
    }

    fn new(inner: S, max_writes: usize, passes: usize, after: After) -> Self {
        Self {
            inner,
            max_writes,
            passes: Arc::new(AtomicUsize::new(passes)),
            after,
            waiting: Arc::new(Semaphore::new(0)),
            released: Arc::new(Semaphore::new(0)),
        }
    }
}

impl Release {
    /// Waits until a held commit waits.
    pub async fn until_holding(&self) {
        self.waiting
            .acquire()
            .await
            .expect("the semaphore is never closed")
            .forget();
    }

    /// Lets every held and later commit through.
    pub fn release(&self) {
        self.released.add_permits(Semaphore::MAX_PERMITS / 2);
    }
}

fn revokes(changes: &ChangeSet) -> bool {
    changes
        .sessions
        .iter()
        .any(|write| matches!(write, SessionWrite::Revoke { .. }))
}

impl<S: SessionStore> SessionStore for CutStore<S> {
    session_core::forward_store_reads!(inner);

    async fn commit(&self, changes: ChangeSet) -> Result<(), CommitError> {
        let cut = revokes(&changes)
            && self
                .passes
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_err();
        if cut {
            match self.after {
                After::Fail => {
                    let cut = std::io::Error::other("cut off between two chunks");
                    return Err(CommitError::Store(StoreError::Unavailable(Box::new(cut))));
                }
                After::LoseAnswer => {
                    self.inner.commit(changes).await?;
                    let lost = std::io::Error::other("the answer was lost");
                    return Err(CommitError::Store(StoreError::Unavailable(Box::new(lost))));
                }
                After::Hold => {
                    self.waiting.add_permits(1);
                    self.released
                        .acquire()
                        .await
                        .expect("the semaphore is never closed")
                        .forget();
                }
            }
        }
        self.inner.commit(changes).await
    }

    fn max_writes_per_commit(&self) -> usize {
        self.max_writes.min(self.inner.max_writes_per_commit())
    }

    async fn backoff(&self, attempt: u32) {
        self.inner.backoff(attempt).await;
    }
}
