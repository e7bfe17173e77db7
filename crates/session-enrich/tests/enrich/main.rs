//! session-enrich tests, one binary: device parsing, special-purpose addresses, generated and
//! corrupt location databases, and the real public database when `GEOIP_TEST_DB` names one.

// Helpers outside #[test] functions may unwrap too: this is test code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod device;
mod location;
mod mmdb;
mod real_db;
mod special_ranges;
mod warnings;
