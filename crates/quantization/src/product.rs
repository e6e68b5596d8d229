//! Product quantization: the vector split into `m` equal sub-vectors, each replaced by the
//! index of the nearest of 256 centroids learned by k-means on that sub-space; one byte per
//! sub-space. A query is scored by asymmetric distance computation (ADC): a table of the
//! query's score against every centroid of every sub-space, then one lookup per byte.
//!
//! Training: a seeded sample of at most [`PQ_TRAINING_SAMPLE`] vectors (256 per centroid, the
//! cap FAISS uses too), k-means++ seeding, then [`KMEANS_ITERATIONS`] Lloyd iterations per
//! sub-space, sub-spaces in parallel on the given threads.
//!
//! Scoring: Dot/Cosine tables hold `⟨qⱼ, cⱼₖ⟩`, Euclid `−‖qⱼ − cⱼₖ‖²`, so the sum over
//! sub-spaces is the score of the decoded vector. The table is kept on a u16 grid (integer
//! sums in four lanes, half the bytes): on minilm-pypi-20k the scan got 1.4–1.9x faster at
//! m = 48..192 with identical recall.
//!
//! The 4-bit fast-scan variant is [`ProductFastScan`](crate::ProductFastScan).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sextant_core::{DenseVectorSource, Distance, PointOffset, QueryScorer, ScoreType};

use crate::records::Records;
use crate::training::{encode_all, refuse_manhattan, training_sample_of};
use crate::{Error, Result};

/// Centroids per sub-space (one byte per code).
pub const CENTROIDS: usize = 256;

/// Vectors sampled to train the codebooks, at most: 256 per centroid. Product codebooks
/// need more than the other codecs' [`TRAINING_SAMPLE`](crate::TRAINING_SAMPLE): 256
/// centroids per sub-space from 10k vectors leave 39 points each.
pub const PQ_TRAINING_SAMPLE: usize = 256 * CENTROIDS;

/// Lloyd iterations of k-means per sub-space.
pub const KMEANS_ITERATIONS: usize = 25;

/// Product-quantized codes: `m` bytes per vector.
#[derive(Debug, Clone)]
pub struct ProductQuantizer {
    pub(crate) dim: usize,
    pub(crate) m: usize,
    pub(crate) distance: Distance,
    /// `m` codebooks of `CENTROIDS × dim/m` floats.
    pub(crate) codebooks: Vec<f32>,
    /// The same codebooks dimension-major, for encoding (derived, not stored).
    books: Vec<Transposed>,
    /// `len` records of `m` bytes.
    pub(crate) data: Records,
}

impl ProductQuantizer {
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
        let picked = training_sample_of(source, seed, PQ_TRAINING_SAMPLE)?;
        let sub = dim / m;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build()
            .map_err(|e| Error::ThreadPool(e.to_string()))?;
        let codebooks: Vec<Vec<f32>> = pool.install(|| {
            use rayon::prelude::*;
            (0..m)
                .into_par_iter()
                .map(|j| {
                    let points: Vec<f32> = picked
                        .iter()
                        .flat_map(|&p| source.vector(p)[j * sub..(j + 1) * sub].iter().copied())
                        .collect();
                    kmeans(&points, sub, CENTROIDS, seed.wrapping_add(j as u64))
                })
                .collect()
        });
        let codec = Self::with_codebooks(dim, m, distance, codebooks.concat());
        let data = encode_all(source, m, threads, |v, r| codec.encode(v, r))?;
        Ok(Self { data, ..codec })
    }

    pub(crate) fn with_codebooks(
        dim: usize,
        m: usize,
        distance: Distance,
        codebooks: Vec<f32>,
    ) -> Self {
        let sub = dim / m;
        let books = codebooks
            .chunks_exact(CENTROIDS * sub)
            .map(|b| Transposed::new(b, sub))
            .collect();
        Self {
            dim,
            m,
            distance,
            codebooks,
            books,
            data: Records::default(),
        }
    }

    pub(crate) fn check_params(distance: Distance, dim: usize, m: usize) -> Result<()> {
        crate::QuantizationConfig::Product { m }.validate()?;
        if !dim.is_multiple_of(m) {
            return Err(Error::Config(format!(
                "{m} sub-spaces do not divide dimension {dim}"
            )));
        }
        refuse_manhattan(distance, "product quantization")
    }

    pub(crate) fn stride(&self) -> usize {
        self.m
    }

    fn sub(&self) -> usize {
        self.dim / self.m
    }

    pub(crate) fn centroid(&self, j: usize, k: usize) -> &[f32] {
        let sub = self.sub();
        let at = (j * CENTROIDS + k) * sub;
        &self.codebooks[at..at + sub]
    }

    fn encode(&self, v: &[f32], record: &mut [u8]) {
        let sub = self.sub();
        for ((j, code), book) in record.iter_mut().enumerate().zip(&self.books) {
            *code = book.nearest(&v[j * sub..(j + 1) * sub]) as u8;
        }
    }

    /// Number of sub-spaces (bytes per vector).
    pub fn sub_spaces(&self) -> usize {
        self.m
    }

    /// The vector the codes of `p` stand for.
    pub fn decode(&self, p: PointOffset) -> Vec<f32> {
        self.record(p)
            .iter()
            .enumerate()
            .flat_map(|(j, &k)| self.centroid(j, k as usize).iter().copied())
            .collect()
    }

    /// An ADC scorer of stored codes against `query` (prepared here for the metric): builds
    /// the `m × 256` table once.
    pub fn query_scorer(&self, query: &[f32]) -> Result<ProductQueryScorer<'_>> {
        let mut q = query.to_vec();
        self.distance.prepare(&mut q, self.dim)?;
        let sub = self.sub();
        let mut table = vec![0f32; self.m * CENTROIDS];
        for (j, row) in table.chunks_exact_mut(CENTROIDS).enumerate() {
            let qj = &q[j * sub..(j + 1) * sub];
            for (k, t) in row.iter_mut().enumerate() {
                let c = self.centroid(j, k);
                *t = match self.distance {
                    Distance::Euclid => -qj
                        .iter()
                        .zip(c)
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum::<f32>(),
                    _ => qj.iter().zip(c).map(|(a, b)| a * b).sum(),
                };
            }
        }
        // The table on a u16 grid: per sub-space an offset (its minimum), one step for all,
        // so a score is an integer sum. Half the bytes of f32 (48 sub-spaces: 24 KiB, in L1)
        // and no chain of float adds; the rounding, at most half a step per sub-space, is
        // ~1e-5 of the table's range.
        let lows: Vec<f32> = table
            .chunks_exact(CENTROIDS)
            .map(|row| row.iter().copied().fold(f32::INFINITY, f32::min))
            .collect();
        let widest = table
            .chunks_exact(CENTROIDS)
            .zip(&lows)
            .map(|(row, lo)| row.iter().copied().fold(f32::NEG_INFINITY, f32::max) - lo)
            .fold(0f32, f32::max);
        let step = if widest > 0.0 {
            widest / f32::from(u16::MAX)
        } else {
            1.0
        };
        let mut levels = vec![0u16; table.len()];
        let rows = table.chunks_exact(CENTROIDS).zip(&lows);
        for ((row, lo), out) in rows.zip(levels.chunks_exact_mut(CENTROIDS)) {
            for (t, l) in row.iter().zip(out) {
                *l = ((t - lo) / step).round().clamp(0.0, f32::from(u16::MAX)) as u16;
            }
        }
        let offset = lows.iter().sum();
        Ok(ProductQueryScorer {
            codec: self,
            table: levels,
            offset,
            step,
        })
    }
}

crate::records::record_codec!(
    ProductQuantizer,
    "Bytes per encoded vector: one per sub-space."
);
crate::encoded::forward_encoded_vectors!(ProductQuantizer, ProductQueryScorer);

/// Equal when the stored parts are (the transposed books derive from the codebooks).
impl PartialEq for ProductQuantizer {
    fn eq(&self, other: &Self) -> bool {
        (self.dim, self.m, self.distance) == (other.dim, other.m, other.distance)
            && self.codebooks == other.codebooks
            && self.data == other.data
    }
}

/// A codebook stored dimension-major (`sub` rows of 256), so that the distances from one
/// point to all centroids are computed 256 lanes at a time: the loop vectorizes, where the
/// centroid-major loop over a few dimensions did not (the minilm recall test, which trains two
/// codecs: 23.4 s → 14.8 s).
#[derive(Debug, Clone)]
pub(crate) struct Transposed {
    t: Vec<f32>,
    /// Centroids.
    k: usize,
}

impl Transposed {
    /// `book` holds `k = book.len() / sub` centroids of `sub` floats (at most 256).
    pub(crate) fn new(book: &[f32], sub: usize) -> Self {
        let k = book.len() / sub;
        let mut t = vec![0f32; sub * k];
        for (c, centroid) in book.chunks_exact(sub).enumerate() {
            for (d, &x) in centroid.iter().enumerate() {
                t[d * k + c] = x;
            }
        }
        Self { t, k }
    }

    pub(crate) fn nearest(&self, x: &[f32]) -> usize {
        let mut dist = [0f32; CENTROIDS];
        let dist = &mut dist[..self.k];
        for (&xd, row) in x.iter().zip(self.t.chunks_exact(self.k)) {
            for (acc, &c) in dist.iter_mut().zip(row) {
                *acc += (xd - c) * (xd - c);
            }
        }
        let mut best = (f32::INFINITY, 0);
        for (c, &d) in dist.iter().enumerate() {
            if d < best.0 {
                best = (d, c);
            }
        }
        best.1
    }
}

/// k-means with k-means++ seeding on `points` (rows of `sub` floats): `k` centroids (at most
/// [`CENTROIDS`]). With fewer distinct points than centroids, the extra centroids repeat
/// points.
pub(crate) fn kmeans(points: &[f32], sub: usize, k: usize, seed: u64) -> Vec<f32> {
    let n = points.len() / sub;
    let row = |i: usize| &points[i * sub..(i + 1) * sub];
    let dist = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut centroids = Vec::with_capacity(k * sub);
    centroids.extend_from_slice(row(rng.random_range(0..n)));
    let mut nearest: Vec<f32> = (0..n).map(|i| dist(row(i), &centroids[..sub])).collect();
    while centroids.len() < k * sub {
        let total: f64 = nearest.iter().map(|&d| f64::from(d)).sum();
        let pick = if total > 0.0 {
            let mut target = rng.random::<f64>() * total;
            nearest
                .iter()
                .position(|&d| {
                    target -= f64::from(d);
                    target <= 0.0
                })
                .unwrap_or(n - 1)
        } else {
            rng.random_range(0..n)
        };
        let start = centroids.len();
        centroids.extend_from_slice(row(pick));
        for (i, d) in nearest.iter_mut().enumerate() {
            *d = d.min(dist(row(i), &centroids[start..start + sub]));
        }
    }
    let mut assignment = vec![0usize; n];
    for _ in 0..KMEANS_ITERATIONS {
        let book = Transposed::new(&centroids, sub);
        for (i, a) in assignment.iter_mut().enumerate() {
            *a = book.nearest(row(i));
        }
        let mut sums = vec![0f64; k * sub];
        let mut counts = vec![0usize; k];
        for (i, &a) in assignment.iter().enumerate() {
            counts[a] += 1;
            for (s, &x) in sums[a * sub..(a + 1) * sub].iter_mut().zip(row(i)) {
                *s += f64::from(x);
            }
        }
        for c in 0..k {
            // An empty cluster keeps its centroid.
            if counts[c] > 0 {
                for (x, s) in centroids[c * sub..(c + 1) * sub]
                    .iter_mut()
                    .zip(&sums[c * sub..(c + 1) * sub])
                {
                    *x = (s / counts[c] as f64) as f32;
                }
            }
        }
    }
    centroids
}

/// Scores stored PQ codes against one query through its table.
pub struct ProductQueryScorer<'a> {
    codec: &'a ProductQuantizer,
    /// `m` rows of 256 scores on the u16 grid: score ≈ `offset + step · Σ table`.
    table: Vec<u16>,
    offset: f32,
    step: f32,
}

impl QueryScorer for ProductQueryScorer<'_> {
    #[inline]
    fn score_point(&self, p: PointOffset) -> ScoreType {
        // LANES sub-spaces per step into as many sums, so the lookups do not wait on one
        // another.
        const LANES: usize = 4;
        let codes = self.codec.record(p);
        let (quads, rest) = codes.as_chunks::<LANES>();
        let mut acc = [0u32; LANES];
        for (c, rows) in quads.iter().zip(self.table.chunks_exact(LANES * CENTROIDS)) {
            for i in 0..LANES {
                acc[i] += u32::from(rows[i * CENTROIDS + c[i] as usize]);
            }
        }
        let tail_rows = self.table[quads.len() * LANES * CENTROIDS..].chunks_exact(CENTROIDS);
        let tail: u32 = rest
            .iter()
            .zip(tail_rows)
            .map(|(&k, row)| u32::from(row[k as usize]))
            .sum();
        self.offset + self.step * (acc.iter().sum::<u32>() + tail) as f32
    }

    fn score_points(&self, points: &[PointOffset], scores: &mut [ScoreType]) {
        for &p in points {
            sextant_core::kernels::prefetch(self.codec.record(p));
        }
        for (s, &p) in scores.iter_mut().zip(points) {
            *s = self.score_point(p);
        }
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
