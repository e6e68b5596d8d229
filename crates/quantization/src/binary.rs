//! Binary (1 bit per coordinate) codes with a 4-bit query: the sign of each coordinate around
//! the training mean, scored against a query quantized to 16 levels and split into 4 bit
//! planes (AND + popcount per plane, through the core Hamming kernel).
//!
//! The estimator. With `μ` the mean, `b` a vector's bits and `α = ‖x − μ‖₁ / D` its scale,
//! `x − μ ≈ α·(2b − 1)`, so for a query `q` (with `q − μ ≈ lo + step·d`, `d ∈ 0..16`):
//!
//! `(q − μ)·(x − μ) ≈ α·(2·(lo·|b| + step·Σⱼ 2ʲ·|pⱼ ∧ b|) − Σ(q − μ))`
//!
//! where `pⱼ` is bit plane `j` of `d` and `|·|` a popcount (`|p ∧ b| = (|p| + |b| − |p ⊕ b|) / 2`).
//! Then `q·x = (q − μ)·(x − μ) + q·μ + μ·x − μ·μ`, and for Euclid `−‖q − x‖² = 2·q·x − ‖x‖² − ‖q‖²`.
//! Stored per vector: the bits, then `α`, `μ·x`, `‖x‖²` (f32) and `|b|` (u32): `D/8 + 16`
//! bytes (rounded up to whole u64 words).

use sextant_core::{DenseVectorSource, Distance, Kernels, PointOffset, QueryScorer, ScoreType};

use crate::Result;
use crate::error::check_vector;
use crate::training::{encode_all, mean_of, training_sample};

/// Per-vector scalars after the bits.
const EXTRA_WORDS: usize = 2;

/// Binary codes of a set of vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct Binary1 {
    dim: usize,
    distance: Distance,
    mean: Vec<f32>,
    /// `len` records of `words + 2` u64: bits, then (α, μ·x) and (‖x‖², |b|) packed in pairs.
    data: Vec<u64>,
}

impl Binary1 {
    /// Takes the mean of a seeded sample of at most [`TRAINING_SAMPLE`](crate::TRAINING_SAMPLE) vectors of `source`
    /// (prepared for `distance`) and encodes all of them on `threads` threads.
    pub fn train<S>(source: &S, distance: Distance, seed: u64, threads: usize) -> Result<Self>
    where
        S: DenseVectorSource<Element = f32> + Sync,
    {
        let picked = training_sample(source, seed)?;
        let mut codec = Self {
            dim: source.dim(),
            distance,
            mean: mean_of(source, &picked),
            data: Vec::new(),
        };
        let stride = codec.stride();
        codec.data = vec![0; source.len() * stride];
        let mean = &codec.mean;
        encode_all(source, &mut codec.data, stride, threads, |v, record| {
            encode(mean, v, record)
        })?;
        Ok(codec)
    }

    fn words(&self) -> usize {
        self.dim.div_ceil(64)
    }

    fn stride(&self) -> usize {
        self.words() + EXTRA_WORDS
    }

    /// Encodes one more vector at offset `len()` (the mean stays the trained one).
    pub fn push(&mut self, vector: &[f32]) -> Result<PointOffset> {
        check_vector(vector, self.dim)?;
        let p = self.len() as PointOffset;
        let start = self.data.len();
        self.data.resize(start + self.stride(), 0);
        encode(&self.mean, vector, &mut self.data[start..]);
        Ok(p)
    }

    /// Number of encoded vectors.
    pub fn len(&self) -> usize {
        self.data.len() / self.stride()
    }

    /// True when nothing is encoded.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Dimension of the vectors.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Bytes per encoded vector: the bits in whole u64 words, plus 16 bytes of scalars.
    pub fn bytes_per_vector(&self) -> usize {
        8 * self.stride()
    }

    #[inline]
    fn record(&self, p: PointOffset) -> &[u64] {
        let s = self.stride();
        &self.data[p as usize * s..(p as usize + 1) * s]
    }

    /// A scorer of stored codes against `query` (prepared here for the metric), which is put
    /// on a 16-level grid and split into 4 bit planes.
    pub fn query_scorer(&self, query: &[f32]) -> Result<BinaryQueryScorer<'_>> {
        let mut q = query.to_vec();
        self.distance.prepare(&mut q, self.dim)?;
        let centered: Vec<f32> = q.iter().zip(&self.mean).map(|(x, m)| x - m).collect();
        let lo = centered.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = centered.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let step = if hi > lo { (hi - lo) / 15.0 } else { 1.0 };
        let words = self.words();
        let mut planes = vec![0u64; 4 * words];
        let mut plane_ones = [0u32; 4];
        for (i, &c) in centered.iter().enumerate() {
            let level = ((c - lo) / step).round().clamp(0.0, 15.0) as u32;
            for (j, ones) in plane_ones.iter_mut().enumerate() {
                if level >> j & 1 == 1 {
                    planes[j * words + i / 64] |= 1 << (i % 64);
                    *ones += 1;
                }
            }
        }
        let q_mu: f32 = q.iter().zip(&self.mean).map(|(a, b)| a * b).sum();
        let mu_mu: f32 = self.mean.iter().map(|m| m * m).sum();
        let q_q: f32 = q.iter().map(|x| x * x).sum();
        Ok(BinaryQueryScorer {
            codec: self,
            planes,
            plane_ones,
            lo,
            step,
            centered_sum: centered.iter().sum(),
            constant: q_mu - mu_mu,
            q_q,
            hamming: Kernels::best().hamming,
        })
    }
}

crate::encoded::forward_encoded_vectors!(Binary1, BinaryQueryScorer);

/// Writes the bits of `v` and its scalars into `record`.
fn encode(mean: &[f32], v: &[f32], record: &mut [u64]) {
    let words = mean.len().div_ceil(64);
    record.fill(0);
    let (mut l1, mut mu_x, mut x_x, mut ones) = (0f32, 0f32, 0f32, 0u32);
    for (i, (&x, &m)) in v.iter().zip(mean).enumerate() {
        if x > m {
            record[i / 64] |= 1 << (i % 64);
            ones += 1;
        }
        l1 += (x - m).abs();
        mu_x += m * x;
        x_x += x * x;
    }
    let alpha = l1 / mean.len() as f32;
    record[words] = u64::from(alpha.to_bits()) | u64::from(mu_x.to_bits()) << 32;
    record[words + 1] = u64::from(x_x.to_bits()) | u64::from(ones) << 32;
}

/// Scores stored binary codes against one 4-bit query.
pub struct BinaryQueryScorer<'a> {
    codec: &'a Binary1,
    /// Plane `j` of the query levels: `planes[j * words..(j + 1) * words]`.
    planes: Vec<u64>,
    plane_ones: [u32; 4],
    lo: f32,
    step: f32,
    centered_sum: f32,
    /// `q·μ − μ·μ`.
    constant: f32,
    q_q: f32,
    hamming: fn(&[u64], &[u64]) -> u32,
}

impl QueryScorer for BinaryQueryScorer<'_> {
    #[inline]
    fn score_point(&self, p: PointOffset) -> ScoreType {
        let words = self.codec.words();
        let record = self.codec.record(p);
        let bits = &record[..words];
        let alpha = f32::from_bits(record[words] as u32);
        let mu_x = f32::from_bits((record[words] >> 32) as u32);
        let x_x = f32::from_bits(record[words + 1] as u32);
        let ones = (record[words + 1] >> 32) as u32;
        let mut weighted = 0u32;
        for j in 0..4 {
            let plane = &self.planes[j * words..(j + 1) * words];
            let and = (self.plane_ones[j] + ones - (self.hamming)(plane, bits)) / 2;
            weighted += and << j;
        }
        let s = self.lo * ones as f32 + self.step * weighted as f32;
        let dot = alpha * (2.0 * s - self.centered_sum) + self.constant + mu_x;
        match self.codec.distance {
            Distance::Cosine | Distance::Dot => dot,
            Distance::Euclid => 2.0 * dot - x_x - self.q_q,
            // No L1 estimator from signs: rank by the Euclid estimate (then rescore).
            Distance::Manhattan => 2.0 * dot - x_x - self.q_q,
        }
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
    use proptest::prelude::*;
    use sextant_core::DenseVectors;

    proptest! {
        /// The bit-plane arithmetic equals the direct sum `Σ (lo + step·dᵢ)·bᵢ` it stands for,
        /// and the whole estimate equals the formula in the module docs.
        #[test]
        fn planes_compute_the_weighted_sum(dim in 1usize..200, raw in proptest::collection::vec(-2.0f32..2.0, 200 * 6)) {
            let data = DenseVectors::from_flat(dim, raw[..dim * 6].to_vec()).unwrap();
            let codec = Binary1::train(&data, Distance::Dot, 3, 1).unwrap();
            let query: Vec<f32> = raw[dim * 5..dim * 6].iter().map(|x| x * 0.7).collect();
            let scorer = codec.query_scorer(&query).unwrap();
            let centered: Vec<f32> = query.iter().zip(&codec.mean).map(|(x, m)| x - m).collect();
            for p in 0..6u32 {
                let v = data.vector(p);
                let bits: Vec<bool> = v.iter().zip(&codec.mean).map(|(x, m)| x > m).collect();
                let alpha = v.iter().zip(&codec.mean).map(|(x, m)| (x - m).abs()).sum::<f32>() / dim as f32;
                let s: f32 = centered
                    .iter()
                    .zip(&bits)
                    .filter(|(_, b)| **b)
                    .map(|(c, _)| scorer.lo + scorer.step * ((c - scorer.lo) / scorer.step).round().clamp(0.0, 15.0))
                    .sum();
                let mu_x: f32 = codec.mean.iter().zip(v).map(|(m, x)| m * x).sum();
                let want = alpha * (2.0 * s - centered.iter().sum::<f32>()) + scorer.constant + mu_x;
                let got = scorer.score_point(p);
                prop_assert!((got - want).abs() <= 1e-3 * (1.0 + want.abs()), "{} vs {}", got, want);
            }
        }
    }
}
