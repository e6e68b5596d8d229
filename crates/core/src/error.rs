//! The error type of `sextant-core`: what can be wrong with a vector handed to the kernels.

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Bad input detected at the edge of the core (validation before anything is stored or scored).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A vector does not have the dimension of the collection it is used with.
    #[error("dimension mismatch: expected {expected}, got {got}")]
    DimensionMismatch {
        /// Dimension of the collection.
        expected: usize,
        /// Dimension of the offending vector.
        got: usize,
    },
    /// A vector holds NaN or an infinity, which no metric can order.
    #[error("non-finite value {value} at position {position}")]
    NonFinite {
        /// Index of the first non-finite component.
        position: usize,
        /// The value found there.
        value: f32,
    },
    /// A vector of dimension zero was given.
    #[error("vectors must have at least one dimension")]
    ZeroDimension,
    /// An offset is past the end of a vector source.
    #[error("point offset {offset} is out of range (len {len})")]
    OffsetOutOfRange {
        /// The offset asked for.
        offset: u32,
        /// Number of points in the source.
        len: usize,
    },
}
