//! Rescoring: codec scores pick candidates, exact scores order them.

use sextant_core::{QueryScorer, ScoredPoint};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_scores_decide_the_order() {
        let exact = |p: u32| -> f32 { [0.1, 0.9, 0.5, 0.7][p as usize] };
        struct F<G>(G);
        impl<G: Fn(u32) -> f32> QueryScorer for F<G> {
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
