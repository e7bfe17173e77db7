//! The embedded in-memory store against the store contract suite.

use session_core::events::DomainEvent;
use session_memory::MemoryStore;
use session_tests::{StoreHarness, YieldingStore};

/// Every store it builds is a new `MemoryStore`: isolated by construction. It is wrapped so that
/// racing commands interleave between their reads and commits as they would over a network.
#[derive(Clone, Copy, Debug, Default)]
pub struct MemoryHarness;

impl StoreHarness for MemoryHarness {
    type Store = YieldingStore<MemoryStore>;

    async fn fresh_store(&self) -> Self::Store {
        YieldingStore::new(MemoryStore::new())
    }

    fn fail_next_reads(&self, store: &Self::Store, n: u32) {
        store.inner().faults().fail_next_reads(n);
    }

    fn fail_next_commits(&self, store: &Self::Store, n: u32) {
        store.inner().faults().fail_next_commits(n);
    }

    async fn take_events(&self, store: &Self::Store) -> Vec<DomainEvent> {
        store.inner().take_events()
    }
}

// Commits are instantaneous here, so the races can afford many logins and many rounds.
session_tests::store_contract_suite!(
    || async { MemoryHarness },
    concurrent_logins = 64,
    rounds = 20,
);
