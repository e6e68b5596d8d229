//! Errors of the payload index.

use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A filter that does not parse (the message names the JSON path).
    #[error(transparent)]
    Filter(#[from] crate::filter::FilterError),
    /// A payload key that is not a valid path.
    #[error(transparent)]
    Path(#[from] crate::path::PathError),
    /// A payload that is not a JSON object.
    #[error("the payload of point {offset} is not a JSON object")]
    NotAnObject {
        /// The point.
        offset: u32,
    },
    /// An operation the index of a key cannot serve (a facet on a float index...).
    #[error("{key}: {what}")]
    Unsupported {
        /// The key.
        key: String,
        /// What is needed.
        what: String,
    },
    /// No index on a key an operation needs one for.
    #[error("no index on {0:?}: create one first")]
    NoIndex(String),
    /// An index file that is damaged or not an index file: the byte and what was expected.
    #[error("{path}: damaged payload index file at byte {offset}: {what}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Byte offset of the problem.
        offset: usize,
        /// What was expected there.
        what: String,
    },
    /// Mapping or writing an index file failed.
    #[error(transparent)]
    Map(#[from] sextant_mmap_advice::Error),
    /// An OS call failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}
