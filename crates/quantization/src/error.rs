//! Errors of the codecs.

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Training needs at least one vector.
    #[error("cannot train a codec on an empty set of vectors")]
    EmptyTrainingSet,
    /// A vector or query has the wrong length.
    #[error("dimension mismatch: expected {expected}, got {got}")]
    Dimension {
        /// The codec's dimension.
        expected: usize,
        /// What was given.
        got: usize,
    },
    /// Codes and the vectors paired with them differ in number.
    #[error("{codes} codes but {vectors} vectors")]
    Count {
        /// Number of encoded vectors.
        codes: usize,
        /// Number of vectors given with them.
        vectors: usize,
    },
    /// A vector or query holds NaN or infinity.
    #[error("non-finite value at index {index}")]
    NonFinite {
        /// Index of the first bad coordinate.
        index: usize,
    },
    /// A configuration value is out of range.
    #[error("invalid codec config: {0}")]
    Config(String),
    /// A thread pool could not be built.
    #[error("thread pool: {0}")]
    ThreadPool(String),
    /// A codec file is truncated, corrupted, or of another format.
    #[error("bad codec file at byte {offset}: {what}")]
    Corrupt {
        /// Where the problem is.
        offset: u64,
        /// What is wrong.
        what: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {what}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// What failed.
        what: String,
    },
}

impl From<sextant_core::Error> for Error {
    fn from(e: sextant_core::Error) -> Self {
        match e {
            sextant_core::Error::DimensionMismatch { expected, got } => {
                Error::Dimension { expected, got }
            }
            sextant_core::Error::NonFinite { position, .. } => Error::NonFinite { index: position },
            other => Error::Config(other.to_string()),
        }
    }
}

/// Checks length and finiteness of a vector given to a codec.
pub(crate) fn check_vector(v: &[f32], dim: usize) -> Result<()> {
    if v.len() != dim {
        return Err(Error::Dimension {
            expected: dim,
            got: v.len(),
        });
    }
    match v.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(Error::NonFinite { index }),
        None => Ok(()),
    }
}
