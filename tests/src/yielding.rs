//! A store wrapper that lets other tasks run before every call, as network latency would.
//!
//! An in-process store answers without ever suspending, so a command's read and its commit run
//! back to back and racing commands rarely interleave between them. Yielding first puts other
//! tasks between every two store calls, which is where the races of a remote store happen.

use session_core::ports::{ChangeSet, CommitError, SessionStore};

#[derive(Clone, Debug, Default)]
pub struct YieldingStore<S> {
    inner: S,
}

impl<S> YieldingStore<S> {
    pub fn new(inner: S) -> Self {
        Self { inner }
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }
}

/// Lets other tasks run, then the read.
async fn yielded<S, F: std::future::Future>(_: &YieldingStore<S>, read: F) -> F::Output {
    tokio::task::yield_now().await;
    read.await
}

impl<S: SessionStore> SessionStore for YieldingStore<S> {
    session_core::forward_store_reads!(inner, via yielded);

    async fn commit(&self, changes: ChangeSet) -> Result<(), CommitError> {
        tokio::task::yield_now().await;
        self.inner.commit(changes).await
    }

    fn max_writes_per_commit(&self) -> usize {
        self.inner.max_writes_per_commit()
    }

    async fn backoff(&self, attempt: u32) {
        self.inner.backoff(attempt).await;
    }
}
