//! Enrichment adapters for session-core's ports.
//!
//! - [`DeviceParser`]: user agent -> "{browser} on {os}" with today's marketing names plus a
//!   [`DeviceType`], using the uap-core rules (chosen by measurement: BENCHMARKS.md,
//!   "Enrichment"). Rules compile once per process, on first use or on [`DeviceParser::warm_up`].
//! - [`GeoIpLocator`]: IP -> "City, CC" plus coordinates (for impossible-travel detection) from
//!   a MaxMind DB format file (GeoLite2-City layout or the flat ip-location-db layout), read once
//!   per process. Special-purpose addresses are never
//!   looked up ([`is_special_purpose`]); a missing or corrupt database answers "no location"
//!   after a single warning.

mod device;
mod error;
mod location;

pub use device::{DeviceDescription, DeviceParser, DeviceType};
pub use error::DatabaseError;
pub use location::{GeoIpLocator, is_special_purpose};
