//! A pair scorer over a bf16 copy of f32 vectors: what a graph build selects neighbours with
//! where the CPU has native bf16 dot products (see [`crate::kernels::has_native_bf16`]).
//!
//! bf16 keeps f32's exponent and 8 bits of mantissa (a relative rounding of at most 2⁻⁹ per
//! coordinate); over 384-d unit vectors a dot product moves by ~1e-4, far below the gaps
//! neighbour selection decides on (minilm-pypi-20k and -120k: the same recall at every ef as
//! a graph selected on f32). It halves the bytes and the instructions of each pair.

use half::bf16;

use crate::distance::Distance;
use crate::ids::{PointOffset, ScoreType};
use crate::kernels::Kernels;
use crate::scorer::score_batch;
use crate::traits::{DenseVectorSource, PairScorer};

/// Scores pairs of stored vectors by dot product over their bf16 roundings, for the dot
/// metrics (Cosine over prepared, unit vectors; Dot).
#[derive(Debug, Clone)]
pub struct Bf16PairScorer {
    dim: usize,
    data: Vec<bf16>,
    distance: Distance,
    kernels: &'static Kernels,
}

impl Bf16PairScorer {
    /// True for the metrics this scorer serves: the dot metrics (Euclid and Manhattan need
    /// their own kernels; score them in f32).
    pub fn supports(distance: Distance) -> bool {
        matches!(distance, Distance::Cosine | Distance::Dot)
    }

    /// A bf16 copy of `source` (prepared for `distance`), or `None` when the scorer does not
    /// [`support`](Self::supports) `distance`.
    pub fn new<S: DenseVectorSource<Element = f32>>(
        source: &S,
        distance: Distance,
    ) -> Option<Self> {
        if !Self::supports(distance) {
            return None;
        }
        let mut data = Vec::with_capacity(source.len() * source.dim());
        for p in 0..source.len() as PointOffset {
            data.extend(source.vector(p).iter().map(|&x| bf16::from_f32(x)));
        }
        Some(Self {
            dim: source.dim(),
            data,
            distance,
            kernels: Kernels::best(),
        })
    }

    /// Largest copy a build's inserts search on directly, instead of on int8 codes of a
    /// quarter of the floats' bytes: while the copy stays in the last-level cache its reads
    /// cost no more than the codes' and its scores are finer. Measured on a 32 MiB L3, 2
    /// threads: minilm-pypi-20k (a 15 MB copy) builds in 1.08–1.09 s on the copy against
    /// 1.16–1.17 s on the codes; 40,000 of minilm-pypi-120k (30 MB) in 3.03–3.25 s against
    /// 2.83–2.99 s, and the full 120,000 in 12.5–12.8 s against 10.2–10.7 s.
    pub const SEARCH_MAX_BYTES: usize = 16 << 20;

    /// True when inserts should search on this copy (it is at most
    /// [`SEARCH_MAX_BYTES`](Self::SEARCH_MAX_BYTES)).
    pub fn fits_search(&self) -> bool {
        self.data.len() * size_of::<bf16>() <= Self::SEARCH_MAX_BYTES
    }

    #[inline]
    fn vector(&self, p: PointOffset) -> &[bf16] {
        let start = p as usize * self.dim;
        &self.data[start..start + self.dim]
    }
}

impl PairScorer for Bf16PairScorer {
    fn len(&self) -> usize {
        self.data.len() / self.dim.max(1)
    }

    #[inline]
    fn score_pair(&self, a: PointOffset, b: PointOffset) -> ScoreType {
        (self.kernels.float.dot_bf16)(self.vector(a), self.vector(b))
    }

    fn distance(&self) -> Option<Distance> {
        Some(self.distance)
    }

    fn score_pairs(&self, a: PointOffset, others: &[PointOffset], scores: &mut [ScoreType]) {
        let float = &self.kernels.float;
        let vector = |p| self.vector(p);
        score_batch(
            vector(a),
            others,
            scores,
            vector,
            Some(float.dot4_bf16),
            float.dot_bf16,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DensePairScorer, DenseVectors};

    #[test]
    fn a_copy_fits_search_up_to_the_limit() {
        // 2 bytes per coordinate: 8,192 vectors of 1,024 dimensions are the limit exactly.
        let dim = 1024;
        let at = |n: usize| {
            let v = DenseVectors::from_flat(dim, vec![0.5; n * dim]).unwrap();
            Bf16PairScorer::new(&v, Distance::Dot)
                .unwrap()
                .fits_search()
        };
        assert!(at(1));
        assert!(at(Bf16PairScorer::SEARCH_MAX_BYTES / (2 * dim)));
        assert!(!at(Bf16PairScorer::SEARCH_MAX_BYTES / (2 * dim) + 1));
    }

    #[test]
    fn scores_are_the_f32_ones_within_bf16_rounding() {
        // 37 dimensions (a masked tail), 11 others (two batches of four and three singles).
        let flat: Vec<f32> = (0..12 * 37)
            .map(|i| ((i * 7919) % 101) as f32 / 50.0 - 1.0)
            .collect();
        for distance in [Distance::Cosine, Distance::Dot] {
            let v = DenseVectors::prepared(37, flat.clone(), distance).unwrap();
            let exact = DensePairScorer::new(&v, distance);
            let p = Bf16PairScorer::new(&v, distance).unwrap();
            assert_eq!((p.len(), p.distance()), (12, Some(distance)));
            let others: Vec<PointOffset> = (1..12).rev().collect();
            let mut batch = vec![0.0; others.len()];
            p.score_pairs(0, &others, &mut batch);
            for (&b, &s) in others.iter().zip(&batch) {
                let one = p.score_pair(0, b);
                assert!(
                    (s - one).abs() <= 1e-5 * one.abs().max(1.0),
                    "{b}: {s} {one}"
                );
                let f = exact.score_pair(0, b);
                // 2⁻⁸ relative per product at most, over 37 products of magnitude ≤ 1.
                assert!(
                    (s - f).abs() <= 37.0 / 256.0,
                    "{distance} {b}: {s} against {f}"
                );
                if distance == Distance::Cosine {
                    assert!((s - f).abs() < 0.01, "{b}: {s} against {f}");
                }
            }
        }
    }

    #[test]
    fn only_dot_metrics_have_one() {
        let v = DenseVectors::prepared(2, vec![1.0, 2.0], Distance::Euclid).unwrap();
        assert!(Bf16PairScorer::new(&v, Distance::Euclid).is_none());
        assert!(Bf16PairScorer::new(&v, Distance::Manhattan).is_none());
    }
}
