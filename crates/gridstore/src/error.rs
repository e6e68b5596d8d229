//! Errors of the store. Corruption errors name the file, offset, page and block involved.

use std::io;
use std::path::{Path, PathBuf};

use sextant_core::PointOffset;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An OS call failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A mapped-file operation failed.
    #[error(transparent)]
    Map(#[from] sextant_mmap_advice::Error),
    /// A stored value failed its checksum or points outside the pages, or its tracker entry
    /// is damaged: torn or corrupted.
    #[error(
        "{}: value at offset {offset} (page {page}, block {block}) is corrupt: {reason}",
        path.display()
    )]
    Corrupt {
        /// The file holding the damage: the page file the value starts in, or the tracker
        /// when the entry itself is damaged.
        path: PathBuf,
        /// The point offset whose value is bad.
        offset: PointOffset,
        /// Page the value starts in.
        page: u32,
        /// First block of the value in that page.
        block: u32,
        /// What check failed.
        reason: String,
    },
    /// A store file (meta, tracker, page) has the wrong magic, version, size or checksum.
    #[error("{path}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The configuration is not usable.
    #[error("invalid gridstore config: {0}")]
    Config(String),
    /// A value is larger than a stored length can say (4 GiB − 1 bytes).
    #[error("value of {len} bytes for offset {offset} exceeds the 4 GiB - 1 limit")]
    ValueTooLarge {
        /// The offset being written.
        offset: PointOffset,
        /// The value's length.
        len: usize,
    },
    /// Another handle holds the store open for writing.
    #[error("{0}: the store is open for writing in another handle")]
    Locked(PathBuf),
    /// A reader saw a value in a page it has not mapped yet; call `live_reload`.
    #[error(
        "offset {offset} points to page {page}, which this reader has not mapped: call live_reload"
    )]
    Stale {
        /// The offset being read.
        offset: PointOffset,
        /// The page the writer added.
        page: u32,
    },
    /// An earlier flush failed; the store refuses writes until reopened (the OS may have
    /// dropped the unflushed pages, so state in memory can no longer be trusted to be on disk).
    #[error("the store is poisoned by an earlier failed flush: reopen it")]
    Poisoned,
}

impl Error {
    /// True when a file to open does not exist (as opposed to existing and being damaged,
    /// which is [`Format`](Error::Format) or [`Corrupt`](Error::Corrupt)).
    pub fn is_not_found(&self) -> bool {
        match self {
            Error::Io { source, .. } => source.kind() == io::ErrorKind::NotFound,
            Error::Map(e) => e.is_not_found(),
            _ => false,
        }
    }

    pub(crate) fn io(path: &Path, op: &'static str, source: io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            op,
            source,
        }
    }

    pub(crate) fn format(path: &Path, reason: impl Into<String>) -> Self {
        Error::Format {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}
