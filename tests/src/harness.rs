//! What a store implementation provides so the contract suite can run against it.

use std::future::Future;

use session_core::events::DomainEvent;
use session_core::ports::SessionStore;

/// A store implementation under test: builds isolated stores, injects failures into them and
/// reads their outbox.
///
/// One harness value serves one test; a case may build several stores from it (the concurrency
/// cases build a fresh store per round).
pub trait StoreHarness: Send + Sync + 'static {
    type Store: SessionStore + Clone + Send + Sync + 'static;

    /// A new, empty store sharing no sessions, ledgers or events with any other store (for
    /// DynamoDB: a fresh table, or a fresh key space that every read is confined to).
    fn fresh_store(&self) -> impl Future<Output = Self::Store> + Send;

    /// The next `n` reads of `store` (`load_user`, `load_session`, `list_user_sessions`) fail
    /// with `StoreError::Unavailable`. The failure must reach the store's caller: a client that
    /// retries transient errors on its own would otherwise swallow it.
    fn fail_next_reads(&self, store: &Self::Store, n: u32);

    /// The next `n` commits of `store` fail with `CommitError::Store(Unavailable)` and write
    /// nothing.
    fn fail_next_commits(&self, store: &Self::Store, n: u32);

    /// Removes and returns the events committed to `store`'s outbox since the previous call, in
    /// commit order and, within one commit, in the change set's order.
    ///
    /// A store whose outbox has no order of its own may sort by `event_id`: the suite's ids come
    /// from a sequential generator, so id order is creation order, and every case that checks
    /// order creates its events in the order it commits them.
    fn take_events(&self, store: &Self::Store) -> impl Future<Output = Vec<DomainEvent>> + Send;
}

/// What a suite's harness constructor may return: a harness, or an `Option` of one where `None`
/// skips every case (a stand-in that is not running; the constructor says so on stderr, and is
/// the place to insist on the stand-in when a test run requires it).
pub trait HarnessOrSkip {
    type Harness: StoreHarness;

    fn into_harness(self) -> Option<Self::Harness>;
}

impl<H: StoreHarness> HarnessOrSkip for H {
    type Harness = H;

    fn into_harness(self) -> Option<H> {
        Some(self)
    }
}

impl<H: StoreHarness> HarnessOrSkip for Option<H> {
    type Harness = H;

    fn into_harness(self) -> Option<H> {
        self
    }
}
