//! The DynamoDB store against DynamoDB Local: schema, item round trips, write conditions,
//! listing, and requests per command. Each test uses its own table on the shared stand-in and is
//! skipped, with a message, when the stand-in is not running (see `support::standins`).

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod conditions;
mod contract;
mod listing;
mod requests;
mod round_trip;
mod sample;
mod store_metrics;
pub(crate) mod support;
mod table;
