//! The window loop of the exact search: the offsets are taken 16,384 at a time, the query's
//! lists walked over each window into a dense accumulator (a touched bit per offset and, in
//! windows with few postings, a list of the points touched, the list alone when every
//! posting adds above 0; in windows with many, once the k-th score is above 0, neither: the
//! sums are scanned for those reaching it), and the touched points that can still enter the
//! top-k scored.
//!
//! Per window, each list's postings there and the largest of its blocks' bounds are found
//! first; a window whose bounds sum below the k-th score is skipped unread. The essential
//! lists are walked, in increasing term order; while every term is essential, a point's sum is
//! its score. Otherwise the touched points whose partial sum plus the other lists' window
//! bounds can still reach the k-th score are the candidates, finished by probing the
//! non-essential lists at each (a seek per list). Before walking, each window takes the
//! cheaper way: when the non-essential lists hold at most [`WALK_RATIO`] postings there per
//! essential posting, every list is walked and every sum is whole. Under deletes or a bit-set
//! filter, a window's allowed points are a bit each, and a walk adds and marks only those.
//!
//! Exactness: a sum over every list, in term order, is the point's vector's dot product as
//! `SparseVector::dot` computes it (of exact weights); partial sums are only bounds.

use sextant_core::{PointFilter, PointOffset, TopK};

use crate::accumulator::{Accumulator, Marks, Record, Sums, Touched, allowed};
use crate::index::SparseIndex;
use crate::packed::Cursor;
use crate::postings::{BLOCK, ListRef};
use crate::search::SearchStats;
use crate::weights::Weights;

/// Offsets per window of the accumulator (64 KiB of f32: fits L2). Measured on
/// bm25-pypi-120k short queries: 4,096 → 16,384 is +23% QPS (fewer per-window seeks and
/// bound sums); 32,768 and 65,536 are slower (more read before the k-th score rises).
pub(crate) const WINDOW: usize = 16384;

/// A window walks its non-essential lists too (every sum whole, no probes) when they hold at
/// most this many postings per posting of the essential lists: a candidate's probes (galloping
/// seeks, the largest bound first, most candidates dropped after one or two) cost about as
/// much as this many postings walked. Since the walk's loop keeps its values in registers
/// (session 33), a posting walked costs less and the balance moved: QPS on bm25-pypi-10k /
/// 120k, long queries then short ones (best of two passes, minutes apart), at 12: 74.2k /
/// 10.3k, 295k / 57.3k; 24: 98.3k / 12.7k, 317k / 59.5k; 32: 103.0k / 13.8k; 48: 109.2k /
/// 13.2k, 317k / 58.2k; 64: 107.5k / 11.6k; 96: short 323k / 57.5k; every list walked:
/// 107.1k / 11.4k. (At 12 with the slower walk, session 26 measured 10k 226k short / 58.0k
/// long, 120k 38.5k / 8.63k.)
const WALK_RATIO: usize = 32;

/// Postings walked in a window up to which its touched points are listed; above it (where
/// the sums are not scanned, see `SCAN_MIN`) so many of a word's bits are set that a loop
/// over them predicts well, and the list would only add a store per posting.
/// bm25-pypi-120k / 10k short queries, QPS with the limit at 0 (never listed), 512, 1,024,
/// 1,536, 2,048, 4,096, ∞: 33.1k / 190k, 35.8k / 199k, 36.9k / 199k, 37.0k / 202k, 36.6k /
/// 198k, 34.8k / 181k, 32.5k / 177k.
const LISTED_MAX: usize = 2048;

/// Postings walked in a window above which the walk marks no point and its sums are scanned
/// instead, once the k-th score is above 0 (`scan_take`: 1,024 groups of sixteen sums
/// compared with the cut; the candidates come out in offset order, unsorted). Alternated
/// with marking every window (three passes of each, minutes apart): bm25-pypi-120k long
/// queries 7.7k–8.6k → 9.3k–9.8k QPS, short 43.8k–44.3k → 46.6k–48.4k; bm25-pypi-10k
/// short 238k–240k → 250k–254k. At 1,024 long queries ran 8.6k–9.5k, at 512 8.0k–8.5k.
const SCAN_MIN: usize = 2048;

/// The k best points by the lists' sums and, when some list holds coded weights, every point
/// kept on the way (with its decoded sum), to be rescored.
pub(crate) struct Best {
    top: TopK,
    near: Option<Vec<(PointOffset, f32)>>,
}

impl Best {
    /// Keeps the best of `top`'s size; `near`: also remember every point kept.
    pub fn new(top: TopK, near: bool) -> Self {
        Best {
            top,
            near: near.then(Vec::new),
        }
    }

    fn push(&mut self, o: PointOffset, sum: f32) {
        self.top.push(o, sum);
        if let Some(near) = &mut self.near {
            near.push((o, sum));
        }
    }

    /// The top-k, and the points remembered.
    pub fn into_parts(self) -> (TopK, Option<Vec<(PointOffset, f32)>>) {
        (self.top, self.near)
    }
}

/// What the window loop reads: the index, the filter, the query's lists in term order with
/// their places by bound and the prefix sums of the bounds in that order, and the rounding
/// slack.
pub(crate) struct Walk<'a, F: ?Sized> {
    pub index: &'a SparseIndex,
    pub filter: Option<&'a F>,
    /// (bound, query weight, list), in increasing term order.
    pub terms: &'a [(f32, f32, ListRef<'a>)],
    pub rank: &'a [usize],
    pub by_bound: &'a [usize],
    pub prefix: &'a [f32],
    pub slack: f32,
    /// A floor under the k-th score known before any list is read (`search`'s `floor`).
    pub floor: Option<f32>,
    /// The approximation factor on the k-th score (1: exact).
    pub factor: f32,
}

impl<F: ?Sized> Walk<'_, F> {
    /// The k-th score as pruning sees it: raised by the approximation factor when positive.
    fn threshold(&self, best: &Best) -> Option<f32> {
        let held = best.top.threshold();
        let theta = match (held, self.floor) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        theta.map(|t| if t > 0.0 { t * self.factor } else { t })
    }

    /// The first term place (by bound) whose list is essential: the lists below it sum
    /// below the k-th score.
    fn essential_from(&self, best: &Best, from: usize) -> usize {
        let mut from = from;
        if let Some(theta) = self.threshold(best) {
            while from < self.terms.len() && self.prefix[from + 1] + self.slack < theta {
                from += 1;
            }
        }
        from
    }
}

/// Where each list is: its reader, the first position not yet passed, and in the current
/// window its positions and the most its blocks there add.
struct Lists<'a> {
    ids: Vec<Cursor<'a>>,
    next: Vec<usize>,
    span: Vec<(usize, usize)>,
    bound: Vec<f32>,
}

/// Walks the windows, scoring what can enter into `best` (`acc`: [`Accumulator::ready`]).
pub(crate) fn windows<F: PointFilter + ?Sized>(
    walk: &Walk<'_, F>,
    acc: &mut Accumulator,
    best: &mut Best,
    stats: &mut SearchStats,
) {
    let Walk {
        index,
        filter,
        terms,
        rank,
        slack,
        ..
    } = *walk;
    let n = terms.len();
    let mut lists = Lists {
        ids: terms.iter().map(|t| Cursor::new(t.2.ids)).collect(),
        next: vec![0; n],
        span: vec![(0, 0); n],
        bound: vec![0.0; n],
    };
    let (Some(sums), Some(bits), Some(allow)) = (
        acc.sums.first_chunk_mut::<WINDOW>(),
        acc.bits.first_chunk_mut::<{ WINDOW / 64 }>(),
        acc.allow.first_chunk_mut::<{ WINDOW / 64 }>(),
    ) else {
        return; // not `ready`: nothing to walk into
    };
    let mut touched = Touched {
        bits,
        record: Record::Marked,
        list: &mut acc.touched[..],
        len: 0,
    };
    let mut candidates: Vec<(u32, f32)> = Vec::new();
    // A bit-set filter masks each walk; any other is asked point by point.
    let filter_bits = filter.and_then(|f| f.as_bitset());
    let per_point = filter.filter(|_| filter_bits.is_none());
    // Deleted points or a bit-set filter: a walk adds and marks only the points they allow.
    let masked = index.has_deleted() || filter_bits.is_some();
    let positive = terms.iter().all(|&(_, w, list)| adds_above_zero(w, list));
    let mut essential_from = walk.essential_from(best, 0);
    let mut start = 0usize;
    while start < index.end() {
        // The first offset an essential list still holds: empty windows are jumped over.
        let next = (0..n)
            .filter(|&t| rank[t] >= essential_from)
            .filter_map(|t| lists.ids[t].get(lists.next[t]))
            .min();
        let Some(next) = next else { break };
        start = start.max(next as usize / WINDOW * WINDOW);
        let stop = start + WINDOW;
        let upper = lists.enter(terms, start, stop, index.end());
        if walk
            .threshold(best)
            .is_some_and(|theta| upper + slack < theta)
        {
            start = stop;
            continue;
        }
        // What the lists left unread would add here, and how many postings they hold.
        let (mut rest, mut unread, mut essential) = (0.0f32, 0, 0);
        for (t, &(a, b)) in lists.span.iter().enumerate() {
            if rank[t] >= essential_from {
                essential += b - a;
            } else {
                rest += lists.bound[t];
                unread += b - a;
            }
        }
        // Probing costs seeks for each candidate (up to one per essential posting); reading
        // the unread lists costs a posting each: the cheaper way is taken.
        let whole = unread <= WALK_RATIO * essential;
        let walked_from = if whole { 0 } else { essential_from };
        let walked = if whole { essential + unread } else { essential };
        // Under a mask too: bm25-pypi-120k filters passing 53 / 11 / 1%, QPS listed 32.2k /
        // 29.1k–35.5k / 33.6k–34.5k against unlisted 26.8k–28.2k / 34.8k–35.9k / 35.6k–38.2k.
        // Only a point reaching the cut (then above 0: see `scan_take`) is taken, so a window
        // with many postings scans its sums instead of marking each posting's point.
        let scanned = walked > SCAN_MIN
            && walk
                .threshold(best)
                .is_some_and(|theta| theta - slack > 0.0);
        let record = match scanned {
            true => Record::Scanned,
            false if walked <= LISTED_MAX && positive => Record::Lifted,
            false if walked <= LISTED_MAX => Record::Listed,
            false => Record::Marked,
        };
        touched.record = record;
        if masked {
            allowed(allow, start, &index.deleted, filter_bits);
        }
        let chosen = |t: usize| rank[t] >= walked_from;
        let into = (&mut *sums, &mut touched, &*allow, start);
        // walk::<LIST, MARK, MASK>
        stats.postings += match (record, masked) {
            (Record::Lifted, false) => lists.walk::<true, false, false>(terms, chosen, into),
            (Record::Lifted, true) => lists.walk::<true, false, true>(terms, chosen, into),
            (Record::Listed, false) => lists.walk::<true, true, false>(terms, chosen, into),
            (Record::Marked, false) => lists.walk::<false, true, false>(terms, chosen, into),
            (Record::Scanned, false) => lists.walk::<false, false, false>(terms, chosen, into),
            (Record::Listed, true) => lists.walk::<true, true, true>(terms, chosen, into),
            (Record::Marked, true) => lists.walk::<false, true, true>(terms, chosen, into),
            (Record::Scanned, true) => lists.walk::<false, false, true>(terms, chosen, into),
        };
        if walked_from == 0 {
            whole_sums(walk, &mut touched, sums, start, per_point, best, stats);
        } else {
            let cut = walk
                .threshold(best)
                .map_or(f32::NEG_INFINITY, |t| t - rest - slack);
            // The points whose partial sums reach `cut`, in offset order (probes move forward):
            // a scan yields them so; a list is a few increasing runs, which the stable sort
            // merges.
            candidates.clear();
            touched.take(sums, index.end() - start, cut, |at, partial| {
                // A NaN partial sum is no candidate.
                if partial >= cut {
                    candidates.push((at, partial));
                }
                cut
            });
            if matches!(touched.record, Record::Listed | Record::Lifted) {
                candidates.sort_by_key(|c| c.0);
            }
            let found = (&candidates[..], rest, essential_from);
            probe(walk, &mut lists, found, start, per_point, best, stats);
        }
        essential_from = walk.essential_from(best, essential_from);
        start = stop;
    }
}

/// Whether every posting of `list` times the query weight `w` adds a normal positive
/// number to a sum (BM25's weights do): then a window's walk lists the points it touches by
/// their sums alone, each lifted off 0 by its first touch, with no mark per point (the
/// marks' read-modify-write chains through a word for every posting in it).
fn adds_above_zero(w: f32, list: ListRef<'_>) -> bool {
    // `list.min` is the smallest weight as the walk decodes it; the margin covers the
    // decoding's own rounding (a product two ulps apart).
    w > 0.0 && list.min > 0.0 && w * list.min >= 4.0 * f32::MIN_POSITIVE
}

impl Lists<'_> {
    /// Finds each list's postings in `start..stop` (a window: `start` a multiple of
    /// `WINDOW`) and the largest bound of their blocks; every list is then past the window.
    /// Returns the bounds' sum. `end`: the index's end, past every posting.
    fn enter(
        &mut self,
        terms: &[(f32, f32, ListRef<'_>)],
        start: usize,
        stop: usize,
        end: usize,
    ) -> f32 {
        let mut upper = 0.0f32;
        let window = start / WINDOW;
        let last = stop >= end;
        for (t, &(_, w, list)) in terms.iter().enumerate() {
            let (from, to) = if list.windows.is_empty() {
                let from = self.ids[t].seek(self.next[t], start as PointOffset);
                // In the last window every posting left is in it: no seek to its end (a
                // gallop over the whole list on an index of one window).
                let to = match last {
                    true => list.ids.len(),
                    false => self.ids[t].seek(from, stop as PointOffset),
                };
                (from, to)
            } else {
                let len = list.ids.len();
                let at = |w: usize| list.windows.get(w).map_or(len, |&p| p as usize);
                (at(window).max(self.next[t]), at(window + 1))
            };
            self.span[t] = (from, to);
            self.next[t] = to;
            self.bound[t] = if from < to {
                list.blocks[from / BLOCK..=(to - 1) / BLOCK]
                    .iter()
                    .map(|&(hi, lo)| (w * hi).max(w * lo).max(0.0))
                    .fold(0.0f32, f32::max)
            } else {
                0.0
            };
            upper += self.bound[t];
        }
        upper
    }

    /// Adds the window's postings of the lists `chosen` picks, in term order, into `sums`
    /// (with `MARK`, marking and, with `LIST` too, listing each point touched first; with
    /// `LIST` alone, listing each point whose sum a posting lifts off 0, for lists that only
    /// add above 0; with `MASK`, only the points `allow` has: the others get +0, unmarked,
    /// so no pass clears them after); returns the postings read.
    fn walk<const LIST: bool, const MARK: bool, const MASK: bool>(
        &mut self,
        terms: &[(f32, f32, ListRef<'_>)],
        chosen: impl Fn(usize) -> bool,
        (sums, touched, allow, start): (&mut Sums, &mut Touched<'_>, &Marks, usize),
    ) -> usize {
        let mut read = 0;
        for (t, &(_, w, list)) in terms.iter().enumerate() {
            if !chosen(t) {
                continue;
            }
            let (from, to) = self.span[t];
            read += to - from;
            let (sums, bits, firsts) = (&mut *sums, &mut *touched.bits, &mut *touched.list);
            let mut len = touched.len;
            // One loop per weight type (a match per run, none per posting).
            self.ids[t].chunks(from, to, |c, offsets| {
                let run = (&mut *sums, &mut *bits, &mut *firsts, allow, start);
                len = match list.weights {
                    Weights::F32(x) => {
                        add_run::<LIST, MARK, MASK>(run, len, offsets, |j, f| (w * f) * x[c + j])
                    }
                    Weights::F16(x, s) => {
                        let (a, b) = (w * s.lo, w * s.step);
                        add_run::<LIST, MARK, MASK>(run, len, offsets, |j, f| {
                            a * f + (b * f) * half::f16::from_bits(x[c + j]).to_f32()
                        })
                    }
                    Weights::U8(x, s) => {
                        let (a, b) = (w * s.lo, w * s.step);
                        add_run::<LIST, MARK, MASK>(run, len, offsets, |j, f| {
                            a * f + (b * f) * x[c + j] as f32
                        })
                    }
                };
            });
            touched.len = len;
        }
        read
    }
}

/// Adds a run of one list's postings (`offsets`, the `j`-th adding `value(j, flag)`) into
/// the window's sums, as [`Lists::walk`] says; `len`: the points listed so far, returned
/// updated. Not inlined: in a function of its own the loop's dozen values stay in
/// registers, where inlined into `windows` they were spilled and the count went through the
/// stack at every posting (bm25-pypi-10k short queries, best of three alternated runs:
/// 233k → 290k QPS in RAM, 211k → 269k mapped).
#[inline(never)]
fn add_run<const LIST: bool, const MARK: bool, const MASK: bool>(
    (sums, bits, firsts, allow, start): (&mut Sums, &mut Marks, &mut [u32], &Marks, usize),
    mut len: usize,
    offsets: &[PointOffset],
    value: impl Fn(usize, f32) -> f32,
) -> usize {
    for (j, &o) in offsets.iter().enumerate() {
        let at = (o as usize - start) & (WINDOW - 1);
        // 1 when the point may be scored, else 0: the query weight is multiplied by it
        // before the list's weight, so a point left out gets +0 (never inf · 0 = NaN). A
        // product, not a select of the value: LLVM compiled the select to a branch around
        // the weight's load, mispredicted on half the postings under a 53% filter (2x the
        // p99).
        let flag = match MASK {
            true => ((allow[at / 64] >> (at % 64)) & 1) as f32,
            false => 1.0,
        };
        let v = value(j, flag);
        if LIST && !MARK {
            // Every posting adds above 0 (`adds_above_zero`) or +0 (left out by the mask): a
            // point's first touch is the one that lifts its sum off 0.
            let old = sums[at];
            let new = old + v;
            sums[at] = new;
            firsts[len] = at as u32;
            len += usize::from((old == 0.0) & (new != 0.0));
            continue;
        }
        sums[at] += v;
        if !MARK {
            continue;
        }
        let (i, bit) = (at / 64, 1u64 << (at % 64));
        let ok = if MASK { allow[i] & bit } else { bit };
        let word = &mut bits[i];
        if LIST {
            // Written always, counted only on a first touch: no branch per posting.
            firsts[len] = at as u32;
            len += usize::from(!*word & ok != 0);
        }
        *word |= ok;
    }
    len
}

/// The touched points of a window whose sums are whole (every list walked, in term order:
/// each sum is the point's score, of exact weights): each one that can enter is pushed.
fn whole_sums<F: PointFilter + ?Sized>(
    walk: &Walk<'_, F>,
    touched: &mut Touched<'_>,
    sums: &mut Sums,
    start: usize,
    per_point: Option<&F>,
    best: &mut Best,
    stats: &mut SearchStats,
) {
    let floor = |best: &Best| {
        walk.threshold(best)
            .map_or(f32::NEG_INFINITY, |t| t - walk.slack)
    };
    let cut = floor(best);
    touched.take(sums, walk.index.end() - start, cut, |at, sum| {
        let o = (start + at as usize) as PointOffset;
        if per_point.is_some_and(|f| !f.allows(o)) {
            return floor(best);
        }
        stats.scored += 1;
        best.push(o, sum);
        floor(best)
    });
}

/// Finishes a window's `candidates` (window position, partial sum over the essential lists;
/// `rest`: what the other lists can add here) by probing the other lists, largest bound first:
/// each probe swaps a list's bound for its true contribution, and a point that can no longer
/// reach the k-th score is dropped; a survivor's score is summed over every list in term
/// order.
fn probe<F: PointFilter + ?Sized>(
    walk: &Walk<'_, F>,
    lists: &mut Lists<'_>,
    (candidates, rest, essential_from): (&[(u32, f32)], f32, usize),
    start: usize,
    per_point: Option<&F>,
    best: &mut Best,
    stats: &mut SearchStats,
) {
    let (terms, slack) = (walk.terms, walk.slack);
    // Probe positions: from each list's first posting in the window, forward only.
    let mut at: Vec<usize> = lists.span.iter().map(|s| s.0).collect();
    for &(pos, partial) in candidates {
        let o = (start + pos as usize) as PointOffset;
        let theta = walk.threshold(best).unwrap_or(f32::NEG_INFINITY);
        if partial + rest + slack < theta || per_point.is_some_and(|f| !f.allows(o)) {
            continue;
        }
        stats.scored += 1;
        let mut bound = partial + rest;
        let mut dropped = false;
        for &t in walk.by_bound[..essential_from].iter().rev() {
            let (_, w, list) = terms[t];
            let c = lists.ids[t].seek(at[t], o);
            at[t] = c;
            let contribution = if lists.ids[t].get(c) == Some(o) {
                w * list.weights.get(c)
            } else {
                0.0
            };
            bound += contribution - lists.bound[t];
            if bound + slack < theta {
                dropped = true;
                break;
            }
        }
        if dropped {
            continue;
        }
        let mut sum = 0.0f32;
        for (t, &(_, w, list)) in terms.iter().enumerate() {
            let c = lists.ids[t].seek(at[t], o);
            at[t] = c;
            if lists.ids[t].get(c) == Some(o) {
                sum += w * list.weights.get(c);
            }
        }
        best.push(o, sum);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::postings::TermList;

    #[test]
    fn only_lists_of_normal_positive_products_walk_without_marks() {
        let list =
            |weights: Vec<f32>| TermList::owned((0..weights.len() as u32).collect(), weights);
        let bm25 = list(vec![0.5, 2.0, 1.25]);
        let signed = list(vec![0.5, -1.0]);
        let zero = list(vec![0.0, 1.0]);
        let tiny = list(vec![1e-30, 1.0]);
        let file = crate::postings::FileLists::default();
        assert!(adds_above_zero(1.0, bm25.view(file)));
        assert!(
            !adds_above_zero(-1.0, bm25.view(file)),
            "a negative query weight"
        );
        assert!(!adds_above_zero(1.0, signed.view(file)));
        assert!(!adds_above_zero(1.0, zero.view(file)));
        // 1e-30 · 1e-10 is below the smallest normal f32: a product could round to 0.
        assert!(adds_above_zero(1.0, tiny.view(file)));
        assert!(!adds_above_zero(1e-10, tiny.view(file)));
    }
}
