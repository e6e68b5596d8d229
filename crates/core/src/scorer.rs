//! Exact scorers over any [`DenseVectorSource`]: the reference every quantized scorer is
//! measured against, and what rescoring uses.

use crate::distance::Distance;
use crate::error::Result;
use crate::ids::{PointOffset, ScoreType};
use crate::kernels::Kernels;
use crate::traits::{DenseVectorSource, PairScorer, QueryScorer};
use crate::vectors::VectorElement;

/// Scores stored vectors against one query with a [`Distance`], exactly (no codec).
#[derive(Debug)]
pub struct DenseQueryScorer<S: DenseVectorSource> {
    source: S,
    distance: Distance,
    query: Vec<S::Element>,
    kernels: &'static Kernels,
}

impl<S> DenseQueryScorer<S>
where
    S: DenseVectorSource,
    S::Element: VectorElement,
{
    /// Prepares `query` for `distance` (validation, normalization for Cosine, conversion to
    /// the element type). The stored vectors must have been prepared the same way.
    pub fn new(source: S, distance: Distance, query: &[f32]) -> Result<Self> {
        let mut q = query.to_vec();
        distance.prepare(&mut q, source.dim())?;
        Ok(Self {
            query: S::Element::from_f32_slice(&q),
            source,
            distance,
            kernels: Kernels::best(),
        })
    }

    /// The prepared query, in the element type.
    pub fn query(&self) -> &[S::Element] {
        &self.query
    }
}

impl<S> QueryScorer for DenseQueryScorer<S>
where
    S: DenseVectorSource,
    S::Element: VectorElement,
{
    #[inline]
    fn score_point(&self, point: PointOffset) -> ScoreType {
        let v = self.source.vector(point);
        S::Element::score(self.distance, self.kernels, &self.query, v)
    }
}

/// Scores two stored vectors of one source against each other, exactly.
#[derive(Debug)]
pub struct DensePairScorer<S> {
    source: S,
    distance: Distance,
    kernels: &'static Kernels,
}

impl<S: DenseVectorSource> DensePairScorer<S> {
    /// A pair scorer over `source` (whose vectors are prepared for `distance`).
    pub fn new(source: S, distance: Distance) -> Self {
        Self {
            source,
            distance,
            kernels: Kernels::best(),
        }
    }
}

impl<S> PairScorer for DensePairScorer<S>
where
    S: DenseVectorSource,
    S::Element: VectorElement,
{
    #[inline]
    fn score_pair(&self, a: PointOffset, b: PointOffset) -> ScoreType {
        let (va, vb) = (self.source.vector(a), self.source.vector(b));
        S::Element::score(self.distance, self.kernels, va, vb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DenseVectors;
    use half::f16;

    #[test]
    fn query_and_pair_scorers_agree_with_distance() {
        let mut v = DenseVectors::from_flat(2, vec![1.0f32, 0.0, 0.0, 2.0, 3.0, 4.0]).unwrap();
        v.prepare(Distance::Cosine).unwrap();
        let q = DenseQueryScorer::new(&v, Distance::Cosine, &[2.0, 0.0]).unwrap();
        assert!((q.score_point(0) - 1.0).abs() < 1e-6);
        assert!(q.score_point(1).abs() < 1e-6);
        let mut out = [0.0; 3];
        q.score_points(&[0, 1, 2], &mut out);
        assert!((out[2] - 0.6).abs() < 1e-6);
        let p = DensePairScorer::new(&v, Distance::Cosine);
        assert!((p.score_pair(1, 2) - 0.8).abs() < 1e-6);
        assert!(DenseQueryScorer::new(&v, Distance::Cosine, &[1.0]).is_err());
        assert!(DenseQueryScorer::new(&v, Distance::Cosine, &[f32::NAN, 1.0]).is_err());
    }

    #[test]
    fn f16_source_scores_close_to_f32() {
        let rows = [0.25f32, -0.5, 1.5, 2.0];
        let v16 =
            DenseVectors::from_flat(2, rows.iter().map(|&x| f16::from_f32(x)).collect()).unwrap();
        let q = DenseQueryScorer::new(&v16, Distance::Euclid, &[0.0, 0.0]).unwrap();
        assert_eq!(q.score_point(1), -(1.5f32 * 1.5 + 4.0));
    }
}
