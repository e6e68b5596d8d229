//! Pair scorers (stored code against stored code, for graph builds that keep no floats).
//!
//! Codecs whose records decode to an explicit reconstruction `x̂` (per-dimension int8 and int4,
//! product quantization, its fast-scan layout and binary in the original space; TurboQuant in
//! the rotated space, which keeps inner products): a pair scores `x̂ₐ·x̂ᵦ` (Dot and Cosine),
//! decoding both records 16 coordinates at a time into registers (TurboQuant 64 at a time,
//! with each record's length folded into its levels once). Euclid scores `2·x̂ₐ·x̂ᵦ − ‖xₐ‖² − ‖xᵦ‖²`
//! where the record stores the squared norm (as the query scorers do), and `−‖x̂ₐ − x̂ᵦ‖²`
//! where it does not (product quantization). Cosine scores the inner product of the
//! reconstructions as they are: their norms are close to 1, not renormalized.
//!
//! RaBitQ: the asymmetric estimator reads `⟨r, v⟩ ≈ a·⟨y, P·v⟩` for any vector `v`; with the
//! other record standing in for `P·v` it becomes `⟨rₐ, rᵦ⟩ ≈ aₐ·aᵦ·⟨yₐ, yᵦ⟩`, and the sum of
//! code products is taken on the bit planes with AND and popcount (`B²` plane pairs), exact in
//! integers. The centroid terms the records keep (`⟨r, c⟩`, or `‖r‖²` for Euclid) finish the
//! score as the query scorer's constant does.

use sextant_core::{Distance, PairScorer, PointOffset, ScoreType};

use crate::codec::Codec;
use crate::scoring::score_records;
use crate::{Binary, ProductQuantizer, ScalarInt4PerDim, ScalarInt8PerDim};

/// Coordinates decoded per step: both reconstructions are decoded 16 at a time into small
/// arrays and multiplied lane by lane, which the compiler vectorizes (a coordinate-by-
/// coordinate iterator made graph builds on codes 3.5x slower than on floats).
const LANES: usize = 16;

/// The pair score of `a` and `b` from their reconstructions (`decode(p, start, out)` writes
/// coordinates `start..start + out.len()` of `p`), with the stored squared norms of both when
/// the records have them.
#[inline]
pub(crate) fn pair_score(
    distance: Distance,
    dim: usize,
    decode: impl Fn(PointOffset, usize, &mut [f32]),
    (a, b): (PointOffset, PointOffset),
    norms: Option<(f32, f32)>,
) -> ScoreType {
    let euclid_of_codes = distance == Distance::Euclid && norms.is_none();
    let mut acc = [0f32; LANES];
    let (mut xa, mut xb) = ([0f32; LANES], [0f32; LANES]);
    for start in (0..dim).step_by(LANES) {
        let n = (dim - start).min(LANES);
        decode(a, start, &mut xa[..n]);
        decode(b, start, &mut xb[..n]);
        if n < LANES {
            xa[n..].fill(0.0);
            xb[n..].fill(0.0);
        }
        for ((s, x), y) in acc.iter_mut().zip(&xa).zip(&xb) {
            *s += if euclid_of_codes {
                (x - y) * (x - y)
            } else {
                x * y
            };
        }
    }
    let sum: f32 = acc.iter().sum();
    match (distance, norms) {
        (Distance::Euclid, Some((na, nb))) => 2.0 * sum - na - nb,
        (Distance::Euclid, None) => -sum,
        _ => sum,
    }
}

/// A codec whose records decode to an explicit reconstruction (the pair scorers of
/// per-dimension int8 and int4, product quantization and binary are this one generic type).
pub trait Reconstructs: Codec + Sync {
    /// The metric the codes are scored for.
    fn metric(&self) -> Distance;

    /// Coordinates `start..start + out.len()` of the vector `p` decodes to.
    fn decode_range(&self, p: PointOffset, start: usize, out: &mut [f32]);

    /// The squared norm a Euclid record stores, when the codec stores one.
    fn stored_norm(&self, p: PointOffset) -> Option<f32>;
}

/// Scores stored codes against each other through their reconstructions (the module docs
/// say how).
pub struct ReconstructionPairScorer<'a, C> {
    codec: &'a C,
}

impl<'a, C> ReconstructionPairScorer<'a, C> {
    pub(crate) fn new(codec: &'a C) -> Self {
        Self { codec }
    }
}

impl<C: Reconstructs> PairScorer for ReconstructionPairScorer<'_, C> {
    fn len(&self) -> usize {
        self.codec.count()
    }

    #[inline]
    fn score_pair(&self, a: PointOffset, b: PointOffset) -> ScoreType {
        let c = self.codec;
        let norms = c.stored_norm(a).zip(c.stored_norm(b));
        let decode = |p, start, out: &mut [f32]| c.decode_range(p, start, out);
        pair_score(c.metric(), c.dimension(), decode, (a, b), norms)
    }

    fn score_pairs(&self, a: PointOffset, others: &[PointOffset], scores: &mut [ScoreType]) {
        let c = self.codec;
        score_records(c.records(), c.stride(), others, scores, |b, _| {
            self.score_pair(a, b)
        });
    }
}

/// Scores stored per-dimension int8 codes against each other through their reconstructions.
pub type ScalarPerDimPairScorer<'a> = ReconstructionPairScorer<'a, ScalarInt8PerDim>;
/// Scores stored per-dimension int4 codes against each other through their reconstructions.
pub type ScalarInt4PairScorer<'a> = ReconstructionPairScorer<'a, ScalarInt4PerDim>;
/// Scores stored product-quantized codes against each other through their reconstructions.
pub type ProductPairScorer<'a> = ReconstructionPairScorer<'a, ProductQuantizer>;
/// Scores stored binary codes against each other through their reconstructions.
pub type BinaryPairScorer<'a> = ReconstructionPairScorer<'a, Binary>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::f32_at;
    use crate::{BinaryEncoding, EncodedVectors, RaBitQ, TurboQuant};
    use proptest::prelude::*;
    use sextant_core::{DenseVectors, QueryScorer};

    /// A pair score must match scoring `b` against `a`'s reconstruction used as a query,
    /// within the query scorer's own rounding; where Euclid records store `‖xₐ‖²`, the pair
    /// takes it in place of the query's `‖x̂ₐ‖²`.
    fn check<C>(
        codec: &C,
        pair: &dyn PairScorer,
        decoded: impl Fn(PointOffset) -> Vec<f32>,
        stored_norm: impl Fn(PointOffset) -> Option<f32>,
        n: u32,
        tolerance: f32,
    ) -> std::result::Result<(), TestCaseError>
    where
        C: crate::EncodedVectors,
    {
        let mut batch = vec![0.0; n as usize];
        let others: Vec<u32> = (0..n).collect();
        for a in 0..n {
            let xa = decoded(a);
            let query = codec.query_scorer(&xa).unwrap();
            let fix = stored_norm(a).map_or(0.0, |n| xa.iter().map(|x| x * x).sum::<f32>() - n);
            pair.score_pairs(a, &others, &mut batch);
            for b in 0..n {
                let (got, want) = (pair.score_pair(a, b), query.score_point(b) + fix);
                prop_assert_eq!(got.to_bits(), batch[b as usize].to_bits());
                // Rounding in the query scorer scales with the terms, not with their sum.
                let terms: f32 = xa
                    .iter()
                    .zip(decoded(b))
                    .map(|(x, y)| (x * y).abs() + (x - y) * (x - y))
                    .sum();
                prop_assert!(
                    (got - want).abs() <= tolerance * (1.0 + want.abs() + terms),
                    "pair ({}, {}): {} vs query on the reconstruction {}",
                    a,
                    b,
                    got,
                    want
                );
            }
        }
        Ok(())
    }

    fn data(dim: usize, n: usize, raw: &[f32]) -> DenseVectors<f32> {
        DenseVectors::from_flat(dim, raw[..n * dim].to_vec()).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn sq8d_pairs_score_the_reconstructions(dim in 1usize..40, euclid: bool, raw in proptest::collection::vec(-2.0f32..2.0, 40 * 6)) {
            let distance = if euclid { Distance::Euclid } else { Distance::Dot };
            let codec = ScalarInt8PerDim::train(&data(dim, 6, &raw), distance, 1.0, 1, 1).unwrap();
            // Bin centres, decoded here independently of the codec.
            let decoded = |p: u32| {
                let codes = &codec.record(p)[..dim];
                codes.iter().zip(&codec.lo).zip(&codec.step).map(|((&c, lo), s)| lo + s * (f32::from(c ^ 0x80) + 0.5)).collect::<Vec<f32>>()
            };
            prop_assert_eq!(codec.decode(0), decoded(0));
            check(&codec, &codec.pair_scorer(), decoded, |p| codec.stored_norm(p), 6, 1e-3)?;
        }

        #[test]
        fn sq4d_pairs_score_the_reconstructions(dim in 1usize..70, euclid: bool, raw in proptest::collection::vec(-2.0f32..2.0, 70 * 6)) {
            let distance = if euclid { Distance::Euclid } else { Distance::Dot };
            let codec = ScalarInt4PerDim::train(&data(dim, 6, &raw), distance, 0.99, 1, 1).unwrap();
            // Against the f32 products of the reconstructions (the i8 query grid of the
            // int4 query scorer is too coarse a reference).
            for a in 0..6u32 {
                let xa = codec.decode(a);
                for b in 0..6u32 {
                    let xb = codec.decode(b);
                    let dot: f32 = xa.iter().zip(&xb).map(|(x, y)| x * y).sum();
                    let want = match codec.stored_norm(a).zip(codec.stored_norm(b)) {
                        Some((na, nb)) => 2.0 * dot - na - nb,
                        None => dot,
                    };
                    let got = codec.pair_scorer().score_pair(a, b);
                    let terms: f32 = xa.iter().zip(&xb).map(|(x, y)| (x * y).abs()).sum();
                    prop_assert!((got - want).abs() <= 1e-4 * (1.0 + want.abs() + terms), "{} vs {}", got, want);
                }
            }
        }

        #[test]
        fn tq_pairs_score_the_reconstructions(dim in 1usize..130, bits in 1u32..5, euclid: bool, calibrated: bool, raw in proptest::collection::vec(-2.0f32..2.0, 130 * 6)) {
            let distance = if euclid { Distance::Euclid } else { Distance::Dot };
            let codec = TurboQuant::train(&data(dim, 6, &raw), distance, bits, calibrated, 1, 1).unwrap();
            // Against the query scorer (its own folding of the calibration, an i8 query) on
            // `a`'s reconstruction rotated back.
            check(&codec, &codec.pair_scorer(), |p| codec.decode(p), |p| codec.stored_norm(p), 6, 0.02)?;
        }

        #[test]
        fn rabitq_pairs_apply_the_estimator_to_the_other_record(dim in 1usize..150, bits in 1u32..9, euclid: bool, raw in proptest::collection::vec(-2.0f32..2.0, 150 * 6)) {
            let distance = if euclid { Distance::Euclid } else { Distance::Dot };
            let codec = RaBitQ::train(&data(dim, 6, &raw), distance, bits, 1, 1).unwrap();
            let pair = codec.pair_scorer();
            let mid = ((1u32 << bits) - 1) as f64 / 2.0;
            let at = codec.planes_bytes();
            // y and the factors read straight from the records, in f64.
            let y = |p: u32| -> Vec<f64> {
                let r = codec.record(p);
                (0..dim).map(|i| f64::from(crate::planes::read_code(r, bits, codec.words() * 8, i)) - mid).collect()
            };
            let factor = |p: u32, o: usize| f64::from(f32_at(codec.record(p), at + o));
            let c_sq: f64 = codec.centroid.iter().map(|&c| f64::from(c) * f64::from(c)).sum();
            let mut batch = vec![0.0; 6];
            let others: Vec<u32> = (0..6).collect();
            for a in 0..6u32 {
                pair.score_pairs(a, &others, &mut batch);
                for b in 0..6u32 {
                    let yy: f64 = y(a).iter().zip(y(b)).map(|(p, q)| p * q).sum();
                    let rr = factor(a, 0) * factor(b, 0) * yy;
                    let want = if euclid {
                        2.0 * rr - factor(a, 4) - factor(b, 4)
                    } else {
                        rr + factor(a, 4) + factor(b, 4) + c_sq
                    };
                    let got = pair.score_pair(a, b);
                    prop_assert_eq!(got.to_bits(), batch[b as usize].to_bits());
                    let scale = (factor(a, 0) * factor(b, 0)).abs() * y(a).iter().zip(y(b)).map(|(p, q)| (p * q).abs()).sum::<f64>()
                        + factor(a, 4).abs() + factor(b, 4).abs() + c_sq;
                    prop_assert!((f64::from(got) - want).abs() <= 1e-5 * (1.0 + scale), "{} vs {}", got, want);
                }
            }
        }

        #[test]
        fn fast_scan_pairs_score_the_reconstructions(sub in 1usize..4, half in 1usize..4, euclid: bool, raw in proptest::collection::vec(-2.0f32..2.0, 24 * 40)) {
            let (m, distance) = (2 * half, if euclid { Distance::Euclid } else { Distance::Dot });
            let codec = crate::ProductFastScan::train(&data(sub * m, 40, &raw), distance, m, 1, 1).unwrap();
            // Against the fast-scan query scorer on `a`'s reconstruction: its table is on a
            // 6-bit grid (up to half a step of 1/63 of the widest row per sub-space), hence the
            // wide tolerance.
            check(&codec, &codec.pair_scorer(), |p| codec.decode(p), |_| None, 40, 0.1)?;
        }

        #[test]
        fn pq_pairs_score_the_reconstructions(sub in 1usize..6, m in 1usize..5, euclid: bool, raw in proptest::collection::vec(-2.0f32..2.0, 30 * 12)) {
            let distance = if euclid { Distance::Euclid } else { Distance::Dot };
            let codec = ProductQuantizer::train(&data(sub * m, 12, &raw), distance, m, 1, 1).unwrap();
            check(&codec, &codec.pair_scorer(), |p| codec.decode(p), |p| codec.stored_norm(p), 12, 1e-3)?;
        }

        #[test]
        fn binary_pairs_score_the_reconstructions(dim in 1usize..150, enc in 0usize..3, euclid: bool, raw in proptest::collection::vec(-2.0f32..2.0, 150 * 6)) {
            let distance = if euclid { Distance::Euclid } else { Distance::Dot };
            let encoding = [BinaryEncoding::One, BinaryEncoding::OneAndHalf, BinaryEncoding::Two][enc];
            let codec = Binary::train(&data(dim, 6, &raw), distance, encoding, 8, 1, 1).unwrap();
            let decoded = |p| codec.decode(p);
            // The 8-bit query grid and the i8 level tables round to about 1/127 of the
            // largest term.
            check(&codec, &codec.pair_scorer(), decoded, |p| codec.stored_norm(p), 6, 0.02)?;
        }
    }
}
