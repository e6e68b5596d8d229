//! `Postings`: the sorted, distinct offsets of the points holding one value.

use sextant_core::{BitSet, PointOffset};

/// Sorted distinct point offsets. Appends in offset order (how a growing segment inserts)
/// are O(1); an out-of-order insert or a removal shifts the tail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Postings(Vec<PointOffset>);

impl Postings {
    /// Adds `o`; false when it was there.
    pub fn insert(&mut self, o: PointOffset) -> bool {
        match self.0.last() {
            Some(&last) if last < o => {
                self.0.push(o);
                true
            }
            None => {
                self.0.push(o);
                true
            }
            _ => match self.0.binary_search(&o) {
                Ok(_) => false,
                Err(i) => {
                    self.0.insert(i, o);
                    true
                }
            },
        }
    }

    /// Removes `o`; false when it was not there.
    pub fn remove(&mut self, o: PointOffset) -> bool {
        match self.0.binary_search(&o) {
            Ok(i) => {
                self.0.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No points.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The offsets, ascending.
    pub fn as_slice(&self) -> &[PointOffset] {
        &self.0
    }

    /// Sets the offsets' bits in `out`.
    pub fn or_into(&self, out: &mut BitSet) {
        out.insert_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
