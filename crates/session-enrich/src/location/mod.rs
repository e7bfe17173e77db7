//! IP address -> location from a MaxMind DB format file.

mod mapped;
mod record;
mod special;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use session_core::ports::{EnrichError, Location, LocationEnricher};

use crate::error::DatabaseError;
use mapped::MappedReader;
use record::Record;

pub use special::is_special_purpose;

/// Looks addresses up in a MaxMind DB format city database.
///
/// The file is memory-mapped once, read-only, and shared by every lookup: opening it costs a few
/// system calls whatever its size, and a lookup reads only the pages it touches. The file must
/// not be rewritten in place while a process has it open (replace it by renaming a new file over
/// it); see docs/0031-memory-mapped-location-database.md. A missing or corrupt file gives a
/// locator that answers "no location" after one warning: location is a nicety and never fails a
/// login.
pub struct GeoIpLocator {
    path: PathBuf,
    reader: OnceLock<Option<MappedReader>>,
}

impl GeoIpLocator {
    /// Opens the database now. Fail-open: on error, warns once and answers `None` from then on.
    pub fn open(path: impl Into<PathBuf>) -> Self {
        let locator = Self::lazy(path);
        locator.reader();
        locator
    }

    /// Opens the database on the first lookup instead of now, so invocations that never locate
    /// anything do not even open the file.
    pub fn lazy(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            reader: OnceLock::new(),
        }
    }

    /// Opens the database now and reports why it is unusable, for callers that would rather
    /// refuse to start (e.g. a configuration check) than run without locations.
    pub fn try_open(path: impl Into<PathBuf>) -> Result<Self, DatabaseError> {
        let path = path.into();
        let reader = mapped::open(&path)?;
        Ok(Self {
            path,
            reader: OnceLock::from(Some(reader)),
        })
    }

    /// Whether lookups can answer (opens the database if that has not happened yet).
    pub fn is_available(&self) -> bool {
        self.reader().is_some()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn reader(&self) -> Option<&MappedReader> {
        self.reader
            .get_or_init(|| match mapped::open(&self.path) {
                Ok(reader) => Some(reader),
                Err(error) => {
                    tracing::warn!(%error, "location database unavailable; sessions get no location");
                    None
                }
            })
            .as_ref()
    }
}

impl LocationEnricher for GeoIpLocator {
    fn locate(&self, ip: IpAddr) -> Result<Option<Location>, EnrichError> {
        if is_special_purpose(ip) {
            return Ok(None);
        }
        let Some(reader) = self.reader() else {
            return Ok(None);
        };
        let ip = special::lookup_form(ip);
        if ip.is_ipv6() && reader.metadata().ip_version == 4 {
            return Ok(None);
        }
        // A bad record surfaces as an error so the caller logs it per lookup; the database as a
        // whole was fine when it opened.
        let found = reader
            .lookup(ip)
            .and_then(|result| result.decode::<Record>())
            .map_err(|e| EnrichError(format!("location lookup failed: {e}")))?;
        Ok(found.and_then(Record::into_location))
    }
}

impl std::fmt::Debug for GeoIpLocator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoIpLocator")
            .field("path", &self.path)
            .field("loaded", &self.reader.get().map(Option::is_some))
            .finish()
    }
}
