//! The one trait every codec implements, so indexes and benches can be written once.

use std::path::Path;

use sextant_core::{PairScorer, PointOffset, QueryScorer};

use crate::Result;

/// Encoded vectors: trained on a dense vector source by each codec's own `train`, then grown
/// with [`push`](Self::push), scored against a prepared query or against each other, and kept
/// in the crate's checksummed file format ([`format`](crate::format)).
pub trait EncodedVectors: Sized {
    /// The scorer of stored codes against one prepared query.
    type QueryScorer<'a>: QueryScorer
    where
        Self: 'a;

    /// The scorer of stored codes against each other (graph builds on codes, which share it
    /// between build threads).
    type PairScorer<'a>: PairScorer + Sync
    where
        Self: 'a;

    /// Number of encoded vectors.
    fn len(&self) -> usize;

    /// True when nothing is encoded.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Dimension of the vectors.
    fn dim(&self) -> usize;

    /// Bytes per encoded vector.
    fn bytes_per_vector(&self) -> usize;

    /// Encodes one more vector (prepared like the training set) at offset `len()`.
    fn push(&mut self, vector: &[f32]) -> Result<PointOffset>;

    /// Prepares `query` for the metric and encodes it into a scorer of the stored codes.
    fn query_scorer(&self, query: &[f32]) -> Result<Self::QueryScorer<'_>>;

    /// A scorer of stored codes against each other.
    fn pair_scorer(&self) -> Self::PairScorer<'_>;

    /// Saves to `path` atomically (temporary file, fsync, rename, fsync of the directory).
    fn save(&self, path: &Path) -> Result<()>;

    /// Loads a saved file into RAM, checking all of it.
    fn load(path: &Path) -> Result<Self>;

    /// Opens a saved file through a read-only map and scores its codes in place, after the
    /// same checks as [`load`](Self::load).
    fn open_mapped(path: &Path) -> Result<Self>;
}

/// Implements the trait by forwarding to a codec's inherent methods of the same names.
macro_rules! forward_encoded_vectors {
    ($codec:ty, $scorer:ident, $pair:ident) => {
        impl $crate::EncodedVectors for $codec {
            type QueryScorer<'a> = $scorer<'a>;
            type PairScorer<'a> = $crate::$pair<'a>;

            fn len(&self) -> usize {
                <$codec>::len(self)
            }

            fn dim(&self) -> usize {
                <$codec>::dim(self)
            }

            fn bytes_per_vector(&self) -> usize {
                <$codec>::bytes_per_vector(self)
            }

            fn push(&mut self, vector: &[f32]) -> $crate::Result<sextant_core::PointOffset> {
                <$codec>::push(self, vector)
            }

            fn query_scorer(&self, query: &[f32]) -> $crate::Result<$scorer<'_>> {
                <$codec>::query_scorer(self, query)
            }

            fn pair_scorer(&self) -> $crate::$pair<'_> {
                <$codec>::pair_scorer(self)
            }

            fn save(&self, path: &std::path::Path) -> $crate::Result<()> {
                <$codec>::save(self, path)
            }

            fn load(path: &std::path::Path) -> $crate::Result<Self> {
                <$codec>::load(path)
            }

            fn open_mapped(path: &std::path::Path) -> $crate::Result<Self> {
                <$codec>::open_mapped(path)
            }
        }
    };
}

pub(crate) use forward_encoded_vectors;
