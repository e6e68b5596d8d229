//! The error type of `sextant-hnsw`.

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Parameters out of range.
    #[error("invalid HNSW parameters: {0}")]
    InvalidParams(String),
    /// A thread pool could not be built.
    #[error("thread pool: {0}")]
    ThreadPool(String),
}
