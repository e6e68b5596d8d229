//! The one error type of this crate: every failure names the file and what was being done.

use std::io;
use std::path::{Path, PathBuf};

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong with a mapped file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An OS call failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// What was being done ("map", "grow", "fsync"...).
        op: &'static str,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A typed view was asked for a range the map cannot hold as that type.
    #[error("{path}: cannot view bytes {start}..{end} as [{ty}]: {reason}")]
    Layout {
        /// The mapped file.
        path: PathBuf,
        /// First byte of the requested view.
        start: usize,
        /// One past the last byte of the requested view.
        end: usize,
        /// The element type's name.
        ty: &'static str,
        /// Out of bounds, misaligned, or not a whole number of elements.
        reason: &'static str,
    },
}

impl Error {
    /// True when the file does not exist (as opposed to existing and failing otherwise).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }

    pub(crate) fn io(path: &Path, op: &'static str, source: io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            op,
            source,
        }
    }
}
