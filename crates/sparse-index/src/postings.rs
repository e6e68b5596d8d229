//! One term's postings: offsets ascending (appended), their weights, and the largest and
//! smallest weight of each block of 128 postings and of the whole list, so a query weight of
//! either sign has an upper bound on what the term can add to a score. The offsets and weights
//! live in RAM (a growing list) or in a saved index file read in place (offsets packed); a
//! search sees either through a [`ListRef`].

use std::ops::Range;

use sextant_core::PointOffset;

use crate::packed::{Ids, Packed};

/// Postings per block of maxima.
pub const BLOCK: usize = 128;

/// Where a list's offsets and weights are.
#[derive(Debug, Clone)]
pub(crate) enum Postings {
    /// In RAM, appended to.
    Owned {
        offsets: Vec<PointOffset>,
        weights: Vec<f32>,
    },
    /// Ranges of the saved file's arrays (copied into RAM before any append): the list's
    /// weights, its packed blocks (by number), its plain tail.
    Mapped {
        weights: Range<usize>,
        blocks: Range<usize>,
        tail: Range<usize>,
    },
}

/// The saved file's arrays every mapped list is a range of (empty without a file).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FileLists<'a> {
    pub weights: &'a [f32],
    pub bytes: &'a [u8],
    /// Where each block starts in `bytes` (one more value than blocks).
    pub starts: &'a [u64],
    pub lasts: &'a [PointOffset],
    pub tail: &'a [PointOffset],
}

impl Default for Postings {
    fn default() -> Self {
        Postings::Owned {
            offsets: Vec::new(),
            weights: Vec::new(),
        }
    }
}

/// A term's list.
#[derive(Debug, Clone, Default)]
pub(crate) struct TermList {
    pub postings: Postings,
    /// (largest, smallest) weight of each block of `BLOCK` postings.
    pub blocks: Vec<(f32, f32)>,
    /// Largest and smallest weight of the list.
    pub max: f32,
    pub min: f32,
    /// Live documents holding the term (for the IDF).
    pub live_df: usize,
}

/// A list as a search reads it: plain slices, wherever the postings live.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ListRef<'a> {
    pub ids: Ids<'a>,
    pub weights: &'a [f32],
    pub blocks: &'a [(f32, f32)],
    pub max: f32,
    pub min: f32,
}

impl ListRef<'_> {
    /// The most a query weight `q` times any weight of the list can be (never below 0: a
    /// document without the term gets 0 from it).
    pub fn bound(&self, q: f32) -> f32 {
        (q * self.max).max(q * self.min).max(0.0)
    }
}

impl TermList {
    /// A list over ranges of the saved arrays (`weights` given to compute the maxima; every
    /// posting is live).
    pub fn mapped(postings: Postings, weights: &[f32]) -> Self {
        let mut list = TermList {
            postings,
            ..TermList::default()
        };
        for (at, &w) in weights.iter().enumerate() {
            list.note(at, w);
        }
        list
    }

    /// Counts the posting at position `at` (the new last one), of weight `weight`, in the
    /// maxima and the document count.
    fn note(&mut self, at: usize, weight: f32) {
        if at == 0 {
            (self.max, self.min) = (weight, weight);
        } else {
            self.max = self.max.max(weight);
            self.min = self.min.min(weight);
        }
        if at.is_multiple_of(BLOCK) {
            self.blocks.push((weight, weight));
        } else if let Some(b) = self.blocks.last_mut() {
            *b = (b.0.max(weight), b.1.min(weight));
        }
        self.live_df += 1;
    }

    /// Appends a posting (offsets arrive in increasing order); a list read from a file is
    /// copied into RAM first.
    pub fn push(&mut self, offset: PointOffset, weight: f32, file: FileLists<'_>) {
        if let Postings::Mapped { .. } = &self.postings {
            let list = self.view(file);
            self.postings = Postings::Owned {
                offsets: list.ids.decoded(),
                weights: list.weights.to_vec(),
            };
        }
        if let Postings::Owned { offsets, weights } = &mut self.postings {
            let at = offsets.len();
            offsets.push(offset);
            weights.push(weight);
            self.note(at, weight);
        }
    }

    /// The list as a search reads it (`file`: the saved arrays, for a mapped list).
    pub fn view<'a>(&'a self, file: FileLists<'a>) -> ListRef<'a> {
        let (ids, weights) = match &self.postings {
            Postings::Owned { offsets, weights } => (Ids::Plain(offsets), &weights[..]),
            Postings::Mapped {
                weights,
                blocks,
                tail,
            } => (
                Ids::Packed(Packed {
                    bytes: file.bytes,
                    starts: file
                        .starts
                        .get(blocks.start..blocks.end + 1)
                        .unwrap_or_default(),
                    lasts: file.lasts.get(blocks.clone()).unwrap_or_default(),
                    tail: file.tail.get(tail.clone()).unwrap_or_default(),
                }),
                file.weights.get(weights.clone()).unwrap_or_default(),
            ),
        };
        ListRef {
            ids,
            weights,
            blocks: &self.blocks,
            max: self.max,
            min: self.min,
        }
    }
}
