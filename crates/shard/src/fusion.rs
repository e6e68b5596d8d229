//! Fusing the ranked lists of prefetches, as Qdrant (and `qdrant-client`'s Local Mode) do:
//! reciprocal rank fusion and distribution-based score fusion. A list is `(offset, score)`,
//! best first; a fused list is ordered by fused score, ties in the order points first appear.

use std::collections::HashMap;

use sextant_core::PointOffset;

/// Ranked points: (offset, Qdrant score), best first.
pub(crate) type Hits = Vec<(PointOffset, f32)>;

/// How prefetched lists are fused.
#[derive(Debug, Clone, PartialEq)]
pub enum Fusion {
    /// Reciprocal rank fusion: a point at rank `r` (from 0) of a list with weight `w` gets
    /// `1 / ((r + 1) / w + k − 1)` (0 when `w ≤ 0`), summed over the lists.
    Rrf {
        /// The ranking constant (`None`: Qdrant's 2).
        k: Option<u32>,
        /// One weight per prefetch (`None`: all 1).
        weights: Option<Vec<f32>>,
    },
    /// Distribution-based score fusion: each list's scores mapped from `mean ± 3σ` (sample
    /// deviation) to 0..1 (a list of one point, or of equal scores: 0.5), summed.
    Dbsf,
}

/// Qdrant's default RRF ranking constant.
const RRF_K: u32 = 2;

/// The best `limit` of `lists` fused by `how`.
pub(crate) fn fuse(lists: &[Hits], how: &Fusion, limit: usize) -> Result<Hits, String> {
    let mut order: Vec<PointOffset> = Vec::new();
    let mut sums: HashMap<PointOffset, f64> = HashMap::new();
    let mut add = |o: PointOffset, s: f64| {
        *sums.entry(o).or_insert_with(|| {
            order.push(o);
            0.0
        }) += s;
    };
    match how {
        Fusion::Rrf { k, weights } => {
            if let Some(w) = weights
                && w.len() != lists.len()
            {
                return Err(format!(
                    "{} RRF weights for {} prefetches: one each",
                    w.len(),
                    lists.len()
                ));
            }
            let k = f64::from(k.unwrap_or(RRF_K));
            for (i, list) in lists.iter().enumerate() {
                let w = weights.as_ref().map_or(1.0, |w| f64::from(w[i]));
                for (rank, &(o, _)) in list.iter().enumerate() {
                    let s = if w <= 0.0 {
                        0.0
                    } else {
                        1.0 / ((rank as f64 + 1.0) / w + k - 1.0)
                    };
                    add(o, s);
                }
            }
        }
        Fusion::Dbsf => {
            for list in lists {
                for (o, s) in normalized(list) {
                    add(o, s);
                }
            }
        }
    }
    let mut fused: Vec<(PointOffset, f64)> = order.into_iter().map(|o| (o, sums[&o])).collect();
    // Stable: equal scores keep the order of first appearance.
    fused.sort_by(|a, b| b.1.total_cmp(&a.1));
    fused.truncate(limit);
    Ok(fused.into_iter().map(|(o, s)| (o, s as f32)).collect())
}

/// A list's scores mapped from `mean ± 3σ` to 0..1.
fn normalized(list: &Hits) -> Vec<(PointOffset, f64)> {
    let n = list.len();
    let scores = list.iter().map(|&(_, s)| f64::from(s));
    match n {
        0 => return Vec::new(),
        1 => return vec![(list[0].0, 0.5)],
        _ => {}
    }
    let mean = scores.clone().sum::<f64>() / n as f64;
    let variance = scores.map(|s| (s - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    if variance == 0.0 {
        return list.iter().map(|&(o, _)| (o, 0.5)).collect();
    }
    let sd = variance.sqrt();
    let (low, high) = (mean - 3.0 * sd, mean + 3.0 * sd);
    list.iter()
        .map(|&(o, s)| (o, (f64::from(s) - low) / (high - low)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rrf_sums_reciprocal_ranks_and_keeps_first_appearance_on_ties() {
        let a: Hits = vec![(1, 0.9), (2, 0.8)];
        let b: Hits = vec![(2, 5.0), (3, 4.0)];
        let rrf = Fusion::Rrf {
            k: None,
            weights: None,
        };
        let fused = fuse(&[a.clone(), b.clone()], &rrf, 10).unwrap();
        // 2: 1/3 + 1/2; 1: 1/2; 3: 1/3.
        assert_eq!(fused.iter().map(|p| p.0).collect::<Vec<_>>(), vec![2, 1, 3]);
        assert!((fused[0].1 - (1.0 / 3.0 + 0.5) as f32).abs() < 1e-7);
        let weighted = Fusion::Rrf {
            k: Some(60),
            weights: Some(vec![0.0, 1.0]),
        };
        let fused = fuse(&[a.clone(), b.clone()], &weighted, 2).unwrap();
        assert_eq!(
            fused,
            vec![(2, (1.0f64 / 60.0) as f32), (3, (1.0f64 / 61.0) as f32)]
        );
        let bad = Fusion::Rrf {
            k: None,
            weights: Some(vec![1.0]),
        };
        assert!(fuse(&[a, b], &bad, 2).is_err());
    }

    #[test]
    fn dbsf_normalizes_each_list() {
        let one: Hits = vec![(7, 3.0)];
        let flat: Hits = vec![(1, 2.0), (2, 2.0)];
        let fused = fuse(&[Vec::new(), one, flat], &Fusion::Dbsf, 10).unwrap();
        assert_eq!(fused, vec![(7, 0.5), (1, 0.5), (2, 0.5)]);
        let spread: Hits = vec![(1, 3.0), (2, 1.0)];
        let fused = fuse(&[spread], &Fusion::Dbsf, 10).unwrap();
        // mean 2, sample sd √2: (3 − (2 − 3√2)) / 6√2.
        let want = (1.0 + 3.0 * 2f64.sqrt()) / (6.0 * 2f64.sqrt());
        assert!((f64::from(fused[0].1) - want).abs() < 1e-6);
    }
}
