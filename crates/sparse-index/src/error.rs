//! Errors of the sparse index.

use sextant_core::PointOffset;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Offsets must arrive in increasing order (each term's list stays sorted by appending).
    #[error(
        "offset {offset} arrives after offset {last}: a growing index takes offsets in increasing order"
    )]
    OutOfOrder {
        /// The offset given.
        offset: PointOffset,
        /// The last offset inserted.
        last: PointOffset,
    },
    /// An approximation factor below 1 or not finite.
    #[error("approximation factor {0}: it must be a finite number of at least 1 (1 is exact)")]
    Factor(f32),
    /// An approximate search over no query term.
    #[error("max_terms 0: an approximate search keeps at least one query term")]
    MaxTerms,
    /// The index is too large for the file format (offsets and postings are u32).
    #[error(
        "{postings} postings: a saved sparse index holds at most 2^32 - 1 postings and offsets"
    )]
    TooLarge {
        /// Postings to save.
        postings: usize,
    },
    /// A saved index file is damaged or not one.
    #[error("{}: bad sparse index file at byte {offset}: {what}", path.display())]
    Corrupt {
        /// The file.
        path: std::path::PathBuf,
        /// The byte where the damage shows.
        offset: usize,
        /// What is wrong there.
        what: String,
    },
    /// Mapping or writing a file failed.
    #[error(transparent)]
    Map(#[from] sextant_mmap_advice::Error),
}
