//! recall@k: |returned ∩ groundtruth[:k]| / k, per query and averaged.

use crate::groundtruth::GroundTruth;
use sextant_core::{PointOffset, ScoredPoint};

/// recall@k of one query: the share of the true top-`k` found among the first `k` returned.
/// Returns 0 when `k` is 0.
pub fn recall_at_k(found: &[PointOffset], truth: &[PointOffset], k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    let truth = &truth[..k.min(truth.len())];
    let hits = found.iter().take(k).filter(|id| truth.contains(id)).count();
    hits as f64 / k as f64
}

/// recall@k that also counts a returned point as a hit when its score ties the k-th true
/// score (within `tolerance`): with ties, which of the tied ids the truth lists is arbitrary.
pub fn recall_at_k_with_ties(
    found: &[ScoredPoint],
    truth: &[PointOffset],
    truth_scores: &[f32],
    k: usize,
    tolerance: f32,
) -> f64 {
    if k == 0 || truth_scores.len() < k {
        return 0.0;
    }
    let kth = truth_scores[k - 1];
    let hits = found
        .iter()
        .take(k)
        .filter(|p| truth[..k].contains(&p.offset) || p.score >= kth - tolerance)
        .count();
    hits as f64 / k as f64
}

/// Mean recall@k over every query; `found[q]` are the ids returned for query `q`.
pub fn mean_recall(found: &[Vec<PointOffset>], truth: &GroundTruth, k: usize) -> f64 {
    if found.is_empty() {
        return 0.0;
    }
    let total: f64 = found
        .iter()
        .enumerate()
        .map(|(q, f)| recall_at_k(f, truth.ids(q), k))
        .sum();
    total / found.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recall_counts_the_intersection_with_the_true_top_k() {
        assert_eq!(recall_at_k(&[1, 2, 3], &[3, 1, 9, 2], 3), 2.0 / 3.0);
        assert_eq!(
            recall_at_k(&[1, 2, 3, 9], &[3, 1, 9, 2], 3),
            2.0 / 3.0,
            "only k returned count"
        );
        assert_eq!(recall_at_k(&[], &[1], 1), 0.0);
        assert_eq!(recall_at_k(&[1], &[1], 0), 0.0);
        let found = [ScoredPoint::new(7, 0.5), ScoredPoint::new(1, 0.9)];
        assert_eq!(
            recall_at_k_with_ties(&found, &[1, 4], &[0.9, 0.5], 2, 1e-6),
            1.0
        );
        assert_eq!(
            recall_at_k_with_ties(&found, &[1, 4], &[0.9, 0.6], 2, 1e-6),
            0.5
        );
    }
}
