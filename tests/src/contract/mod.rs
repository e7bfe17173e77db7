//! The cases of the store contract suite, by area.
//!
//! Each case is `pub async fn <behaviour>(h: impl StoreHarness)` (the concurrency cases take
//! their load as extra arguments named `logins` and `rounds`), builds its own fresh store through
//! the harness, and panics when the store under test breaks the contract.
//! [`crate::store_contract_suite!`] turns every case into a test for each store: every top-level
//! `pub async fn` of an area file declared here is a case, found by tests/build.rs, with nothing
//! to register. A function that takes the harness like a case but would not run fails the build.

pub mod admin;
pub mod authorize;
pub mod concurrency;
pub mod create;
pub mod devices;
pub mod entity;
pub mod history;
pub mod idempotency;
pub mod limit_choice;
pub mod limits;
pub mod new_device;
pub mod queries;
pub mod refresh;
pub mod resume_revoke_all;
pub mod retention;
pub mod revoke_all;
pub mod revoke_session;
pub mod session_updates;
pub mod store;
pub mod suspicious;
pub mod validate;
