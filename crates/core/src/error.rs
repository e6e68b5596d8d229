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
    /// A flat buffer is not a whole number of vectors.
    #[error("a flat buffer of {len} values is not whole vectors of {dim} dimensions ({} left over)", len % dim)]
    RaggedBuffer {
        /// Values in the buffer.
        len: usize,
        /// The dimension of every vector.
        dim: usize,
    },
    /// A vector of dimension zero was given.
    #[error("vectors must have at least one dimension")]
    ZeroDimension,
    /// Rows given as prepared for cosine that are not unit (or zero) vectors.
    #[error("a row of squared norm {norm2} is not prepared for cosine (norm 1 or 0 expected)")]
    NotPrepared {
        /// The row's squared norm.
        norm2: f32,
    },
    /// A sparse vector's index and value lists differ in length.
    #[error("sparse vector has {indices} indices but {values} values")]
    SparseLengthMismatch {
        /// Number of indices given.
        indices: usize,
        /// Number of values given.
        values: usize,
    },
    /// A sparse vector's indices are not strictly increasing (unsorted or repeated).
    #[error(
        "sparse index {index} at position {position} does not follow {previous} (indices must be strictly increasing)"
    )]
    SparseIndexOrder {
        /// Position of the offending index.
        position: usize,
        /// The offending index.
        index: u32,
        /// The index before it.
        previous: u32,
    },
    /// A scorer or vector set covers fewer points than the structure it is used with.
    #[error("a scorer over {scorer} points was used with {needed} points")]
    ScorerTooShort {
        /// Points the scorer can score.
        scorer: usize,
        /// Points the caller needs scored.
        needed: usize,
    },
    /// Vectors prepared for one metric were used with another.
    #[error("vectors prepared for {prepared} were scored with {asked}")]
    MetricMismatch {
        /// The metric the vectors were prepared for.
        prepared: crate::Distance,
        /// The metric asked for.
        asked: crate::Distance,
    },
    /// A scorer that takes its metric from its vectors was given vectors that never were
    /// prepared for one.
    #[error("the vectors were not prepared for a metric (call prepare, or pass the metric)")]
    MetricUnknown,
    /// An offset is past the end of a vector source.
    #[error("point offset {offset} is out of range (len {len})")]
    OffsetOutOfRange {
        /// The offset asked for.
        offset: u32,
        /// Number of points in the source.
        len: usize,
    },
}
