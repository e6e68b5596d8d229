//! One term's postings in a growing index: offsets ascending (appended), their weights, and the
//! largest and smallest weight of each block of 128 postings and of the whole list, so a query
//! weight of either sign has an upper bound on what the term can add to a score.

use sextant_core::PointOffset;

/// Postings per block of maxima.
pub const BLOCK: usize = 128;

/// A term's postings.
#[derive(Debug, Clone, Default)]
pub(crate) struct TermList {
    pub offsets: Vec<PointOffset>,
    pub weights: Vec<f32>,
    /// (largest, smallest) weight of each block of `BLOCK` postings.
    pub blocks: Vec<(f32, f32)>,
    /// Largest and smallest weight of the list.
    pub max: f32,
    pub min: f32,
    /// Live documents holding the term (for the IDF).
    pub live_df: usize,
}

impl TermList {
    /// Appends a posting (offsets arrive in increasing order).
    pub fn push(&mut self, offset: PointOffset, weight: f32) {
        if self.offsets.is_empty() {
            (self.max, self.min) = (weight, weight);
        } else {
            self.max = self.max.max(weight);
            self.min = self.min.min(weight);
        }
        if self.offsets.len().is_multiple_of(BLOCK) {
            self.blocks.push((weight, weight));
        } else if let Some(b) = self.blocks.last_mut() {
            *b = (b.0.max(weight), b.1.min(weight));
        }
        self.offsets.push(offset);
        self.weights.push(weight);
        self.live_df += 1;
    }

    /// The most a query weight `q` times any weight of the list can be (never below 0: a
    /// document without the term gets 0 from it).
    pub fn bound(&self, q: f32) -> f32 {
        (q * self.max).max(q * self.min).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_cover_both_signs() {
        let mut t = TermList::default();
        for (o, w) in [(1, 0.5), (3, -2.0), (9, 1.5)] {
            t.push(o, w);
        }
        assert_eq!((t.max, t.min, t.live_df), (1.5, -2.0, 3));
        assert_eq!(t.bound(2.0), 3.0);
        assert_eq!(t.bound(-1.0), 2.0);
        assert_eq!(t.blocks, [(1.5, -2.0)]);
        for o in 10..10 + BLOCK as u32 {
            t.push(o, 0.25);
        }
        assert_eq!(t.blocks.len(), 2);
        assert_eq!(t.blocks[1], (0.25, 0.25));
    }
}
