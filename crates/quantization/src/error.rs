//! The error type of `sextant-quantization`, in the convention of every Sextant crate:
//! structured fields, the OS error kept as the source, a damaged file named with the byte
//! where it fails, a missing file told apart from a damaged one ([`Error::is_not_found`]).

use std::path::PathBuf;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
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
    /// A point past the encoded ones was named.
    #[error("no encoded vector {offset}: {len} are encoded")]
    Offset {
        /// The point named.
        offset: u32,
        /// Number of encoded vectors.
        len: usize,
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
    ThreadPool(#[source] rayon::ThreadPoolBuildError),
    /// A codec file is truncated, corrupted, or of another format.
    #[error("{}: bad codec file at byte {offset}: {what}", path.as_ref().map_or("<bytes>".into(), |p| p.display().to_string()))]
    Corrupt {
        /// The file (`None` for bytes handed in directly).
        path: Option<PathBuf>,
        /// Where the problem is.
        offset: u64,
        /// What is wrong.
        what: String,
    },
    /// Reading or writing a codec file failed.
    #[error("{path}: {op}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// Mapping or atomically writing a codec file failed (the mmap layer names the file and
    /// the call).
    #[error(transparent)]
    Map(#[from] sextant_mmap_advice::Error),
}

impl Error {
    /// True when a file to read does not exist (as opposed to existing and being damaged).
    pub fn is_not_found(&self) -> bool {
        match self {
            Error::Io { source, .. } => source.kind() == std::io::ErrorKind::NotFound,
            Error::Map(e) => e.is_not_found(),
            _ => false,
        }
    }

    /// Names `file` as the file a [`Corrupt`](Error::Corrupt) error came from.
    pub(crate) fn in_file(self, file: &std::path::Path) -> Self {
        match self {
            Error::Corrupt { offset, what, .. } => Error::Corrupt {
                path: Some(file.to_path_buf()),
                offset,
                what,
            },
            other => other,
        }
    }
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
