//! Exact float scores that read int8 codes first: per-dimension int8 codes give each point a
//! guaranteed upper bound on its exact score, and a search that will drop every point below
//! a floor (core's [`QueryScorer::score_points_above`]) fetches the float vector only of the
//! points whose bound reaches the floor. Every score a search keeps is the exact float score,
//! so results are the same as scoring the floats alone; graph traversal reads a 4x smaller
//! code for most of the points it rejects.
//!
//! The bound, for a stored `x` with codes decoding to `x̂` and residual `r = x − x̂`:
//! - Dot and Cosine: `q·x = q·x̂ + q·r ≤ q·x̂ + ‖q‖·‖r‖` (Cauchy–Schwarz); `‖r‖` is computed
//!   per point from the floats once, when [`BoundedExact`] is built, so clipped values or
//!   vectors appended later are still bounded correctly.
//! - Euclid: `‖q − x‖ ≥ ‖q − x̂‖ − ‖r‖`, so `−‖q − x‖² ≤ −max(0, ‖q − x̂‖ − ‖r‖)²`.
//! - The code score is `q·x̂` up to the query's i16 rounding, at most `128·Σ|δᵢ|` with `δᵢ`
//!   each coordinate's rounding error (codes are at most 128 in magnitude); that and an
//!   allowance for f32 rounding in both scores are added to the bound.

use std::borrow::Cow;

use sextant_core::kernels::sum_zip;
use sextant_core::{
    DenseQueryScorer, DenseVectorSource, Distance, PointOffset, QueryScorer, ScoreType,
};

use crate::EncodedVectors;
use crate::ScalarPerDimQueryScorer;
use crate::pairs::Reconstructs;
use crate::{Error, Result, ScalarInt8PerDim};

/// Relative allowance for f32 rounding in the code and float scores: sums of a few thousand
/// terms round by far less than `1e-4` of their absolute sum.
const ROUNDING: f32 = 1e-4;

/// How many points of a batch are bounded before their survivors are scored on floats.
const CHUNK: usize = 64;

/// Per-dimension int8 codes and the float vectors they encode, with each point's residual
/// norm `‖x − x̂‖`: the source of [`BoundedExactScorer`]s.
///
/// ```
/// use sextant_core::{DenseQueryScorer, DenseVectors, Distance, QueryScorer};
/// use sextant_quantization::{BoundedExact, ScalarInt8PerDim};
///
/// let mut data = DenseVectors::from_flat(4, (0..400).map(|i| ((i * 37) % 23) as f32 - 11.0).collect())?;
/// data.prepare(Distance::Cosine)?;
/// let codes = ScalarInt8PerDim::train(&data, Distance::Cosine, 1.0, 7, 1)?;
/// let bounded = BoundedExact::new(&codes, &data)?;
///
/// let query = [1.0, -0.5, 0.25, 2.0];
/// let scorer = bounded.query_scorer(&query)?;
/// let exact = DenseQueryScorer::new(&data, Distance::Cosine, &query)?;
/// // A search that keeps only scores of at least 0.9 (say, a full top-k list):
/// let points: Vec<u32> = (0..100).collect();
/// let mut scores = vec![0.0; 100];
/// scorer.score_points_above(&points, 0.9, &mut scores);
/// for (&p, &s) in points.iter().zip(&scores) {
///     let truth = exact.score_point(p);
///     // Kept points get their exact float score; the others something below the floor.
///     assert!(if truth >= 0.9 { s == truth } else { s < 0.9 });
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct BoundedExact<'a, S: DenseVectorSource<Element = f32>> {
    codes: &'a ScalarInt8PerDim,
    floats: S,
    residuals: Cow<'a, [f32]>,
    /// `max(|loᵢ|, |hiᵢ|)` per dimension: the largest magnitude a decoded value can have.
    reach: Vec<f32>,
    /// `Σᵢ reachᵢ²`: bounds `‖x̂‖²` for the Euclid rounding allowance.
    max_decoded_norm: f32,
}

impl<'a, S: DenseVectorSource<Element = f32>> BoundedExact<'a, S> {
    /// Pairs `codes` with `floats`, the vectors they were encoded from (prepared for the
    /// same metric, same offsets), computing each point's residual norm (one pass over both).
    pub fn new(codes: &'a ScalarInt8PerDim, floats: S) -> Result<Self> {
        check_pair(codes, &floats)?;
        let residuals = residual_norms(codes, &floats, 0);
        Ok(Self::assemble(codes, floats, Cow::Owned(residuals)))
    }

    /// Pairs `codes` with `floats` and their residual norms computed before by
    /// [`residual_norms`] (an owner that appends points keeps them, so that a search does
    /// not recompute them).
    pub fn with_residuals(
        codes: &'a ScalarInt8PerDim,
        floats: S,
        residuals: &'a [f32],
    ) -> Result<Self> {
        check_pair(codes, &floats)?;
        if residuals.len() != codes.len() {
            return Err(Error::Count {
                codes: codes.len(),
                vectors: residuals.len(),
            });
        }
        Ok(Self::assemble(codes, floats, Cow::Borrowed(residuals)))
    }

    fn assemble(codes: &'a ScalarInt8PerDim, floats: S, residuals: Cow<'a, [f32]>) -> Self {
        let reach: Vec<f32> = codes
            .lo
            .iter()
            .zip(&codes.step)
            .map(|(&lo, &step)| lo.abs().max((lo + 256.0 * step).abs()))
            .collect();
        let max_decoded_norm = sum_zip(&reach, &reach, |a, b| a * b);
        Self {
            codes,
            floats,
            residuals,
            reach,
            max_decoded_norm,
        }
    }

    /// The residual norm `‖x − x̂‖` of each point, by offset.
    pub fn residuals(&self) -> &[f32] {
        &self.residuals
    }

    /// A scorer of `query` that returns exact float scores and prunes on code bounds.
    pub fn query_scorer(&self, query: &[f32]) -> Result<BoundedExactScorer<'_, S>> {
        let codes = self.codes.query_scorer(query)?;
        let distance = self.codes.distance;
        let exact = DenseQueryScorer::new(&self.floats, distance, query)?;
        let q = exact.query();
        let q_norm = sum_zip(q, q, |a, b| a * b).sqrt();
        // `Σ|qᵢ|·max(|loᵢ|, |hiᵢ|)` bounds the absolute terms of `q·x̂`.
        let magnitude = sum_zip(q, &self.reach, |qi, r| qi.abs() * r);
        let dot_slack = codes.rounding_bound() + ROUNDING * magnitude;
        let slack = match distance {
            Distance::Euclid => {
                2.0 * dot_slack + ROUNDING * (self.max_decoded_norm + q_norm * q_norm)
            }
            _ => dot_slack,
        };
        Ok(BoundedExactScorer {
            codes,
            exact,
            residuals: &self.residuals,
            euclid: distance == Distance::Euclid,
            q_norm,
            slack,
        })
    }
}

/// Refuses floats that are not the vectors `codes` encode (dimension, count).
fn check_pair<S: DenseVectorSource<Element = f32>>(
    codes: &ScalarInt8PerDim,
    floats: &S,
) -> Result<()> {
    if floats.dim() != codes.dim {
        return Err(Error::Dimension {
            expected: codes.dim,
            got: floats.dim(),
        });
    }
    if floats.len() != codes.len() {
        return Err(Error::Count {
            codes: codes.len(),
            vectors: floats.len(),
        });
    }
    Ok(())
}

/// The residual norm `‖x − x̂‖` of each point from offset `from` on, the part of a
/// [`BoundedExact`] beyond its codes (one pass over the codes and floats of those points),
/// rounded up so that the f32 never understates it.
pub fn residual_norms<S: DenseVectorSource<Element = f32>>(
    codes: &ScalarInt8PerDim,
    floats: &S,
    from: PointOffset,
) -> Vec<f32> {
    let n = codes.len().min(floats.len()) as PointOffset;
    let mut decoded = vec![0f32; codes.dim];
    (from..n)
        .map(|p| residual(codes, p, floats.vector(p), &mut decoded))
        .collect()
}

/// [`residual_norms`] of one point `p` whose float vector is `vector` (after its code was
/// replaced).
pub fn residual_norm(codes: &ScalarInt8PerDim, p: PointOffset, vector: &[f32]) -> f32 {
    residual(codes, p, vector, &mut vec![0f32; codes.dim])
}

fn residual(codes: &ScalarInt8PerDim, p: PointOffset, vector: &[f32], decoded: &mut [f32]) -> f32 {
    codes.decode_range(p, 0, decoded);
    let r2: f64 = vector
        .iter()
        .zip(decoded.iter())
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum();
    (r2.sqrt() * (1.0 + 1e-6)) as f32
}

/// Exact float scores of one query, with code bounds for the points a search will drop.
pub struct BoundedExactScorer<'a, S: DenseVectorSource<Element = f32>> {
    codes: ScalarPerDimQueryScorer<'a>,
    exact: DenseQueryScorer<&'a S>,
    residuals: &'a [f32],
    euclid: bool,
    q_norm: f32,
    /// Bound on `|code score − exact score of x̂|`, rounding included.
    slack: f32,
}

impl<S: DenseVectorSource<Element = f32>> BoundedExactScorer<'_, S> {
    /// A guaranteed upper bound on the exact score of `p`, read from its codes only.
    pub fn upper_bound(&self, p: PointOffset) -> ScoreType {
        self.bound_from(p, self.codes.score_point(p))
    }

    /// The bound of `p` given its score on codes.
    #[inline]
    fn bound_from(&self, p: PointOffset, code_score: ScoreType) -> ScoreType {
        let r = self.residuals[p as usize];
        if self.euclid {
            let gap = (-code_score - self.slack).max(0.0).sqrt() - r;
            if gap > 0.0 { -(gap * gap) } else { 0.0 }
        } else {
            code_score + self.slack + self.q_norm * r
        }
    }
}

impl<S: DenseVectorSource<Element = f32>> QueryScorer for BoundedExactScorer<'_, S> {
    fn len(&self) -> usize {
        self.exact.len()
    }

    #[inline]
    fn score_point(&self, p: PointOffset) -> ScoreType {
        self.exact.score_point(p)
    }

    fn score_points(&self, points: &[PointOffset], scores: &mut [ScoreType]) {
        self.exact.score_points(points, scores);
    }

    /// Code scores for the batch, then float scores only where the bound reaches `floor`;
    /// a pruned point gets its bound (below `floor`).
    fn score_points_above(
        &self,
        points: &[PointOffset],
        floor: ScoreType,
        scores: &mut [ScoreType],
    ) {
        if floor == ScoreType::NEG_INFINITY || floor.is_nan() {
            return self.exact.score_points(points, scores);
        }
        self.codes.score_points(points, scores);
        let mut kept = [0 as PointOffset; CHUNK];
        let mut at = [0usize; CHUNK];
        let mut exact = [0 as ScoreType; CHUNK];
        for (ps, ss) in points.chunks(CHUNK).zip(scores.chunks_mut(CHUNK)) {
            let mut n = 0;
            for (i, (&p, s)) in ps.iter().zip(ss.iter_mut()).enumerate() {
                let bound = self.bound_from(p, *s);
                if bound < floor {
                    *s = bound;
                } else {
                    kept[n] = p;
                    at[n] = i;
                    n += 1;
                }
            }
            self.exact.score_points(&kept[..n], &mut exact[..n]);
            for (&i, &e) in at[..n].iter().zip(&exact[..n]) {
                ss[i] = e;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sextant_core::DenseVectors;

    fn metric(i: u8) -> Distance {
        [Distance::Dot, Distance::Cosine, Distance::Euclid][i as usize % 3]
    }

    proptest! {
        /// The bound holds for every point, clipped or not; above the floor every score is
        /// the exact float score, bit for bit; below it, anything below the floor.
        #[test]
        fn bounds_hold_and_kept_scores_are_exact(
            dim in 1usize..40,
            n in 2usize..60,
            m in 0u8..3,
            quantile in prop_oneof![Just(0.6f32), Just(0.9), Just(1.0)],
            raw in proptest::collection::vec(-3.0f32..3.0, 41 * 61),
            cut in 0usize..60,
        ) {
            let distance = metric(m);
            let mut data = DenseVectors::from_flat(dim, raw[..n * dim].to_vec()).unwrap();
            data.prepare(distance).unwrap();
            let codes = ScalarInt8PerDim::train(&data, distance, quantile, 5, 1).unwrap();
            let bounded = BoundedExact::new(&codes, &data).unwrap();
            let query = &raw[n * dim..(n + 1) * dim];
            let scorer = bounded.query_scorer(query).unwrap();
            let exact = DenseQueryScorer::new(&data, distance, query).unwrap();
            let points: Vec<u32> = (0..n as u32).collect();
            let mut want = vec![0.0; n];
            exact.score_points(&points, &mut want);
            for (p, &w) in want.iter().enumerate() {
                prop_assert!(scorer.upper_bound(p as u32) >= w, "point {}: bound {} < exact {}", p, scorer.upper_bound(p as u32), w);
            }
            let mut sorted = want.clone();
            sorted.sort_by(|a, b| b.total_cmp(a));
            let floor = sorted[cut % n];
            let mut got = vec![0.0; n];
            scorer.score_points_above(&points, floor, &mut got);
            for (&g, &w) in got.iter().zip(&want) {
                if w >= floor {
                    prop_assert_eq!(g.to_bits(), w.to_bits());
                } else {
                    prop_assert!(g < floor);
                }
            }
            scorer.score_points(&points, &mut got);
            prop_assert_eq!(&got, &want);
        }
    }

    #[test]
    fn most_points_of_a_real_spread_are_pruned() {
        // 200 points, far below the floor of the best one: the bound rules them out.
        let data = DenseVectors::from_flat(
            16,
            (0..200 * 16)
                .map(|i| ((i * 7919) % 101) as f32 / 50.0 - 1.0)
                .collect(),
        )
        .unwrap();
        let codes = ScalarInt8PerDim::train(&data, Distance::Dot, 1.0, 1, 1).unwrap();
        let bounded = BoundedExact::new(&codes, &data).unwrap();
        let query = data.vector(3).to_vec();
        let scorer = bounded.query_scorer(&query).unwrap();
        let exact = DenseQueryScorer::new(&data, Distance::Dot, &query).unwrap();
        let floor = exact.score_point(3);
        let pruned = (0..200u32)
            .filter(|&p| scorer.upper_bound(p) < floor)
            .count();
        let below = (0..200u32)
            .filter(|&p| exact.score_point(p) < floor)
            .count();
        assert!(pruned as f64 >= 0.9 * below as f64, "{pruned} of {below}");
    }

    #[test]
    fn mismatched_vectors_are_refused() {
        let data = DenseVectors::from_flat(2, vec![0.5, 1.0, -1.0, 2.0]).unwrap();
        let codes = ScalarInt8PerDim::train(&data, Distance::Dot, 1.0, 1, 1).unwrap();
        let fewer = DenseVectors::from_flat(2, vec![0.5, 1.0]).unwrap();
        assert!(matches!(
            BoundedExact::new(&codes, &fewer).err(),
            Some(Error::Count {
                codes: 2,
                vectors: 1
            })
        ));
        let wider = DenseVectors::from_flat(4, vec![0.5, 1.0, -1.0, 2.0]).unwrap();
        assert!(matches!(
            BoundedExact::new(&codes, &wider).err(),
            Some(Error::Dimension {
                expected: 2,
                got: 4
            })
        ));
        let bounded = BoundedExact::new(&codes, &data).unwrap();
        assert!(bounded.query_scorer(&[1.0]).is_err());
        assert!(bounded.query_scorer(&[1.0, f32::NAN]).is_err());
    }
}
