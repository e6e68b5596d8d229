//! File plumbing shared by the formats: read-only bytes (memory-mapped for large files, owned for
//! tests and fuzzing) and durable buffered writes.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

/// Bytes of a file, mapped read-only (or held in memory).
#[derive(Debug)]
pub(crate) enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Bytes {
    /// Maps `path` read-only. Empty files are held as an empty buffer (mapping zero bytes fails
    /// on some systems).
    pub(crate) fn map(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        if len == 0 {
            return Ok(Self::Owned(Vec::new()));
        }
        // SAFETY: the map is read-only and private to this process. Dataset files are inputs
        // that nobody should modify while they are read; if another process truncates the file
        // anyway, reads past the new end fault (SIGBUS). That is the documented cost of
        // zero-copy reading (see the crate docs), accepted for benchmark inputs.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        Ok(Self::Mapped(map))
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Self::Mapped(m) => m,
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
