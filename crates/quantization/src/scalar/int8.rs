//! Scalar int8: each coordinate on a uniform 256-level grid between two quantiles of the
//! training data, scored with SIMD integer kernels.
//!
//! With `x ≈ lo + step·c` (codes `c`) and the query quantized the same way (`d`):
//! - Dot / Cosine: `q·x ≈ D·lo² + lo·step·Σd + lo·step·Σc + step²·(d·c)`. The `lo·step·Σc`
//!   term is stored per vector, the query terms once per query, and `d·c` is a `u8` dot.
//! - Euclid: `−‖q − x‖² ≈ −step²·‖d − c‖²`; Manhattan: `−step·‖d − c‖₁`.
//!
//! Scores are on the same scale as exact scores, so they can be compared with (and replaced
//! by) exact ones when rescoring. Coordinates outside the grid are clipped to its ends; the
//! grid covers the central `quantile` share of the sampled values (default 0.99).

use std::ops::Range;

use sextant_core::{PairScorer, QueryScorer};

use super::grid::quantile_bounds;
use crate::EncodedVectors;
use crate::codec::Codec;
use crate::format::{CodecId, HEADER_BYTES, Header, check_records, corrupt, read_file, write_file};
use crate::scoring::score_records;

use sextant_core::{DenseVectorSource, Distance, Kernels, PointOffset, ScoreType};

use crate::Result;
use crate::records::{Records, f32_at};
use crate::training::{encode_all, training_sample};

/// Scalar int8 codes of a set of vectors: `dim + 4` bytes per vector (codes, then the f32
/// correction term).
#[derive(Debug, Clone, PartialEq)]
pub struct ScalarInt8 {
    pub(crate) dim: usize,
    pub(crate) distance: Distance,
    pub(crate) lo: f32,
    pub(crate) step: f32,
    /// `len` records of `dim + 4` bytes.
    pub(crate) data: Records,
}

impl ScalarInt8 {
    /// Trains the grid on a seeded sample of at most [`TRAINING_SAMPLE`](crate::CodecConfig::TRAINING_SAMPLE) vectors of `source`
    /// (already prepared for `distance`: normalized for Cosine) and encodes all of them on
    /// `threads` threads.
    pub fn train<S>(
        source: &S,
        distance: Distance,
        quantile: f32,
        seed: u64,
        threads: usize,
    ) -> Result<Self>
    where
        S: DenseVectorSource<Element = f32> + Sync,
    {
        crate::QuantizationConfig::ScalarInt8 { quantile }.validate()?;
        let picked = training_sample(source, seed)?;
        let dim = source.dim();
        let mut values = Vec::with_capacity(picked.len() * dim);
        for &p in &picked {
            values.extend_from_slice(source.vector(p));
        }
        let (lo, hi) = quantile_bounds(&mut values, quantile);
        let step = if hi > lo { (hi - lo) / 255.0 } else { 1.0 };
        let mut codec = Self {
            dim,
            distance,
            lo,
            step,
            data: Records::default(),
        };
        codec.data = encode_all(source, codec.stride(), threads, |v, r| codec.encode(v, r))?;
        Ok(codec)
    }

    fn grid(&self) -> Grid {
        Grid {
            lo: self.lo,
            step: self.step,
            dim: self.dim,
            distance: self.distance,
        }
    }

    /// The metric scores are computed for.
    pub fn distance(&self) -> Distance {
        self.distance
    }

    /// The grid: lowest value and step between levels.
    pub fn grid_bounds(&self) -> (f32, f32) {
        (self.lo, self.lo + 255.0 * self.step)
    }

    /// The vector the codes of `p` stand for.
    pub fn decode(&self, p: PointOffset) -> Vec<f32> {
        self.codes(p)
            .iter()
            .map(|&c| self.lo + self.step * f32::from(c))
            .collect()
    }

    #[inline]
    fn codes(&self, p: PointOffset) -> &[u8] {
        &self.record(p)[..self.dim]
    }

    #[inline]
    pub(crate) fn correction(&self, p: PointOffset) -> f32 {
        f32_at(self.record(p), self.dim)
    }

    /// The constant part of a score for a query whose own correction term is `correction`.
    fn query_offset(&self, correction: f32) -> f32 {
        match self.distance {
            Distance::Cosine | Distance::Dot => self.dim as f32 * self.lo * self.lo + correction,
            Distance::Euclid | Distance::Manhattan => 0.0,
        }
    }
}

/// The file layout is in [`format`](mod@crate::format).
impl Codec for ScalarInt8 {
    const ID: CodecId = CodecId::ScalarInt8;
    type Query<'a> = ScalarQueryScorer<'a>;
    type Pairs<'a> = ScalarPairScorer<'a>;

    fn dimension(&self) -> usize {
        self.dim
    }

    /// `dim` codes and the f32 correction term.
    fn stride(&self) -> usize {
        self.dim + 4
    }

    fn records(&self) -> &Records {
        &self.data
    }

    fn records_mut(&mut self) -> &mut Records {
        &mut self.data
    }

    fn encode(&self, v: &[f32], record: &mut [u8]) {
        self.grid().encode(v, record)
    }

    fn make_query_scorer(&self, query: &[f32]) -> Result<ScalarQueryScorer<'_>> {
        let mut q = query.to_vec();
        self.distance.prepare(&mut q, self.dim)?;
        let mut record = vec![0u8; self.dim + 4];
        self.grid().encode(&q, &mut record);
        let correction = f32_at(&record, self.dim);
        record.truncate(self.dim);
        Ok(ScalarQueryScorer {
            codec: self,
            offset: self.query_offset(correction),
            query: record,
            kernel: Kernel::for_distance(self.distance),
        })
    }

    fn make_pair_scorer(&self) -> ScalarPairScorer<'_> {
        ScalarPairScorer {
            codec: self,
            kernel: Kernel::for_distance(self.distance),
        }
    }

    fn file_bytes(&self) -> Vec<u8> {
        let header = Header::of(Self::ID, self.distance, self.dim, self.len());
        let params = [self.lo.to_le_bytes(), self.step.to_le_bytes()].concat();
        write_file(&header, &params, &[&self.data[..]])
    }

    fn parse(b: &[u8]) -> Result<(Self, Range<usize>)> {
        let (h, body) = read_file(b, Self::ID, "scalar int8")?;
        let (lo, step) = (f32_at(b, 32), f32_at(b, 36));
        if !(lo.is_finite() && step.is_finite() && step > 0.0) {
            return Err(corrupt(
                32,
                format!("grid ({lo}, step {step}) is not usable"),
            ));
        }
        check_records(h.n, h.dim + 4, body, h.dim)?;
        let codec = Self {
            dim: h.dim,
            distance: h.distance,
            lo,
            step,
            data: Records::default(),
        };
        Ok((codec, HEADER_BYTES..HEADER_BYTES + body.len()))
    }

    fn check_factors(&self, at: usize) -> Result<()> {
        match (0..self.len()).find(|&p| !self.correction(p as u32).is_finite()) {
            Some(p) => Err(corrupt(
                at + p * (self.dim + 4) + self.dim,
                "non-finite correction term",
            )),
            None => Ok(()),
        }
    }
}

/// The trained grid, for encoding.
#[derive(Clone, Copy)]
struct Grid {
    lo: f32,
    step: f32,
    dim: usize,
    distance: Distance,
}

impl Grid {
    /// Writes the codes of `v` and its correction term into `record` (`dim + 4` bytes).
    fn encode(&self, v: &[f32], record: &mut [u8]) {
        let inv = 1.0 / self.step;
        let mut sum = 0u32;
        for (c, &x) in record[..self.dim].iter_mut().zip(v) {
            *c = ((x - self.lo) * inv).round().clamp(0.0, 255.0) as u8;
            sum += u32::from(*c);
        }
        let correction = match self.distance {
            Distance::Cosine | Distance::Dot => self.lo * self.step * sum as f32,
            Distance::Euclid | Distance::Manhattan => 0.0,
        };
        record[self.dim..].copy_from_slice(&correction.to_le_bytes());
    }
}

/// The integer kernel of a metric and the factor that turns its result into a score.
#[derive(Clone, Copy)]
enum Kernel {
    Dot(fn(&[u8], &[u8]) -> u32),
    L2(fn(&[u8], &[u8]) -> u32),
    L1(fn(&[u8], &[u8]) -> u32),
}

impl Kernel {
    fn for_distance(distance: Distance) -> Self {
        let k = Kernels::best();
        match distance {
            Distance::Cosine | Distance::Dot => Kernel::Dot(k.bytes.dot_u8),
            Distance::Euclid => Kernel::L2(k.bytes.l2sq_u8),
            Distance::Manhattan => Kernel::L1(k.bytes.l1_u8),
        }
    }

    #[inline]
    fn score(self, step: f32, offset: f32, correction: f32, a: &[u8], b: &[u8]) -> ScoreType {
        match self {
            Kernel::Dot(f) => offset + correction + step * step * f(a, b) as f32,
            Kernel::L2(f) => -(step * step) * f(a, b) as f32,
            Kernel::L1(f) => -step * f(a, b) as f32,
        }
    }
}

/// Scores stored codes against one quantized query.
pub struct ScalarQueryScorer<'a> {
    codec: &'a ScalarInt8,
    query: Vec<u8>,
    offset: f32,
    kernel: Kernel,
}

impl ScalarQueryScorer<'_> {
    /// The score of one record: its codes, then the correction term.
    #[inline(always)]
    fn score_record(&self, record: &[u8]) -> ScoreType {
        let c = self.codec;
        let (codes, correction) = (&record[..c.dim], f32_at(record, c.dim));
        (self.kernel).score(c.step, self.offset, correction, &self.query, codes)
    }
}

impl QueryScorer for ScalarQueryScorer<'_> {
    fn len(&self) -> usize {
        self.codec.len()
    }

    #[inline]
    fn score_point(&self, p: PointOffset) -> ScoreType {
        self.score_record(self.codec.record(p))
    }

    fn score_points(&self, points: &[PointOffset], scores: &mut [ScoreType]) {
        let c = self.codec;
        score_records(c.records(), c.stride(), points, scores, |_, r| {
            self.score_record(r)
        });
    }
}

/// Scores stored codes against each other.
pub struct ScalarPairScorer<'a> {
    codec: &'a ScalarInt8,
    kernel: Kernel,
}

impl PairScorer for ScalarPairScorer<'_> {
    fn len(&self) -> usize {
        self.codec.len()
    }

    #[inline]
    fn score_pair(&self, a: PointOffset, b: PointOffset) -> ScoreType {
        let c = self.codec;
        let offset = c.query_offset(c.correction(a));
        self.kernel
            .score(c.step, offset, c.correction(b), c.codes(a), c.codes(b))
    }

    fn score_pairs(&self, a: PointOffset, others: &[PointOffset], scores: &mut [ScoreType]) {
        let c = self.codec;
        let offset = c.query_offset(c.correction(a));
        let (d, codes_a) = (c.dim, c.codes(a));
        score_records(&c.data, c.stride(), others, scores, |_, r| {
            let correction = f32_at(r, d);
            (self.kernel).score(c.step, offset, correction, codes_a, &r[..d])
        });
    }
}
