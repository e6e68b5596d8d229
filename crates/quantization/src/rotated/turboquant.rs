//! TurboQuant, MSE variant (Zandieh et al., ICLR 2026): a seeded random rotation, then each
//! rotated coordinate on a Lloyd-Max codebook for the standard normal (1 to 4 bits), with the
//! vector's length restored by a per-vector scale.
//!
//! Encoding a vector `x` (prepared for the metric), with `P` the [`Rotation`] and, per
//! coordinate, `μⱼ`, `σⱼ` (the mean and deviation of the rotated training sample when
//! calibrated; 0 and 1 otherwise):
//! 1. `z = (P·x − μ)/σ`, then `ẑ = z·√d/‖z‖` (coordinates ≈ N(0, 1));
//! 2. `cⱼ` = the index of the codebook level `L` nearest to `ẑⱼ`;
//! 3. length renormalization: `g = ‖z‖/‖L[c]‖`, so that `g·L[c]` has the length of `z`.
//!
//! The decoded vector is `P⁻¹·(μ + σ ⊙ g·L[c])`, and for a query `q`:
//! `q·x̂ = ⟨P·q, μ⟩ + g · Σⱼ (P·q)ⱼ·σⱼ·L[cⱼ]`. The per-coordinate calibration is folded into the
//! query (`(P·q) ⊙ σ`, what Qdrant 1.18 ships), so scoring is one kernel call: the query as
//! i8, the codebook as 16 i8 levels, codes as bit planes (`bitplanes_lut_dot_i8` in core).
//! Euclid adds the stored `‖x‖²`: `−‖q − x‖² ≈ 2·q·x̂ − ‖x‖² − ‖q‖²`.
//!
//! The codebooks are computed here (Lloyd's iterations on the normal density, integrated
//! numerically), not tabulated: 1 bit gives ±0.7979, 2 bits ±0.4528 / ±1.5104.
//!
//! Record layout: `bits` planes of `⌈d/64⌉` 64-bit words, then `g` (f32), then `‖x‖²` (f32,
//! Euclid only): `bits·⌈d/64⌉·8 + 4` bytes for Dot/Cosine, `+ 8` for Euclid.

use std::ops::Range;

use sextant_core::{PairScorer, QueryScorer};

use crate::EncodedVectors;
use crate::codec::Codec;
use crate::format::{
    CodecId, HEADER_BYTES, Header, check_records, corrupt, f32s_to_bytes, offsets_and_scales,
    read_file, records_finite, u32_at, write_file,
};
use crate::scoring::score_records;

use sextant_core::{DenseVectorSource, Distance, Kernels, PointOffset, ScoreType};

use super::rotation::Rotation;
use crate::Result;
use crate::planes::{read_codes, write_planes};
use crate::records::{Records, f32_at, f32s_finite};
use crate::scoring::{I8Query, score_from_dot};
use crate::training::{encode_all, refuse_manhattan, training_sample};

/// TurboQuant (MSE) codes of a set of vectors, `bits` (1..=4) bits per coordinate.
#[derive(Debug, Clone, PartialEq)]
pub struct TurboQuant {
    pub(crate) dim: usize,
    pub(crate) bits: u32,
    pub(crate) distance: Distance,
    pub(crate) rotation: Rotation,
    /// Per rotated coordinate: mean and deviation (0 and 1 when not calibrated).
    pub(crate) mean: Vec<f32>,
    pub(crate) scale: Vec<f32>,
    /// The Lloyd-Max levels of N(0, 1) for `bits` bits, ascending.
    levels: Vec<f32>,
    /// `len` records of `stride()` bytes.
    pub(crate) data: Records,
}

impl TurboQuant {
    /// Draws the rotation from `seed`, calibrates each rotated coordinate on a seeded sample
    /// of at most [`TRAINING_SAMPLE`](crate::CodecConfig::TRAINING_SAMPLE) vectors when `calibrated`, and
    /// encodes every vector of `source` (prepared for `distance`) on `threads` threads.
    /// Manhattan is refused: the codec estimates inner products.
    pub fn train<S>(
        source: &S,
        distance: Distance,
        bits: u32,
        calibrated: bool,
        seed: u64,
        threads: usize,
    ) -> Result<Self>
    where
        S: DenseVectorSource<Element = f32> + Sync,
    {
        Self::check_params(distance, bits)?;
        let picked = training_sample(source, seed)?;
        let dim = source.dim();
        let rotation = Rotation::new(dim, seed);
        let (mean, scale) = if calibrated {
            calibration(source, &picked, &rotation)
        } else {
            (vec![0.0; dim], vec![1.0; dim])
        };
        let mut codec = Self::with_parts(distance, bits, rotation, mean, scale);
        codec.data = encode_all(source, codec.stride(), threads, |v, r| codec.encode(v, r))?;
        Ok(codec)
    }

    pub(crate) fn check_params(distance: Distance, bits: u32) -> Result<()> {
        crate::QuantizationConfig::TurboQuant {
            bits,
            calibrated: true,
        }
        .validate()?;
        refuse_manhattan(distance, "TurboQuant")
    }

    pub(crate) fn with_parts(
        distance: Distance,
        bits: u32,
        rotation: Rotation,
        mean: Vec<f32>,
        scale: Vec<f32>,
    ) -> Self {
        Self {
            dim: rotation.dim(),
            bits,
            distance,
            rotation,
            mean,
            scale,
            levels: lloyd_max_normal(bits),
            data: Records::default(),
        }
    }

    /// True when coordinates were calibrated on the training sample.
    pub fn is_calibrated(&self) -> bool {
        self.mean.iter().any(|&m| m != 0.0) || self.scale.iter().any(|&s| s != 1.0)
    }

    pub(crate) fn words(&self) -> usize {
        self.dim.div_ceil(64)
    }

    pub(crate) fn planes_bytes(&self) -> usize {
        self.bits as usize * self.words() * 8
    }

    fn extra_bytes(&self) -> usize {
        if self.distance == Distance::Euclid {
            8
        } else {
            4
        }
    }

    /// Bits per coordinate.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// The metric scores are computed for.
    pub fn distance(&self) -> Distance {
        self.distance
    }

    /// True when the factors of record `p` are finite (a file check).
    pub(crate) fn factors_finite(&self, p: PointOffset) -> bool {
        f32s_finite(&self.record(p)[self.planes_bytes()..])
    }

    /// Coordinates `start..start + out.len()` of the rotated reconstruction of `p`,
    /// `μ + σ ⊙ g·L[c]` (inner products are the same as between the decoded vectors: the
    /// rotation is orthogonal).
    #[inline]
    pub(crate) fn decode_range(&self, p: PointOffset, start: usize, out: &mut [f32]) {
        let record = self.record(p);
        let (planes, plane_bytes) = (&record[..self.planes_bytes()], self.words() * 8);
        let g = f32_at(record, self.planes_bytes());
        let mut codes = [0u8; 64];
        for (k, chunk) in out.chunks_mut(64).enumerate() {
            let from = start + 64 * k;
            let codes = &mut codes[..chunk.len()];
            read_codes(planes, self.bits, plane_bytes, from, codes);
            let grid = self.mean[from..].iter().zip(&self.scale[from..]);
            for ((o, &c), (&m, &s)) in chunk.iter_mut().zip(codes.iter()).zip(grid) {
                *o = m + s * g * self.levels[usize::from(c)];
            }
        }
    }

    /// `⟨x̂ₐ, x̂ᵦ⟩` of two records' rotated reconstructions (the rotation keeps inner products,
    /// so this is what their pair scores need). Each record's length factor is folded into
    /// its own copy of the levels once, and the codes are read 64 coordinates at a time; going
    /// through [`decode_range`](Self::decode_range) 16 coordinates at a time cost 2.5 µs per
    /// 384-dimensional pair.
    pub(crate) fn reconstruction_dot(&self, a: PointOffset, b: PointOffset) -> f32 {
        let (ra, rb) = (self.record(a), self.record(b));
        let (planes, plane_bytes) = (self.planes_bytes(), self.words() * 8);
        let scaled = |record: &[u8]| {
            let g = f32_at(record, planes);
            let mut levels = [0f32; 16];
            for (l, &level) in levels.iter_mut().zip(&self.levels) {
                *l = g * level;
            }
            levels
        };
        let (la, lb) = (scaled(ra), scaled(rb));
        let (mut ca, mut cb) = ([0u8; 64], [0u8; 64]);
        let mut acc = [0f32; 4];
        for start in (0..self.dim).step_by(64) {
            let n = (self.dim - start).min(64);
            read_codes(&ra[..planes], self.bits, plane_bytes, start, &mut ca[..n]);
            read_codes(&rb[..planes], self.bits, plane_bytes, start, &mut cb[..n]);
            let grid = self.mean[start..start + n]
                .iter()
                .zip(&self.scale[start..start + n]);
            for (i, ((&m, &s), (&x, &y))) in grid.zip(ca.iter().zip(&cb)).enumerate() {
                let xa = m + s * la[usize::from(x & 15)];
                let xb = m + s * lb[usize::from(y & 15)];
                acc[i % 4] += xa * xb;
            }
        }
        (acc[0] + acc[1]) + (acc[2] + acc[3])
    }

    /// The vector the codes of `p` stand for: the rotated reconstruction rotated back.
    pub fn decode(&self, p: PointOffset) -> Vec<f32> {
        let mut out = vec![0.0; self.dim];
        self.decode_range(p, 0, &mut out);
        self.rotation.invert(&mut out);
        out
    }

    /// The i8 table of the levels and the value of one table step.
    fn level_table(&self) -> ([i8; 16], f32) {
        let max = self.levels.iter().fold(0f32, |m, l| m.max(l.abs()));
        let step = max / 127.0;
        let mut table = [0i8; 16];
        for (t, l) in table.iter_mut().zip(&self.levels) {
            *t = (l / step).round() as i8;
        }
        (table, step)
    }
}

/// The file layout is in [`format`](mod@crate::format).
impl Codec for TurboQuant {
    const ID: CodecId = CodecId::TurboQuant;
    type Query<'a> = TurboQuantQueryScorer<'a>;
    type Pairs<'a> = TurboQuantPairScorer<'a>;

    fn dimension(&self) -> usize {
        self.dim
    }

    /// The bit planes (whole 64-bit words), the scale `g`, and for Euclid the squared norm.
    fn stride(&self) -> usize {
        self.planes_bytes() + self.extra_bytes()
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
        let mut z = v.to_vec();
        self.rotation.apply(&mut z);
        for ((x, m), s) in z.iter_mut().zip(&self.mean).zip(&self.scale) {
            *x = (*x - m) / s;
        }
        let norm = z.iter().map(|x| x * x).sum::<f32>().sqrt();
        let unit = if norm > 0.0 {
            (self.dim as f32).sqrt() / norm
        } else {
            0.0
        };
        let mut codes = vec![0u8; self.dim];
        let mut level_norm = 0f32;
        for (c, x) in codes.iter_mut().zip(&z) {
            *c = nearest(&self.levels, x * unit);
            level_norm += self.levels[*c as usize].powi(2);
        }
        write_planes(&codes, self.bits, self.words() * 8, record);
        let g = if level_norm > 0.0 {
            norm / level_norm.sqrt()
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

    fn make_query_scorer(&self, query: &[f32]) -> Result<TurboQuantQueryScorer<'_>> {
        let mut q = query.to_vec();
        self.distance.prepare(&mut q, self.dim)?;
        let q_q: f32 = q.iter().map(|x| x * x).sum();
        self.rotation.apply(&mut q);
        let offset: f32 = q.iter().zip(&self.mean).map(|(a, m)| a * m).sum();
        let folded: Vec<f32> = q.iter().zip(&self.scale).map(|(a, s)| a * s).collect();
        let query = I8Query::new(&folded, self.words() * 64);
        let (table, table_step) = self.level_table();
        Ok(TurboQuantQueryScorer {
            codec: self,
            levels: query.levels,
            unit: query.step * table_step,
            table,
            offset,
            q_q,
            kernel: Kernels::best().bitplanes.bitplanes_lut_dot_i8,
        })
    }

    fn make_pair_scorer(&self) -> TurboQuantPairScorer<'_> {
        TurboQuantPairScorer { codec: self }
    }

    fn file_bytes(&self) -> Vec<u8> {
        let header = Header::of(Self::ID, self.distance, self.dim, self.len());
        let mut params = self.bits.to_le_bytes().to_vec();
        params.extend_from_slice(&u32::from(self.is_calibrated()).to_le_bytes());
        params.extend_from_slice(&self.rotation.seed().to_le_bytes());
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
        let (h, body) = read_file(b, Self::ID, "TurboQuant")?;
        let bits = u32_at(b, 32);
        let seed = u64::from_le_bytes(b[40..48].try_into().expect("8 bytes"));
        Self::check_params(h.distance, bits).map_err(|e| corrupt(32, e.to_string()))?;
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
        let codec = Self::with_parts(h.distance, bits, Rotation::new(d, seed), mean, scale);
        if u32_at(b, 36) != u32::from(codec.is_calibrated()) {
            return Err(corrupt(
                36,
                "the calibration flag disagrees with the calibration",
            ));
        }
        check_records(h.n, codec.stride(), &body[8 * d..], d)?;
        Ok((codec, HEADER_BYTES + 8 * d..HEADER_BYTES + body.len()))
    }

    fn check_factors(&self, at: usize) -> Result<()> {
        records_finite(self.len(), self.stride(), at, |p| self.factors_finite(p))
    }
}

/// Mean and deviation of every rotated coordinate over the sample.
fn calibration<S>(source: &S, picked: &[PointOffset], rotation: &Rotation) -> (Vec<f32>, Vec<f32>)
where
    S: DenseVectorSource<Element = f32>,
{
    let dim = source.dim();
    let (mut sum, mut sq) = (vec![0f64; dim], vec![0f64; dim]);
    let mut r = vec![0f32; dim];
    for &p in picked {
        r.copy_from_slice(source.vector(p));
        rotation.apply(&mut r);
        for ((s, q), &x) in sum.iter_mut().zip(&mut sq).zip(&r) {
            *s += f64::from(x);
            *q += f64::from(x) * f64::from(x);
        }
    }
    let n = picked.len().max(1) as f64;
    let mean: Vec<f32> = sum.iter().map(|s| (s / n) as f32).collect();
    let scale = sum
        .iter()
        .zip(&sq)
        .map(|(s, q)| {
            let var = (q / n - (s / n).powi(2)).max(0.0);
            // A constant coordinate keeps unit scale: it is all mean, nothing to quantize.
            if var > 0.0 { var.sqrt() as f32 } else { 1.0 }
        })
        .collect();
    (mean, scale)
}

/// Index of the level nearest to `x` (levels ascending).
fn nearest(levels: &[f32], x: f32) -> u8 {
    let above = levels.partition_point(|&l| l < x);
    if above == 0 {
        0
    } else if above == levels.len() || x - levels[above - 1] <= levels[above] - x {
        (above - 1) as u8
    } else {
        above as u8
    }
}

/// Lloyd-Max levels of the standard normal for `bits` (1..=4) bits, ascending, computed once
/// per process.
pub(crate) fn lloyd_max_normal(bits: u32) -> Vec<f32> {
    static BOOKS: std::sync::OnceLock<Vec<Vec<f32>>> = std::sync::OnceLock::new();
    BOOKS.get_or_init(|| (1..=4).map(lloyd_max).collect())[bits as usize - 1].clone()
}

/// Lloyd's iterations (boundaries at midpoints, levels at the conditional means) on the normal
/// density integrated over a fine grid of [−8, 8]. Prefix sums of mass and first moment make
/// each iteration a few binary searches, so it can run to convergence.
fn lloyd_max(bits: u32) -> Vec<f32> {
    const STEPS: usize = 200_000;
    let n = 1usize << bits;
    let h = 16.0 / STEPS as f64;
    let x = |i: usize| -8.0 + (i as f64 + 0.5) * h;
    let (mut mass, mut moment) = (vec![0f64; STEPS + 1], vec![0f64; STEPS + 1]);
    for i in 0..STEPS {
        let w = (-x(i) * x(i) / 2.0).exp();
        mass[i + 1] = mass[i] + w;
        moment[i + 1] = moment[i] + w * x(i);
    }
    let cell = |b: f64| (((b + 8.0) / h).round().max(0.0) as usize).min(STEPS);
    let mut levels: Vec<f64> = (0..n)
        .map(|k| -2.0 + 4.0 * (k as f64 + 0.5) / n as f64)
        .collect();
    for _ in 0..20_000 {
        let mut bounds = vec![0usize];
        bounds.extend(levels.windows(2).map(|w| cell((w[0] + w[1]) / 2.0)));
        bounds.push(STEPS);
        let mut moved = 0f64;
        for (k, l) in levels.iter_mut().enumerate() {
            let (a, b) = (bounds[k], bounds[k + 1]);
            let m = mass[b] - mass[a];
            if m > 0.0 {
                let next = (moment[b] - moment[a]) / m;
                moved = moved.max((next - *l).abs());
                *l = next;
            }
        }
        if moved < 1e-9 {
            break;
        }
    }
    levels.iter().map(|&l| l as f32).collect()
}

/// Scores stored TurboQuant codes against one i8-quantized query.
pub struct TurboQuantQueryScorer<'a> {
    codec: &'a TurboQuant,
    /// `(P·q) ⊙ σ` as i8 levels, zero-padded to whole 64-value blocks.
    levels: Vec<i8>,
    /// Query step × table step: what one unit of the kernel's sum is worth.
    unit: f32,
    table: [i8; 16],
    /// `⟨P·q, μ⟩`.
    offset: f32,
    /// `‖q‖²` (Euclid).
    q_q: f32,
    kernel: fn(&[u8], &[i8; 16], &[i8]) -> i32,
}

impl QueryScorer for TurboQuantQueryScorer<'_> {
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

impl TurboQuantQueryScorer<'_> {
    /// The score of one record.
    #[inline(always)]
    fn score_record(&self, record: &[u8]) -> ScoreType {
        let c = self.codec;
        let (planes, factors) = record.split_at(c.planes_bytes());
        let dot = self.offset
            + f32_at(factors, 0)
                * self.unit
                * (self.kernel)(planes, &self.table, &self.levels) as f32;
        score_from_dot(c.distance, dot, || f32_at(factors, 4), self.q_q)
    }
}

/// Scores stored TurboQuant codes against each other through their rotated reconstructions
/// (as the module docs say).
pub struct TurboQuantPairScorer<'a> {
    codec: &'a TurboQuant,
}

impl PairScorer for TurboQuantPairScorer<'_> {
    fn len(&self) -> usize {
        self.codec.len()
    }

    #[inline]
    fn score_pair(&self, a: PointOffset, b: PointOffset) -> ScoreType {
        let c = self.codec;
        let dot = c.reconstruction_dot(a, b);
        match c.stored_norm(a).zip(c.stored_norm(b)) {
            Some((na, nb)) => 2.0 * dot - na - nb,
            None => dot,
        }
    }

    fn score_pairs(&self, a: PointOffset, others: &[PointOffset], scores: &mut [ScoreType]) {
        let c = self.codec;
        score_records(c.records(), c.stride(), others, scores, |b, _| {
            self.score_pair(a, b)
        });
    }
}

impl TurboQuant {
    /// Euclid records end with the squared norm of the vector.
    pub(crate) fn stored_norm(&self, p: PointOffset) -> Option<f32> {
        (self.distance == Distance::Euclid).then(|| f32_at(self.record(p), self.planes_bytes() + 4))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sextant_core::DenseVectors;
    use sextant_core::QueryScorer;

    #[test]
    fn codebooks_are_the_known_lloyd_max_levels() {
        let one = lloyd_max_normal(1);
        assert!(
            (one[1] - 0.7979).abs() < 1e-3 && (one[0] + one[1]).abs() < 1e-5,
            "{one:?}"
        );
        let two = lloyd_max_normal(2);
        assert!(
            (two[2] - 0.4528).abs() < 1e-3 && (two[3] - 1.5104).abs() < 1e-3,
            "{two:?}"
        );
        let four = lloyd_max_normal(4);
        assert!((four[15] - 2.7326).abs() < 2e-3, "{four:?}");
        assert!(four.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(nearest(&two, -9.0), 0);
        assert_eq!(nearest(&two, 0.1), 2);
        assert_eq!(nearest(&two, 9.0), 3);
    }

    proptest! {
        /// The kernel's score equals the decoded vector's inner product with the query, up to
        /// the i8 rounding of query and levels.
        #[test]
        fn score_matches_the_decoded_vector(dim in 1usize..130, bits in 1u32..=4, calibrated: bool, raw in proptest::collection::vec(-2.0f32..2.0, 130 * 6)) {
            let data = DenseVectors::from_flat(dim, raw[..dim * 5].to_vec()).unwrap();
            let codec = TurboQuant::train(&data, Distance::Dot, bits, calibrated, 3, 1).unwrap();
            let query = &raw[dim * 5..dim * 6];
            let scorer = codec.query_scorer(query).unwrap();
            let (table, table_step) = codec.level_table();
            let mut q = query.to_vec();
            codec.rotation.apply(&mut q);
            for p in 0..5u32 {
                let record = codec.record(p);
                let g = f32::from_le_bytes(record[codec.planes_bytes()..][..4].try_into().unwrap());
                // Decoded in the rotated space with the i8 table the kernel uses.
                let want: f32 = (0..dim)
                    .map(|i| {
                        let c = crate::planes::read_code(record, bits, codec.words() * 8, i);
                        let x = codec.mean[i] + codec.scale[i] * g * table_step * f32::from(table[c as usize]);
                        q[i] * x
                    })
                    .sum();
                let got = scorer.score_point(p);
                let scale: f32 = (0..dim).map(|i| (q[i] * codec.scale[i] * g).abs() * 2.8).sum::<f32>();
                prop_assert!((got - want).abs() <= 0.01 * scale + 1e-4, "{} vs {}", got, want);
            }
        }
    }
}
