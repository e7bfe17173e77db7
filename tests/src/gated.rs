//! A store wrapper that holds back some commits (a login's, or a revocation's) until told to let
//! them through: a command that has read the user's ledger waits at its commit while another
//! command runs to the end, the interleaving a remote store produces only by chance.

use std::sync::Arc;

use session_core::ports::{ChangeSet, CommitError, SessionStore, SessionWrite};
use tokio::sync::{Semaphore, watch};

#[derive(Clone)]
pub struct GatedStore<S> {
    inner: S,
    open: watch::Receiver<bool>,
    /// One permit per held commit that waits.
    waiting: Arc<Semaphore>,
    /// Which commits the gate holds.
    held: fn(&ChangeSet) -> bool,
}

/// Opens the gate of a [`GatedStore`].
pub struct Gate {
    open: watch::Sender<bool>,
    waiting: Arc<Semaphore>,
}

impl<S> GatedStore<S> {
    /// The store with its gate closed for logins (commits that insert a session), and the gate.
    pub fn new(inner: S) -> (Self, Gate) {
        Self::holding(inner, inserts_a_session)
    }

    /// The store with its gate closed for revocations (commits that revoke a session).
    pub fn holding_revocations(inner: S) -> (Self, Gate) {
        Self::holding(inner, revokes_a_session)
    }

    fn holding(inner: S, held: fn(&ChangeSet) -> bool) -> (Self, Gate) {
        let (open, receiver) = watch::channel(false);
        let waiting = Arc::new(Semaphore::new(0));
        let store = Self {
            inner,
            open: receiver,
            waiting: Arc::clone(&waiting),
            held,
        };
        (store, Gate { open, waiting })
    }
}

impl Gate {
    /// Waits until `n` held commits wait.
    pub async fn until_waiting(&self, n: u32) {
        let permits = self
            .waiting
            .acquire_many(n)
            .await
            .expect("the semaphore is never closed");
        permits.forget();
    }

    /// Lets every held and later commit through.
    pub fn open(&self) {
        // The receivers live as long as the store; none gone means none to wake.
        let _ = self.open.send(true);
    }
}

fn inserts_a_session(changes: &ChangeSet) -> bool {
    changes
        .sessions
        .iter()
        .any(|write| matches!(write, SessionWrite::Insert(_)))
}

fn revokes_a_session(changes: &ChangeSet) -> bool {
    changes.sessions.iter().any(|write| match write {
        SessionWrite::Revoke { .. } => true,
        SessionWrite::Replace { session, .. } => session.is_revoked(),
        SessionWrite::Insert(_) | SessionWrite::Redact { .. } => false,
    })
}

impl<S: SessionStore> SessionStore for GatedStore<S> {
    session_core::forward_store_reads!(inner);

    async fn commit(&self, changes: ChangeSet) -> Result<(), CommitError> {
        if (self.held)(&changes) && !*self.open.borrow() {
            self.waiting.add_permits(1);
            let mut open = self.open.clone();
            // The gate's sender lives in the test until it opens it.
            let _ = open.wait_for(|open| *open).await;
        }
        self.inner.commit(changes).await
    }

    fn max_writes_per_commit(&self) -> usize {
        self.inner.max_writes_per_commit()
    }

    async fn backoff(&self, attempt: u32) {
        self.inner.backoff(attempt).await;
    }
}
