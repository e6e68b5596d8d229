//! Scalar codes on principal components with bits allocated per component: the vectors are
//! centred and rotated onto the principal components of a training sample, and each component
//! gets 8 bits, 4 bits or none, where it matters most to the scores queries see (the
//! `pca_plan` module says how). Dropped components decode to the mean.
//!
//! Why: at 4 bits per dimension (8x smaller than f32) a uniform 4-bit grid per original
//! dimension ([`ScalarInt4PerDim`](crate::ScalarInt4PerDim)) spends as many bits on a
//! direction the data barely varies along as on the widest one. After the rotation the
//! variance is concentrated, and bits follow it. On minilm-pypi-20k (`sextant-bench quant`,
//! 1,000 queries) raw recall@10 is 0.958 at 4 bits per dimension, against 0.950 for product
//! quantization with 192 sub-spaces and 0.936 for the per-dimension int4 codes; 0.844 at 2
//! bits (product quantization, 96 sub-spaces: 0.837).
//!
//! Where a float rescoring follows (HNSW with R = 2), raw recall matters little and the
//! per-dimension int4 codes, whose kernel is cheaper, searched at ~1.3x the QPS of these on
//! minilm-pypi-20k at recall 0.96. These codes are for when the codes alone must rank.
//!
//! Record layout, with `k = n8 + n4` kept components and `h = ⌈n4/2⌉`: `n8` codes of the 8-bit
//! group shifted to i8 (as in [`ScalarInt8PerDim`](crate::ScalarInt8PerDim)), then `h` bytes
//! of the 4-bit group packed as in the `nibbles` module (byte `b`: component `n8 + b` in
//! the low nibble, `n8 + h + b` in the high one), then for Euclid the decoded squared norm
//! (f32).
//!
//! Scoring: with `y` the centred coordinates, `rⱼ = vⱼ·q` the query's and each group's grid
//! folded into the query as the per-dimension codecs do,
//! `q·x̂ = q·μ + Σⱼ rⱼ·(loⱼ + stepⱼ·(cⱼ + ½))`: a query constant, one i16 × i8 kernel over the
//! 8-bit group and one nibble kernel over the 4-bit group. Preparing a query costs the
//! rotation, `k·d` multiply-adds.

use std::ops::Range;

use sextant_core::{PairScorer, QueryScorer};

use crate::EncodedVectors;
use crate::codec::Codec;
use crate::format::{
    CodecId, HEADER_BYTES, Header, check_records, corrupt, f32s_to_bytes, finite_f32s, read_file,
    records_finite, u32_at, write_file,
};
use crate::pairs::pair_score;
use crate::scoring::score_records;

use sextant_core::{DenseVectorSource, Distance, Kernels, PointOffset, ScoreType};

use super::nibbles::{nibble, set_nibble};
use super::pca_plan::Plan;
use crate::Result;
use crate::records::{Records, f32_at, f32s_finite};
use crate::scoring::{I8Query, I16Query, score_from_dot};
use crate::training::{encode_all, refuse_manhattan};

/// Scalar codes on principal components, 8, 4 or 0 bits each.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalarPca {
    pub(crate) dim: usize,
    pub(crate) distance: Distance,
    /// The budget trained for, in bits per dimension on average.
    pub(crate) bits: u32,
    pub(crate) plan: Plan,
    /// Per kept component, the mean's coordinate `μ·vⱼ` (derived from the plan).
    mean_along: Vec<f32>,
    /// `‖μ‖² − Σⱼ (μ·vⱼ)²` (derived from the plan).
    shared_norm: f32,
    pub(crate) data: Records,
}

impl ScalarPca {
    /// The vector the codes of `p` stand for.
    pub fn decode(&self, p: PointOffset) -> Vec<f32> {
        let mut out = vec![0.0; self.dim];
        self.decode_range(p, 0, &mut out);
        out
    }

    /// Trains on a seeded sample of at most [`TRAINING_SAMPLE`](crate::CodecConfig::TRAINING_SAMPLE)
    /// vectors of `source` (prepared for `distance`): its principal components, a grid per
    /// component and the bits each gets within `bits` bits per dimension on average (1 to 8);
    /// then encodes every vector on `threads` threads.
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
        crate::QuantizationConfig::ScalarPca { bits }.validate()?;
        refuse_manhattan(distance, "PCA scalar")?;
        let plan = super::pca_plan::train(source, bits, seed, threads)?;
        let mut codec = Self::with_plan(distance, bits, plan);
        codec.data = encode_all(source, codec.stride(), threads, |v, r| codec.encode(v, r))?;
        Ok(codec)
    }

    pub(crate) fn with_plan(distance: Distance, bits: u32, plan: Plan) -> Self {
        let dim = plan.mean.len();
        let mean_along: Vec<f32> = plan
            .basis
            .chunks_exact(dim)
            .map(|row| row.iter().zip(&plan.mean).map(|(v, m)| v * m).sum())
            .collect();
        let shared_norm = plan.mean.iter().map(|m| m * m).sum::<f32>()
            - mean_along.iter().map(|m| m * m).sum::<f32>();
        Self {
            shared_norm,
            dim,
            distance,
            bits,
            plan,
            mean_along,
            data: Records::default(),
        }
    }

    /// The budget trained for, in bits per dimension on average.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// Components kept on 8 bits and on 4 bits.
    pub fn kept(&self) -> (usize, usize) {
        (self.plan.n8, self.plan.n4)
    }

    /// Code bytes per vector: `n8 + ⌈n4/2⌉`.
    fn code_bytes(&self) -> usize {
        self.plan.n8 + self.half()
    }

    fn half(&self) -> usize {
        self.plan.n4.div_ceil(2)
    }

    /// The metric scores are computed for.
    pub fn distance(&self) -> Distance {
        self.distance
    }

    /// True when the stored squared norm of `p` (Euclid) is finite (a file check).
    pub(crate) fn factors_finite(&self, p: PointOffset) -> bool {
        f32s_finite(&self.record(p)[self.code_bytes()..])
    }

    /// The level of kept component `j` in `record`.
    #[inline]
    fn level(&self, record: &[u8], j: usize) -> u8 {
        let n8 = self.plan.n8;
        match j.checked_sub(n8) {
            None => record[j] ^ 0x80,
            Some(i) => nibble(&record[n8..self.code_bytes()], i),
        }
    }

    /// The decoded centred coordinate `ŷⱼ` of kept component `j` in `record`.
    #[inline]
    fn centred(&self, record: &[u8], j: usize) -> f32 {
        self.plan.lo[j] + self.plan.step[j] * (f32::from(self.level(record, j)) + 0.5)
    }

    /// Number of kept components.
    pub(crate) fn kept_len(&self) -> usize {
        self.plan.lo.len()
    }

    /// Coordinates `start..start + out.len()` of the vector `p` decodes to on the kept
    /// components, `vⱼ·x̂ = μ·vⱼ + ŷⱼ`.
    #[inline]
    pub(crate) fn coordinates(&self, p: PointOffset, start: usize, out: &mut [f32]) {
        let record = self.record(p);
        for (k, o) in out.iter_mut().enumerate() {
            *o = self.mean_along[start + k] + self.centred(record, start + k);
        }
    }

    /// `‖μ‖² − Σⱼ (μ·vⱼ)²`: the squared norm of the mean's part off the kept components,
    /// which every reconstruction shares (so `x̂ₐ·x̂ᵦ` is this plus the dot of their
    /// [`coordinates`](Self::coordinates)).
    pub(crate) fn shared_norm(&self) -> f32 {
        self.shared_norm
    }
}

impl ScalarPca {
    /// Coordinates `start..start + out.len()` of the vector `p` decodes to.
    pub(crate) fn decode_range(&self, p: PointOffset, start: usize, out: &mut [f32]) {
        let end = start + out.len();
        let record = self.record(p);
        out.copy_from_slice(&self.plan.mean[start..end]);
        for (j, row) in self.plan.basis.chunks_exact(self.dim).enumerate() {
            let y = self.centred(record, j);
            out.iter_mut()
                .zip(&row[start..end])
                .for_each(|(o, &v)| *o += y * v);
        }
    }
}

/// The file layout is in [`format`](mod@crate::format).
impl Codec for ScalarPca {
    const ID: CodecId = CodecId::ScalarPca;
    type Query<'a> = ScalarPcaQueryScorer<'a>;
    type Pairs<'a> = ScalarPcaPairScorer<'a>;

    fn dimension(&self) -> usize {
        self.dim
    }

    /// `n8 + ⌈n4/2⌉` codes, and for Euclid the f32 squared norm.
    fn stride(&self) -> usize {
        self.code_bytes()
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

    /// Writes the codes of `v` (and for Euclid the decoded squared norm) into the zeroed
    /// `record`.
    fn encode(&self, v: &[f32], record: &mut [u8]) {
        let (n8, dim) = (self.plan.n8, self.dim);
        let dot = Kernels::best().float.dot_f32;
        let centred: Vec<f32> = v.iter().zip(&self.plan.mean).map(|(x, m)| x - m).collect();
        let mut norm = self.plan.mean.iter().map(|m| m * m).sum::<f32>();
        for (j, row) in self.plan.basis.chunks_exact(dim).enumerate() {
            let (lo, step) = (self.plan.lo[j], self.plan.step[j]);
            let top = if j < n8 { 255.0 } else { 15.0 };
            let level = ((dot(row, &centred) - lo) / step).floor().clamp(0.0, top);
            let decoded = lo + step * (level + 0.5);
            norm += decoded * (decoded + 2.0 * self.mean_along[j]);
            let level = level as u8;
            match j.checked_sub(n8) {
                None => record[j] = level ^ 0x80,
                Some(i) => set_nibble(&mut record[n8..self.code_bytes()], i, level),
            }
        }
        if self.distance == Distance::Euclid {
            let at = self.code_bytes();
            record[at..].copy_from_slice(&norm.to_le_bytes());
        }
    }

    fn make_query_scorer(&self, query: &[f32]) -> Result<ScalarPcaQueryScorer<'_>> {
        let mut q = query.to_vec();
        self.distance.prepare(&mut q, self.dim)?;
        let kernels = Kernels::best();
        let r: Vec<f32> = self
            .plan
            .basis
            .chunks_exact(self.dim)
            .map(|row| (kernels.float.dot_f32)(row, &q))
            .collect();
        let (lo, step, n8) = (&self.plan.lo, &self.plan.step, self.plan.n8);
        let folded: Vec<f32> = r.iter().zip(step).map(|(a, s)| a * s).collect();
        // Codes of the 8-bit group are stored shifted by 128.
        let centre = |j: usize| if j < n8 { 128.5 } else { 0.5 };
        let offset = (kernels.float.dot_f32)(&q, &self.plan.mean)
            + (0..r.len())
                .map(|j| r[j] * (lo[j] + centre(j) * step[j]))
                .sum::<f32>();
        Ok(ScalarPcaQueryScorer {
            codec: self,
            wide: I16Query::new(&folded[..n8]),
            narrow: I8Query::new(&folded[n8..], 2 * self.half()),
            offset,
            q_q: q.iter().map(|x| x * x).sum(),
            kernels,
        })
    }

    fn make_pair_scorer(&self) -> ScalarPcaPairScorer<'_> {
        ScalarPcaPairScorer { codec: self }
    }

    fn file_bytes(&self) -> Vec<u8> {
        let header = Header::of(Self::ID, self.distance, self.dim, self.len());
        let p = &self.plan;
        let params: Vec<u8> = [self.bits, p.n8 as u32, p.n4 as u32]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let body = [&p.mean[..], &p.basis, &p.lo, &p.step].map(f32s_to_bytes);
        write_file(
            &header,
            &params,
            &[&body[0], &body[1], &body[2], &body[3], &self.data[..]],
        )
    }

    fn parse(b: &[u8]) -> Result<(Self, Range<usize>)> {
        let (h, body) = read_file(b, Self::ID, "PCA scalar")?;
        crate::training::refuse_manhattan(h.distance, "PCA scalar")
            .map_err(|e| corrupt(16, e.to_string()))?;
        let bits = u32_at(b, 32);
        crate::QuantizationConfig::ScalarPca { bits }
            .validate()
            .map_err(|e| corrupt(32, e.to_string()))?;
        let (d, n8, n4) = (h.dim, u32_at(b, 36) as usize, u32_at(b, 40) as usize);
        let k = n8 + n4;
        if k > d {
            return Err(corrupt(36, format!("{n8} + {n4} components kept of {d}")));
        }
        if 4 * (d as u128 + (k * d) as u128 + 2 * k as u128) > body.len() as u128 {
            return Err(corrupt(HEADER_BYTES, "the file ends inside the PCA plan"));
        }
        let mut at = 0;
        let mut floats = |count: usize, what: &str| {
            let v = finite_f32s(&body[at..], count, HEADER_BYTES + at, what);
            at += 4 * count;
            v
        };
        let mean = floats(d, "mean")?;
        let basis = floats(k * d, "components")?;
        let lo = floats(k, "grid low ends")?;
        let step = floats(k, "grid steps")?;
        if let Some(j) = step.iter().position(|&s| s <= 0.0) {
            return Err(corrupt(
                HEADER_BYTES + 4 * (d + k * d + k + j),
                "a grid step is not positive",
            ));
        }
        let plan = super::pca_plan::Plan {
            mean,
            basis,
            n8,
            n4,
            lo,
            step,
        };
        let codec = Self::with_plan(h.distance, bits, plan);
        check_records(h.n, codec.stride(), &body[at..], d)?;
        Ok((codec, HEADER_BYTES + at..HEADER_BYTES + body.len()))
    }

    fn check_factors(&self, at: usize) -> Result<()> {
        records_finite(self.len(), self.stride(), at, |p| self.factors_finite(p))
    }
}

/// Scores stored PCA scalar codes against one rotated, folded query.
pub struct ScalarPcaQueryScorer<'a> {
    codec: &'a ScalarPca,
    /// The 8-bit group's folded query on an i16 grid.
    wide: I16Query,
    /// The 4-bit group's folded query on an i8 grid (`2·⌈n4/2⌉` levels).
    narrow: I8Query,
    /// `q·μ + Σⱼ rⱼ·(loⱼ + centreⱼ·stepⱼ)`.
    offset: f32,
    q_q: f32,
    kernels: &'static Kernels,
}

impl ScalarPcaQueryScorer<'_> {
    /// The score of one record.
    #[inline(always)]
    fn score_record(&self, record: &[u8]) -> ScoreType {
        let c = self.codec;
        let n8 = c.plan.n8;
        let wide: &[i8] = bytemuck::cast_slice(&record[..n8]);
        let wide = (self.kernels.bytes.dot_i16_i8)(&self.wide.levels, wide);
        let narrow =
            (self.kernels.nibbles.nibbles_dot_i8)(&record[n8..c.code_bytes()], &self.narrow.levels);
        let dot = self.offset + self.wide.step * wide as f32 + self.narrow.step * narrow as f32;
        score_from_dot(c.distance, dot, || f32_at(record, c.code_bytes()), self.q_q)
    }
}

impl QueryScorer for ScalarPcaQueryScorer<'_> {
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

/// Scores stored PCA scalar codes against each other on the kept components (the
/// reconstructions' parts off them are the same for every vector: the mean's).
pub struct ScalarPcaPairScorer<'a> {
    codec: &'a ScalarPca,
}

impl PairScorer for ScalarPcaPairScorer<'_> {
    fn len(&self) -> usize {
        self.codec.len()
    }

    #[inline]
    fn score_pair(&self, a: PointOffset, b: PointOffset) -> ScoreType {
        let c = self.codec;
        let decode = |p, start, out: &mut [f32]| c.coordinates(p, start, out);
        // Euclid: the shared part cancels in the difference.
        let on_kept = pair_score(c.distance, c.kept_len(), decode, (a, b), None);
        match c.distance {
            Distance::Euclid => on_kept,
            _ => on_kept + c.shared_norm(),
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
    use sextant_core::{DenseVectors, PairScorer, QueryScorer};

    proptest! {
        /// The score equals the decoded vector's score up to the query grids' rounding, and
        /// pairs score as their decoded vectors do, at every budget (so with either group
        /// empty) and metric.
        #[test]
        fn scores_match_the_decoded_vectors(
            dim in 2usize..40,
            bits in 1u32..=8,
            euclid: bool,
            raw in proptest::collection::vec(-2.0f32..2.0, 40 * 31),
        ) {
            let distance = if euclid { Distance::Euclid } else { Distance::Dot };
            let data = DenseVectors::from_flat(dim, raw[..dim * 30].to_vec()).unwrap();
            let codec = ScalarPca::train(&data, distance, bits, 3, 1).unwrap();
            let (n8, n4) = codec.kept();
            prop_assert!(8 * n8 + 4 * n4 <= (bits as usize * dim).max(4));
            let query = &raw[dim * 30..dim * 31];
            let scorer = codec.query_scorer(query).unwrap();
            let pairs = codec.pair_scorer();
            let score = |a: &[f32], b: &[f32]| -> f32 {
                if euclid {
                    -a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>()
                } else {
                    a.iter().zip(b).map(|(x, y)| x * y).sum()
                }
            };
            let mut r = vec![0f32; codec.plan.lo.len()];
            for (j, row) in codec.plan.basis.chunks_exact(dim).enumerate() {
                r[j] = row.iter().zip(query).map(|(a, b)| a * b).sum();
            }
            // Half a grid step per component, times the largest level, per group.
            let wide = (0..n8).map(|j| (r[j] * codec.plan.step[j]).abs()).fold(0.0, f32::max) / 32767.0 * 0.5 * 256.0 * n8 as f32;
            let narrow = (n8..n8 + n4).map(|j| (r[j] * codec.plan.step[j]).abs()).fold(0.0, f32::max) / 127.0 * 0.5 * 16.0 * n4 as f32;
            let scale = 1.0 + raw.iter().fold(0f32, |m, v| m.max(v.abs())) * dim as f32;
            let tol = (wide + narrow) * if euclid { 2.0 } else { 1.0 } + 1e-4 * scale * scale;
            for p in 0..30u32 {
                let decoded = codec.decode(p);
                let got = scorer.score_point(p);
                let want = score(query, &decoded);
                prop_assert!((got - want).abs() <= tol, "{} vs {} (tol {})", got, want, tol);
                let other = codec.decode(0);
                let pair = pairs.score_pair(p, 0);
                let want = score(&decoded, &other);
                prop_assert!((pair - want).abs() <= 1e-4 * scale * scale, "pair {} vs {}", pair, want);
            }
            // Batches score as single points do.
            let points: Vec<u32> = (0..dim as u32 % 11).map(|i| (i * 7) % 30).collect();
            let mut batch = vec![f32::NAN; points.len()];
            scorer.score_points(&points, &mut batch);
            for (&p, s) in points.iter().zip(&batch) {
                prop_assert_eq!(s.to_bits(), scorer.score_point(p).to_bits());
            }
        }
    }
}
