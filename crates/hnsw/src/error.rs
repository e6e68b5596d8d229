//! The error type of `sextant-hnsw`.

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Parameters out of range.
    #[error("invalid HNSW parameters: {0}")]
    InvalidParams(String),
    /// The search scorer of a point to insert could not be prepared.
    #[error("search scorer for point {point}: {what}")]
    Scorer {
        /// The point being inserted.
        point: sextant_core::PointOffset,
        /// What the scorer reported.
        what: String,
    },
    /// A thread pool could not be built.
    #[error("thread pool: {0}")]
    ThreadPool(String),
    /// Reading or writing a graph file failed.
    #[error("{path}: {what}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// What failed (with the OS error).
        what: String,
    },
    /// A graph file is truncated, corrupted, or of another format.
    #[error("bad graph file at byte {offset}: {what}")]
    Corrupt {
        /// Where the problem is.
        offset: u64,
        /// What is wrong.
        what: String,
    },
}
