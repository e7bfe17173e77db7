//! The embedded store: every store port of session-core in memory, with the semantics the
//! DynamoDB store has (atomic change sets checked against versions and conditions, an outbox of
//! events committed with their change). Used by the local server and by tests.

mod faults;
mod outbox;
mod state;
mod store;

pub use faults::FaultPlan;
pub use outbox::{EventSink, relay_events};
pub use store::MemoryStore;
