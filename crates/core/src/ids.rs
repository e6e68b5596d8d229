//! Point ids and scores: the two numbers every kernel crate speaks in.

use std::cmp::Ordering;

/// Dense internal id of a point inside one index or segment (0..len).
///
/// External ids (u64, UUID) are mapped to offsets by the shard, never by the kernels;
/// 32 bits keep adjacency lists and id arrays half the size of u64.
pub type PointOffset = u32;

/// A similarity score. Higher is better for every [`Distance`](crate::Distance).
pub type ScoreType = f32;

/// A point with its score, as returned by every search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredPoint {
    /// The point.
    pub offset: PointOffset,
    /// Its similarity to the query (higher is better).
    pub score: ScoreType,
}

impl ScoredPoint {
    /// Creates a scored point.
    pub fn new(offset: PointOffset, score: ScoreType) -> Self {
        Self { offset, score }
    }

    /// Total order "better first": higher score first, then the smaller offset, so that
    /// results are deterministic when scores tie. NaN sorts last.
    #[inline]
    pub fn cmp_best_first(&self, other: &Self) -> Ordering {
        total_score_cmp(other.score, self.score).then(self.offset.cmp(&other.offset))
    }
}

/// Orders scores with NaN below every number (a NaN score must never win).
#[inline]
fn total_score_cmp(a: ScoreType, b: ScoreType) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (false, false) => a.total_cmp(&b),
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_first_orders_by_score_then_offset() {
        let mut v = [
            ScoredPoint::new(3, 0.5),
            ScoredPoint::new(1, 0.9),
            ScoredPoint::new(2, 0.5),
            ScoredPoint::new(0, f32::NAN),
            ScoredPoint::new(4, -1.0),
        ];
        v.sort_by(ScoredPoint::cmp_best_first);
        let offsets: Vec<_> = v.iter().map(|p| p.offset).collect();
        assert_eq!(offsets, vec![1, 2, 3, 4, 0]);
    }
}
