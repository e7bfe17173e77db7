//! Benchmarks of the session service. The binary `session-bench` runs the measurements that need
//! processes, sockets or the AWS stand-ins (throughput, round trips, scaling, cold start, size);
//! the criterion benches in `benches/` measure CPU per command over the embedded store. Both share
//! the fixtures and helpers of this library.
//!
//! Every measurement reports ratios or per-operation figures taken side by side in one run: the
//! machines are shared and noisy, so absolute times from separate runs are not comparable.

pub mod capacity;
pub mod coldstart;
pub mod criterion_report;
pub mod ddb;
pub mod enrich_init;
pub mod fixtures;
pub mod functions;
pub mod init_steps;
pub mod load;
pub mod machine;
pub mod peer;
pub mod procfs;
pub mod roundtrips;
pub mod scaling;
pub mod size;
pub mod stats;

/// Errors of a measurement run. A benchmark that cannot run reports why and stops; it never
/// prints a number it did not measure.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
