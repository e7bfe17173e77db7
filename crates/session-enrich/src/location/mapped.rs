//! Opening a city database as a read-only memory map: the crate's one `unsafe`.
//!
//! Reading a 63 MB database into memory took 50-76 ms and as many MB of RSS on the first login of
//! every new process; a map costs a few system calls, and a lookup brings in only the pages of
//! the ~30 tree nodes and the record it touches (measured: BENCHMARKS.md, "Enrichment";
//! decision: docs/0031-memory-mapped-location-database.md).

use std::fs::File;
use std::path::Path;

use maxminddb::Reader;
use memmap2::Mmap;

use crate::error::DatabaseError;

/// A reader over the mapped file. The map lives as long as the reader; the file handle is not
/// needed once mapped.
pub(crate) type MappedReader = Reader<Mmap>;

pub(crate) fn open(path: &Path) -> Result<MappedReader, DatabaseError> {
    let unreadable = |source| DatabaseError::Unreadable {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(unreadable)?;
    // SAFETY: `Mmap::map` is unsafe because the mapped bytes are seen as an immutable `&[u8]`
    // while another process could still change the file. The database is a deployment
    // artefact that nothing writes while a process runs: on Lambda it is in a layer, mounted
    // read-only under /opt for the sandbox's whole life; elsewhere it is replaced by renaming a
    // new file over it (scripts/fetch-geoip does), which leaves a mapped file untouched. The map
    // is read-only (PROT_READ), so this process cannot write through it either. What the bytes
    // say is not trusted: maxminddb bounds-checks every offset and a malformed file gives
    // errors (tests/enrich/location.rs). The argument in full:
    // docs/0031-memory-mapped-location-database.md.
    #[allow(unsafe_code)]
    let map = unsafe { Mmap::map(&file) }.map_err(unreadable)?;
    Reader::from_source(map).map_err(|source| DatabaseError::Invalid {
        path: path.to_owned(),
        source,
    })
}
