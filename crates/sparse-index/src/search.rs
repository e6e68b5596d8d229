//! Exact top-k by dot product, in the style of MaxScore over windows of offsets.
//!
//! Query terms are ordered by the most each can add to a score (its weight times the largest or
//! smallest weight of its list, never below 0; within a window, of its blocks of 128 postings
//! there). Once `k` points are held, the terms whose
//! bounds sum below the k-th score are *non-essential*: a point holding only those cannot
//! enter, so their lists are not walked. The essential lists are walked window by window
//! (4,096 offsets), in increasing term order, their contributions added into a dense
//! accumulator: while every term is essential, a point's sum is its exact score; after that,
//! a touched point whose partial sum plus the non-essential bounds can still reach the k-th
//! score is scored exactly by probing every query term's list at its offset (cursors that only
//! move forward, galloping). Deleted points and a bit-set filter are cleared from the window's
//! touched bits word by word; a filter passing few points (by the caller's count) is scored
//! point by point instead.
//!
//! Exactness: a point's score is always its vector's dot product with the (IDF-weighted) query
//! summed in increasing term order, as `SparseVector::dot` computes it (the accumulator adds
//! terms in that order too); bounds only decide which points get scored, with a slack far
//! above the rounding of a sum of f32 products. Negative weights are safe: bounds never go
//! below 0 and partial sums are only used as bounds. Lists of coded weights (f16 / u8, saved
//! files) are walked and probed like the others and ranked by their decoded sums `c`, within
//! `E` = Σ |query weight| × list's measured decoding error of the exact scores `s`. The k-th
//! exact score is then at least the k-th decoded one less `E`, so a point of the exact top-k
//! has `c` at least that less `2E`: the slack grows by `2E`, every point kept meanwhile is
//! remembered, and at the end those within `2E` of the final k-th decoded sum (about k of
//! them) are scored on their vectors.

use sextant_core::{PointFilter, PointOffset, ScoredPoint, SparseVector, TopK};

use crate::index::SparseIndex;
use crate::packed::Cursor;
use crate::postings::{BLOCK, ListRef};
use crate::request::SparseRequest;
use crate::weights::Weights;

/// Offsets per window of the accumulator.
const WINDOW: usize = 4096;

/// Relative slack on bounds: a sum of n f32 products is off by at most ~n·2^-24 of the sum of
/// their magnitudes; 1e-5 covers queries of hundreds of terms.
const SLACK: f32 = 1e-5;

/// What one search did: postings read from the lists and points scored exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchStats {
    /// Postings read (from essential lists; none in point-by-point scoring).
    pub postings: usize,
    /// Points whose whole score was summed: from every query term's list, or from their
    /// vectors under a selective filter.
    pub scored: usize,
    /// Points scored again on their vectors (lists of coded weights: the ones near the k-th).
    pub rescored: usize,
}

pub(crate) fn search<F: PointFilter + ?Sized>(
    index: &SparseIndex,
    query: &SparseVector,
    req: &SparseRequest<'_, F>,
    stats: &mut SearchStats,
) -> Vec<ScoredPoint> {
    let weighted = index.weighted_terms(query, req.idf);
    if req.k == 0 || weighted.is_empty() {
        return Vec::new();
    }
    let filter = req.filter_ref();
    let mut top = TopK::new(req.k);
    // (bound, query weight, list), in increasing term order.
    let terms: Vec<(f32, f32, ListRef<'_>)> = weighted
        .iter()
        .map(|&(_, w, l)| (l.bound(w), w, l))
        .collect();
    let touched: usize = terms.iter().map(|t| t.2.ids.len()).sum();

    // A filter passing few points: score them one by one.
    if let (Some(f), Some(passing)) = (filter, req.passing)
        && let Some(bits) = f.as_bitset()
        && passing.saturating_mul(4) < touched
    {
        let q = crate::index::as_vector(&weighted);
        for o in bits.iter() {
            if index.deleted.contains(o) {
                continue;
            }
            if let Some((indices, values)) = index.doc(o) {
                stats.scored += 1;
                if let Some(s) = q.dot_parts_if_shared(indices, values) {
                    top.push(o, s);
                }
            }
        }
        return top.into_sorted_vec();
    }

    let scale: f32 = terms
        .iter()
        .map(|(_, w, l)| w.abs() * l.max.abs().max(l.min.abs()))
        .sum();
    // Coded weights: a sum of decoded weights is within E = Σ|w|·err of the exact one.
    let coded: f32 = terms.iter().map(|(_, w, l)| w.abs() * l.err).sum();
    let slack = scale * SLACK + 2.0 * coded * (1.0 + SLACK);
    let exact = terms.iter().all(|t| t.2.weights.exact());
    let mut best = Best {
        top,
        near: (!exact).then(Vec::new),
    };
    // rank[t]: term t's place by bound ascending; prefix[i]: the i smallest bounds summed.
    let mut by_bound: Vec<usize> = (0..terms.len()).collect();
    by_bound.sort_by(|&a, &b| terms[a].0.total_cmp(&terms[b].0));
    let mut rank = vec![0usize; terms.len()];
    let mut prefix = vec![0.0f32; terms.len() + 1];
    for (i, &t) in by_bound.iter().enumerate() {
        rank[t] = i;
        prefix[i + 1] = prefix[i] + terms[t].0;
    }
    let mut cursors = vec![0usize; terms.len()];
    // The accumulator is zero between searches (every touched entry is taken back to zero),
    // so a thread reuses its own instead of allocating and clearing 16 KiB per query.
    ACC.with_borrow_mut(|acc| {
        acc.resize(WINDOW, 0.0);
        let walk = Walk {
            index,
            filter,
            terms: &terms,
            rank: &rank,
            by_bound: &by_bound,
            prefix: &prefix,
            slack,
            factor: req.factor,
        };
        windows(&walk, &mut cursors, acc, &mut best, stats);
    });
    let Some(near) = best.near else {
        return best.top.into_sorted_vec();
    };
    // Coded weights: the points near enough, scored on their vectors.
    let theta = best.top.threshold().unwrap_or(f32::NEG_INFINITY);
    let q = crate::index::as_vector(&weighted);
    let mut top = TopK::new(req.k);
    for (o, c) in near {
        if c + slack >= theta
            && let Some(s) = index.doc(o).and_then(|(t, w)| q.dot_parts_if_shared(t, w))
        {
            stats.rescored += 1;
            top.push(o, s);
        }
    }
    top.into_sorted_vec()
}

/// The k best points by the lists' sums and, when some list holds coded weights, every point
/// kept on the way (with its decoded sum), to be rescored.
struct Best {
    top: TopK,
    near: Option<Vec<(PointOffset, f32)>>,
}

impl Best {
    fn push(&mut self, o: PointOffset, sum: f32) {
        self.top.push(o, sum);
        if let Some(near) = &mut self.near {
            near.push((o, sum));
        }
    }
}

thread_local! {
    static ACC: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// What the window loop reads: the index, the filter, the query's lists in term order with
/// their places by bound and the prefix sums of the bounds in that order, and the rounding
/// slack.
struct Walk<'a, F: ?Sized> {
    index: &'a SparseIndex,
    filter: Option<&'a F>,
    terms: &'a [(f32, f32, ListRef<'a>)],
    rank: &'a [usize],
    by_bound: &'a [usize],
    prefix: &'a [f32],
    slack: f32,
    /// The approximation factor on the k-th score (1: exact).
    factor: f32,
}

/// The window loop of [`search`]: walks the essential lists, scores the candidates into `top`.
fn windows<F: PointFilter + ?Sized>(
    walk: &Walk<'_, F>,
    cursors: &mut [usize],
    acc: &mut [f32],
    best: &mut Best,
    stats: &mut SearchStats,
) {
    let Walk {
        index,
        filter,
        terms,
        rank,
        by_bound,
        prefix,
        slack,
        factor,
    } = *walk;
    // The k-th score as pruning sees it: raised by the approximation factor when positive.
    let threshold = |best: &Best| {
        best.top
            .threshold()
            .map(|t| if t > 0.0 { t * factor } else { t })
    };
    let mut probes = vec![0usize; terms.len()];
    // One reader per list: packed lists decode a block at a time.
    let mut ids: Vec<Cursor<'_>> = terms.iter().map(|t| Cursor::new(t.2.ids)).collect();
    let mut window_bound = vec![0.0f32; terms.len()];
    let mut bits = [0u64; WINDOW / 64];
    // A bit-set filter is AND-ed word by word; any other is asked point by point.
    let filter_bits = filter.and_then(|f| f.as_bitset());
    let per_point = filter.filter(|_| filter_bits.is_none());
    let masked = index.has_deleted() || filter_bits.is_some();
    let end = index.end();
    let mut essential_from = 0;
    let mut start = 0usize;
    while start < end {
        // The first offset any essential list still holds: skip empty windows.
        let next = (0..terms.len())
            .filter(|&i| rank[i] >= essential_from)
            .filter_map(|i| ids[i].get(cursors[i]))
            .min();
        let Some(next) = next else { break };
        start = start.max(next as usize / WINDOW * WINDOW);
        let stop = start + WINDOW;
        for (i, &(_, w, list)) in terms.iter().enumerate() {
            if rank[i] < essential_from {
                continue;
            }
            let mut add = |at: usize, v: f32| {
                acc[at] += v;
                bits[at / 64] |= 1 << (at % 64);
            };
            let (c, stop) = (cursors[i], stop as PointOffset);
            // One loop per weight type, so the walk does not branch per posting.
            let c = match list.weights {
                Weights::F32(x) => ids[i].walk(c, stop, |c, o| add(o as usize - start, w * x[c])),
                Weights::F16(x, s) => {
                    let (a, b) = (w * s.lo, w * s.step);
                    ids[i].walk(c, stop, |c, o| {
                        add(
                            o as usize - start,
                            a + b * half::f16::from_bits(x[c]).to_f32(),
                        )
                    })
                }
                Weights::U8(x, s) => {
                    let (a, b) = (w * s.lo, w * s.step);
                    ids[i].walk(c, stop, |c, o| add(o as usize - start, a + b * x[c] as f32))
                }
            };
            stats.postings += c - cursors[i];
            cursors[i] = c;
        }
        // Deleted points and a bit-set filter, word by word (their sums cleared).
        if masked {
            let words = start / 64;
            for (i, word) in bits.iter_mut().enumerate() {
                if *word == 0 {
                    continue;
                }
                let mut keep = *word;
                if let Some(&d) = index.deleted.as_words().get(words + i) {
                    keep &= !d;
                }
                if let Some(f) = filter_bits {
                    keep &= f.as_words().get(words + i).copied().unwrap_or(0);
                }
                let mut gone = *word & !keep;
                while gone != 0 {
                    acc[i * 64 + gone.trailing_zeros() as usize] = 0.0;
                    gone &= gone - 1;
                }
                *word = keep;
            }
        }
        // What the non-essential terms can add in this window: the bounds of their blocks
        // that hold offsets of the window (tighter than their whole lists').
        let mut rest = 0.0f32;
        for (t, &(_, w, list)) in terms.iter().enumerate() {
            window_bound[t] = 0.0;
            if rank[t] >= essential_from {
                continue;
            }
            let a = ids[t].seek(probes[t], start as PointOffset);
            let b = ids[t].seek(a, stop as PointOffset);
            probes[t] = a;
            if a < b {
                window_bound[t] = list.blocks[a / BLOCK..=(b - 1) / BLOCK]
                    .iter()
                    .map(|&(hi, lo)| (w * hi).max(w * lo).max(0.0))
                    .fold(0.0f32, f32::max);
                rest += window_bound[t];
            }
        }
        for (i, word) in bits.iter_mut().enumerate() {
            let mut w = std::mem::take(word);
            while w != 0 {
                let at = i * 64 + w.trailing_zeros() as usize;
                w &= w - 1;
                let partial = std::mem::take(&mut acc[at]);
                let o = (start + at) as PointOffset;
                if let Some(theta) = threshold(best)
                    && partial + rest + slack < theta
                {
                    continue;
                }
                if per_point.is_some_and(|f| !f.allows(o)) {
                    continue;
                }
                stats.scored += 1;
                if essential_from == 0 {
                    // Every term was added, in term order: the score (of exact weights).
                    best.push(o, partial);
                    continue;
                }
                // Non-essential terms, largest bound first: each probe swaps its bound for
                // its true contribution, and a point that can no longer reach the k-th score
                // is dropped before the full sum.
                let theta = threshold(best).unwrap_or(f32::NEG_INFINITY);
                let mut bound = partial + rest;
                let mut dropped = false;
                for &t in by_bound[..essential_from].iter().rev() {
                    let (_, w, list) = terms[t];
                    let c = ids[t].seek(probes[t], o);
                    probes[t] = c;
                    let contribution = if ids[t].get(c) == Some(o) {
                        w * list.weights.get(c)
                    } else {
                        0.0
                    };
                    bound += contribution - window_bound[t];
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
                    let c = ids[t].seek(probes[t], o);
                    probes[t] = c;
                    if ids[t].get(c) == Some(o) {
                        sum += w * list.weights.get(c);
                    }
                }
                best.push(o, sum);
            }
        }
        if let Some(theta) = threshold(best) {
            while essential_from < terms.len() && prefix[essential_from + 1] + slack < theta {
                essential_from += 1;
            }
        }
        start = stop;
    }
}
