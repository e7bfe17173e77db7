//! The choke point every event of the service passes: a command hands its events to the store in
//! its change set. Wrapping a store in [`CheckedStore`] checks each committed event against its
//! contract, whether or not the test ever reads it back.

use session_core::ports::{ChangeSet, CommitError, SessionStore};

use super::check_detail;

#[derive(Clone, Debug, Default)]
pub struct CheckedStore<S> {
    inner: S,
}

impl<S> CheckedStore<S> {
    pub fn new(inner: S) -> Self {
        Self { inner }
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S: SessionStore> SessionStore for CheckedStore<S> {
    session_core::forward_store_reads!(inner);

    /// Checks the events once they are committed (a refused change set emitted nothing).
    async fn commit(&self, changes: ChangeSet) -> Result<(), CommitError> {
        let details: Vec<_> = changes
            .events
            .iter()
            .map(|event| (event.detail_type(), event.to_detail()))
            .collect();
        let committed = self.inner.commit(changes).await;
        if committed.is_ok() {
            for (detail_type, detail) in &details {
                check_detail(detail_type, detail);
            }
        }
        committed
    }

    fn max_writes_per_commit(&self) -> usize {
        self.inner.max_writes_per_commit()
    }

    async fn backoff(&self, attempt: u32) {
        self.inner.backoff(attempt).await;
    }
}
