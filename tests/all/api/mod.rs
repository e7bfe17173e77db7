//! HTTP API tests over the embedded store (owned by the API work).

// Helpers outside `#[test]` functions fail the test by panicking, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod bad_input;
mod devices;
mod hostile;
mod idempotency;
mod local_server;
mod local_sweeps;
mod matrix;
mod openapi;
mod ownership;
mod routes;
mod support;
mod tokens;
