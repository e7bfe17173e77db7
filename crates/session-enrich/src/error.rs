//! Why a location database could not be used.

use std::path::PathBuf;

use thiserror::Error;

/// A location database that cannot serve lookups. [`crate::GeoIpLocator::open`] turns this into
/// one warning and a locator that always answers "no location".
#[derive(Debug, Error)]
pub enum DatabaseError {
    #[error("cannot read location database {path}: {source}")]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a MaxMind DB file: {source}")]
    Invalid {
        path: PathBuf,
        #[source]
        source: maxminddb::MaxMindDbError,
    },
}
