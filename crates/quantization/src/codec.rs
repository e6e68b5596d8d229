//! The shape every concrete codec has, written once: a codec states its layout and its
//! arithmetic ([`Codec`]), and everything codecs share (`push`, `len`, the file operations,
//! [`EncodedVectors`]) comes from here.
//!
//! A codec keeps one fixed-size record per vector in [`Records`] (RAM, or a mapped codec
//! file), so it provides `stride` (bytes per record), `encode` (a vector into a zeroed
//! record), its scorers, and its file parts: `file_bytes` (the file it writes), `parse` (the
//! header and parameters, returning where the records are) and `check_factors` (the
//! per-record values that must be finite). A codec whose layout is not one record per vector
//! (product fast scan, blocks of 32) overrides `count`, `code_bytes` and `append`.
//!
//! `Codec` is public in a private module: codecs outside this crate cannot implement it, so
//! the file format stays the crate's (the sealed-trait pattern).

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use sextant_core::{PairScorer, PointOffset, QueryScorer};
use sextant_mmap_advice::MmapFile;

use crate::format::CodecId;
use crate::records::Records;
use crate::{EncodedVectors, Result};

/// What one codec states; see the module docs.
pub trait Codec: Sized {
    /// The codec's id in the file header.
    const ID: CodecId;

    /// Its query scorer.
    type Query<'a>: QueryScorer
    where
        Self: 'a;

    /// Its pair scorer.
    type Pairs<'a>: PairScorer + Sync
    where
        Self: 'a;

    /// Dimension of the vectors.
    fn dimension(&self) -> usize;

    /// Bytes per record.
    fn stride(&self) -> usize;

    /// The records.
    fn records(&self) -> &Records;

    /// The records, to grow or replace.
    fn records_mut(&mut self) -> &mut Records;

    /// Writes the record of `vector` (checked: the right dimension, finite) into the zeroed
    /// `record`.
    fn encode(&self, vector: &[f32], record: &mut [u8]);

    /// A scorer of the stored codes against `query` (prepared here for the metric).
    fn make_query_scorer(&self, query: &[f32]) -> Result<Self::Query<'_>>;

    /// A scorer of stored codes against each other.
    fn make_pair_scorer(&self) -> Self::Pairs<'_>;

    /// The codec file's bytes.
    fn file_bytes(&self) -> Vec<u8>;

    /// The codec with its parameters from a file's bytes (records left empty) and the byte
    /// range of the records.
    fn parse(bytes: &[u8]) -> Result<(Self, Range<usize>)>;

    /// An error at the first record (its records start at byte `at` of the file) whose
    /// stored factors are not finite.
    fn check_factors(&self, at: usize) -> Result<()>;

    /// Rewrites records read from a file of an older format `version` (the default: nothing
    /// changed).
    fn upgrade(&mut self, version: u32) {
        let _ = version;
    }

    /// Number of encoded vectors.
    fn count(&self) -> usize {
        self.records().len() / self.stride()
    }

    /// Bytes per encoded vector.
    fn code_bytes(&self) -> usize {
        self.stride()
    }

    /// Checks `vector` and appends its record.
    fn append(&mut self, vector: &[f32]) -> Result<PointOffset> {
        crate::error::check_vector(vector, self.dimension())?;
        let p = self.count() as PointOffset;
        let mut record = vec![0; self.stride()];
        self.encode(vector, &mut record);
        self.records_mut().extend_from_slice(&record);
        Ok(p)
    }

    /// Checks `vector` and replaces the record of point `p` (one already encoded).
    fn overwrite(&mut self, p: PointOffset, vector: &[f32]) -> Result<()> {
        crate::error::check_vector(vector, self.dimension())?;
        check_offset(p, self.count())?;
        let s = self.stride();
        let mut record = vec![0; s];
        self.encode(vector, &mut record);
        self.records_mut().make_mut()[p as usize * s..(p as usize + 1) * s]
            .copy_from_slice(&record);
        Ok(())
    }

    /// The record of vector `p`.
    #[inline]
    fn record(&self, p: PointOffset) -> &[u8] {
        let s = self.stride();
        &self.records()[p as usize * s..(p as usize + 1) * s]
    }
}

/// An error unless point `p` is one of the `len` encoded.
pub(crate) fn check_offset(p: PointOffset, len: usize) -> Result<()> {
    if (p as usize) < len {
        Ok(())
    } else {
        Err(crate::Error::Offset { offset: p, len })
    }
}

impl<C: Codec> EncodedVectors for C {
    type QueryScorer<'a>
        = C::Query<'a>
    where
        Self: 'a;
    type PairScorer<'a>
        = C::Pairs<'a>
    where
        Self: 'a;

    fn len(&self) -> usize {
        self.count()
    }

    fn dim(&self) -> usize {
        self.dimension()
    }

    fn bytes_per_vector(&self) -> usize {
        self.code_bytes()
    }

    fn push(&mut self, vector: &[f32]) -> Result<PointOffset> {
        self.append(vector)
    }

    fn set(&mut self, p: PointOffset, vector: &[f32]) -> Result<()> {
        self.overwrite(p, vector)
    }

    fn query_scorer(&self, query: &[f32]) -> Result<C::Query<'_>> {
        self.make_query_scorer(query)
    }

    fn pair_scorer(&self) -> C::Pairs<'_> {
        self.make_pair_scorer()
    }

    fn to_bytes(&self) -> Vec<u8> {
        self.file_bytes()
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let (mut codec, records) = C::parse(bytes)?;
        let at = records.start;
        *codec.records_mut() = Records::copied(&bytes[records]);
        codec.check_factors(at)?;
        codec.upgrade(crate::format::version_of(bytes));
        Ok(codec)
    }

    fn open_mapped(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let map = MmapFile::open(path)?;
        let (mut codec, records) = C::parse(map.bytes()).map_err(|e| e.in_file(path))?;
        let at = records.start;
        let version = crate::format::version_of(map.bytes());
        *codec.records_mut() = Records::Mapped {
            map: Arc::new(map),
            start: records.start,
            len: records.len(),
        };
        codec.check_factors(at).map_err(|e| e.in_file(path))?;
        codec.upgrade(version);
        Ok(codec)
    }

    fn is_mapped(&self) -> bool {
        self.records().is_mapped()
    }
}
