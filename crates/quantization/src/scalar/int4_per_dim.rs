//! Scalar int4 with a grid per dimension: 16 equal bins between two quantiles of each
//! dimension, a value decoded at the centre of its bin, two codes per byte (`⌈d/2⌉` bytes per
//! vector for Dot and Cosine, 8x smaller than f32). Built for graph traversal: half the bytes
//! of [`ScalarInt8PerDim`](crate::ScalarInt8PerDim) per visited point, and a kernel with
//! fewer instructions, while a small float rescoring recovers the order (on minilm-pypi-20k
//! the top 20 on these codes hold 99.9% of the true top 10).
//!
//! Layout: with `h = ⌈d/2⌉`, byte `b` holds the code of coordinate `b` in its low nibble and
//! of coordinate `h + b` in its high nibble (the last high nibble is 0 when `d` is odd). Each
//! half of the query then meets one nibble of a contiguous run of bytes, which is what core's
//! `nibbles_dot_i8` kernel reads. Euclid records end with the decoded squared norm (f32).
//!
//! Scoring folds the grid into the query as the int8 codec does:
//! `q·x̂ = Σ qᵢ(loᵢ + ½·stepᵢ) + Σ (qᵢ·stepᵢ)·cᵢ`, the second sum on an i8 query grid. At 4-bit
//! codes the i8 query costs nothing measurable (raw recall@10 0.9345 against 0.9343 with f32
//! in a numpy check on minilm-pypi-20k).
//!
//! Ranges: at 16 levels clipping pays. On minilm-pypi-20k (numpy, quantiles of all vectors)
//! raw recall@10 was 0.916 with each dimension's min/max, 0.934 at quantile 0.995 and 0.999,
//! 0.928 at 0.99. A Hadamard rotation before the grid did not help (0.933 at 0.999).

use std::ops::Range;

use sextant_core::QueryScorer;
use sextant_core::kernels::sum_zip;

use super::nibbles::{nibble, set_nibble};
use crate::EncodedVectors;
use crate::codec::Codec;
use crate::format::{CodecId, records_finite};
use crate::pairs::{ReconstructionPairScorer, Reconstructs, ScalarInt4PairScorer};

use sextant_core::{DenseVectorSource, Distance, Kernels, PointOffset, ScoreType};

use super::grid::{fold_query, parse_per_dim, per_dim_file_bytes, per_dim_grid};
use crate::Result;
use crate::records::{Records, f32_at, f32s_finite};
use crate::scoring::{I8Query, score_from_dot};
use crate::training::{encode_all, refuse_manhattan};

/// Levels of the grid (4 bits).
const LEVELS: u32 = 16;

/// Scalar int4 codes with a grid per dimension, two per byte.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalarInt4PerDim {
    pub(crate) dim: usize,
    pub(crate) distance: Distance,
    /// Per dimension: the grid's low end and bin width.
    pub(crate) lo: Vec<f32>,
    pub(crate) step: Vec<f32>,
    pub(crate) data: Records,
}

impl ScalarInt4PerDim {
    /// Trains one 16-bin grid per dimension between the quantiles of a seeded sample of at
    /// most [`TRAINING_SAMPLE`](crate::CodecConfig::TRAINING_SAMPLE) vectors of `source` (prepared for
    /// `distance`), keeping the central `quantile` share of each dimension's values (1.0: its
    /// minimum and maximum over all vectors), and encodes every vector on `threads` threads.
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
        crate::QuantizationConfig::ScalarInt4PerDim { quantile }.validate()?;
        refuse_manhattan(distance, "per-dimension scalar int4")?;
        let (lo, step) = per_dim_grid(source, seed, quantile, LEVELS)?;
        let mut codec = Self::with_grid(distance, lo, step);
        codec.data = encode_all(source, codec.stride(), threads, |v, r| codec.encode(v, r))?;
        Ok(codec)
    }

    pub(crate) fn with_grid(distance: Distance, lo: Vec<f32>, step: Vec<f32>) -> Self {
        Self {
            dim: lo.len(),
            distance,
            lo,
            step,
            data: Records::default(),
        }
    }

    /// Code bytes per vector: `⌈d/2⌉`.
    pub(crate) fn half(&self) -> usize {
        self.dim.div_ceil(2)
    }

    /// The metric scores are computed for.
    pub fn distance(&self) -> Distance {
        self.distance
    }

    /// The vector the codes of `p` stand for (bin centres).
    pub fn decode(&self, p: PointOffset) -> Vec<f32> {
        let mut out = vec![0.0; self.dim];
        self.decode_range(p, 0, &mut out);
        out
    }

    /// True when the stored squared norm of `p` (Euclid) is finite (a file check).
    pub(crate) fn factors_finite(&self, p: PointOffset) -> bool {
        f32s_finite(&self.record(p)[self.half()..])
    }

    /// The code of coordinate `i` in `record`.
    #[inline]
    fn code(&self, record: &[u8], i: usize) -> u8 {
        nibble(&record[..self.half()], i)
    }
}

impl Reconstructs for ScalarInt4PerDim {
    fn metric(&self) -> Distance {
        self.distance
    }

    #[inline]
    fn decode_range(&self, p: PointOffset, start: usize, out: &mut [f32]) {
        let record = self.record(p);
        for (k, o) in out.iter_mut().enumerate() {
            let i = start + k;
            *o = self.lo[i] + self.step[i] * (f32::from(self.code(record, i)) + 0.5);
        }
    }

    /// Euclid records end with the decoded squared norm.
    fn stored_norm(&self, p: PointOffset) -> Option<f32> {
        (self.distance == Distance::Euclid).then(|| f32_at(self.record(p), self.half()))
    }
}

/// The file layout is in [`format`](mod@crate::format): the grids, then the records.
impl Codec for ScalarInt4PerDim {
    const ID: CodecId = CodecId::ScalarInt4PerDim;
    type Query<'a> = ScalarInt4QueryScorer<'a>;
    type Pairs<'a> = ScalarInt4PairScorer<'a>;

    fn dimension(&self) -> usize {
        self.dim
    }

    /// `⌈dim/2⌉` codes, and for Euclid the f32 squared norm.
    fn stride(&self) -> usize {
        self.half()
            + if self.distance == Distance::Euclid {
                4
            } else {
                0
            }
    }

    fn records(&self) -> &Records {
        &self.data
    }

    fn records_mut(&mut self) -> &mut Records {
        &mut self.data
    }

    /// Writes the packed codes of `v` (and for Euclid the decoded squared norm) into the zeroed
    /// `record`.
    fn encode(&self, v: &[f32], record: &mut [u8]) {
        let h = self.half();
        let mut norm = 0f32;
        for (i, ((&x, &lo), &step)) in v.iter().zip(&self.lo).zip(&self.step).enumerate() {
            let level = ((x - lo) / step).floor().clamp(0.0, (LEVELS - 1) as f32);
            let decoded = lo + step * (level + 0.5);
            norm += decoded * decoded;
            set_nibble(&mut record[..h], i, level as u8);
        }
        if self.distance == Distance::Euclid {
            record[h..].copy_from_slice(&norm.to_le_bytes());
        }
    }

    fn make_query_scorer(&self, query: &[f32]) -> Result<ScalarInt4QueryScorer<'_>> {
        let mut q = query.to_vec();
        self.distance.prepare(&mut q, self.dim)?;
        let (folded, offset) = fold_query(&q, &self.lo, &self.step, 0.5);
        Ok(ScalarInt4QueryScorer {
            codec: self,
            query: I8Query::new(&folded, 2 * self.half()),
            offset,
            q_q: sum_zip(&q, &q, |a, b| a * b),
            kernels: Kernels::best(),
        })
    }

    fn make_pair_scorer(&self) -> ScalarInt4PairScorer<'_> {
        ReconstructionPairScorer::new(self)
    }

    fn file_bytes(&self) -> Vec<u8> {
        per_dim_file_bytes(
            Self::ID,
            self.distance,
            self.len(),
            (&self.lo, &self.step),
            &self.data,
        )
    }

    fn parse(b: &[u8]) -> Result<(Self, Range<usize>)> {
        parse_per_dim(
            b,
            Self::ID,
            "scalar int4 per dimension",
            Self::with_grid,
            Self::stride,
        )
    }

    fn check_factors(&self, at: usize) -> Result<()> {
        records_finite(self.len(), self.stride(), at, |p| self.factors_finite(p))
    }
}

/// Scores stored per-dimension int4 codes against one folded, i8-quantized query.
pub struct ScalarInt4QueryScorer<'a> {
    codec: &'a ScalarInt4PerDim,
    /// The folded query `qᵢ·stepᵢ` on an i8 grid, `2·⌈d/2⌉` levels.
    query: I8Query,
    /// `Σ qᵢ(loᵢ + ½·stepᵢ)`.
    offset: f32,
    q_q: f32,
    kernels: &'static Kernels,
}

impl ScalarInt4QueryScorer<'_> {
    /// The score of a record from its kernel sum.
    #[inline(always)]
    fn finish(&self, record: &[u8], sum: i32) -> ScoreType {
        let c = self.codec;
        let dot = self.offset + self.query.step * sum as f32;
        score_from_dot(c.distance, dot, || f32_at(record, c.half()), self.q_q)
    }
}

impl QueryScorer for ScalarInt4QueryScorer<'_> {
    fn len(&self) -> usize {
        self.codec.len()
    }

    #[inline]
    fn score_point(&self, p: PointOffset) -> ScoreType {
        let record = self.codec.record(p);
        let codes = &record[..self.codec.half()];
        self.finish(
            record,
            (self.kernels.nibbles.nibbles_dot_i8)(codes, &self.query.levels),
        )
    }

    /// Four points per kernel call (the query is loaded once for all four), the next four
    /// prefetched meanwhile.
    fn score_points(&self, points: &[PointOffset], scores: &mut [ScoreType]) {
        let c = self.codec;
        let (data, stride, h) = (&c.data[..], c.stride(), c.half());
        let record = |p: PointOffset| &data[p as usize * stride..(p as usize + 1) * stride];
        let levels = &self.query.levels[..];
        // Groups of four prefetched ahead: one while the codes fit the caches; two beyond
        // (minilm-pypi-120k, 23 MB of codes, the same graph, 3 alternated runs: ef 48 median
        // 17,651 -> 18,056 QPS, ef 128 8,067 -> 8,613; on the 20k set two groups were ~1% slower).
        let ga = if data.len() <= crate::scoring::CACHED_RECORDS {
            1
        } else {
            2
        };
        for &p in points.iter().take(4 * ga) {
            sextant_core::kernels::prefetch(record(p));
        }
        let n = points.len().min(scores.len());
        let (groups, rest) = points[..n].as_chunks::<4>();
        let (outs, rest_out) = scores[..n].as_chunks_mut::<4>();
        for (g, (four, out)) in groups.iter().zip(outs).enumerate() {
            for &p in points.iter().skip(4 * (g + ga)).take(4) {
                sextant_core::kernels::prefetch(record(p));
            }
            // Arrays spelled out: `[T; 4]::map` is not always inlined, and a call per group
            // of four cost the int4 scan 7% (9.3 -> 10.0 ns/code on minilm-pypi-20k).
            let records = [
                record(four[0]),
                record(four[1]),
                record(four[2]),
                record(four[3]),
            ];
            let codes = [
                &records[0][..h],
                &records[1][..h],
                &records[2][..h],
                &records[3][..h],
            ];
            let sums = (self.kernels.nibbles.nibbles_dot_i8_x4)(codes, levels);
            for ((o, r), sum) in out.iter_mut().zip(records).zip(sums) {
                *o = self.finish(r, sum);
            }
        }
        for (o, &p) in rest_out.iter_mut().zip(rest) {
            let r = record(p);
            *o = self.finish(r, (self.kernels.nibbles.nibbles_dot_i8)(&r[..h], levels));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sextant_core::DenseVectors;

    proptest! {
        /// The score equals the decoded vector's score up to the i8 rounding of the query,
        /// and the nibbles decode to the codes the grid gives each coordinate.
        #[test]
        fn score_matches_the_decoded_vector(dim in 1usize..80, euclid: bool, raw in proptest::collection::vec(-2.0f32..2.0, 80 * 6)) {
            let distance = if euclid { Distance::Euclid } else { Distance::Dot };
            let data = DenseVectors::from_flat(dim, raw[..dim * 5].to_vec()).unwrap();
            let codec = ScalarInt4PerDim::train(&data, distance, 0.99, 3, 1).unwrap();
            let query = &raw[dim * 5..dim * 6];
            let scorer = codec.query_scorer(query).unwrap();
            for p in 0..5u32 {
                let v = data.vector(p);
                // An independent decode: each coordinate's bin, straight from the grid.
                let decoded: Vec<f32> = (0..dim)
                    .map(|i| {
                        let bin = ((v[i] - codec.lo[i]) / codec.step[i]).floor().clamp(0.0, 15.0);
                        codec.lo[i] + codec.step[i] * (bin + 0.5)
                    })
                    .collect();
                prop_assert_eq!(&codec.decode(p), &decoded);
                let dot: f32 = query.iter().zip(&decoded).map(|(a, b)| a * b).sum();
                let want = if euclid {
                    -query.iter().zip(&decoded).map(|(a, b)| (a - b) * (a - b)).sum::<f32>()
                } else {
                    dot
                };
                // Half an i8 query step per coordinate, times the largest code (15).
                let step = codec.step.iter().zip(query).map(|(s, q)| (s * q).abs()).fold(0.0, f32::max) / 127.0;
                let tol = 0.5 * step * 15.0 * dim as f32 * if euclid { 2.0 } else { 1.0 } + 1e-3;
                let got = scorer.score_point(p);
                prop_assert!((got - want).abs() <= tol, "{} vs {} (tol {})", got, want, tol);
            }
            // Batches (groups of four and a rest, repeats allowed) score as single points do.
            let points: Vec<u32> = (0..dim % 13).map(|i| (i as u32 * 3) % 5).collect();
            let mut batch = vec![f32::NAN; points.len()];
            scorer.score_points(&points, &mut batch);
            for (&p, s) in points.iter().zip(&batch) {
                prop_assert_eq!(s.to_bits(), scorer.score_point(p).to_bits());
            }
        }
    }
}
