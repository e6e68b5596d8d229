//! `Postings`: the sorted, distinct offsets of the points holding one value, and a bit set of
//! them once they are many (a dense value is OR-ed into a result word by word instead of bit
//! by bit). A saved index's lists are read in place from the mapped file and copied into RAM
//! the first time they change.

use sextant_core::{BitSet, PointOffset};

use crate::store::MappedU32;

/// A value keeps a bit set (over offsets up to its last) once it holds at least this many
/// points and at least one offset in 32 of that span: the bits then cost at most the list's
/// 4 bytes per point, and OR-ing 1/64 of a word per offset beats setting bits one by one
/// (a 2,000-point value of a 20k segment: 0.1 µs instead of ~2 µs).
const MIN_DENSE: usize = 256;

/// Whether `len` points spread over offsets `0..span` are dense enough for a bit set; a set
/// that has one keeps it down to half that density (no flapping at the edge).
fn dense(len: usize, span: usize, has_bits: bool) -> bool {
    if has_bits {
        len >= MIN_DENSE / 2 && len * 64 >= span
    } else {
        len >= MIN_DENSE && len * 32 >= span
    }
}

fn span(list: &[PointOffset]) -> usize {
    list.last().map_or(0, |&o| o as usize + 1)
}

/// Sorted distinct point offsets (plus their bit set when dense). Appends in offset order
/// (how a growing segment inserts) are O(1); an out-of-order insert or a removal shifts the
/// tail.
#[derive(Debug, Clone, Default)]
pub struct Postings {
    list: List,
    bits: Option<BitSet>,
}

/// Where a list's offsets live.
#[derive(Debug, Clone)]
enum List {
    Owned(Vec<PointOffset>),
    /// In a saved index file, validated (sorted, distinct, in range) when it was opened.
    Mapped(MappedU32),
}

impl Default for List {
    fn default() -> Self {
        List::Owned(Vec::new())
    }
}

impl Postings {
    /// The postings of a saved index, read in place (`list` checked sorted and distinct).
    pub(crate) fn mapped(list: MappedU32) -> Self {
        let l = list.as_slice();
        let bits = dense(l.len(), span(l), false).then(|| {
            let mut bits = BitSet::new(0);
            bits.insert_all(list.as_slice());
            bits
        });
        Self {
            list: List::Mapped(list),
            bits,
        }
    }

    /// The list in RAM, copied from the file first if it was mapped.
    fn owned(&mut self) -> &mut Vec<PointOffset> {
        if let List::Mapped(m) = &self.list {
            self.list = List::Owned(m.as_slice().to_vec());
        }
        match &mut self.list {
            List::Owned(v) => v,
            List::Mapped(_) => unreachable!("copied just above"),
        }
    }

    /// Adds `o`; false when it was there.
    pub fn insert(&mut self, o: PointOffset) -> bool {
        let list = self.owned();
        let added = match list.last() {
            Some(&last) if last < o => {
                list.push(o);
                true
            }
            None => {
                list.push(o);
                true
            }
            _ => match list.binary_search(&o) {
                Ok(_) => false,
                Err(i) => {
                    list.insert(i, o);
                    true
                }
            },
        };
        let (len, span) = (list.len(), span(list));
        match &mut self.bits {
            Some(bits) => {
                bits.insert(o);
            }
            None if dense(len, span, false) => {
                let mut bits = BitSet::new(0);
                bits.insert_all(self.as_slice());
                self.bits = Some(bits);
            }
            None => {}
        }
        added
    }

    /// Removes `o`; false when it was not there.
    pub fn remove(&mut self, o: PointOffset) -> bool {
        let Ok(i) = self.as_slice().binary_search(&o) else {
            return false;
        };
        let list = self.owned();
        list.remove(i);
        let (len, span) = (list.len(), span(list));
        if let Some(bits) = &mut self.bits {
            bits.remove(o);
        }
        if !dense(len, span, true) {
            self.bits = None;
        }
        true
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// No points.
    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    /// The offsets, ascending.
    #[inline]
    pub fn as_slice(&self) -> &[PointOffset] {
        match &self.list {
            List::Owned(v) => v,
            List::Mapped(m) => m.as_slice(),
        }
    }

    /// The bit set of a dense value.
    #[cfg(test)]
    pub fn bits(&self) -> Option<&BitSet> {
        self.bits.as_ref()
    }

    /// Sets the offsets' bits in `out` (word by word for a dense value).
    pub fn or_into(&self, out: &mut BitSet) {
        match &self.bits {
            Some(bits) => out.or_with(bits),
            None => out.insert_all(self.as_slice()),
        }
    }

    /// What OR-ing or clearing this value costs in a result of `words` words: its words when
    /// dense, its points otherwise.
    pub fn cost(&self, words: usize) -> usize {
        if self.is_dense() { words } else { self.len() }
    }

    /// Heap bytes: the list (when in RAM) and the bit set.
    pub fn heap_bytes(&self) -> usize {
        let list = match &self.list {
            List::Owned(v) => 4 * v.len(),
            List::Mapped(_) => 0,
        };
        list + self.bits.as_ref().map_or(0, |b| 8 * b.as_words().len())
    }

    /// True when the value keeps a bit set.
    pub fn is_dense(&self) -> bool {
        self.bits.is_some()
    }

    /// Clears the offsets' bits in `out` (word by word for a dense value).
    pub fn and_not_from(&self, out: &mut BitSet) {
        match &self.bits {
            Some(bits) => out.and_not_with(bits),
            None => {
                for &o in self.as_slice() {
                    out.remove(o);
                }
            }
        }
    }

    /// Number of offsets also in `among`.
    pub fn count_in(&self, among: &BitSet) -> usize {
        match &self.bits {
            Some(bits) => bits.count_and(among),
            None => self
                .as_slice()
                .iter()
                .filter(|&&o| among.contains(o))
                .count(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_values_keep_bits_in_step() {
        let mut p = Postings::default();
        for o in (0..5_000u32).rev().map(|i| 2 * i) {
            p.insert(o);
        }
        let bits = p.bits().expect("dense").clone();
        assert_eq!(bits.iter().collect::<Vec<_>>(), p.as_slice());
        let mut among = BitSet::new(10_000);
        among.insert_all(&[0, 1, 2, 3, 4, 9998]);
        assert_eq!(p.count_in(&among), 4);
        for o in (0..10_000u32).step_by(4) {
            p.remove(o);
        }
        assert!(p.bits().is_some(), "2,500 points over 10,000: one in 4");
        assert_eq!(p.bits().unwrap().iter().collect::<Vec<_>>(), p.as_slice());
        for o in (2..9_000u32).step_by(4) {
            p.remove(o);
        }
        // 250 points over 10,000: one in 40, between the two thresholds: kept.
        assert!(p.bits().is_some());
        for o in (9_000..9_200u32).step_by(4).map(|o| o + 2) {
            p.remove(o);
        }
        assert_eq!(p.len(), 200);
        assert!(
            p.bits().is_some(),
            "one in 50 of the span: still above one in 64"
        );
        for o in (9_200..9_520u32).step_by(4).map(|o| o + 2) {
            p.remove(o);
        }
        assert_eq!(p.len(), 120);
        assert!(p.bits().is_none(), "fewer than 128 points: a list again");
        let mut out = BitSet::new(0);
        p.or_into(&mut out);
        assert_eq!(out.iter().collect::<Vec<_>>(), p.as_slice());
        // Sparse over a wide span: no bits; dense enough: bits.
        let mut q = Postings::default();
        for o in (0..300u32).map(|i| i * 100) {
            q.insert(o);
        }
        assert!(q.bits().is_none());
        let mut r = Postings::default();
        for o in (0..300u32).map(|i| i * 16) {
            r.insert(o);
        }
        assert!(r.bits().is_some());
    }

    #[test]
    fn stays_sorted_and_distinct() {
        let mut p = Postings::default();
        for o in [5, 1, 9, 5, 3, 12] {
            p.insert(o);
        }
        assert_eq!(p.as_slice(), [1, 3, 5, 9, 12]);
        assert!(p.remove(5) && !p.remove(5));
        assert_eq!(p.as_slice(), [1, 3, 9, 12]);
    }
}
