//! RaBitQ and extended RaBitQ (B = 1..8 bits per coordinate) with per-candidate error bounds.
//!
//! Encoding a vector `o` (prepared for the metric), with `c` the training mean and `P` the
//! seeded [`Rotation`]:
//! 1. `r = o − c`, and `u = P·r/‖r‖`, a unit vector whose coordinates look like N(0, 1/d).
//! 2. `u` is put on the grid `{±0.5, ±1.5, …, ±(2^(B−1) − 0.5)}·(1/t)`: `yᵢ = sign(uᵢ)·(kᵢ + ½)`
//!    with `kᵢ = min(⌊t·|uᵢ|⌋, 2^(B−1) − 1)`. The scale `t` is searched (a grid of candidates,
//!    then a finer one around the best) to maximise the cosine `⟨y, u⟩/‖y‖`. With B = 1 this
//!    is RaBitQ's sign code; more bits give extended RaBitQ. Stored as unsigned codes
//!    `cᵢ = yᵢ + (2^B − 1)/2`, one bit plane per bit, so any B uses the same kernel.
//! 3. Per vector: `a = ‖r‖/⟨y, u⟩`, `add` (`‖r‖²` for Euclid, `⟨r, c⟩` for Dot/Cosine) and two
//!    error factors (below).
//!
//! A query `q` becomes `q' = P·(q − c)`, quantized to i8 as `q' ≈ δ·e` (`δ = max|q'|/127`).
//! The estimator of `⟨r, q − c⟩` is `a·⟨y, q'⟩ = a·δ·(Σ cᵢeᵢ − (2^B − 1)/2 · Σ eᵢ)`, where
//! `Σ cᵢeᵢ` is the bit-plane kernel of `sextant-core` (it is unbiased over the random rotation:
//! RaBitQ, Gao & Long, SIGMOD 2024; extended, SIGMOD 2025). Then
//! - Dot / Cosine: `q·o ≈ a·⟨y, q'⟩ + ⟨r, c⟩ + ⟨c, q⟩`;
//! - Euclid: `−‖q − o‖² ≈ −(‖r‖² + ‖q − c‖² − 2·a·⟨y, q'⟩)`.
//!
//! Scores are on the scale of exact scores, so rescoring can compare them.
//!
//! **Error bound.** With `cos = ⟨y, u⟩/‖y‖`, the RaBitQ analysis bounds the error of the
//! inner-product estimate by `ε₀·‖r‖·‖q − c‖·√(1 − cos²)/(cos·√(d − 1))` with high
//! probability (ε₀ = 2.7 by default, measured in [`RaBitQ::BOUND_EPSILON`]). The i8 query adds a rounding error of
//! standard deviation `δ·‖y‖/√12` (times `a`), counted with the same ε₀. Both factors are kept
//! relative to `a` (so they do not depend on the data's scale) as f16 rounded up:
//! `e₁ = ‖y‖·√(1 − cos²)/√(d − 1)` and `e₂ = ‖y‖/√12`, giving the half-width
//! `ε₀·a·(‖q − c‖·e₁ + δ·e₂)`, twice that for Euclid.
//!
//! Record layout (`B·⌈d/64⌉·8 + 12` bytes): B bit planes of `⌈d/64⌉` 64-bit words (bit `i` of
//! plane `j` is bit `j` of code `cᵢ`, LSB first), then `a` (f32), `add` (f32), `e₁`, `e₂` (f16).

use std::ops::Range;

use sextant_core::{PairScorer, QueryScorer};

use crate::EncodedVectors;
use crate::codec::Codec;
use crate::format::{
    CodecId, HEADER_BYTES, Header, check_records, corrupt, f32s_to_bytes, finite_f32s, read_file,
    records_finite, u32_at, write_file,
};
use crate::scoring::score_records;

use half::f16;
use sextant_core::{DenseVectorSource, Distance, Kernels, PointOffset, ScoreType};

use super::rotation::Rotation;
use crate::Result;
use crate::planes::{read_code, write_planes};
use crate::records::{Records, f32_at};
use crate::scoring::I8Query;
use crate::training::{encode_all, mean_of, refuse_manhattan, training_sample};

/// Bytes after the bit planes: `a`, `add` (f32) and `e₁`, `e₂` (f16).
const EXTRA_BYTES: usize = 12;

/// RaBitQ codes of a set of vectors, `bits` (1..=8) bits per coordinate.
#[derive(Debug, Clone, PartialEq)]
pub struct RaBitQ {
    pub(crate) dim: usize,
    pub(crate) bits: u32,
    pub(crate) distance: Distance,
    pub(crate) centroid: Vec<f32>,
    pub(crate) rotation: Rotation,
    /// `len` records of `stride()` bytes.
    pub(crate) data: Records,
}

/// A codec score with its error bound: the true score lies in `[lower, upper]` with high
/// probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The estimated score (on the scale of exact scores).
    pub score: ScoreType,
    /// Lower end of the bound.
    pub lower: ScoreType,
    /// Upper end of the bound.
    pub upper: ScoreType,
}

impl RaBitQ {
    /// Default ε₀ of the error bound. On minilm-pypi-20k (1M query/vector pairs per bit width) the
    /// bound held for 99.42% (1 bit) to 99.99% (8 bits) of pairs at 2.7; the RaBitQ paper's 1.9
    /// held for only 94.7–99.2%, as a Gaussian error at 1.9σ would.
    pub const BOUND_EPSILON: f32 = 2.7;

    /// Trains on a seeded sample of at most [`TRAINING_SAMPLE`](crate::CodecConfig::TRAINING_SAMPLE)
    /// vectors of `source` (prepared for `distance`: normalized for Cosine): the mean becomes
    /// the centroid, `seed` also draws the rotation. Then encodes every vector on `threads`
    /// threads. Manhattan is refused: RaBitQ estimates inner products.
    pub fn train<S>(
        source: &S,
        distance: Distance,
        bits: u32,
        seed: u64,
        threads: usize,
    ) -> Result<Self>
    where
        S: DenseVectorSource<Element = f32> + Sync,
    {
        Self::check_params(distance, bits)?;
        let picked = training_sample(source, seed)?;
        let mut codec = Self::empty(
            distance,
            bits,
            mean_of(source, &picked),
            Rotation::new(source.dim(), seed),
        );
        codec.data = encode_all(source, codec.stride(), threads, |v, r| codec.encode(v, r))?;
        Ok(codec)
    }

    pub(crate) fn check_params(distance: Distance, bits: u32) -> Result<()> {
        crate::QuantizationConfig::RaBitQ { bits }.validate()?;
        refuse_manhattan(distance, "RaBitQ")
    }

    pub(crate) fn empty(
        distance: Distance,
        bits: u32,
        centroid: Vec<f32>,
        rotation: Rotation,
    ) -> Self {
        Self {
            dim: centroid.len(),
            bits,
            distance,
            centroid,
            rotation,
            data: Records::default(),
        }
    }

    /// 64-bit words per bit plane.
    pub(crate) fn words(&self) -> usize {
        self.dim.div_ceil(64)
    }

    pub(crate) fn planes_bytes(&self) -> usize {
        self.bits as usize * self.words() * 8
    }

    /// Bits per coordinate.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// The metric scores are computed for.
    pub fn distance(&self) -> Distance {
        self.distance
    }

    /// True when the factors of record `p` are usable (a file check: `a` and `add` finite,
    /// the error factors not NaN; an infinite error factor only makes the bound useless).
    pub(crate) fn factors_finite(&self, p: PointOffset) -> bool {
        let record = self.record(p);
        let at = self.planes_bytes();
        let h = |o: usize| f16::from_le_bytes(record[o..o + 2].try_into().expect("2 bytes"));
        f32_at(record, at).is_finite()
            && f32_at(record, at + 4).is_finite()
            && !h(at + 8).is_nan()
            && !h(at + 10).is_nan()
    }

    /// The vector the codes of `p` stand for in the estimator: `c + P⁻¹·(a·y)`. Its inner
    /// products with queries are the codec's estimates; its length is inflated by
    /// `1/⟨y/‖y‖, u⟩`, so use it as a query, not as a norm.
    pub fn decode(&self, p: PointOffset) -> Vec<f32> {
        let record = self.record(p);
        let (planes, plane_bytes) = (&record[..self.planes_bytes()], self.words() * 8);
        let a = f32_at(record, self.planes_bytes());
        let mid = ((1u32 << self.bits) - 1) as f32 / 2.0;
        let mut out: Vec<f32> = (0..self.dim)
            .map(|i| a * (f32::from(read_code(planes, self.bits, plane_bytes, i)) - mid))
            .collect();
        self.rotation.invert(&mut out);
        out.iter_mut()
            .zip(&self.centroid)
            .for_each(|(x, c)| *x += c);
        out
    }
}

/// The file layout is in [`format`](mod@crate::format).
impl Codec for RaBitQ {
    const ID: CodecId = CodecId::RaBitQ;
    type Query<'a> = RaBitQQueryScorer<'a>;
    type Pairs<'a> = RaBitQPairScorer<'a>;

    fn dimension(&self) -> usize {
        self.dim
    }

    /// The bit planes (whole 64-bit words) and 12 bytes of factors.
    fn stride(&self) -> usize {
        self.planes_bytes() + EXTRA_BYTES
    }

    fn records(&self) -> &Records {
        &self.data
    }

    fn records_mut(&mut self) -> &mut Records {
        &mut self.data
    }

    /// Writes the planes and factors of `v` into `record` (zeroed or not).
    fn encode(&self, v: &[f32], record: &mut [u8]) {
        record.fill(0);
        let dim = self.dim;
        let mut r: Vec<f32> = v.iter().zip(&self.centroid).map(|(x, c)| x - c).collect();
        let norm = r.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
        let add = match self.distance {
            Distance::Euclid => norm * norm,
            _ => r
                .iter()
                .zip(&self.centroid)
                .map(|(x, c)| f64::from(*x) * f64::from(*c))
                .sum(),
        };
        self.rotation.apply(&mut r);
        let mut codes = vec![0u8; dim];
        let (y_u, y_y) = if norm > 0.0 {
            quantize(&r, self.bits, &mut codes)
        } else {
            (1.0, 1.0)
        };
        write_planes(&codes, self.bits, self.words() * 8, record);
        // `u` was not normalized before quantizing (the cosine does not care), so ⟨y, u⟩ for
        // the unit vector is ⟨y, r'⟩/‖r‖.
        let y_norm = y_y.sqrt();
        let y_u = if norm > 0.0 { y_u / norm } else { 1.0 };
        let a = if norm > 0.0 { norm / y_u } else { 0.0 };
        let cos = (y_u / y_norm).min(1.0);
        let e1 = y_norm * (1.0 - cos * cos).max(0.0).sqrt() / ((dim.max(2) - 1) as f64).sqrt();
        let e2 = y_norm / 12f64.sqrt();
        let at = self.planes_bytes();
        record[at..at + 4].copy_from_slice(&(a as f32).to_le_bytes());
        record[at + 4..at + 8].copy_from_slice(&(add as f32).to_le_bytes());
        record[at + 8..at + 10].copy_from_slice(&f16_up(e1).to_le_bytes());
        record[at + 10..at + 12].copy_from_slice(&f16_up(e2).to_le_bytes());
    }

    fn make_query_scorer(&self, query: &[f32]) -> Result<RaBitQQueryScorer<'_>> {
        let mut q = query.to_vec();
        self.distance.prepare(&mut q, self.dim)?;
        let mut r: Vec<f32> = q.iter().zip(&self.centroid).map(|(x, c)| x - c).collect();
        let q_norm = r.iter().map(|x| x * x).sum::<f32>().sqrt();
        self.rotation.apply(&mut r);
        let I8Query { levels, step, sum } = I8Query::new(&r, self.words() * 64);
        let mid = ((1u32 << self.bits) - 1) as f32 / 2.0;
        let constant = match self.distance {
            Distance::Euclid => q_norm * q_norm,
            _ => q.iter().zip(&self.centroid).map(|(x, c)| x * c).sum(),
        };
        Ok(RaBitQQueryScorer {
            codec: self,
            levels,
            step,
            mid_sum: mid * sum as f32,
            q_norm,
            constant,
            epsilon: RaBitQ::BOUND_EPSILON,
            kernel: Kernels::best().bitplanes.bitplanes_dot_i8,
        })
    }

    fn make_pair_scorer(&self) -> RaBitQPairScorer<'_> {
        RaBitQPairScorer {
            codec: self,
            centroid_sq: self.centroid.iter().map(|c| c * c).sum(),
        }
    }

    fn file_bytes(&self) -> Vec<u8> {
        let header = Header::of(Self::ID, self.distance, self.dim, self.len());
        let mut params = self.bits.to_le_bytes().to_vec();
        params.resize(8, 0);
        params.extend_from_slice(&self.rotation.seed().to_le_bytes());
        write_file(
            &header,
            &params,
            &[&f32s_to_bytes(&self.centroid), &self.data[..]],
        )
    }

    fn parse(b: &[u8]) -> Result<(Self, Range<usize>)> {
        let (h, body) = read_file(b, Self::ID, "RaBitQ")?;
        let bits = u32_at(b, 32);
        let seed = u64::from_le_bytes(b[40..48].try_into().expect("8 bytes"));
        Self::check_params(h.distance, bits).map_err(|e| corrupt(32, e.to_string()))?;
        let centroid_bytes = 4 * h.dim;
        let centroid = finite_f32s(body, h.dim, HEADER_BYTES, "centroid")?;
        let codec = Self::empty(h.distance, bits, centroid, Rotation::new(h.dim, seed));
        check_records(h.n, codec.stride(), &body[centroid_bytes..], h.dim)?;
        Ok((
            codec,
            HEADER_BYTES + centroid_bytes..HEADER_BYTES + body.len(),
        ))
    }

    fn check_factors(&self, at: usize) -> Result<()> {
        records_finite(self.len(), self.stride(), at, |p| self.factors_finite(p))
    }
}

/// The smallest f16 at or above `x` (error factors must not shrink).
fn f16_up(x: f64) -> u16 {
    let h = f16::from_f64(x);
    if f64::from(h) < x {
        h.to_bits() + 1
    } else {
        h.to_bits()
    }
}

/// Puts `u` (any non-zero vector) on the B-bit grid that maximises the cosine with it; writes
/// the unsigned codes and returns `(⟨y, u⟩, ‖y‖²)` in grid units.
fn quantize(u: &[f32], bits: u32, codes: &mut [u8]) -> (f64, f64) {
    let half = 1u32 << (bits - 1);
    let top = (half - 1) as f32;
    let abs: Vec<f32> = u.iter().map(|x| x.abs()).collect();
    let max = abs.iter().copied().fold(0f32, f32::max);
    let best_t = if bits == 1 || max == 0.0 {
        0.0
    } else {
        // Scales at which the largest coordinate reaches level `top + 1`, then a finer grid
        // around the best of a coarse one.
        let full = (top + 1.0) / max;
        let coarse = full / 40.0;
        let (mut t, mut best) = (full, grid_cosine(&abs, full, top));
        for s in 1..=64 {
            let cand = coarse * s as f32;
            let c = grid_cosine(&abs, cand, top);
            if c > best {
                (t, best) = (cand, c);
            }
        }
        let centre = t;
        for s in (-15..=15).filter(|&s| s != 0) {
            let cand = centre + coarse / 16.0 * s as f32;
            if cand > 0.0 {
                let c = grid_cosine(&abs, cand, top);
                if c > best {
                    (t, best) = (cand, c);
                }
            }
        }
        t
    };
    let (mut yu, mut yy) = (0f64, 0f64);
    for ((code, &x), &ax) in codes.iter_mut().zip(u).zip(&abs) {
        let level = (best_t * ax).floor().min(top);
        let y = f64::from(level) + 0.5;
        yu += y * f64::from(ax);
        yy += y * y;
        *code = if x >= 0.0 {
            half + level as u32
        } else {
            half - 1 - level as u32
        } as u8;
    }
    (yu, yy)
}

/// The cosine between `|u|` and its grid vector at scale `t` (levels capped at `top`), with
/// eight partial sums so that the loop vectorizes (training time is dominated by this).
/// Values are non-negative, so truncating to an integer is the floor. `f32::floor` is a libm
/// call on the x86-64 baseline and a checked `as` cast does not vectorize either; the
/// unchecked cast took 4-bit training from 13k to 17k vectors/s (`sextant-bench quant`, 2
/// threads; the f32 loop with partial sums had taken it from 4.6k to 9.4k before).
fn grid_cosine(abs: &[f32], t: f32, top: f32) -> f32 {
    let level = |x: f32| {
        // `min` and `max` return the non-NaN operand, so `v` is finite and in [0, top].
        let v = (t * x).min(top).max(0.0);
        // SAFETY: `v` is finite and within [0, 127], so it fits an i32.
        let k: i32 = unsafe { v.to_int_unchecked() };
        k as f32 + 0.5
    };
    let (mut yu, mut yy) = ([0f32; 8], [0f32; 8]);
    let mut chunks = abs.chunks_exact(8);
    for chunk in &mut chunks {
        for i in 0..8 {
            let y = level(chunk[i]);
            yu[i] += y * chunk[i];
            yy[i] += y * y;
        }
    }
    for &x in chunks.remainder() {
        let y = level(x);
        yu[0] += y * x;
        yy[0] += y * y;
    }
    yu.iter().sum::<f32>() / yy.iter().sum::<f32>().sqrt()
}

/// Scores stored RaBitQ codes against one i8-quantized query.
pub struct RaBitQQueryScorer<'a> {
    codec: &'a RaBitQ,
    /// The rotated, centered query as i8 levels, zero-padded to whole 64-value blocks.
    levels: Vec<i8>,
    /// Value of one level (δ).
    step: f32,
    /// `(2^B − 1)/2 · Σ eᵢ`.
    mid_sum: f32,
    /// `‖q − c‖`.
    q_norm: f32,
    /// `‖q − c‖²` for Euclid, `⟨c, q⟩` for Dot/Cosine.
    constant: f32,
    epsilon: f32,
    kernel: fn(&[u8], &[i8]) -> i32,
}

impl RaBitQQueryScorer<'_> {
    /// The same scorer with bounds at `epsilon` instead of [`RaBitQ::BOUND_EPSILON`] (wider bounds
    /// hold more often and prune less).
    pub fn with_epsilon(mut self, epsilon: f32) -> Self {
        self.epsilon = epsilon;
        self
    }

    /// `(a·⟨y, q'⟩, a, add)` of one record, and its factors.
    #[inline(always)]
    fn parts<'r>(&self, record: &'r [u8]) -> (f32, f32, f32, &'r [u8]) {
        let at = self.codec.planes_bytes();
        let (planes, factors) = record.split_at(at);
        let a = f32_at(factors, 0);
        let dot = (self.kernel)(planes, &self.levels);
        let ip = a * self.step * (dot as f32 - self.mid_sum);
        (ip, a, f32_at(factors, 4), factors)
    }

    /// The estimated score of one record.
    #[inline(always)]
    fn score_record(&self, record: &[u8]) -> ScoreType {
        let (ip, _, add, _) = self.parts(record);
        self.combine(ip, add)
    }

    #[inline]
    fn combine(&self, ip: f32, add: f32) -> ScoreType {
        match self.codec.distance {
            Distance::Euclid => -(add + self.constant - 2.0 * ip),
            _ => ip + add + self.constant,
        }
    }

    /// The estimated score of `p` with its error bound.
    #[inline]
    pub fn estimate(&self, p: PointOffset) -> Estimate {
        let (ip, a, add, factors) = self.parts(self.codec.record(p));
        let h = |o: usize| f16::from_le_bytes(factors[o..o + 2].try_into().expect("2 bytes"));
        let (e1, e2) = (h(8).to_f32(), h(10).to_f32());
        let score = self.combine(ip, add);
        let mut half = self.epsilon * a * (self.q_norm * e1 + self.step * e2);
        if self.codec.distance == Distance::Euclid {
            half *= 2.0;
        }
        Estimate {
            score,
            lower: score - half,
            upper: score + half,
        }
    }
}

impl QueryScorer for RaBitQQueryScorer<'_> {
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

/// Scores stored RaBitQ codes against each other (the module docs say how).
pub struct RaBitQPairScorer<'a> {
    codec: &'a RaBitQ,
    /// `‖c‖²` of the centroid (Dot and Cosine).
    centroid_sq: f32,
}

/// The 64-bit words of bit plane `j` of a record (planes of `words` words each).
#[inline]
fn plane(record: &[u8], words: usize, j: usize) -> impl Iterator<Item = u64> + '_ {
    record[j * words * 8..(j + 1) * words * 8]
        .chunks_exact(8)
        .map(|w| u64::from_le_bytes(w.try_into().expect("8 bytes")))
}

impl PairScorer for RaBitQPairScorer<'_> {
    fn len(&self) -> usize {
        self.codec.len()
    }

    fn score_pair(&self, a: PointOffset, b: PointOffset) -> ScoreType {
        let c = self.codec;
        let (ra, rb) = (c.record(a), c.record(b));
        let (bits, words) = (c.bits as usize, c.words());
        // Σ cₐcᵦ, Σ cₐ and Σ cᵦ over the planes; padding coordinates have code 0.
        let (mut cc, mut ca, mut cb) = (0u64, 0u64, 0u64);
        for j in 0..bits {
            for k in 0..bits {
                let ones: u32 = plane(ra, words, j)
                    .zip(plane(rb, words, k))
                    .map(|(x, y)| (x & y).count_ones())
                    .sum();
                cc += u64::from(ones) << (j + k);
            }
            ca += u64::from(plane(ra, words, j).map(u64::count_ones).sum::<u32>()) << j;
            cb += u64::from(plane(rb, words, j).map(u64::count_ones).sum::<u32>()) << j;
        }
        // ⟨yₐ, yᵦ⟩ with y = c − mid over the d real coordinates.
        let mid = ((1u64 << bits) - 1) as f64 / 2.0;
        let yy = cc as f64 - mid * (ca + cb) as f64 + c.dim as f64 * mid * mid;
        let at = c.planes_bytes();
        let (aa, ab) = (f32_at(ra, at), f32_at(rb, at));
        let (adda, addb) = (f32_at(ra, at + 4), f32_at(rb, at + 4));
        let rr = aa * ab * yy as f32;
        match c.distance {
            // `add` is ‖r‖²: −‖oₐ − oᵦ‖² = 2⟨rₐ, rᵦ⟩ − ‖rₐ‖² − ‖rᵦ‖².
            Distance::Euclid => 2.0 * rr - adda - addb,
            // `add` is ⟨r, c⟩: oₐ·oᵦ = ⟨rₐ, rᵦ⟩ + ⟨rₐ, c⟩ + ⟨rᵦ, c⟩ + ‖c‖².
            _ => rr + adda + addb + self.centroid_sq,
        }
    }

    fn score_pairs(&self, a: PointOffset, others: &[PointOffset], scores: &mut [ScoreType]) {
        let c = self.codec;
        score_records(c.records(), c.stride(), others, scores, |b, _| {
            self.score_pair(a, b)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sextant_core::DenseVectors;

    proptest! {
        /// The codes stand for the vector they claim: the estimate equals the formula in the
        /// module docs evaluated in floats on the decoded grid vector.
        #[test]
        fn estimate_matches_the_decoded_grid(dim in 1usize..130, bits in 1u32..=8, raw in proptest::collection::vec(-2.0f32..2.0, 130 * 6)) {
            let data = DenseVectors::from_flat(dim, raw[..dim * 5].to_vec()).unwrap();
            let codec = RaBitQ::train(&data, Distance::Dot, bits, 3, 1).unwrap();
            let query = &raw[dim * 5..dim * 6];
            let scorer = codec.query_scorer(query).unwrap();
            let mid = ((1u32 << bits) - 1) as f32 / 2.0;
            for p in 0..5u32 {
                let record = codec.record(p);
                let y: Vec<f32> = (0..dim)
                    .map(|i| f32::from(crate::planes::read_code(record, bits, codec.words() * 8, i)) - mid)
                    .collect();
                let e: f32 = y.iter().zip(&scorer.levels).map(|(y, &e)| y * f32::from(e)).sum();
                let (ip, a, ..) = scorer.parts(codec.record(p));
                let want = a * scorer.step * e;
                prop_assert!((ip - want).abs() <= 1e-3 * (1.0 + want.abs()), "{} vs {}", ip, want);
            }
        }
    }

    #[test]
    fn more_bits_fit_the_direction_better() {
        let data = sextant_datasets::gaussian(200, 96, 5).unwrap();
        let mut last = 0.0;
        for bits in 1..=8 {
            let codec = RaBitQ::train(&data, Distance::Euclid, bits, 1, 1).unwrap();
            let mut r: Vec<f32> = data
                .vector(0)
                .iter()
                .zip(&codec.centroid)
                .map(|(x, c)| x - c)
                .collect();
            codec.rotation.apply(&mut r);
            let mut codes = vec![0; 96];
            let (yu, yy) = quantize(&r, bits, &mut codes);
            let norm = r.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
            let cos = yu / norm / yy.sqrt();
            assert!(cos > last, "bits {bits}: cosine {cos} after {last}");
            last = cos;
        }
        assert!(last > 0.999, "8-bit cosine {last}");
    }
}
