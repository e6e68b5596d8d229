//! Rescoring: codec scores pick candidates, exact scores order them.

use sextant_core::{PointOffset, QueryScorer, ScoredPoint, TopK};

use crate::Estimate;

/// Replaces the scores of `candidates` (e.g. the top `R·k` of a search on codes) by exact ones
/// from `exact`, and returns the best `k` of them, best first. `exact` is any scorer over the
/// original vectors (RAM, mmap, disk).
pub fn rescore<S: QueryScorer>(
    candidates: &[ScoredPoint],
    exact: &S,
    k: usize,
    out: &mut Vec<ScoredPoint>,
) {
    let points: Vec<_> = candidates.iter().map(|c| c.offset).collect();
    let mut scores = vec![0.0; points.len()];
    exact.score_points(&points, &mut scores);
    out.clear();
    out.extend(
        points
            .iter()
            .zip(&scores)
            .map(|(&p, &s)| ScoredPoint::new(p, s)),
    );
    out.sort_unstable_by(ScoredPoint::cmp_best_first);
    out.truncate(k);
}

/// Bound-driven rescoring: the exact top `k` among `candidates` (codec estimates with error
/// bounds, e.g. every point of a RaBitQ scan, or the top `R·k` of a graph search on codes),
/// fetching as few original vectors as the bounds allow. Returns how many were fetched.
///
/// A candidate is fetched only if its upper bound could still enter the top `k`: it must
/// reach both the `k`-th best lower bound among the candidates (`k` others are, within their
/// bounds, surely better otherwise) and the `k`-th best exact score found so far. Candidates
/// are visited by decreasing upper bound, so the scan stops at the first one that cannot.
/// The answer is exact whenever the bounds hold (for RaBitQ at the default ε₀: ≥ 99% of pairs,
/// see [`RaBitQ::BOUND_EPSILON`](crate::RaBitQ::BOUND_EPSILON)).
pub fn rescore_with_bounds<S: QueryScorer>(
    candidates: &[(PointOffset, Estimate)],
    exact: &S,
    k: usize,
    out: &mut Vec<ScoredPoint>,
) -> usize {
    out.clear();
    if k == 0 || candidates.is_empty() {
        return 0;
    }
    let mut lowers = TopK::new(k);
    for (p, e) in candidates {
        lowers.push(*p, e.lower);
    }
    let floor = if lowers.is_full() {
        lowers.threshold().unwrap_or(f32::NEG_INFINITY)
    } else {
        f32::NEG_INFINITY
    };
    let mut order: Vec<&(PointOffset, Estimate)> = candidates
        .iter()
        .filter(|(_, e)| e.upper >= floor)
        .collect();
    order.sort_unstable_by(|a, b| b.1.upper.total_cmp(&a.1.upper));
    let mut best = TopK::new(k);
    let mut fetched = 0;
    for (p, e) in order {
        if best.is_full() && best.threshold().is_some_and(|t| e.upper < t) {
            break;
        }
        best.push(*p, exact.score_point(*p));
        fetched += 1;
    }
    out.extend(best.into_sorted_vec());
    fetched
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_skip_candidates_that_cannot_enter() {
        // Exact scores 0..10; estimates exact ± 0.5, except that the bounds of 3 and 7 are wide.
        let exact = |p: u32| p as f32;
        struct F<G>(G);
        impl<G: Fn(u32) -> f32> QueryScorer for F<G> {
            fn len(&self) -> usize {
                10
            }
            fn score_point(&self, p: u32) -> f32 {
                (self.0)(p)
            }
        }
        let candidates: Vec<(u32, Estimate)> = (0..10u32)
            .map(|p| {
                let w = if p == 3 || p == 7 { 20.0 } else { 0.5 };
                let score = p as f32;
                (
                    p,
                    Estimate {
                        score,
                        lower: score - w,
                        upper: score + w,
                    },
                )
            })
            .collect();
        let mut out = Vec::new();
        let fetched = rescore_with_bounds(&candidates, &F(exact), 2, &mut out);
        assert_eq!(out.iter().map(|p| p.offset).collect::<Vec<_>>(), vec![9, 8]);
        // 7 and 3 (wide bounds), then 9 and 8; 6 and below sit under the 2nd best lower
        // bound (7.5) and are never fetched.
        assert_eq!(fetched, 4);
        assert_eq!(rescore_with_bounds(&candidates, &F(exact), 0, &mut out), 0);
        assert!(out.is_empty());
        // Fewer candidates than k: all of them.
        assert_eq!(
            rescore_with_bounds(&candidates[..1], &F(exact), 3, &mut out),
            1
        );
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn exact_scores_decide_the_order() {
        let exact = |p: u32| -> f32 { [0.1, 0.9, 0.5, 0.7][p as usize] };
        struct F<G>(G);
        impl<G: Fn(u32) -> f32> QueryScorer for F<G> {
            fn len(&self) -> usize {
                10
            }
            fn score_point(&self, p: u32) -> f32 {
                (self.0)(p)
            }
        }
        let candidates: Vec<ScoredPoint> = (0..4)
            .map(|p| ScoredPoint::new(p, 1.0 - p as f32))
            .collect();
        let mut out = Vec::new();
        rescore(&candidates, &F(exact), 2, &mut out);
        assert_eq!(out.iter().map(|p| p.offset).collect::<Vec<_>>(), vec![1, 3]);
        assert_eq!(out[0].score, 0.9);
    }
}
