//! The one trait every codec implements, so indexes and benches can be written once.

use sextant_core::{PointOffset, QueryScorer};

use crate::Result;

/// Encoded vectors: trained on a dense vector source by each codec's own `train`, then grown
/// with [`push`](Self::push) and scored through a prepared query scorer.
pub trait EncodedVectors {
    /// The scorer of stored codes against one prepared query.
    type QueryScorer<'a>: QueryScorer
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
}

/// Implements the trait by forwarding to a codec's inherent methods of the same names.
macro_rules! forward_encoded_vectors {
    ($codec:ty, $scorer:ident) => {
        impl $crate::EncodedVectors for $codec {
            type QueryScorer<'a> = $scorer<'a>;

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
        }
    };
}

pub(crate) use forward_encoded_vectors;
