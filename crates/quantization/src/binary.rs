//! Binary codes around the training mean, without rotation: 1 bit (sign), 2 bits (three
//! zones) or 1.5 bits (sign, plus one magnitude bit shared by a pair of coordinates) per
//! coordinate, scored against a query on a 4- or 8-bit grid through the core bit-plane table
//! kernel.
//!
//! With `μ`, `σ` the per-coordinate mean and deviation of the training sample and
//! `z = (x − μ)/σ`, each coordinate gets a code `c` whose level `L[c]` stands for `z`:
//! - 1 bit: `z > 0`; levels −1, +1.
//! - 2 bits: `z > −t` and `z > t` (t = [`Binary::ZONE`]); levels −1, 0, +1 (the fourth code is unused).
//! - 1.5 bits: the sign, and for coordinates `i` and `i + h` (the two halves of the vector) one
//!   shared bit `(|zᵢ| + |zᵢ₊ₕ|)/2 > τ` (τ = [`Binary::PAIR_MAGNITUDE`]); levels ±[`Binary::SMALL`], ±1.
//!
//! A per-vector scale `g = ‖z‖/‖L[c]‖` restores the length, so `x̂ = μ + σ ⊙ g·L[c]` and
//! `q·x̂ = q·μ + g·Σ (qᵢσᵢ)·L[cᵢ]`: the query is folded with `σ`, put on an i8 grid of 4 bits
//! (levels −7..7) or 8 bits (−127..127), and the sum is one kernel call (two for 1.5 bits, one
//! per half, since the half-vectors share the magnitude plane). Euclid adds the stored `‖x‖²`.
//!
//! Record layout, with `w` = 64-bit words per half (1.5 bits) or per vector (1 and 2 bits):
//! - 1 bit: the sign plane, then `g` (f32);
//! - 2 bits: the `z > −t` plane, the `z > t` plane, then `g`;
//! - 1.5 bits: signs of the first half, the shared magnitude plane, signs of the second half,
//!   then `g`;
//!
//! and for Euclid `‖x‖²` (f32) last.

use std::ops::Range;

use sextant_core::QueryScorer;

use crate::EncodedVectors;
use crate::codec::Codec;
use crate::format::{
    CodecId, HEADER_BYTES, Header, check_records, corrupt, f32s_to_bytes, offsets_and_scales,
    read_file, records_finite, u32_at, write_file,
};
use crate::pairs::{BinaryPairScorer, ReconstructionPairScorer, Reconstructs};
use crate::scoring::score_records;

use sextant_core::{DenseVectorSource, Distance, Kernels, PointOffset, ScoreType};

use crate::Result;
use crate::records::{Records, f32_at, f32s_finite};
use crate::scoring::{I8Query, score_from_dot};
use crate::training::{encode_all, mean_of, refuse_manhattan, training_sample};

/// How many bits a coordinate gets. Serialized as `"one"`, `"one_and_half"` or `"two"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BinaryEncoding {
    /// The sign: 1 bit.
    One,
    /// The sign, and a magnitude bit shared by two coordinates: 1.5 bits.
    OneAndHalf,
    /// Three zones: 2 bits.
    Two,
}

impl BinaryEncoding {
    /// Stable code (files, bench names): 10, 15 or 20 tenths of a bit.
    pub fn tenths(self) -> u32 {
        match self {
            BinaryEncoding::One => 10,
            BinaryEncoding::OneAndHalf => 15,
            BinaryEncoding::Two => 20,
        }
    }

    /// The encoding of [`tenths`](Self::tenths).
    pub fn from_tenths(t: u32) -> Option<Self> {
        match t {
            10 => Some(BinaryEncoding::One),
            15 => Some(BinaryEncoding::OneAndHalf),
            20 => Some(BinaryEncoding::Two),
            _ => None,
        }
    }
}

/// Binary codes of a set of vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct Binary {
    pub(crate) dim: usize,
    pub(crate) encoding: BinaryEncoding,
    pub(crate) query_bits: u32,
    pub(crate) distance: Distance,
    pub(crate) mean: Vec<f32>,
    pub(crate) scale: Vec<f32>,
    /// `len` records of `stride()` bytes.
    pub(crate) data: Records,
}

impl Binary {
    /// Zone threshold of the 2-bit encoding, in deviations: about a third of a normal coordinate
    /// falls in each zone.
    pub const ZONE: f32 = 0.43;

    /// Threshold on the mean magnitude of a pair (in deviations) for the shared bit of 1.5 bits:
    /// the median of `(|a| + |b|)/2` for two normal coordinates.
    pub const PAIR_MAGNITUDE: f32 = 0.75;

    /// The small level of 1.5 bits, relative to the large one (both are conditional means of a
    /// normal coordinate's magnitude, below and above the pair threshold).
    pub const SMALL: f32 = 0.4;

    /// The vector the codes of `p` stand for: `μ + σ ⊙ g·L[c]`.
    pub fn decode(&self, p: PointOffset) -> Vec<f32> {
        let mut out = vec![0.0; self.dim];
        self.decode_range(p, 0, &mut out);
        out
    }

    /// Takes the per-coordinate mean and deviation of a seeded sample of at most
    /// [`TRAINING_SAMPLE`](crate::CodecConfig::TRAINING_SAMPLE) vectors of `source` (prepared for
    /// `distance`) and encodes all of them on `threads` threads. Queries go on a grid of
    /// `query_bits` (4 or 8) bits. Manhattan is refused: the codes estimate inner products.
    pub fn train<S>(
        source: &S,
        distance: Distance,
        encoding: BinaryEncoding,
        query_bits: u32,
        seed: u64,
        threads: usize,
    ) -> Result<Self>
    where
        S: DenseVectorSource<Element = f32> + Sync,
    {
        Self::check_params(distance, query_bits)?;
        let picked = training_sample(source, seed)?;
        let mean = mean_of(source, &picked);
        let mut var = vec![0f64; source.dim()];
        for &p in &picked {
            for ((v, &x), &m) in var.iter_mut().zip(source.vector(p)).zip(&mean) {
                *v += f64::from(x - m).powi(2);
            }
        }
        let scale = var
            .iter()
            .map(|v| {
                let s = (v / picked.len() as f64).sqrt() as f32;
                // A constant coordinate keeps unit scale: its codes say nothing.
                if s > 0.0 { s } else { 1.0 }
            })
            .collect();
        let mut codec = Self::with_parts(distance, encoding, query_bits, mean, scale);
        codec.data = encode_all(source, codec.stride(), threads, |v, r| codec.encode(v, r))?;
        Ok(codec)
    }

    pub(crate) fn check_params(distance: Distance, query_bits: u32) -> Result<()> {
        crate::QuantizationConfig::Binary {
            encoding: BinaryEncoding::One,
            query_bits,
        }
        .validate()?;
        refuse_manhattan(distance, "binary quantization")
    }

    pub(crate) fn with_parts(
        distance: Distance,
        encoding: BinaryEncoding,
        query_bits: u32,
        mean: Vec<f32>,
        scale: Vec<f32>,
    ) -> Self {
        Self {
            dim: mean.len(),
            encoding,
            query_bits,
            distance,
            mean,
            scale,
            data: Records::default(),
        }
    }

    /// Coordinates per kernel call, padded to whole 64-value blocks: the whole vector, or one
    /// half of it for 1.5 bits.
    pub(crate) fn span(&self) -> usize {
        match self.encoding {
            BinaryEncoding::OneAndHalf => self.dim.div_ceil(128) * 64,
            _ => self.dim.div_ceil(64) * 64,
        }
    }

    pub(crate) fn planes_bytes(&self) -> usize {
        let planes = match self.encoding {
            BinaryEncoding::One => 1,
            BinaryEncoding::Two => 2,
            BinaryEncoding::OneAndHalf => 3,
        };
        planes * self.span() / 8
    }

    /// The encoding.
    pub fn encoding(&self) -> BinaryEncoding {
        self.encoding
    }

    /// True when the factors of record `p` are finite (a file check).
    pub(crate) fn factors_finite(&self, p: PointOffset) -> bool {
        f32s_finite(&self.record(p)[self.planes_bytes()..])
    }

    /// The level of coordinate `i` in `record` (in units of the largest level), with `small`
    /// the small level of 1.5 bits.
    pub(crate) fn level(&self, record: &[u8], i: usize, small: f32) -> f32 {
        let bit = |byte: usize, i: usize| record[byte + i / 8] >> (i % 8) & 1 == 1;
        let sign = |b: bool| if b { 1.0 } else { -1.0 };
        let plane = self.span() / 8;
        match self.encoding {
            BinaryEncoding::One => sign(bit(0, i)),
            BinaryEncoding::Two => match (bit(0, i), bit(plane, i)) {
                (false, _) => -1.0,
                (true, false) => 0.0,
                (true, true) => 1.0,
            },
            BinaryEncoding::OneAndHalf => {
                let h = self.span();
                let (pair, sign_at) = if i < h { (i, 0) } else { (i - h, 2 * plane) };
                let magnitude = if bit(plane, pair) { 1.0 } else { small };
                sign(bit(sign_at, pair)) * magnitude
            }
        }
    }

    /// The level tables (i8, in units of `1/127` of the largest level): one for the whole
    /// vector, or for 1.5 bits one per half (the planes of the second half come in the other
    /// order: magnitude, then sign).
    fn tables(&self) -> [[i8; 16]; 2] {
        let mut first = [0i8; 16];
        let mut second = [0i8; 16];
        match self.encoding {
            BinaryEncoding::One => first[..2].copy_from_slice(&[-127, 127]),
            // Codes 0 (z ≤ −t), 1 (−t < z ≤ t), 3 (z > t); 2 never occurs.
            BinaryEncoding::Two => first[..4].copy_from_slice(&[-127, 0, 0, 127]),
            BinaryEncoding::OneAndHalf => {
                let small = (Binary::SMALL * 127.0).round() as i8;
                // First half: code = sign + 2·magnitude.
                first[..4].copy_from_slice(&[-small, small, -127, 127]);
                // Second half: code = magnitude + 2·sign.
                second[..4].copy_from_slice(&[-small, -127, small, 127]);
            }
        }
        [first, second]
    }
}

impl Reconstructs for Binary {
    fn metric(&self) -> Distance {
        self.distance
    }

    #[inline]
    fn decode_range(&self, p: PointOffset, start: usize, out: &mut [f32]) {
        let record = self.record(p);
        let g = f32_at(record, self.planes_bytes());
        for (k, o) in out.iter_mut().enumerate() {
            let i = start + k;
            *o = self.mean[i] + self.scale[i] * g * self.level(record, i, Binary::SMALL);
        }
    }

    /// Euclid records end with the squared norm of the vector.
    fn stored_norm(&self, p: PointOffset) -> Option<f32> {
        (self.distance == Distance::Euclid).then(|| f32_at(self.record(p), self.planes_bytes() + 4))
    }
}

/// The file layout is in [`format`](mod@crate::format).
impl Codec for Binary {
    const ID: CodecId = CodecId::Binary;
    type Query<'a> = BinaryQueryScorer<'a>;
    type Pairs<'a> = BinaryPairScorer<'a>;

    fn dimension(&self) -> usize {
        self.dim
    }

    /// The planes (whole 64-bit words), the scale `g`, and for Euclid the squared norm.
    fn stride(&self) -> usize {
        self.planes_bytes()
            + if self.distance == Distance::Euclid {
                8
            } else {
                4
            }
    }

    fn records(&self) -> &Records {
        &self.data
    }

    fn records_mut(&mut self) -> &mut Records {
        &mut self.data
    }

    /// Writes the planes and factors of `v` into the zeroed `record`.
    fn encode(&self, v: &[f32], record: &mut [u8]) {
        record.fill(0);
        let z: Vec<f32> = v
            .iter()
            .zip(&self.mean)
            .zip(&self.scale)
            .map(|((x, m), s)| (x - m) / s)
            .collect();
        let mut set = |byte: usize, i: usize| record[byte + i / 8] |= 1 << (i % 8);
        let mut level_sq = 0f32;
        match self.encoding {
            BinaryEncoding::One => {
                for (i, &x) in z.iter().enumerate() {
                    if x > 0.0 {
                        set(0, i);
                    }
                    level_sq += 1.0;
                }
            }
            BinaryEncoding::Two => {
                let plane = self.span() / 8;
                for (i, &x) in z.iter().enumerate() {
                    if x > -Binary::ZONE {
                        set(0, i);
                    }
                    if x > Binary::ZONE {
                        set(plane, i);
                    }
                    // Outer zones are ±1, the middle one 0.
                    if x > Binary::ZONE || x <= -Binary::ZONE {
                        level_sq += 1.0;
                    }
                }
            }
            BinaryEncoding::OneAndHalf => {
                let h = self.span();
                let plane = h / 8;
                for i in 0..h.min(self.dim) {
                    let (a, b) = (z[i], z.get(i + h).copied().unwrap_or(0.0));
                    let large = (a.abs() + b.abs()) / 2.0 > Binary::PAIR_MAGNITUDE;
                    if large {
                        set(plane, i);
                    }
                    let level = if large { 1.0 } else { Binary::SMALL };
                    if a > 0.0 {
                        set(0, i);
                    }
                    level_sq += level * level;
                    if i + h < self.dim {
                        if b > 0.0 {
                            set(2 * plane, i);
                        }
                        level_sq += level * level;
                    }
                }
            }
        }
        let norm = z.iter().map(|x| x * x).sum::<f32>().sqrt();
        let g = if level_sq > 0.0 {
            norm / level_sq.sqrt()
        } else {
            0.0
        };
        let at = self.planes_bytes();
        record[at..at + 4].copy_from_slice(&g.to_le_bytes());
        if self.distance == Distance::Euclid {
            let sq: f32 = v.iter().map(|x| x * x).sum();
            record[at + 4..at + 8].copy_from_slice(&sq.to_le_bytes());
        }
    }

    fn make_query_scorer(&self, query: &[f32]) -> Result<BinaryQueryScorer<'_>> {
        let mut q = query.to_vec();
        self.distance.prepare(&mut q, self.dim)?;
        let q_q: f32 = q.iter().map(|x| x * x).sum();
        let offset: f32 = q.iter().zip(&self.mean).map(|(a, m)| a * m).sum();
        let folded: Vec<f32> = q.iter().zip(&self.scale).map(|(a, s)| a * s).collect();
        let max_level = if self.query_bits == 4 { 7 } else { 127 };
        let span = self.span();
        let padded = if self.encoding == BinaryEncoding::OneAndHalf {
            2 * span
        } else {
            span
        };
        let query = I8Query::with_levels(&folded, padded, max_level);
        Ok(BinaryQueryScorer {
            codec: self,
            levels: query.levels,
            unit: query.step / 127.0,
            tables: self.tables(),
            offset,
            q_q,
            kernel: Kernels::best().bitplanes.bitplanes_lut_dot_i8,
        })
    }

    fn make_pair_scorer(&self) -> BinaryPairScorer<'_> {
        ReconstructionPairScorer::new(self)
    }

    fn file_bytes(&self) -> Vec<u8> {
        let header = Header::of(Self::ID, self.distance, self.dim, self.len());
        let mut params = self.encoding.tenths().to_le_bytes().to_vec();
        params.extend_from_slice(&self.query_bits.to_le_bytes());
        write_file(
            &header,
            &params,
            &[
                &f32s_to_bytes(&self.mean),
                &f32s_to_bytes(&self.scale),
                &self.data[..],
            ],
        )
    }

    fn parse(b: &[u8]) -> Result<(Self, Range<usize>)> {
        let (h, body) = read_file(b, Self::ID, "binary")?;
        let encoding = BinaryEncoding::from_tenths(u32_at(b, 32))
            .ok_or_else(|| corrupt(32, format!("unknown binary encoding {}", u32_at(b, 32))))?;
        let query_bits = u32_at(b, 36);
        Self::check_params(h.distance, query_bits).map_err(|e| corrupt(36, e.to_string()))?;
        let d = h.dim;
        let (mean, scale) = offsets_and_scales(
            body,
            d,
            [
                "coordinate means",
                "coordinate deviations",
                "coordinate deviation",
            ],
        )?;
        let codec = Self::with_parts(h.distance, encoding, query_bits, mean, scale);
        check_records(h.n, codec.stride(), &body[8 * d..], d)?;
        Ok((codec, HEADER_BYTES + 8 * d..HEADER_BYTES + body.len()))
    }

    fn check_factors(&self, at: usize) -> Result<()> {
        records_finite(self.len(), self.stride(), at, |p| self.factors_finite(p))
    }
}

/// Scores stored binary codes against one query on a 4- or 8-bit grid.
pub struct BinaryQueryScorer<'a> {
    codec: &'a Binary,
    /// `q ⊙ σ` as i8 levels, zero-padded (per half for 1.5 bits).
    levels: Vec<i8>,
    /// Query step × table step.
    unit: f32,
    tables: [[i8; 16]; 2],
    /// `⟨q, μ⟩`.
    offset: f32,
    /// `‖q‖²` (Euclid).
    q_q: f32,
    kernel: fn(&[u8], &[i8; 16], &[i8]) -> i32,
}

impl QueryScorer for BinaryQueryScorer<'_> {
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

impl BinaryQueryScorer<'_> {
    /// The score of one record.
    #[inline(always)]
    fn score_record(&self, record: &[u8]) -> ScoreType {
        let c = self.codec;
        let (planes, factors) = record.split_at(c.planes_bytes());
        let sum = match c.encoding {
            BinaryEncoding::OneAndHalf => {
                let (h, plane) = (c.span(), c.span() / 8);
                (self.kernel)(&planes[..2 * plane], &self.tables[0], &self.levels[..h])
                    + (self.kernel)(&planes[plane..], &self.tables[1], &self.levels[h..])
            }
            _ => (self.kernel)(planes, &self.tables[0], &self.levels),
        };
        let dot = self.offset + f32_at(factors, 0) * self.unit * sum as f32;
        score_from_dot(c.distance, dot, || f32_at(factors, 4), self.q_q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sextant_core::DenseVectors;
    use sextant_core::QueryScorer;

    /// The level of coordinate `i` as the kernel tables hold it (the small level rounded to
    /// the i8 grid).
    fn level(codec: &Binary, record: &[u8], i: usize) -> f32 {
        codec.level(record, i, (Binary::SMALL * 127.0).round() / 127.0)
    }

    proptest! {
        /// The kernel's score equals the decoded vector's inner product with the query on the
        /// i8 grid, for every encoding and both query grids.
        #[test]
        fn score_matches_the_decoded_vector(dim in 1usize..200, enc in 0usize..3, eight: bool, raw in proptest::collection::vec(-2.0f32..2.0, 200 * 6)) {
            let encoding = [BinaryEncoding::One, BinaryEncoding::OneAndHalf, BinaryEncoding::Two][enc];
            let data = DenseVectors::from_flat(dim, raw[..dim * 5].to_vec()).unwrap();
            let codec = Binary::train(&data, Distance::Dot, encoding, if eight { 8 } else { 4 }, 3, 1).unwrap();
            let query = &raw[dim * 5..dim * 6];
            let scorer = codec.query_scorer(query).unwrap();
            for p in 0..5u32 {
                let record = codec.record(p);
                let g = f32::from_le_bytes(record[codec.planes_bytes()..][..4].try_into().unwrap());
                let want: f32 = scorer.offset + (0..dim)
                    .map(|i| {
                        let q = f32::from(scorer.levels[i]) * scorer.unit * 127.0;
                        q * g * level(&codec, record, i)
                    })
                    .sum::<f32>();
                let got = scorer.score_point(p);
                prop_assert!((got - want).abs() <= 1e-3 * (1.0 + want.abs()), "{} vs {}", got, want);
            }
        }
    }
}
