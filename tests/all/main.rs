//! The workspace's one integration-test binary; each area is a module.

mod api;
mod contract;
mod dynamodb;
mod e2e;
mod event_contracts;
mod faults;
mod lambda_events;
mod logs;
pub(crate) mod template;
mod ui;
