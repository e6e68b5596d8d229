//! Construction: insert one point (HNSW paper, Alg. 1) with the neighbour-selection heuristic
//! (Alg. 4), and the parallel build over many points.

use crate::graph::Graph;
use crate::search::{Scored, SearchContext, greedy, search_level_pool};
use sextant_core::{PairScorer, PointOffset, QueryScorer, ScoreType};

/// A pair scorer seen from one stored point: the "query" of an insert.
pub(crate) struct FromPoint<'a, P> {
    pub pair: &'a P,
    pub point: PointOffset,
}

impl<P: PairScorer> QueryScorer for FromPoint<'_, P> {
    fn len(&self) -> usize {
        self.pair.len()
    }

    #[inline]
    fn score_point(&self, other: PointOffset) -> ScoreType {
        self.pair.score_pair(self.point, other)
    }

    fn score_points(&self, points: &[PointOffset], scores: &mut [ScoreType]) {
        self.pair.score_pairs(self.point, points, scores);
    }
}

/// Alg. 4 without extension: walk the candidates best first and keep one only when it is
/// no closer to any neighbour kept so far than to the base point (so links spread in
/// different directions instead of piling into one cluster). A tie keeps it, as in hnswlib:
/// with "strictly closer to the base point", a point with an exact duplicate kept only that
/// duplicate (every other candidate is as close to it as to the base point), and duplicates
/// linked only each other. `candidates` must be sorted best first.
pub(crate) fn select_neighbors<P: PairScorer>(
    pair: &P,
    candidates: &[Scored],
    max: usize,
    out: &mut Vec<PointOffset>,
) {
    out.clear();
    for &c in candidates {
        if out.len() >= max {
            break;
        }
        // Short-circuits on the first kept neighbour closer to `c` than the base point is:
        // most rejected candidates cost one or two pair scores, not a full batch.
        if out.iter().all(|&k| pair.score_pair(c.1, k) <= c.0) {
            out.push(c.1);
        }
    }
}

/// Inserts `q` (already allocated in `graph` with its level) into the graph. `scorer` scores
/// stored points against `q` for the candidate search (`FromPoint` over `pair`, or a cheaper
/// approximate scorer); `pair` selects and prunes neighbours.
pub(crate) fn insert<P: PairScorer, Q: QueryScorer>(
    graph: &Graph,
    pair: &P,
    scorer: &Q,
    q: PointOffset,
    ef_construction: usize,
    ctx: &mut SearchContext,
) {
    let level = graph.level(q);
    let Some((entry, top)) = graph.entry() else {
        graph.offer_entry(q);
        return;
    };
    if entry == q {
        return;
    }
    let mut cur = Scored(scorer.score_point(entry), entry);
    for l in (level + 1..=top).rev() {
        cur = greedy(graph, scorer, cur, l, ctx);
    }
    let mut entries = vec![cur];
    let mut found: Vec<Scored> = Vec::new();
    let mut selected = Vec::new();
    for l in (0..=level.min(top)).rev() {
        search_level_pool(graph, scorer, &entries, ef_construction, l, ctx);
        found.clear();
        // The pool is sorted best first already.
        found.extend(ctx.pool.iter().map(|(s, _)| *s).filter(|s| s.1 != q));
        select_neighbors(pair, &found, graph.max_links(l), &mut selected);
        {
            let _guard = graph.lock(q);
            graph.set_links(q, l, &selected);
        }
        for &n in &selected {
            connect(graph, pair, n, q, l, ctx);
        }
        entries.clone_from(&found);
        if entries.is_empty() {
            entries.push(cur);
        }
    }
    graph.offer_entry(q);
}

/// [`insert`] searching with the exact pair scorer seen from `q`.
pub(crate) fn insert_exact<P: PairScorer>(
    graph: &Graph,
    pair: &P,
    q: PointOffset,
    ef_construction: usize,
    ctx: &mut SearchContext,
) {
    let scorer = FromPoint { pair, point: q };
    insert(graph, pair, &scorer, q, ef_construction, ctx);
}

/// Adds the back link `n -> q` on level `l`, shrinking `n`'s list with the heuristic when full.
fn connect<P: PairScorer>(
    graph: &Graph,
    pair: &P,
    n: PointOffset,
    q: PointOffset,
    l: usize,
    ctx: &mut SearchContext,
) {
    let _guard = graph.lock(n);
    if graph.try_push_link(n, l, q) {
        return;
    }
    graph.links_into(n, l, &mut ctx.links);
    if ctx.links.contains(&q) {
        return;
    }
    ctx.links.push(q);
    ctx.scores.resize(ctx.links.len(), 0.0);
    pair.score_pairs(n, &ctx.links, &mut ctx.scores);
    let mut candidates: Vec<Scored> = ctx
        .links
        .iter()
        .zip(&ctx.scores)
        .map(|(&x, &s)| Scored(s, x))
        .collect();
    candidates.sort_unstable_by(|a, b| b.cmp(a));
    let mut keep = Vec::with_capacity(graph.max_links(l));
    select_neighbors(pair, &candidates, graph.max_links(l), &mut keep);
    graph.set_links(n, l, &keep);
}
