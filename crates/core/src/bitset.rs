//! `BitSet`: a growable set of point offsets, one bit each (deleted points, filter results).

use crate::ids::PointOffset;
use crate::traits::PointFilter;

/// A set of offsets in `0..len`, packed 64 per word.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BitSet {
    words: Vec<u64>,
    len: usize,
}

impl BitSet {
    /// A set able to hold offsets `0..len`, all absent.
    pub fn new(len: usize) -> Self {
        Self {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    /// Capacity in bits (offsets `0..len` can be stored).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the capacity is zero.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Grows (never shrinks) the capacity to `len`; new offsets are absent.
    pub fn grow(&mut self, len: usize) {
        if len > self.len {
            self.words.resize(len.div_ceil(64), 0);
            self.len = len;
        }
    }

    /// Adds `offset`, growing the set when needed; returns true when it was absent.
    pub fn insert(&mut self, offset: PointOffset) -> bool {
        let i = offset as usize;
        self.grow(i + 1);
        let (w, m) = (i / 64, 1u64 << (i % 64));
        let was_absent = self.words[w] & m == 0;
        self.words[w] |= m;
        was_absent
    }

    /// Removes `offset`; returns true when it was present.
    pub fn remove(&mut self, offset: PointOffset) -> bool {
        let i = offset as usize;
        if i >= self.len {
            return false;
        }
        let (w, m) = (i / 64, 1u64 << (i % 64));
        let was_present = self.words[w] & m != 0;
        self.words[w] &= !m;
        was_present
    }

    /// True when `offset` is in the set (offsets past the capacity are absent).
    #[inline]
    pub fn contains(&self, offset: PointOffset) -> bool {
        let i = offset as usize;
        i < self.len && self.words[i / 64] & (1u64 << (i % 64)) != 0
    }

    /// Number of offsets in the set.
    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Removes every offset, keeping the capacity.
    pub fn clear(&mut self) {
        self.words.fill(0);
    }

    /// The offsets in the set, ascending.
    pub fn iter(&self) -> impl Iterator<Item = PointOffset> + '_ {
        self.words.iter().enumerate().flat_map(|(wi, &word)| {
            let mut w = word;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let bit = w.trailing_zeros();
                w &= w - 1;
                Some((wi * 64) as PointOffset + bit)
            })
        })
    }

    /// The packed words (bit `i` of word `i / 64` is offset `i`).
    pub fn as_words(&self) -> &[u64] {
        &self.words
    }
}

/// A bit set as a filter: members are allowed.
impl PointFilter for BitSet {
    fn allows(&self, point: PointOffset) -> bool {
        self.contains(point)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        #[test]
        fn behaves_like_a_btreeset(ops in prop::collection::vec((any::<bool>(), 0u32..300), 0..200)) {
            let mut set = BitSet::new(10);
            let mut model = BTreeSet::new();
            for (add, x) in ops {
                if add {
                    prop_assert_eq!(set.insert(x), model.insert(x));
                } else {
                    prop_assert_eq!(set.remove(x), model.remove(&x));
                }
            }
            prop_assert_eq!(set.count(), model.len());
            prop_assert_eq!(set.iter().collect::<Vec<_>>(), model.iter().copied().collect::<Vec<_>>());
            for x in 0..310 {
                prop_assert_eq!(set.contains(x), model.contains(&x));
            }
        }
    }
}
