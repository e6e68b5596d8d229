//! The error type of `sextant-datasets`: every failure names the file and, where it applies,
//! the byte offset or row.

use std::path::PathBuf;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong reading or writing a dataset file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operating system refused a read, write or map.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file ends before the data its header announces.
    #[error("{path}: truncated at byte {offset}: {what}")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Where the missing data should start.
        offset: u64,
        /// What was expected there.
        what: String,
    },
    /// A header field has an impossible value.
    #[error("{path}: bad header at byte {offset}: {what}")]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// Offset of the offending field.
        offset: u64,
        /// What is wrong with it.
        what: String,
    },
    /// A row's dimension differs from the first row's (or from the dataset's).
    #[error("{path}: row {row} has dimension {found}, expected {expected}")]
    InconsistentDim {
        /// The file.
        path: PathBuf,
        /// The offending row.
        row: usize,
        /// The dimension of the first row (or of the dataset).
        expected: usize,
        /// The dimension found.
        found: usize,
    },
    /// A value breaks the format's rules (NaN, an id out of range, unsorted offsets...).
    #[error("{path}: invalid data at {location}: {what}")]
    InvalidData {
        /// The file.
        path: PathBuf,
        /// Row, entry or byte offset of the value.
        location: String,
        /// What is wrong.
        what: String,
    },
    /// `meta.json` is missing a field, malformed, or disagrees with the files.
    #[error("{path}: {what}")]
    Meta {
        /// The meta file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// Bad arguments to a computation (empty input, k = 0, dimension mismatch...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
