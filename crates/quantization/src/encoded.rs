//! [`EncodedVectors`]: the one interface of every codec, concrete ([`ScalarInt8`](crate::ScalarInt8),
//! [`RaBitQ`](crate::RaBitQ), ...) or chosen at run time ([`AnyCodes`](crate::AnyCodes)), so
//! indexes, benches and a shard are written once.

use std::path::Path;

use sextant_core::{PairScorer, PointOffset, QueryScorer};

use crate::Result;

/// Encoded vectors: trained on a dense vector source (each codec's own `train`, or
/// [`AnyCodes::train`](crate::AnyCodes::train) from a config), grown with
/// [`push`](Self::push), scored against a prepared query or against each other, and kept in
/// the crate's checksummed file format ([`format`](mod@crate::format)): `save` / `load` /
/// `open_mapped`, as every immutable artefact of Sextant.
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

    /// Encodes one more vector (prepared like the training set) at offset `len()`, with the
    /// parameters trained. A vector of another dimension or with NaN / infinity is an error
    /// and changes nothing.
    fn push(&mut self, vector: &[f32]) -> Result<PointOffset>;

    /// Encodes `vector` (prepared like the training set) in place of point `p`'s code (an
    /// update: hnswlib's `add_items` with a label it holds). A vector of another dimension,
    /// with NaN / infinity, or a `p` past the encoded ones is an error and changes nothing.
    fn set(&mut self, p: PointOffset, vector: &[f32]) -> Result<()>;

    /// Prepares `query` for the metric and encodes it into a scorer of the stored codes.
    fn query_scorer(&self, query: &[f32]) -> Result<Self::QueryScorer<'_>>;

    /// A scorer of stored codes against each other.
    fn pair_scorer(&self) -> Self::PairScorer<'_>;

    /// The codec file's bytes (the layout is in [`format`](mod@crate::format)).
    fn to_bytes(&self) -> Vec<u8>;

    /// Parses and validates a codec file (checksum, header, parameters, sizes, and every
    /// record's factors), copying the codes.
    fn from_bytes(bytes: &[u8]) -> Result<Self>;

    /// Opens a file written by [`save`](Self::save) through a read-only map and scores its
    /// codes in place: only the parameters are copied. Validation is that of
    /// [`from_bytes`](Self::from_bytes), so the whole file is read once. Vectors pushed
    /// afterwards move the codes into RAM.
    fn open_mapped(path: impl AsRef<Path>) -> Result<Self>;

    /// True when the codes are read in place from a mapped file.
    fn is_mapped(&self) -> bool;

    /// Saves to `path` atomically (temporary file, fsync, rename, fsync of the directory).
    fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        Ok(sextant_mmap_advice::atomic_write(path, &self.to_bytes())?)
    }

    /// Loads a file written by [`save`](Self::save) into RAM, checking all of it; a damaged
    /// file's error names it.
    fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| crate::Error::Io {
            path: path.into(),
            op: "read",
            source,
        })?;
        Self::from_bytes(&bytes).map_err(|e| e.in_file(path))
    }
}
