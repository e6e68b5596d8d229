//! `TopK`: a fixed-size heap that keeps the k best scored points seen so far.

use crate::ids::{PointOffset, ScoreType, ScoredPoint};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Heap entry ordered so that the *worst* kept point is at the top.
#[derive(Debug, Clone, Copy)]
struct Worst(ScoredPoint);

impl PartialEq for Worst {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Worst {}
impl PartialOrd for Worst {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Worst {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        // Best-first order puts the worst last; the max-heap then holds the worst on top.
        self.0.cmp_best_first(&other.0)
    }
}

/// Keeps the `k` best points pushed into it (higher score wins; on equal scores the smaller
/// offset wins, so results are deterministic). Pushing is O(1) for a point that cannot enter
/// and O(log k) otherwise; the buffer is reused across [`clear`](Self::clear).
#[derive(Debug, Clone)]
pub struct TopK {
    k: usize,
    heap: BinaryHeap<Worst>,
}

impl TopK {
    /// An empty top-k. `k = 0` keeps nothing.
    pub fn new(k: usize) -> Self {
        Self {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    /// The `k` this heap keeps.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Number of points kept (at most `k`).
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// True when `k` points are kept, so a new point must beat [`threshold`](Self::threshold).
    pub fn is_full(&self) -> bool {
        self.heap.len() >= self.k
    }

    /// Score of the worst kept point once full; `None` before (anything enters).
    #[inline]
    pub fn threshold(&self) -> Option<ScoreType> {
        if self.is_full() {
            self.heap.peek().map(|w| w.0.score)
        } else {
            None
        }
    }

    /// Offers a point; returns true when it was kept.
    #[inline]
    pub fn push(&mut self, offset: PointOffset, score: ScoreType) -> bool {
        // Most pushes of a scan lose to the worst kept point by score alone: one float
        // compare instead of the ordered comparison (ties and NaN take the full path).
        if self.heap.len() >= self.k && self.heap.peek().is_some_and(|w| score < w.0.score) {
            return false;
        }
        let candidate = Worst(ScoredPoint::new(offset, score));
        if self.heap.len() < self.k {
            self.heap.push(candidate);
            return true;
        }
        match self.heap.peek_mut() {
            Some(mut worst) if candidate < *worst => {
                *worst = candidate;
                true
            }
            _ => false,
        }
    }

    /// Empties the heap, keeping its allocation (and `k`).
    pub fn clear(&mut self) {
        self.heap.clear();
    }

    /// The kept points, best first, leaving the heap empty for reuse.
    pub fn drain_sorted(&mut self) -> Vec<ScoredPoint> {
        let mut out: Vec<ScoredPoint> = self.heap.drain().map(|w| w.0).collect();
        out.sort_unstable_by(ScoredPoint::cmp_best_first);
        out
    }

    /// The kept points, best first.
    pub fn into_sorted_vec(mut self) -> Vec<ScoredPoint> {
        self.drain_sorted()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_the_best_and_breaks_ties_by_offset() {
        let mut t = TopK::new(2);
        assert!(t.push(5, 0.5));
        assert!(t.push(7, 0.5));
        assert_eq!(t.threshold(), Some(0.5));
        assert!(t.push(1, 0.5), "equal score, smaller offset wins");
        assert!(!t.push(9, 0.1));
        assert!(!t.push(3, f32::NAN));
        let v = t.into_sorted_vec();
        assert_eq!(v.iter().map(|p| p.offset).collect::<Vec<_>>(), vec![1, 5]);
        assert!(TopK::new(0).into_sorted_vec().is_empty());
    }

    proptest! {
        #[test]
        fn matches_sorting_everything(scores in prop::collection::vec(-100i32..100, 0..300), k in 0usize..40) {
            let mut t = TopK::new(k);
            for (i, &s) in scores.iter().enumerate() {
                t.push(i as u32, s as f32);
            }
            let mut all: Vec<_> = scores.iter().enumerate().map(|(i, &s)| ScoredPoint::new(i as u32, s as f32)).collect();
            all.sort_by(ScoredPoint::cmp_best_first);
            all.truncate(k);
            prop_assert_eq!(t.drain_sorted(), all);
            prop_assert!(t.is_empty());
        }
    }
}
