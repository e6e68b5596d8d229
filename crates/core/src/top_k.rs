//! `TopK`: a fixed-size heap that keeps the k best scored points seen so far.

use crate::ids::{PointOffset, ScoreType, ScoredPoint};
use std::collections::BinaryHeap;

/// A point packed so that one `u64` comparison is [`ScoredPoint::cmp_best_first`]: the score
/// mapped to bits that order as `f32::total_cmp` does (every NaN to 0, below all numbers) in
/// the high half, the offset's complement in the low half (a smaller offset wins a tie). A
/// replacement in the heap then costs a few integer compares instead of float compares with
/// NaN checks (on bm25-pypi-10k the sparse search spent 17% of its time there).
#[inline]
fn pack(offset: PointOffset, score: ScoreType) -> u64 {
    let b = score.to_bits();
    let ordered = if score.is_nan() {
        0
    } else if b >> 31 == 1 {
        !b
    } else {
        b | 1 << 31
    };
    (u64::from(ordered) << 32) | u64::from(!offset)
}

/// The point of a packed key (a NaN score comes back as a NaN).
#[inline]
fn unpack(key: u64) -> ScoredPoint {
    let ordered = (key >> 32) as u32;
    let b = if ordered >> 31 == 1 {
        ordered & !(1 << 31)
    } else {
        !ordered
    };
    ScoredPoint::new(!(key as u32), ScoreType::from_bits(b))
}

/// The most entries allocated up front (64 KiB of keys): larger heaps grow as they fill.
const PREALLOCATED: usize = 8192;

/// Keeps the `k` best points pushed into it (higher score wins; on equal scores the smaller
/// offset wins, so results are deterministic). Pushing is O(1) for a point that cannot enter
/// and O(log k) otherwise; the buffer is reused across [`clear`](Self::clear).
#[derive(Debug, Clone)]
pub struct TopK {
    k: usize,
    /// Packed keys, complemented: the max-heap's top is the worst kept point.
    heap: BinaryHeap<u64>,
}

impl TopK {
    /// An empty top-k. `k = 0` keeps nothing; a `k` beyond any collection (a request's
    /// `limit` of 10^12) allocates only as points arrive.
    pub fn new(k: usize) -> Self {
        Self {
            k,
            heap: BinaryHeap::with_capacity(k.min(PREALLOCATED) + 1),
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
            self.heap.peek().map(|&w| unpack(!w).score)
        } else {
            None
        }
    }

    /// Offers a point; returns true when it was kept.
    #[inline]
    pub fn push(&mut self, offset: PointOffset, score: ScoreType) -> bool {
        if self.k == 0 {
            return false;
        }
        let key = pack(offset, score);
        if self.heap.len() < self.k {
            self.heap.push(!key);
            return true;
        }
        match self.heap.peek_mut() {
            // The worst kept point's key is the smallest: a larger key replaces it.
            Some(mut worst) if key > !*worst => {
                *worst = !key;
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
        let mut keys: Vec<u64> = self.heap.drain().map(|w| !w).collect();
        keys.sort_unstable_by(|a, b| b.cmp(a));
        keys.into_iter().map(unpack).collect()
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
        // A k far beyond the points pushed: nothing allocated for it, every point kept.
        let mut huge = TopK::new(usize::MAX);
        (0..10_000).for_each(|o| {
            huge.push(o, o as f32);
        });
        assert_eq!(huge.len(), 10_000);
        assert_eq!(huge.into_sorted_vec()[0].offset, 9_999);
    }

    #[test]
    fn packed_keys_order_as_best_first_and_unpack() {
        let scores = [
            f32::NEG_INFINITY,
            -1e30,
            -1.0,
            -f32::MIN_POSITIVE,
            -0.0,
            0.0,
            1e-40,
            1.0,
            3.5,
            f32::MAX,
            f32::INFINITY,
            f32::NAN,
            -f32::NAN,
        ];
        let points: Vec<ScoredPoint> = scores
            .iter()
            .flat_map(|&s| [0, 1, 7, u32::MAX].map(|o| ScoredPoint::new(o, s)))
            .collect();
        for a in &points {
            let back = unpack(pack(a.offset, a.score));
            assert_eq!(back.offset, a.offset);
            assert!(
                back.score.to_bits() == a.score.to_bits()
                    || (a.score.is_nan() && back.score.is_nan())
            );
            for b in &points {
                let want = a.cmp_best_first(b);
                let got = pack(b.offset, b.score).cmp(&pack(a.offset, a.score));
                assert_eq!(got, want, "{a:?} vs {b:?}");
            }
        }
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
