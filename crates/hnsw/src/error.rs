//! The error type of `sextant-hnsw`, in the convention of every Sextant crate: structured
//! fields, the OS error kept as the source, a damaged file named with the byte where it fails,
//! a missing file told apart from a damaged one ([`Error::is_not_found`]).

use std::path::PathBuf;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
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
    /// A scorer covers fewer points than the index it searches or builds.
    #[error("a scorer over {scorer} points was used with an index of {needed} points")]
    ScorerTooShort {
        /// Points the scorer covers.
        scorer: usize,
        /// Points the index holds.
        needed: usize,
    },
    /// A point the index does not hold was named.
    #[error("no point {point}: the index holds {len}")]
    NoPoint {
        /// The point named.
        point: sextant_core::PointOffset,
        /// Points the index holds.
        len: usize,
    },
    /// A thread pool could not be built.
    #[error("thread pool: {0}")]
    ThreadPool(#[source] rayon::ThreadPoolBuildError),
    /// Reading or writing a graph file failed.
    #[error("{path}: {op}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// Mapping a graph file failed (the mmap layer names the file and the call).
    #[error(transparent)]
    Map(#[from] sextant_mmap_advice::Error),
    /// A graph file is truncated, corrupted, or of another format.
    #[error("{}: bad graph file at byte {offset}: {what}", path.as_ref().map_or("<bytes>".into(), |p| p.display().to_string()))]
    Corrupt {
        /// The file (`None` for bytes handed in directly).
        path: Option<PathBuf>,
        /// Where the problem is.
        offset: u64,
        /// What is wrong.
        what: String,
    },
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

    /// Names `path` as the file a [`Corrupt`](Error::Corrupt) error came from.
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
