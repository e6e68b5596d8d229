//! Construction: insert one point (HNSW paper, Alg. 1) with the neighbour-selection heuristic
//! (Alg. 4), and the parallel build over many points.

use crate::config::HnswConfig;
use crate::error::Result;
use crate::graph::Graph;
use crate::index::on_threads;
use crate::search::{Scored, SearchContext, greedy, search_level_pool};
use sextant_core::{Distance, PairScorer, PointOffset, QueryScorer, ScoreType};

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

/// Level-0 slots per node while a build or a grow runs: `m0` and 30% more (42 for m0 = 32).
/// Back links are appended until a list is full, then it is pruned to `m0` in one go, and
/// every list above `m0` is pruned when the inserts end: one relaxed pruning per ~10 back
/// links instead of one per back link (pruning each with α made a 120k build 3.7x as long).
/// Measured on minilm-pypi-120k with α 1.05: 36 slots built slower (more prunings) than 42,
/// and 48 gave the same curve.
pub(crate) fn slack_capacity(m0: usize) -> usize {
    m0 + (3 * m0).div_ceil(10)
}

/// How many links a node keeps on each level, and by which rule they are chosen.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rule {
    m: usize,
    m0: usize,
    /// Level 0's relaxation: the metric and `1 / α` (none: the plain heuristic).
    relax: Option<(Distance, f32)>,
}

impl Rule {
    /// The rule of `params` for graphs scored by `pair` (α needs the pair scorer's metric).
    pub fn new<P: PairScorer>(params: &HnswConfig, pair: &P) -> Rule {
        Rule {
            m: params.m,
            m0: params.m0,
            relax: pair
                .distance()
                .filter(|&d| params.alpha > 1.0 && d != Distance::Dot)
                .map(|d| (d, 1.0 / params.alpha)),
        }
    }

    /// Links a node keeps on `level`.
    pub fn max_links(&self, level: usize) -> usize {
        if level == 0 { self.m0 } else { self.m }
    }

    /// The pair score above which a kept neighbour occludes a candidate scoring `score`
    /// against the node, on `level`.
    #[inline]
    fn occluding(&self, level: usize, score: ScoreType) -> ScoreType {
        match self.relax {
            Some((d, inv_alpha)) if level == 0 => d.scale_distance(score, inv_alpha),
            _ => score,
        }
    }
}

/// Alg. 4 without extension, relaxed by α on level 0 (DiskANN's RobustPrune): walk the
/// candidates best first and keep one only when no neighbour kept so far is closer to it
/// than its distance to the base point divided by α (so links spread in different
/// directions instead of piling into one cluster; α > 1 keeps some longer ones). A tie keeps
/// it, as in hnswlib: with "strictly closer to the base point", a point with an exact
/// duplicate kept only that duplicate (every other candidate is as close to it as to the
/// base point), and duplicates linked only each other. `candidates` must be sorted best
/// first; at most `rule.max_links(level)` are kept.
///
/// `clean[i]` (when given) says candidate `i` was kept by the last pruning of the same list
/// under the same rule and scores: it passed every other one kept then that comes before it,
/// so it is checked only against the kept ones that were not (the list's newer links).
pub(crate) fn select_neighbors<P: PairScorer>(
    pair: &P,
    rule: &Rule,
    level: usize,
    candidates: &[Scored],
    clean: &[bool],
    out: &mut Vec<PointOffset>,
) {
    out.clear();
    let max = rule.max_links(level);
    let mut newer: Vec<PointOffset> = Vec::new();
    let mut scores = [0.0; 4];
    for (i, &c) in candidates.iter().enumerate() {
        if out.len() >= max {
            break;
        }
        let occluding = rule.occluding(level, c.0);
        let was_kept = clean.get(i).copied().unwrap_or(false);
        let against = if was_kept { &newer[..] } else { &out[..] };
        // Four kept neighbours per call (a pair scorer may score them in one pass over `c`),
        // stopping at the first four holding an occluder: most rejected candidates cost one
        // call, not a full batch.
        let occluded = against.chunks(4).any(|kept| {
            let s = &mut scores[..kept.len()];
            pair.score_pairs(c.1, kept, s);
            s.iter().any(|&x| x > occluding)
        });
        if !occluded {
            out.push(c.1);
            if !was_kept && !clean.is_empty() {
                newer.push(c.1);
            }
        }
    }
}

/// Inserts `q` (already allocated in `graph` with its level) into the graph. `scorer` scores
/// stored points against `q` for the candidate search (`FromPoint` over `pair`, or a cheaper
/// approximate scorer); `pair` selects and prunes neighbours by `rule`. Back links fill
/// `graph`'s slots, which may hold more than the rule keeps (see [`slack_capacity`]).
pub(crate) fn insert<P: PairScorer, Q: QueryScorer>(
    graph: &Graph,
    pair: &P,
    rule: &Rule,
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
        select_neighbors(pair, rule, l, &found, &[], &mut selected);
        {
            let _guard = graph.lock(q);
            graph.set_links(q, l, &selected);
        }
        for &n in &selected {
            connect(graph, pair, rule, n, q, l, ctx);
        }
        entries.clone_from(&found);
        if entries.is_empty() {
            entries.push(cur);
        }
    }
    graph.offer_entry(q);
}

/// [`insert`] by the rule of `params`, searching with the exact pair scorer seen from `q`.
pub(crate) fn insert_exact<P: PairScorer>(
    graph: &Graph,
    pair: &P,
    params: &HnswConfig,
    q: PointOffset,
    ctx: &mut SearchContext,
) {
    let scorer = FromPoint { pair, point: q };
    let rule = Rule::new(params, pair);
    insert(graph, pair, &rule, &scorer, q, params.ef_construction, ctx);
}

/// Adds the back link `n -> q` on level `l`; a full list is pruned by the rule with `q` in it.
fn connect<P: PairScorer>(
    graph: &Graph,
    pair: &P,
    rule: &Rule,
    n: PointOffset,
    q: PointOffset,
    l: usize,
    ctx: &mut SearchContext,
) {
    let _guard = graph.lock(n);
    if !graph.try_push_link(n, l, q) {
        prune(graph, pair, rule, n, l, Some(q), ctx);
    }
}

/// Prunes `n`'s list on level `l` (with `extra` added, unless already there) to what the
/// rule keeps; a list within the rule's size is only extended. The caller holds `n`'s lock.
fn prune<P: PairScorer>(
    graph: &Graph,
    pair: &P,
    rule: &Rule,
    n: PointOffset,
    l: usize,
    extra: Option<PointOffset>,
    ctx: &mut SearchContext,
) {
    graph.links_into(n, l, &mut ctx.links);
    if let Some(q) = extra {
        if ctx.links.contains(&q) {
            return;
        }
        ctx.links.push(q);
    }
    if ctx.links.len() <= rule.max_links(l) {
        graph.set_links(n, l, &ctx.links);
        return;
    }
    ctx.scores.resize(ctx.links.len(), 0.0);
    pair.score_pairs(n, &ctx.links, &mut ctx.scores);
    // The list's first links were kept together by its last pruning (appends come after).
    let kept_before = graph.pruned_links(n, l);
    let mut candidates: Vec<(Scored, bool)> = ctx
        .links
        .iter()
        .zip(&ctx.scores)
        .enumerate()
        .map(|(i, (&x, &s))| (Scored(s, x), i < kept_before))
        .collect();
    candidates.sort_unstable_by_key(|c| std::cmp::Reverse(c.0));
    let (candidates, clean): (Vec<Scored>, Vec<bool>) = candidates.into_iter().unzip();
    let mut keep = Vec::with_capacity(rule.max_links(l));
    select_neighbors(pair, rule, l, &candidates, &clean, &mut keep);
    graph.set_pruned_links(n, l, &keep);
}

/// Ends a build or a grow on a graph with slack: every level-0 list longer than the rule
/// keeps is pruned (on `threads` threads; 1.2 s of one thread at 120k points), then the
/// slots shrink to the rule's `m0`.
pub(crate) fn prune_slack<P: PairScorer + Sync>(
    graph: &mut Graph,
    pair: &P,
    rule: &Rule,
    threads: usize,
) -> Result<()> {
    let full: Vec<PointOffset> = (0..graph.len() as PointOffset)
        .filter(|&p| graph.link_count(p, 0) > rule.m0)
        .collect();
    let g = &*graph;
    on_threads(&full, threads, |p, ctx| {
        let _guard = g.lock(p);
        prune(g, pair, rule, p, 0, None, ctx);
        Ok(())
    })?;
    graph.set_level0_capacity(rule.m0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sextant_core::{DensePairScorer, DenseVectors};

    /// Points on a line: the base at 0, then 1 and 3. The point at 3 is nearer to 1 (distance
    /// 2) than to the base (3): the plain rule drops it, α = 1.6 keeps it (2 · 1.6 > 3).
    fn line(distance: Distance, alpha: f32) -> Vec<PointOffset> {
        let data = DenseVectors::from_flat(1, vec![0.0f32, 1.0, 3.0]).unwrap();
        let pair = DensePairScorer::new(&data, distance);
        let params = HnswConfig {
            alpha,
            ..HnswConfig::with_m(2)
        };
        let rule = Rule::new(&params, &pair);
        let candidates: Vec<Scored> = [1, 2].map(|p| Scored(pair.score_pair(0, p), p)).to_vec();
        let mut out = Vec::new();
        select_neighbors(&pair, &rule, 0, &candidates, &[], &mut out);
        let mut upper = Vec::new();
        select_neighbors(&pair, &rule, 1, &candidates, &[], &mut upper);
        assert_eq!(upper, [1], "upper levels keep the plain rule");
        out
    }

    /// A pruning told which links its last pruning kept keeps exactly what a pruning that
    /// checks every pair keeps, for every metric and α.
    #[test]
    fn a_pruning_that_skips_pairs_kept_together_keeps_the_same() {
        let data = sextant_datasets::gaussian(400, 8, 3).unwrap();
        for (seed, distance) in (0..40u64).zip(Distance::ALL.iter().cycle()) {
            let mut data = data.clone();
            data.prepare(*distance).unwrap();
            let pair = DensePairScorer::new(&data, *distance);
            let alpha = [1.0, 1.05, 1.2, 1.5][seed as usize % 4];
            let rule = Rule::new(
                &HnswConfig {
                    alpha,
                    ..HnswConfig::with_m(6)
                },
                &pair,
            );
            let n = (seed * 7 % 400) as PointOffset;
            let scored = |points: &[PointOffset]| {
                let mut s: Vec<Scored> = points
                    .iter()
                    .map(|&p| Scored(pair.score_pair(n, p), p))
                    .collect();
                s.sort_unstable_by(|a, b| b.cmp(a));
                s
            };
            // A list pruned once, then back links appended, pruned again.
            let pick = |from: u64, count: u64| -> Vec<PointOffset> {
                (0..count)
                    .map(|i| ((from + i * 37 + seed * 11) % 400) as PointOffset)
                    .filter(|&p| p != n)
                    .collect()
            };
            let mut first = pick(0, 30);
            first.dedup();
            let mut kept = Vec::new();
            select_neighbors(&pair, &rule, 0, &scored(&first), &[], &mut kept);
            let mut list = kept.clone();
            list.extend(pick(5, 9).into_iter().filter(|p| !kept.contains(p)));
            let all = scored(&list);
            let clean: Vec<bool> = all.iter().map(|s| kept.contains(&s.1)).collect();
            let (mut plain, mut skipping) = (Vec::new(), Vec::new());
            select_neighbors(&pair, &rule, 0, &all, &[], &mut plain);
            select_neighbors(&pair, &rule, 0, &all, &clean, &mut skipping);
            assert_eq!(plain, skipping, "{distance} alpha {alpha} seed {seed}");
        }
    }

    #[test]
    fn alpha_keeps_a_longer_link_on_level_0() {
        assert_eq!(line(Distance::Euclid, 1.0), [1]);
        assert_eq!(line(Distance::Euclid, 1.6), [1, 2]);
        // Manhattan: α divides the distance itself (2 · 1.4 < 3 still occludes).
        assert_eq!(line(Distance::Manhattan, 1.4), [1]);
        assert_eq!(line(Distance::Manhattan, 1.6), [1, 2]);
        assert_eq!(slack_capacity(32), 42);
        assert_eq!(slack_capacity(2), 3);
    }
}
