//! Exact top-k by dot product, in the style of MaxScore over windows of offsets: the request's
//! setup (weighted query terms, bounds, their order, the rounding slack), the point-by-point
//! path for selective filters, and the final rescoring of coded weights; the window loop is
//! in `window`.
//!
//! Query terms are ordered by the most each can add to a score (its weight times the largest or
//! smallest weight of its list, never below 0; within a window, of its blocks of 128 postings
//! there). Once `k` points are held, the terms whose bounds sum below the k-th score are
//! *non-essential*: a point holding only those cannot enter. A filter passing few points (by
//! the caller's count) is scored point by point instead.
//!
//! The k-th score has a floor before any list is read: when no term can take a point's score
//! down (every query weight times every weight of its list is at least 0), each of a term's
//! `k` largest live, passing postings belongs to a point scoring at least its query weight
//! times that posting's weight, so the largest such k-th product over the terms is at most the
//! k-th score. Lists remember their [`TOPS`] largest weights for it. On bm25-pypi-10k short
//! queries this floor is a median 0.86 of the k-th score (0.83 at 120k), and it makes about
//! three quarters of their postings non-essential from the first window on (numpy, over the
//! datasets: 250 of 892 postings a query essential at 10k, 1,866 of 8,120 at 120k).
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
use crate::postings::{ListRef, TOPS};
use crate::request::SparseRequest;
use crate::window::{Best, Walk, windows};

/// Relative slack on bounds: a sum of n f32 products is off by at most ~n·2^-24 of the sum of
/// their magnitudes; 1e-5 covers queries of hundreds of terms.
const SLACK: f32 = 1e-5;

/// What one search did: postings read from the lists and points scored exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchStats {
    /// Postings read from the lists (none in point-by-point scoring).
    pub postings: usize,
    /// Points whose whole score was summed: from every query term's list, or from their
    /// vectors under a selective filter.
    pub scored: usize,
    /// Points scored again on their vectors (lists of coded weights: the ones near the k-th).
    pub rescored: usize,
}

/// Candidates per result of an approximate search over the heaviest query terms, scored
/// on every term before the best `k` are kept. bm25-pypi-120k long queries (~12 terms), 10
/// terms kept, recall@10 / QPS with 1, 3, 4, 8 candidates per result: 0.879 / 14.1k, 0.947 /
/// 12.0k, 0.956 / 10.9k, 0.970 / 8.8k (all terms, exact: 7.7k).
pub const MAX_TERMS_POOL: usize = 3;

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
    match req.max_terms {
        Some(n) if n < weighted.len() => heaviest_terms(index, &weighted, n, req, stats),
        _ => search_terms(index, &weighted, req, stats),
    }
}

/// The approximate search of [`SparseRequest::max_terms`]: the `n` heaviest terms' exact
/// top `MAX_TERMS_POOL · k`, each scored on the whole query from its vector.
fn heaviest_terms<F: PointFilter + ?Sized>(
    index: &SparseIndex,
    weighted: &[(u32, f32, ListRef<'_>)],
    n: usize,
    req: &SparseRequest<'_, F>,
    stats: &mut SearchStats,
) -> Vec<ScoredPoint> {
    let mut kept: Vec<(u32, f32, ListRef<'_>)> = weighted.to_vec();
    kept.sort_by(|a, b| b.2.bound(b.1).total_cmp(&a.2.bound(a.1)));
    kept.truncate(n);
    kept.sort_by_key(|t| t.0);
    let mut pool_req = *req;
    pool_req.k = req.k.saturating_mul(MAX_TERMS_POOL);
    let pool = search_terms(index, &kept, &pool_req, stats);
    let q = crate::index::as_vector(weighted);
    let mut top = TopK::new(req.k);
    for p in pool {
        if let Some(s) = index
            .doc(p.offset)
            .and_then(|(t, w)| q.dot_parts_if_shared(t, w))
        {
            stats.rescored += 1;
            top.push(p.offset, s);
        }
    }
    top.into_sorted_vec()
}

/// The exact top `req.k` over these weighted terms.
fn search_terms<F: PointFilter + ?Sized>(
    index: &SparseIndex,
    weighted: &[(u32, f32, ListRef<'_>)],
    req: &SparseRequest<'_, F>,
    stats: &mut SearchStats,
) -> Vec<ScoredPoint> {
    let filter = req.filter_ref();
    let mut top = TopK::new(req.k);
    // (bound, query weight, list), in increasing term order.
    let terms: Vec<(f32, f32, ListRef<'_>)> = weighted
        .iter()
        .map(|&(_, w, l)| (l.bound(w), w, l))
        .collect();
    let touched: usize = terms.iter().map(|t| t.2.ids.len()).sum();

    // A filter passing few points: score them one by one (a vector lookup and merge each,
    // about 30 postings' walk: bm25-pypi-120k, 1% passing, QPS with the switch at 4, 16, 64
    // postings per point: 14.8k, 22.2k, 23.4k).
    if let (Some(f), Some(passing)) = (filter, req.passing)
        && let Some(bits) = f.as_bitset()
        && passing.saturating_mul(32) < touched
    {
        let q = crate::index::as_vector(weighted);
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
    let floor = floor(index, &terms, req.k, filter);
    let mut best = Best::new(top, !exact);
    // rank[t]: term t's place by bound ascending; prefix[i]: the i smallest bounds summed.
    let mut by_bound: Vec<usize> = (0..terms.len()).collect();
    by_bound.sort_by(|&a, &b| terms[a].0.total_cmp(&terms[b].0));
    let mut rank = vec![0usize; terms.len()];
    let mut prefix = vec![0.0f32; terms.len() + 1];
    for (i, &t) in by_bound.iter().enumerate() {
        rank[t] = i;
        prefix[i + 1] = prefix[i] + terms[t].0;
    }
    // The accumulator is zero between searches (every touched entry is taken back to zero),
    // so a thread reuses its own instead of allocating and clearing 64 KiB per query.
    crate::accumulator::ACC.with_borrow_mut(|acc| {
        acc.ready();
        let walk = Walk {
            index,
            filter,
            terms: &terms,
            rank: &rank,
            by_bound: &by_bound,
            prefix: &prefix,
            slack,
            floor,
            factor: req.factor,
        };
        windows(&walk, acc, &mut best, stats);
    });
    let (top, near) = best.into_parts();
    let Some(near) = near else {
        return top.into_sorted_vec();
    };
    // Coded weights: the points near enough, scored on their vectors.
    let theta = top.threshold().unwrap_or(f32::NEG_INFINITY);
    let q = crate::index::as_vector(weighted);
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

/// A floor under the k-th score from the lists' largest weights (see the module docs), when
/// no term can lower a score and some list has `k` live, passing postings among those.
fn floor<F: PointFilter + ?Sized>(
    index: &SparseIndex,
    terms: &[(f32, f32, ListRef<'_>)],
    k: usize,
    filter: Option<&F>,
) -> Option<f32> {
    if k > TOPS
        || terms
            .iter()
            .any(|&(_, w, l)| w * l.min < 0.0 || w * l.max < 0.0)
    {
        return None;
    }
    let admits = |o: PointOffset| !index.deleted.contains(o) && filter.is_none_or(|f| f.allows(o));
    terms
        .iter()
        .filter(|t| t.1 > 0.0 && t.2.tops.len() >= k)
        .filter_map(|&(_, w, l)| {
            let (weight, _) = l.tops.iter().filter(|t| admits(t.1)).nth(k - 1)?;
            Some(w * weight)
        })
        .reduce(f32::max)
}
