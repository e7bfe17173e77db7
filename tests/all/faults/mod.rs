//! Fault injection: DynamoDB throttling, 5xx, timeouts, connection errors and lost
//! answers under every command of the HTTP API; commands cut off mid-way; a store slower than
//! the request's deadline; refusals of a misconfigured deployment (access denied, a missing
//! table, validation); EventBridge failing whole calls or single entries under the outbox relay. Faults come from a small HTTP proxy in
//! front of the stand-ins (`proxy`), so the SDK meets them on the wire. Each test prints a
//! one-line summary of its figures to stderr (`-- --nocapture`, or nextest's `--no-capture`).

// Test code: a failed unwrap is a failed test with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cancellation;
mod commands;
mod contention;
mod deadline;
mod dynamodb;
mod eventbridge;
mod function_deadlines;
mod misconfiguration;
mod proxy;
mod state;
