//! One term's postings: offsets ascending (appended), their weights, and the largest and
//! smallest weight of each block of 128 postings and of the whole list, so a query weight of
//! either sign has an upper bound on what the term can add to a score; its [`TOPS`] largest
//! weights with their offsets, which put a floor under the k-th score before any list is read
//! (see `search`), and where each window of offsets starts. The offsets and weights live in
//! RAM (a growing list) or in a saved index file read in place (offsets packed, weights maybe
//! coded); a search sees either through a [`ListRef`].

use std::ops::Range;

use sextant_core::PointOffset;

use crate::packed::{Ids, Packed};
use crate::weights::{FileWeights, Scale, Weights};
use crate::window::WINDOW;

/// Postings per block of maxima.
pub const BLOCK: usize = 128;

/// Largest weights a list remembers (with their offsets): a search for `k` ≤ this many points
/// can take a floor under its k-th score from them. 32 covers the usual limits (10 to a few
/// tens) for 8 bytes a posting at most: bm25-pypi-120k's 30k lists hold 1.5M postings.
pub const TOPS: usize = 32;

/// A growing list looks at its new postings for its largest weights this many at a time, and
/// only when the batch's largest beats the 32nd: 28% of bm25-pypi-120k's postings (422,901
/// of 1,482,008, counted) would enter their list's largest as they arrive, each a visit to
/// another cache line.
const TOPS_BATCH: usize = 16;

/// Where a list's offsets and weights are.
#[derive(Debug, Clone)]
pub(crate) enum Postings {
    /// In RAM, appended to.
    Owned {
        offsets: Vec<PointOffset>,
        weights: Vec<f32>,
    },
    /// Ranges of the saved file's arrays (copied into RAM before any append): the list's
    /// weights and their scale, its packed blocks (by number), its plain tail.
    Mapped {
        weights: Range<usize>,
        scale: Scale,
        blocks: Range<usize>,
        tail: Range<usize>,
    },
}

/// The saved file's arrays every mapped list is a range of (empty without a file).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FileLists<'a> {
    pub weights: FileWeights<'a>,
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
    /// The largest gap between a coded weight and its posting's exact one (0: exact weights).
    pub err: f32,
    /// Its largest weights and where each window starts.
    pub guides: Box<Guides>,
    /// The smallest of `guides.tops` once it holds `TOPS`, and the largest weight of the
    /// postings not merged into it yet: a batch whose largest is not above the smallest is
    /// not looked at (both read here, not behind the pointer).
    tops_floor: Option<f32>,
    pending_max: f32,
    /// Live documents holding the term (for the IDF).
    pub live_df: usize,
}

/// What a search reads of a list before walking it, written at most once per `TOPS_BATCH`
/// postings or window: behind a pointer, so that what an insert touches per posting stays
/// together.
#[derive(Debug, Clone, Default)]
pub(crate) struct Guides {
    /// The `TOPS` largest weights (decoded, as a search reads them) and their offsets, weights
    /// descending, of the list's postings but the last `len % TOPS_BATCH` of a list in RAM
    /// (the k-th largest of some postings is still a floor under the k-th of all).
    pub tops: Vec<(f32, PointOffset)>,
    /// Lists of at least `BLOCK` postings: where each window of the search's accumulator
    /// starts, `windows[w]` the first position whose offset is `w · WINDOW` or more (up to
    /// the last offset's window), so a search finds a list's postings in a window without a
    /// seek (the seeks were 5–9% of bm25-pypi-120k long queries' time). At most 4 bytes per
    /// list per 16,384 points.
    pub windows: Vec<u32>,
}

/// A list as a search reads it: plain slices, wherever the postings live.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ListRef<'a> {
    pub ids: Ids<'a>,
    pub weights: Weights<'a>,
    pub blocks: &'a [(f32, f32)],
    /// The `TOPS` largest weights, descending, and their offsets (deleted ones included).
    pub tops: &'a [(f32, PointOffset)],
    /// Where each window starts (empty for lists shorter than `BLOCK`).
    pub windows: &'a [u32],
    pub max: f32,
    pub min: f32,
    /// How far a decoded weight may be from the exact one.
    pub err: f32,
}

impl ListRef<'_> {
    /// The most a query weight `q` times any weight of the list can be (never below 0: a
    /// document without the term gets 0 from it).
    pub fn bound(&self, q: f32) -> f32 {
        (q * self.max).max(q * self.min).max(0.0)
    }
}

impl TermList {
    /// A list over ranges of the saved arrays (`offsets` and `weights`: its offsets and its
    /// weights decoded, for the maxima; `err`: their largest decoding error; every posting is
    /// live).
    pub fn mapped(postings: Postings, offsets: &[PointOffset], weights: &[f32], err: f32) -> Self {
        let mut list = TermList {
            postings,
            err,
            ..TermList::default()
        };
        for (at, &w) in weights.iter().enumerate() {
            list.note(at, w);
        }
        index_windows(&mut list.guides.windows, offsets);
        list.tops_floor = merge_tops(&mut list.guides.tops, offsets, weights);
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

    /// True when the postings are read from a saved file.
    pub fn is_mapped(&self) -> bool {
        matches!(self.postings, Postings::Mapped { .. })
    }

    /// Copies a list read from a file into RAM, with its postings' exact weights `exact` (the
    /// file may hold codes), before it is appended to.
    pub fn own(&mut self, exact: Vec<f32>, file: FileLists<'_>) {
        let offsets = self.view(file).ids.decoded();
        let live_df = self.live_df;
        *self = TermList::owned(offsets, exact);
        self.live_df = live_df;
    }

    /// A list in RAM of these postings (offsets increasing), every one live.
    pub fn owned(offsets: Vec<PointOffset>, weights: Vec<f32>) -> Self {
        let mut list = TermList::default();
        for (at, &w) in weights.iter().enumerate() {
            list.note(at, w);
        }
        index_windows(&mut list.guides.windows, &offsets);
        // All but the last `len % TOPS_BATCH`, which `push` merges with the next ones.
        let batched = offsets.len() - offsets.len() % TOPS_BATCH;
        list.tops_floor = merge_tops(
            &mut list.guides.tops,
            &offsets[..batched],
            &weights[..batched],
        );
        list.postings = Postings::Owned { offsets, weights };
        list
    }

    /// Appends a posting (offsets arrive in increasing order) to a list in RAM
    /// ([`Self::own`] first for a list read from a file).
    pub fn push(&mut self, offset: PointOffset, weight: f32) {
        if let Postings::Owned { offsets, weights } = &mut self.postings {
            let at = offsets.len();
            offsets.push(offset);
            weights.push(weight);
            // The guides only when the list reaches `BLOCK` postings or a new window (below
            // `BLOCK`, `index_windows` returns at once), and every `TOPS_BATCH` postings.
            let crossed = at.checked_sub(1).map(|p| offsets[p] as usize / WINDOW)
                != Some(offset as usize / WINDOW);
            if crossed || at + 1 == BLOCK {
                index_windows(&mut self.guides.windows, offsets);
            }
            self.pending_max = self.pending_max.max(weight);
            if offsets.len().is_multiple_of(TOPS_BATCH) {
                if self.tops_floor.is_none_or(|f| self.pending_max > f) {
                    let new = offsets.len() - TOPS_BATCH..;
                    let tops = &mut self.guides.tops;
                    self.tops_floor = merge_tops(tops, &offsets[new.clone()], &weights[new]);
                }
                self.pending_max = f32::NEG_INFINITY;
            }
            self.note(at, weight);
        }
    }

    /// Starts loading what a search reads first of the list: its guides, the first of its
    /// blocks' bounds and of its postings.
    pub fn prefetch(&self, file: FileLists<'_>) {
        use sextant_core::kernels::prefetch;
        prefetch(std::slice::from_ref(&*self.guides));
        prefetch(&self.blocks[..self.blocks.len().min(1)]);
        match &self.postings {
            Postings::Owned { offsets, weights } => {
                prefetch(&offsets[..offsets.len().min(1)]);
                prefetch(&weights[..weights.len().min(1)]);
            }
            Postings::Mapped { blocks, tail, .. } => {
                prefetch(
                    file.starts
                        .get(blocks.start..blocks.start + 1)
                        .unwrap_or_default(),
                );
                prefetch(
                    file.tail
                        .get(tail.start..tail.start + 1)
                        .unwrap_or_default(),
                );
            }
        }
    }

    /// The list as a search reads it (`file`: the saved arrays, for a mapped list).
    pub fn view<'a>(&'a self, file: FileLists<'a>) -> ListRef<'a> {
        let (ids, weights) = match &self.postings {
            Postings::Owned { offsets, weights } => {
                (Ids::Plain(offsets), Weights::F32(&weights[..]))
            }
            Postings::Mapped {
                weights,
                scale,
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
                file.weights.list(weights.clone(), *scale),
            ),
        };
        ListRef {
            ids,
            weights,
            blocks: &self.blocks,
            tops: &self.guides.tops,
            windows: &self.guides.windows,
            max: self.max,
            min: self.min,
            err: self.err,
        }
    }
}

/// Extends a list's `windows` over its offsets (all of them so far), once it holds `BLOCK`.
fn index_windows(windows: &mut Vec<u32>, offsets: &[PointOffset]) {
    let Some(&last) = offsets.last() else { return };
    if offsets.len() < BLOCK {
        return;
    }
    while windows.len() <= last as usize / WINDOW {
        let start = (windows.len() * WINDOW) as PointOffset;
        let from = windows.last().map_or(0, |&p| p as usize);
        let at = from + offsets[from..].partition_point(|&o| o < start);
        windows.push(at as u32);
    }
}

/// Merges postings (`offsets`, `weights`) into a list's largest weights `tops`, keeping
/// `TOPS`; returns their smallest once there are `TOPS`.
fn merge_tops(
    tops: &mut Vec<(f32, PointOffset)>,
    offsets: &[PointOffset],
    weights: &[f32],
) -> Option<f32> {
    for (&o, &w) in offsets.iter().zip(weights) {
        if tops.len() == TOPS && tops.last().is_some_and(|t| w <= t.0) {
            continue;
        }
        let place = tops.partition_point(|t| t.0 >= w);
        tops.truncate(TOPS - 1);
        tops.insert(place, (w, o));
    }
    tops.get(TOPS - 1).map(|t| t.0)
}
