//! The crate's error.

use std::path::PathBuf;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument the index refuses: a wrong dimension, NaN, a label given twice or already
    /// held, k above the points, ...
    #[error("{0}")]
    BadInput(String),
    /// A label the index does not hold.
    #[error("label not found: {0}")]
    NoLabel(u64),
    /// More points than `max_elements`.
    #[error("the number of elements exceeds the specified limit ({0}); resize the index")]
    Full(usize),
    /// The graph failed.
    #[error("graph: {0}")]
    Graph(#[from] sextant_hnsw::Error),
    /// The codes failed.
    #[error("codes: {0}")]
    Codes(#[from] sextant_quantization::Error),
    /// Reading or writing the index file failed.
    #[error("{path}: {op}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The index file is damaged or not an index file.
    #[error("{path}: {what}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the byte it concerns.
        what: String,
    },
}

/// The crate's result.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn bad(what: impl Into<String>) -> Self {
        Error::BadInput(what.into())
    }
}
