//! Product quantization: the vector split into `m` equal sub-vectors, each replaced by the
//! index of the nearest of 256 centroids learned by k-means on that sub-space; one byte per
//! sub-space. A query is scored by asymmetric distance computation (ADC): a table of the
//! query's score against every centroid of every sub-space, then one lookup per byte.
//!
//! Training: a seeded sample of at most [`ProductQuantizer::TRAINING_SAMPLE`] vectors (256 per centroid, the
//! cap FAISS uses too), k-means++ seeding, then [`ProductQuantizer::KMEANS_ITERATIONS`] Lloyd iterations per
//! sub-space, sub-spaces in parallel on the given threads.
//!
//! Scoring: Dot/Cosine tables hold `⟨qⱼ, cⱼₖ⟩`, Euclid `−‖qⱼ − cⱼₖ‖²`, so the sum over
//! sub-spaces is the score of the decoded vector. The table is kept on a u16 grid (integer
//! sums in four lanes, half the bytes): on minilm-pypi-20k the scan got 1.4–1.9x faster at
//! m = 48..192 with identical recall.
//!
//! The 4-bit fast-scan variant is [`ProductFastScan`](crate::ProductFastScan).

use std::ops::Range;

use sextant_core::QueryScorer;

use crate::EncodedVectors;
use crate::codec::Codec;
use crate::format::{
    CodecId, HEADER_BYTES, Header, check_records, corrupt, f32s_to_bytes, finite_f32s, read_file,
    u32_at, write_file,
};
use crate::pairs::{ProductPairScorer, ReconstructionPairScorer, Reconstructs};

use sextant_core::{DenseVectorSource, Distance, PointOffset, ScoreType};

use super::codebooks::{Codebooks, check_sub_spaces, table_grid};
use crate::Result;
use crate::records::Records;
use crate::training::{encode_all, training_sample_of};

/// Product-quantized codes: `m` bytes per vector.
#[derive(Debug, Clone)]
pub struct ProductQuantizer {
    pub(crate) dim: usize,
    pub(crate) m: usize,
    pub(crate) distance: Distance,
    /// `m` codebooks of 256 centroids.
    pub(crate) books: Codebooks,
    /// `len` records of `m` bytes.
    pub(crate) data: Records,
}

impl ProductQuantizer {
    /// Centroids per sub-space (one byte per code).
    pub const CENTROIDS: usize = 256;

    /// Vectors sampled to train the codebooks, at most: 256 per centroid. Product codebooks
    /// need more than the other codecs' [`TRAINING_SAMPLE`](crate::CodecConfig::TRAINING_SAMPLE): 256
    /// centroids per sub-space from 10k vectors leave 39 points each.
    pub const TRAINING_SAMPLE: usize = 256 * ProductQuantizer::CENTROIDS;

    /// Lloyd iterations of k-means per sub-space.
    pub const KMEANS_ITERATIONS: usize = 25;

    /// The vector the codes of `p` stand for.
    pub fn decode(&self, p: PointOffset) -> Vec<f32> {
        let mut out = vec![0.0; self.dim];
        self.decode_range(p, 0, &mut out);
        out
    }

    /// Learns `m` codebooks on a seeded sample of `source` (prepared for `distance`) and
    /// encodes every vector, on `threads` threads. `m` must divide the dimension. Manhattan
    /// is refused (the tables hold inner products or squared distances).
    pub fn train<S>(
        source: &S,
        distance: Distance,
        m: usize,
        seed: u64,
        threads: usize,
    ) -> Result<Self>
    where
        S: DenseVectorSource<Element = f32> + Sync,
    {
        let dim = source.dim();
        Self::check_params(distance, dim, m)?;
        let picked = training_sample_of(source, seed, ProductQuantizer::TRAINING_SAMPLE)?;
        let books = Codebooks::train(
            source,
            &picked,
            m,
            ProductQuantizer::CENTROIDS,
            seed,
            threads,
        )?;
        let codec = Self::with_codebooks(dim, m, distance, books.flat);
        let data = encode_all(source, m, threads, |v, r| codec.encode(v, r))?;
        Ok(Self { data, ..codec })
    }

    pub(crate) fn with_codebooks(
        dim: usize,
        m: usize,
        distance: Distance,
        codebooks: Vec<f32>,
    ) -> Self {
        Self {
            dim,
            m,
            distance,
            books: Codebooks::from_flat(dim, m, ProductQuantizer::CENTROIDS, codebooks),
            data: Records::default(),
        }
    }

    pub(crate) fn check_params(distance: Distance, dim: usize, m: usize) -> Result<()> {
        crate::QuantizationConfig::Product { m }.validate()?;
        check_sub_spaces(distance, dim, m)
    }

    /// Number of sub-spaces (bytes per vector).
    pub fn sub_spaces(&self) -> usize {
        self.m
    }
}

impl Reconstructs for ProductQuantizer {
    fn metric(&self) -> Distance {
        self.distance
    }

    #[inline]
    fn decode_range(&self, p: PointOffset, start: usize, out: &mut [f32]) {
        let record = self.record(p);
        self.books
            .decode_range(|j| usize::from(record[j]), start, out);
    }

    /// Records hold codes only.
    fn stored_norm(&self, _p: PointOffset) -> Option<f32> {
        None
    }
}

/// The file layout is in [`format`](mod@crate::format).
impl Codec for ProductQuantizer {
    const ID: CodecId = CodecId::Product;
    type Query<'a> = ProductQueryScorer<'a>;
    type Pairs<'a> = ProductPairScorer<'a>;

    fn dimension(&self) -> usize {
        self.dim
    }

    /// One code byte per sub-space.
    fn stride(&self) -> usize {
        self.m
    }

    fn records(&self) -> &Records {
        &self.data
    }

    fn records_mut(&mut self) -> &mut Records {
        &mut self.data
    }

    fn encode(&self, v: &[f32], record: &mut [u8]) {
        self.books.encode(v, record);
    }

    fn make_query_scorer(&self, query: &[f32]) -> Result<ProductQueryScorer<'_>> {
        let mut q = query.to_vec();
        self.distance.prepare(&mut q, self.dim)?;
        // The table on a u16 grid: per sub-space an offset (its minimum), one step for all,
        // so a score is an integer sum. Half the bytes of f32 (48 sub-spaces: 24 KiB, in L1)
        // and no chain of float adds; the rounding, at most half a step per sub-space, is
        // ~1e-5 of the table's range.
        let table = self.books.table(&q, self.distance);
        let (table, offset, step) = table_grid(&table, ProductQuantizer::CENTROIDS, u16::MAX);
        Ok(ProductQueryScorer {
            codec: self,
            table,
            offset,
            step,
            batch: batch_scorer(self.m),
        })
    }

    fn make_pair_scorer(&self) -> ProductPairScorer<'_> {
        ReconstructionPairScorer::new(self)
    }

    fn file_bytes(&self) -> Vec<u8> {
        let header = Header::of(Self::ID, self.distance, self.dim, self.len());
        let params = (self.m as u32).to_le_bytes();
        write_file(
            &header,
            &params,
            &[&f32s_to_bytes(&self.books.flat), &self.data[..]],
        )
    }

    fn parse(b: &[u8]) -> Result<(Self, Range<usize>)> {
        let (h, body) = read_file(b, Self::ID, "product")?;
        let m = u32_at(b, 32) as usize;
        Self::check_params(h.distance, h.dim, m).map_err(|e| corrupt(32, e.to_string()))?;
        let floats = ProductQuantizer::CENTROIDS * h.dim;
        let codebooks = finite_f32s(body, floats, HEADER_BYTES, "codebooks")?;
        check_records(h.n, m, &body[4 * floats..], h.dim)?;
        let codec = Self::with_codebooks(h.dim, m, h.distance, codebooks);
        Ok((codec, HEADER_BYTES + 4 * floats..HEADER_BYTES + body.len()))
    }

    fn check_factors(&self, _at: usize) -> Result<()> {
        Ok(())
    }
}

/// Equal when the stored parts are (the transposed books derive from the codebooks).
impl PartialEq for ProductQuantizer {
    fn eq(&self, other: &Self) -> bool {
        (self.dim, self.m, self.distance) == (other.dim, other.m, other.distance)
            && self.books.flat == other.books.flat
            && self.data == other.data
    }
}

/// Scores stored PQ codes against one query through its table.
pub struct ProductQueryScorer<'a> {
    codec: &'a ProductQuantizer,
    /// `m` rows of 256 scores on the u16 grid: score ≈ `offset + step · Σ table`.
    table: Vec<u16>,
    offset: f32,
    step: f32,
    /// `score_points`, unrolled for this codec's `m` where one is compiled.
    batch: BatchScorer,
}

/// A batch of points scored into a slice.
type BatchScorer = fn(&ProductQueryScorer<'_>, &[PointOffset], &mut [ScoreType]);

/// The batch scorer for `m` sub-spaces: with `m` known at compile time the table sum's loop
/// unrolls whole, its lookups need no bounds checks, and the codes come eight per load. On
/// minilm-pypi-20k (all 20,000 codes in order, fastest of alternating runs) that took the
/// scan from 30.2 to 18.9 ns per code at m = 48 and from 22.7 to 11.3 at m = 24. Past
/// m = 64 the table (512 bytes per sub-space) outgrows a 32 KiB L1 and the lookups wait on
/// L2 either way: m = 96 and 192 measured no gain, so they take the loop.
fn batch_scorer(m: usize) -> BatchScorer {
    macro_rules! unrolled {
        ($($m:literal)*) => {
            match m {
                $($m => score_unrolled::<$m>,)*
                _ => score_looped,
            }
        };
    }
    unrolled!(8 16 24 32 40 48 56 64)
}

impl ProductQueryScorer<'_> {
    /// The score of a table sum.
    #[inline(always)]
    fn score_of(&self, sum: u32) -> ScoreType {
        self.offset + self.step * sum as f32
    }

    /// The table sum of one record's codes, `LANES` sub-spaces per step into as many sums so
    /// the lookups do not wait on one another.
    #[inline(always)]
    fn table_sum(&self, codes: &[u8]) -> u32 {
        const LANES: usize = 4;
        let (quads, rest) = codes.as_chunks::<LANES>();
        let mut acc = [0u32; LANES];
        for (c, rows) in quads
            .iter()
            .zip(self.table.chunks_exact(LANES * ProductQuantizer::CENTROIDS))
        {
            for i in 0..LANES {
                acc[i] += u32::from(rows[i * ProductQuantizer::CENTROIDS + c[i] as usize]);
            }
        }
        let tail_rows = self.table[quads.len() * LANES * ProductQuantizer::CENTROIDS..]
            .chunks_exact(ProductQuantizer::CENTROIDS);
        let tail: u32 = rest
            .iter()
            .zip(tail_rows)
            .map(|(&k, row)| u32::from(row[k as usize]))
            .sum();
        acc.iter().sum::<u32>() + tail
    }

    /// Starts loading the records of scattered points; a run of consecutive points streams
    /// and is left to the hardware prefetcher.
    #[inline]
    fn prefetch(&self, points: &[PointOffset]) {
        let consecutive = match (points.first(), points.last()) {
            (Some(&a), Some(&b)) => b.wrapping_sub(a) as usize == points.len() - 1,
            _ => true,
        };
        if !consecutive {
            for &p in points {
                sextant_core::kernels::prefetch(self.codec.record(p));
            }
        }
    }
}

/// `score_points` for any `m`.
fn score_looped(s: &ProductQueryScorer<'_>, points: &[PointOffset], scores: &mut [ScoreType]) {
    s.prefetch(points);
    for (score, &p) in scores.iter_mut().zip(points) {
        *score = s.score_of(s.table_sum(s.codec.record(p)));
    }
}

/// `score_points` for `M` sub-spaces (the codec's `m`, a multiple of 8).
fn score_unrolled<const M: usize>(
    s: &ProductQueryScorer<'_>,
    points: &[PointOffset],
    scores: &mut [ScoreType],
) {
    const { assert!(M.is_multiple_of(8), "eight codes per load") };
    s.prefetch(points);
    let Ok(rows) = <&[[u16; ProductQuantizer::CENTROIDS]; M]>::try_from(s.table.as_chunks().0)
    else {
        return score_looped(s, points, scores);
    };
    for (score, &p) in scores.iter_mut().zip(points) {
        // Records are `m` bytes; the fallback only keeps the types honest.
        let Ok(codes) = <&[u8; M]>::try_from(s.codec.record(p)) else {
            *score = s.score_point(p);
            continue;
        };
        let mut acc = [0u32; 4];
        for (quad, row) in codes.as_chunks::<8>().0.iter().zip(rows.as_chunks::<8>().0) {
            let word = u64::from_le_bytes(*quad);
            for i in 0..8 {
                acc[i % 4] += u32::from(row[i][(word >> (8 * i)) as u8 as usize]);
            }
        }
        *score = s.score_of(acc.iter().sum());
    }
}

impl QueryScorer for ProductQueryScorer<'_> {
    fn len(&self) -> usize {
        self.codec.len()
    }

    #[inline]
    fn score_point(&self, p: PointOffset) -> ScoreType {
        self.score_of(self.table_sum(self.codec.record(p)))
    }

    fn score_points(&self, points: &[PointOffset], scores: &mut [ScoreType]) {
        (self.batch)(self, points, scores)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sextant_core::DenseVectors;

    #[test]
    fn table_scores_are_the_decoded_vectors_scores() {
        let data = sextant_datasets::gaussian(300, 12, 4).unwrap();
        for distance in [Distance::Dot, Distance::Euclid] {
            let codec = ProductQuantizer::train(&data, distance, 4, 1, 2).unwrap();
            let query: Vec<f32> = (0..12).map(|i| i as f32 * 0.1 - 0.5).collect();
            let scorer = codec.query_scorer(&query).unwrap();
            for p in 0..300u32 {
                let x = codec.decode(p);
                let want: f32 = match distance {
                    Distance::Euclid => -query
                        .iter()
                        .zip(&x)
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum::<f32>(),
                    _ => query.iter().zip(&x).map(|(a, b)| a * b).sum(),
                };
                let got = scorer.score_point(p);
                // Up to the u16 rounding of the table: half a step (1/65535 of the widest
                // row's range) per sub-space.
                assert!(
                    (got - want).abs() <= 1e-4 * (1.0 + want.abs()),
                    "{got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn batches_score_as_single_points() {
        // m = 4 and 12 take the loop, 8 and 16 an unrolled scorer; batches in order (no
        // prefetch) and scattered.
        let data = sextant_datasets::gaussian(600, 48, 5).unwrap();
        for m in [4, 8, 12, 16] {
            let codec = ProductQuantizer::train(&data, Distance::Dot, m, 3, 2).unwrap();
            let scorer = codec.query_scorer(data.vector(7)).unwrap();
            let in_order: Vec<PointOffset> = (100..164).collect();
            let scattered: Vec<PointOffset> = (0..64).map(|i| i * 37 % 600).collect();
            for points in [&in_order, &scattered] {
                let mut scores = vec![f32::NAN; points.len()];
                scorer.score_points(points, &mut scores);
                let want: Vec<f32> = points.iter().map(|&p| scorer.score_point(p)).collect();
                assert_eq!(scores, want, "m = {m}");
            }
        }
    }

    #[test]
    fn few_points_are_reproduced_exactly() {
        // 40 points, 256 centroids per sub-space: every point is its own centroid.
        let data = sextant_datasets::gaussian(40, 6, 2).unwrap();
        let codec = ProductQuantizer::train(&data, Distance::Euclid, 3, 9, 1).unwrap();
        for p in 0..40u32 {
            assert_eq!(codec.decode(p), data.vector(p));
        }
        let one = DenseVectors::from_flat(2, vec![1.0, 2.0]).unwrap();
        let codec = ProductQuantizer::train(&one, Distance::Dot, 2, 9, 1).unwrap();
        assert_eq!(codec.decode(0), vec![1.0, 2.0]);
    }
}
