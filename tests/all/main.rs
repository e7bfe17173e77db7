//! The workspace's one integration-test binary; each area is a module.

mod api;
mod contract;
mod dynamodb;
mod lambda_events;
