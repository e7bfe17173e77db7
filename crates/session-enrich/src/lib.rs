//! Enrichment adapters for session-core's ports.
//!
//! - [`DeviceParser`]: user agent -> "{browser} on {os}" with today's marketing names plus a
//!   [`DeviceType`], using the uap-core rules (chosen by measurement: BENCHMARKS.md,
//!   "Enrichment"). Nothing is prepared at start-up: the rules' prefilter is generated at build
//!   time and each rule's regex compiles on the first user agent that needs it.
//! - [`GeoIpLocator`]: IP -> "City, CC" plus coordinates (for impossible-travel detection) from
//!   a MaxMind DB format file (GeoLite2-City layout or the flat ip-location-db layout),
//!   memory-mapped once per process. Special-purpose addresses are never
//!   looked up ([`is_special_purpose`]); a missing or corrupt database answers "no location"
//!   after a single warning.

mod device;
mod error;
mod location;

pub use device::{DeviceDescription, DeviceParser, DeviceType};
pub use error::DatabaseError;
pub use location::{GeoIpLocator, is_special_purpose};
