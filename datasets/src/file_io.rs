//! File plumbing shared by the formats: read-only bytes (memory-mapped for large files, owned for
//! tests and fuzzing) and durable buffered writes.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

/// Bytes of a file, mapped read-only (or held in memory).
#[derive(Debug)]
pub(crate) enum Bytes {
    Mapped(sextant_mmap_advice::MmapFile),
    Owned(Vec<u8>),
}

impl Bytes {
    /// Maps `path` read-only through `sextant-mmap-advice`. Dataset files are inputs nobody
    /// should modify while they are read; a process truncating one anyway makes reads past the
    /// new end fault (SIGBUS), the documented cost of zero-copy reading.
    pub(crate) fn map(path: &Path) -> Result<Self> {
        let map = sextant_mmap_advice::MmapFile::open(path).map_err(|e| match e {
            sextant_mmap_advice::Error::Io { source, .. } => Error::io(path, source),
            other => Error::io(path, std::io::Error::other(other)),
        })?;
        Ok(Self::Mapped(map))
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Self::Mapped(m) => m.bytes(),
            Self::Owned(v) => v,
        }
    }
}

/// A buffered writer over a new (or truncated) file at `path`.
pub(crate) fn create(path: &Path) -> Result<BufWriter<File>> {
    Ok(BufWriter::new(
        File::create(path).map_err(|e| Error::io(path, e))?,
    ))
}

/// Flushes `out` and syncs the file, so a written dataset file is complete on disk.
pub(crate) fn finish(out: BufWriter<File>, path: &Path) -> Result<()> {
    out.into_inner()
        .map_err(|e| Error::io(path, e.into_error()))?
        .sync_all()
        .map_err(|e| Error::io(path, e))
}
