//! Shared test support: the store contract suite that every `SessionStore` implementation must
//! pass, the harness a store provides to run it, and the fixture its cases are written against.
//!
//! A store's test module implements [`StoreHarness`] and invokes [`store_contract_suite!`], which
//! runs every case written in [`contract`] (tests/build.rs lists them on each build):
//!
//! ```ignore
//! session_tests::store_contract_suite!(|| async { MemoryHarness }, concurrent_logins = 64, rounds = 20);
//! ```

// Test support: a failed unwrap is a failed test, which is exactly what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod contract;
pub mod cut;
pub mod event_contracts;
pub mod events;
pub mod fixture;
pub mod gated;
pub mod harness;
pub mod http1;
mod suite;
pub mod yielding;

pub use fixture::{Fixture, FixtureConfig};
pub use harness::StoreHarness;
pub use yielding::YieldingStore;
