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
}
