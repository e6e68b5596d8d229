//! Best-first search on one level: the loop every query and every insert runs.

use crate::links::Links;
use sextant_core::{PointFilter, PointOffset, QueryScorer, ScoreType, ScoredPoint, VisitedSet};
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// A (score, point) pair ordered by score (higher first), then by smaller offset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scored(pub ScoreType, pub PointOffset);

impl Eq for Scored {}
impl PartialOrd for Scored {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scored {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0).then(other.1.cmp(&self.1))
    }
}

/// Buffers a search reuses (heaps, visited marks, neighbour lists): keep one per thread and
/// searches allocate nothing once it has grown to the index.
#[derive(Debug)]
pub struct SearchContext {
    pub(crate) visited: VisitedSet,
    /// Frontier, best on top.
    pub(crate) candidates: BinaryHeap<Scored>,
    /// Best `ef` found so far, worst on top.
    pub(crate) results: BinaryHeap<Reverse<Scored>>,
    pub(crate) links: Vec<PointOffset>,
    pub(crate) fresh: Vec<PointOffset>,
    pub(crate) scores: Vec<ScoreType>,
    /// Unfiltered searches: the best `ef` so far, sorted best first, with an "expanded" flag.
    pub(crate) pool: Vec<(Scored, bool)>,
    /// The results of the last search (what `Found` borrows).
    pub(crate) out: Vec<ScoredPoint>,
}

impl Default for SearchContext {
    fn default() -> Self {
        Self::new()
    }
}

impl SearchContext {
    /// An empty context (it grows on first use).
    pub fn new() -> Self {
        Self {
            visited: VisitedSet::new(0),
            candidates: BinaryHeap::new(),
            results: BinaryHeap::new(),
            links: Vec::new(),
            fresh: Vec::new(),
            scores: Vec::new(),
            pool: Vec::new(),
            out: Vec::new(),
        }
    }
}

/// Expands `node` on `level`: its links not visited yet go to `ctx.fresh` (and are marked
/// visited), their scores to `ctx.scores`, in one batch so the scorer can prefetch. The caller
/// drops every point scoring below `floor`, so the scorer may stop early on those.
#[inline]
fn score_unvisited_links<G: Links + ?Sized, S: QueryScorer>(
    graph: &G,
    scorer: &S,
    node: PointOffset,
    level: usize,
    floor: ScoreType,
    ctx: &mut SearchContext,
) {
    graph.links_into(node, level, &mut ctx.links);
    ctx.fresh.clear();
    for &p in &ctx.links {
        if ctx.visited.visit(p) {
            ctx.fresh.push(p);
        }
    }
    ctx.scores.resize(ctx.fresh.len(), 0.0);
    scorer.score_points_above(&ctx.fresh, floor, &mut ctx.scores);
}

/// Greedy descent on `level` from `(point, score)`: move to the best neighbour while it
/// improves. Returns the local best.
pub(crate) fn greedy<G: Links + ?Sized, S: QueryScorer>(
    graph: &G,
    scorer: &S,
    mut best: Scored,
    level: usize,
    ctx: &mut SearchContext,
) -> Scored {
    loop {
        graph.links_into(best.1, level, &mut ctx.links);
        ctx.scores.resize(ctx.links.len(), 0.0);
        // Only a point above the current best moves the descent.
        scorer.score_points_above(&ctx.links, best.0, &mut ctx.scores);
        let prev = best;
        for (&p, &s) in ctx.links.iter().zip(&ctx.scores) {
            if Scored(s, p) > best {
                best = Scored(s, p);
            }
        }
        if best == prev {
            return best;
        }
    }
}

/// Best-first search on `level` from `entries` with a result list of `ef`. Only points the
/// filter allows enter the results; all points are traversed. Leaves the results in
/// `ctx.results`.
pub(crate) fn search_level<G: Links + ?Sized, S: QueryScorer, F: PointFilter + ?Sized>(
    graph: &G,
    scorer: &S,
    entries: &[Scored],
    ef: usize,
    level: usize,
    filter: Option<&F>,
    ctx: &mut SearchContext,
) {
    ctx.visited.reset(graph.len());
    ctx.candidates.clear();
    ctx.results.clear();
    let allowed = |p: PointOffset| filter.is_none_or(|f| f.allows(p));
    for &e in entries {
        if ctx.visited.visit(e.1) {
            ctx.candidates.push(e);
            if allowed(e.1) {
                ctx.results.push(Reverse(e));
            }
        }
    }
    while ctx.results.len() > ef {
        ctx.results.pop();
    }
    while let Some(c) = ctx.candidates.pop() {
        if ctx.results.len() >= ef && ctx.results.peek().is_some_and(|w| c < w.0) {
            break;
        }
        // The next node to expand, unless this batch brings a better one (as in
        // `search_level_pool`): its list loads while this batch is scored.
        if let Some(next) = ctx.candidates.peek() {
            graph.prefetch_links(next.1, level);
        }
        let floor = results_floor(ctx, ef);
        score_unvisited_links(graph, scorer, c.1, level, floor, ctx);
        for (&p, &s) in ctx.fresh.iter().zip(&ctx.scores) {
            let cand = Scored(s, p);
            let full = ctx.results.len() >= ef;
            if full && ctx.results.peek().is_some_and(|w| cand <= w.0) {
                continue;
            }
            ctx.candidates.push(cand);
            if allowed(p) {
                ctx.results.push(Reverse(cand));
                if ctx.results.len() > ef {
                    ctx.results.pop();
                }
            }
        }
    }
}

/// The score below which a candidate cannot enter `ctx.results` (kept to `ef`): its worst
/// score once full, `-∞` before.
#[inline]
fn results_floor(ctx: &SearchContext, ef: usize) -> ScoreType {
    match ctx.results.peek() {
        Some(w) if ctx.results.len() >= ef => w.0.0,
        _ => ScoreType::NEG_INFINITY,
    }
}

/// Unfiltered best-first search on `level`: one array of the best `ef` points sorted best
/// first, each flagged once expanded, instead of two heaps. It expands the same nodes as the
/// two-heap loop (a point that falls out of the best `ef` would have stopped that loop too),
/// with a binary search and a short memmove per insertion instead of heap sifts. Leaves the
/// results in `ctx.pool`.
pub(crate) fn search_level_pool<G: Links + ?Sized, S: QueryScorer>(
    graph: &G,
    scorer: &S,
    entries: &[Scored],
    ef: usize,
    level: usize,
    ctx: &mut SearchContext,
) {
    ctx.visited.reset(graph.len());
    ctx.pool.clear();
    for &e in entries {
        if ctx.visited.visit(e.1) {
            pool_insert(&mut ctx.pool, e, ef);
        }
    }
    let mut cursor = 0;
    loop {
        while cursor < ctx.pool.len() && ctx.pool[cursor].1 {
            cursor += 1;
        }
        if cursor == ctx.pool.len() {
            break;
        }
        ctx.pool[cursor].1 = true;
        let node = ctx.pool[cursor].0.1;
        // The next node to expand, unless this batch brings a better one: its list loads
        // while this batch is scored.
        if let Some((next, _)) = ctx.pool[cursor + 1..].iter().find(|(_, done)| !done) {
            graph.prefetch_links(next.1, level);
        }
        // A full pool drops every point below its worst.
        let floor = match ctx.pool.last() {
            Some(w) if ctx.pool.len() >= ef => w.0.0,
            _ => ScoreType::NEG_INFINITY,
        };
        score_unvisited_links(graph, scorer, node, level, floor, ctx);
        for (&p, &s) in ctx.fresh.iter().zip(&ctx.scores) {
            if let Some(pos) = pool_insert(&mut ctx.pool, Scored(s, p), ef) {
                cursor = cursor.min(pos);
            }
        }
    }
}

/// Inserts into the sorted pool (capacity `ef`); returns the position, or `None` when the point
/// does not make the best `ef`.
#[inline]
pub(crate) fn pool_insert(pool: &mut Vec<(Scored, bool)>, s: Scored, ef: usize) -> Option<usize> {
    if pool.len() >= ef && pool.last().is_some_and(|w| s <= w.0) {
        return None;
    }
    let pos = pool.partition_point(|x| x.0 > s);
    pool.insert(pos, (s, false));
    pool.truncate(ef);
    Some(pos)
}

/// The results of the last `search_level_pool`, best first.
pub(crate) fn pool_results(ctx: &SearchContext, out: &mut Vec<ScoredPoint>, k: usize) {
    out.clear();
    out.extend(
        ctx.pool
            .iter()
            .take(k)
            .map(|(s, _)| ScoredPoint::new(s.1, s.0)),
    );
}

/// The results of the last `search_level`, best first.
pub(crate) fn sorted_results(ctx: &mut SearchContext, out: &mut Vec<ScoredPoint>, k: usize) {
    out.clear();
    out.extend(
        ctx.results
            .drain()
            .map(|Reverse(s)| ScoredPoint::new(s.1, s.0)),
    );
    out.sort_unstable_by(ScoredPoint::cmp_best_first);
    out.truncate(k);
}
