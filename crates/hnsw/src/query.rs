//! The query side of an index, written once for every graph storage ([`Links`]): search,
//! planned filtered search, exact scan, the ACORN-style traversal, batch search, diagnostics.
//! `HnswIndex` (RAM) and `HnswMapped` (a graph file read in place) both expose it through
//! [`search_api!`].

use sextant_core::{
    AllowAll, BitSet, Cardinality, PointFilter, PointOffset, QueryScorer, ScoreType, ScoredPoint,
};

use crate::block_links::{ExtraLinks, WithExtra};
use crate::error::Result;
use crate::links::Links;
use crate::request::{SearchMode, SearchPlan, SearchRequest};
use crate::search::{
    Scored, SearchContext, greedy, pool_insert, pool_results, search_level, search_level_pool,
    sorted_results,
};
use crate::{ACORN_POINTS_PER_EF, GraphStats, VISITS_PER_EF};

/// A graph (a reference, or a small view over file bytes) and its deleted set, for queries.
pub(crate) struct Query<'a, G> {
    pub graph: G,
    pub deleted: &'a BitSet,
    /// Payload-aware extra links, followed by filtered searches only.
    pub extra: &'a ExtraLinks,
}

/// Live points that the caller's filter (if any) allows.
struct Live<'a, F: ?Sized> {
    deleted: &'a BitSet,
    inner: Option<&'a F>,
}

impl<F: PointFilter + ?Sized> PointFilter for Live<'_, F> {
    #[inline]
    fn allows(&self, p: PointOffset) -> bool {
        !self.deleted.contains(p) && self.inner.is_none_or(|f| f.allows(p))
    }
}

impl<G: Links + Sync> Query<'_, G> {
    pub fn search<S: QueryScorer, F: PointFilter + ?Sized>(
        &self,
        scorer: &S,
        k: usize,
        ef: usize,
        filter: Option<&F>,
        ctx: &mut SearchContext,
        out: &mut Vec<ScoredPoint>,
    ) {
        out.clear();
        let Some(cur) = self.descend(scorer, k, ctx) else {
            return;
        };
        let no_deleted = self.deleted.is_clear();
        if no_deleted && filter.is_none() {
            search_level_pool(&self.graph, scorer, &[cur], ef.max(k), 0, ctx);
            pool_results(ctx, out, k);
            return;
        }
        let live = Live {
            deleted: self.deleted,
            inner: filter,
        };
        // Plain traversal scores every neighbour, passing or not, so it keeps to the graph's
        // own links: payload-aware extra links only add work there (measured at 120k points:
        // 9,569 vs 11,627 QPS at 53% passing); the ACORN-style search follows them.
        if no_deleted {
            search_level(&self.graph, scorer, &[cur], ef.max(k), 0, filter, ctx);
        } else {
            search_level(&self.graph, scorer, &[cur], ef.max(k), 0, Some(&live), ctx);
        }
        sorted_results(ctx, out, k);
    }

    /// Greedy descent from the entry point through the upper levels: the level-0 starting
    /// point of a search. `None` for an empty index or `k = 0`.
    pub fn descend<S: QueryScorer>(
        &self,
        scorer: &S,
        k: usize,
        ctx: &mut SearchContext,
    ) -> Option<Scored> {
        let (entry, top) = self.graph.entry()?;
        if k == 0 {
            return None;
        }
        let mut cur = Scored(scorer.score_point(entry), entry);
        for l in (1..=top).rev() {
            cur = greedy(&self.graph, scorer, cur, l, ctx);
        }
        Some(cur)
    }

    /// Runs `req` (the public `search` of every index type): checks the scorer covers the
    /// graph, picks the plan, leaves the results in `ctx.out`.
    pub fn run<S: QueryScorer, F: PointFilter + ?Sized>(
        &self,
        scorer: &S,
        req: &SearchRequest<'_, F>,
        ctx: &mut SearchContext,
    ) -> Result<SearchPlan> {
        crate::index::covers(scorer.len(), self.graph.len())?;
        // A k or ef above the node count finds what the node count does (and a request's
        // `limit` of 10^12 must not size a heap or overflow the planner's products).
        let nodes = self.graph.len().max(1);
        let (k, ef, filter) = (req.k.min(nodes), req.ef.min(nodes), req.filter_ref());
        let plan = match (req.mode, filter) {
            (SearchMode::ExactScan, _) => SearchPlan::ExactScan,
            (SearchMode::Acorn, Some(_)) if req.block => SearchPlan::Block,
            (SearchMode::Acorn, Some(_)) => SearchPlan::Acorn,
            (SearchMode::Auto, Some(_)) => match req.estimate {
                Some(estimate) if req.linked || req.block => {
                    match self.plan_linked(estimate, k, ef) {
                        SearchPlan::Acorn if req.block => SearchPlan::Block,
                        plan => plan,
                    }
                }
                Some(estimate) => self.plan(estimate, k, ef),
                None => SearchPlan::Graph,
            },
            _ => SearchPlan::Graph,
        };
        let mut out = std::mem::take(&mut ctx.out);
        match (plan, filter) {
            (SearchPlan::ExactScan, Some(f)) => self.exact_scan(scorer, k, f, ctx, &mut out),
            (SearchPlan::ExactScan, None) => self.exact_scan(scorer, k, &AllowAll, ctx, &mut out),
            (SearchPlan::Acorn, Some(f)) => {
                self.search_acorn(scorer, (k, ef), f, false, ctx, &mut out)
            }
            (SearchPlan::Block, Some(f)) => {
                self.search_acorn(scorer, (k, ef), f, true, ctx, &mut out)
            }
            _ => self.search(scorer, k, ef, filter, ctx, &mut out),
        }
        ctx.out = out;
        Ok(plan)
    }

    /// `req` on `approx` for `candidates` results, rescored with `exact` to the top `req.k`.
    pub fn run_rescored<A: QueryScorer, E: QueryScorer, F: PointFilter + ?Sized>(
        &self,
        approx: &A,
        exact: &E,
        req: &SearchRequest<'_, F>,
        candidates: usize,
        ctx: &mut SearchContext,
    ) -> Result<SearchPlan> {
        crate::index::covers(exact.len(), self.graph.len())?;
        let k = req.k;
        let wide = SearchRequest {
            k: candidates.max(k),
            ef: req.ef.max(candidates),
            ..*req
        };
        let plan = self.run(approx, &wide, ctx)?;
        ctx.fresh.clear();
        ctx.fresh.extend(ctx.out.iter().map(|p| p.offset));
        ctx.scores.resize(ctx.fresh.len(), 0.0);
        exact.score_points(&ctx.fresh, &mut ctx.scores);
        ctx.out.clear();
        ctx.out.extend(
            ctx.fresh
                .iter()
                .zip(&ctx.scores)
                .map(|(&p, &s)| ScoredPoint::new(p, s)),
        );
        ctx.out.sort_unstable_by(ScoredPoint::cmp_best_first);
        ctx.out.truncate(k);
        Ok(plan)
    }

    pub fn search_batch<S: QueryScorer + Sync, F: PointFilter + Sync + ?Sized>(
        &self,
        scorers: &[S],
        req: &SearchRequest<'_, F>,
        pool: &rayon::ThreadPool,
    ) -> Result<Vec<Vec<ScoredPoint>>> {
        use rayon::prelude::*;
        pool.install(|| {
            scorers
                .par_iter()
                .map_init(SearchContext::new, |ctx, s| {
                    self.run(s, req, ctx)?;
                    Ok(ctx.out.clone())
                })
                .collect()
        })
    }

    pub fn plan(&self, estimate: Cardinality, k: usize, ef: usize) -> SearchPlan {
        let p = estimate.exp as u128;
        let want = ef.max(k).min(self.graph.len().max(1)) as u128;
        let budget = VISITS_PER_EF as u128 * want * self.graph.len() as u128;
        if p * p < budget {
            SearchPlan::ExactScan
        } else {
            SearchPlan::Graph
        }
    }

    pub fn plan_linked(&self, estimate: Cardinality, k: usize, ef: usize) -> SearchPlan {
        if estimate.exp < ACORN_POINTS_PER_EF.saturating_mul(ef.max(k)) {
            SearchPlan::ExactScan
        } else {
            SearchPlan::Acorn
        }
    }

    pub fn exact_scan<S: QueryScorer, F: PointFilter + ?Sized>(
        &self,
        scorer: &S,
        k: usize,
        filter: &F,
        ctx: &mut SearchContext,
        out: &mut Vec<ScoredPoint>,
    ) {
        const BATCH: usize = 64;
        let mut top = sextant_core::TopK::new(k);
        ctx.fresh.clear();
        let n = self.graph.len() as PointOffset;
        let flush = |ctx: &mut SearchContext, top: &mut sextant_core::TopK| {
            ctx.scores.resize(ctx.fresh.len(), 0.0);
            // A full top-k drops every point below its worst: the scorer may stop early on
            // those, and they are not offered (a float compare instead of the heap's).
            let floor = top.threshold();
            let at_least = floor.unwrap_or(ScoreType::NEG_INFINITY);
            scorer.score_points_above(&ctx.fresh, at_least, &mut ctx.scores);
            for (&q, &s) in ctx.fresh.iter().zip(&ctx.scores) {
                if floor.is_none() || s >= at_least {
                    top.push(q, s);
                }
            }
            ctx.fresh.clear();
        };
        let mut take = |p: PointOffset, ctx: &mut SearchContext| {
            if !self.deleted.contains(p) {
                ctx.fresh.push(p);
                if ctx.fresh.len() == BATCH {
                    flush(ctx, &mut top);
                }
            }
        };
        // A bit set of allowed points is walked by its set bits (a selective filter over a
        // large graph touches only its words, not every point).
        match filter.as_bitset() {
            Some(bits) => bits
                .iter()
                .take_while(|&p| p < n)
                .for_each(|p| take(p, ctx)),
            None => (0..n)
                .filter(|&p| filter.allows(p))
                .for_each(|p| take(p, ctx)),
        }
        if !ctx.fresh.is_empty() {
            flush(ctx, &mut top);
        }
        out.clear();
        out.extend(top.drain_sorted());
    }

    /// Filtered search with two-hop expansion through rejected neighbours, in the style of
    /// ACORN-1 (Patel et al., SIGMOD 2024): only passing points are scored and kept. A node's
    /// passing neighbours (its own links and payload-aware extra links) are all taken; a
    /// node with fewer than m0 / 2 of them also looks through its rejected neighbours and
    /// takes their passing neighbours, up to m0 in all. So the search moves through the subgraph
    /// of passing points, which payload-aware links keep connected, where plain filtered
    /// traversal scores the rejected majority. One sorted pool of the best `ef`, as the
    /// unfiltered search keeps, with the next node's links prefetched.
    ///
    /// `block`: the filter passes exactly one block of linked points, so a passing node with
    /// payload-aware links follows those alone: past the first passing points the search
    /// walks the block's own graph, one list per node, every neighbour passing (120k points,
    /// 11% passing, sq4d: twice the QPS of following both lists at the same ef).
    pub fn search_acorn<S: QueryScorer, F: PointFilter + ?Sized>(
        &self,
        scorer: &S,
        (k, ef): (usize, usize),
        filter: &F,
        block: bool,
        ctx: &mut SearchContext,
        out: &mut Vec<ScoredPoint>,
    ) {
        out.clear();
        let Some(cur) = self.descend(scorer, k, ctx) else {
            return;
        };
        let allows = |p: PointOffset| filter.allows(p) && !self.deleted.contains(p);
        // One slot more: the descent's end point seeds the pool even when it fails.
        let ef = ef.max(k) + usize::from(!allows(cur.1));
        let g = WithExtra {
            graph: &self.graph,
            extra: self.extra,
        };
        let m0 = g.max_links(0);
        ctx.visited.reset(g.len());
        ctx.pool.clear();
        ctx.visited.visit(cur.1);
        pool_insert(&mut ctx.pool, cur, ef);
        let mut hop = Vec::new();
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
            if let Some((next, _)) = ctx.pool[cursor + 1..].iter().find(|(_, done)| !done) {
                g.prefetch_links(next.1, 0);
            }
            // Every passing neighbour is taken (a set: the same whatever order a storage keeps
            // its lists in). Only the look-through is capped, taken in id order so which
            // points fill the cap depends on the graph alone (compressed files sort lists).
            // Inside the block: its own links alone (read only when asked for).
            let own = if block && allows(node) {
                self.extra.get(node)
            } else {
                &[]
            };
            if own.is_empty() {
                g.links_into(node, 0, &mut ctx.links);
            } else {
                ctx.links.clear();
                ctx.links.extend_from_slice(own);
            }
            ctx.fresh.clear();
            let mut passing = 0;
            for &x in &ctx.links {
                if allows(x) {
                    passing += 1;
                    if ctx.visited.visit(x) {
                        ctx.fresh.push(x);
                    }
                }
            }
            if passing < m0 / 2 {
                ctx.links.sort_unstable();
                for &x in &ctx.links {
                    if ctx.fresh.len() >= m0 {
                        break;
                    }
                    if allows(x) {
                        continue;
                    }
                    // Look through a rejected neighbour: take its passing neighbours.
                    g.links_into(x, 0, &mut hop);
                    hop.sort_unstable();
                    for &y in &hop {
                        if ctx.fresh.len() >= m0 {
                            break;
                        }
                        if allows(y) && ctx.visited.visit(y) {
                            ctx.fresh.push(y);
                        }
                    }
                }
            }
            let floor = match ctx.pool.last() {
                Some(w) if ctx.pool.len() >= ef => w.0.0,
                _ => ScoreType::NEG_INFINITY,
            };
            ctx.scores.resize(ctx.fresh.len(), 0.0);
            scorer.score_points_above(&ctx.fresh, floor, &mut ctx.scores);
            for (&p, &s) in ctx.fresh.iter().zip(&ctx.scores) {
                if let Some(pos) = pool_insert(&mut ctx.pool, Scored(s, p), ef) {
                    cursor = cursor.min(pos);
                }
            }
        }
        out.extend(
            ctx.pool
                .iter()
                .filter(|(s, _)| allows(s.1))
                .take(k)
                .map(|(s, _)| ScoredPoint::new(s.1, s.0)),
        );
    }

    pub fn stats(&self) -> GraphStats {
        let g = &self.graph;
        let n = g.len();
        let top = (0..n as PointOffset).map(|p| g.level(p)).max().unwrap_or(0);
        let mut nodes = vec![0; top + 1];
        let mut degrees: Vec<Vec<usize>> = (0..=top).map(|l| vec![0; g.max_links(l) + 1]).collect();
        let mut links = Vec::new();
        for p in 0..n as PointOffset {
            for l in 0..=g.level(p) {
                nodes[l] += 1;
                g.links_into(p, l, &mut links);
                degrees[l][links.len()] += 1;
            }
        }
        let mut seen = vec![false; n];
        let mut stack: Vec<PointOffset> = g.entry().map(|e| e.0).into_iter().collect();
        while let Some(p) = stack.pop() {
            if std::mem::replace(&mut seen[p as usize], true) {
                continue;
            }
            g.links_into(p, 0, &mut links);
            stack.extend(links.iter().filter(|&&x| !seen[x as usize]));
        }
        GraphStats {
            nodes,
            degrees,
            unreachable: (0..n as PointOffset)
                .filter(|&p| !seen[p as usize] && !self.deleted.contains(p))
                .count(),
        }
    }
}

/// The public query methods, generated with their docs for each index type. The type must
/// have a `fn query(&self) -> Query<'_, impl Links>`.
macro_rules! search_api {
    () => {
        /// Runs a search: the `k` best live points for the query behind `scorer`, best first,
        /// as the request's [`SearchMode`](crate::SearchMode) says (under its filter, if any).
        /// The results live in `ctx` until its next search.
        ///
        /// A scorer covering fewer points than the index is an error
        /// ([`Error::ScorerTooShort`](crate::Error::ScorerTooShort)), never a read past its end.
        pub fn search<'c, S, F>(
            &self,
            scorer: &S,
            request: &$crate::SearchRequest<'_, F>,
            ctx: &'c mut $crate::SearchContext,
        ) -> $crate::Result<$crate::Found<'c>>
        where
            S: sextant_core::QueryScorer,
            F: sextant_core::PointFilter + ?Sized,
        {
            let plan = self.query().run(scorer, request, ctx)?;
            Ok($crate::Found {
                points: &ctx.out,
                plan,
            })
        }

        /// Searches on a cheap scorer, then rescores: `request` runs on `approx` (codes, say)
        /// for `candidates` results (at least `k`; its `ef` is raised to `candidates`), and
        /// those are scored with `exact` (the float vectors), best first, the top `k` kept.
        /// On minilm-pypi-20k, sq4d codes with `candidates = 2k` read an eighth of the bytes
        /// per visited point and keep recall@10 at 0.98 at ef=64 (`tests/hnsw_on_codes.rs`).
        pub fn search_rescored<'c, A, E, F>(
            &self,
            approx: &A,
            exact: &E,
            request: &$crate::SearchRequest<'_, F>,
            candidates: usize,
            ctx: &'c mut $crate::SearchContext,
        ) -> $crate::Result<$crate::Found<'c>>
        where
            A: sextant_core::QueryScorer,
            E: sextant_core::QueryScorer,
            F: sextant_core::PointFilter + ?Sized,
        {
            let plan = self
                .query()
                .run_rescored(approx, exact, request, candidates, ctx)?;
            Ok($crate::Found {
                points: &ctx.out,
                plan,
            })
        }

        /// Runs `request` for many queries on `pool` (the caller's: no pool is built here),
        /// one `SearchContext` per thread; results come back in query order. `scorers[i]` is
        /// the prepared query `i`.
        pub fn search_batch<S, F>(
            &self,
            scorers: &[S],
            request: &$crate::SearchRequest<'_, F>,
            pool: &rayon::ThreadPool,
        ) -> $crate::Result<Vec<Vec<sextant_core::ScoredPoint>>>
        where
            S: sextant_core::QueryScorer + Sync,
            F: sextant_core::PointFilter + Sync + ?Sized,
        {
            self.query().search_batch(scorers, request, pool)
        }

        /// The plan [`SearchMode::Auto`](crate::SearchMode::Auto) follows for a filtered
        /// query, given an estimate of how many points pass the filter (the caller's
        /// cardinality estimate, e.g. from payload indexes; its expected count is used).
        ///
        /// Cost model, in distance computations: an exact scan scores the `p` passing points; a
        /// filtered graph search scores about `VISITS_PER_EF * ef` points per filled result
        /// list, and with a fraction `p / n` passing it must walk `n / p` times further. The
        /// scan wins when `p² < VISITS_PER_EF * ef * n`. (Measured on minilm-pypi-20k at
        /// ef=128: 11% passing, scan 3,100 QPS vs traversal 350 QPS; 53% passing, scan 710 vs
        /// traversal 1,500.)
        pub fn plan(
            &self,
            estimate: sextant_core::Cardinality,
            k: usize,
            ef: usize,
        ) -> $crate::SearchPlan {
            self.query().plan(estimate, k, ef)
        }

        /// The plan [`SearchMode::Auto`](crate::SearchMode::Auto) follows when the request
        /// says payload-aware links cover the filter
        /// ([`SearchRequest::linked`](crate::SearchRequest::linked)): the ACORN-style search
        /// through the linked passing points costs about `ACORN_POINTS_PER_EF * ef` scanned
        /// points whatever the selectivity, so the exact scan wins below that many.
        pub fn plan_linked(
            &self,
            estimate: sextant_core::Cardinality,
            k: usize,
            ef: usize,
        ) -> $crate::SearchPlan {
            self.query().plan_linked(estimate, k, ef)
        }

        /// Degree histograms per level and the count of nodes unreachable from the entry point.
        pub fn stats(&self) -> $crate::GraphStats {
            self.query().stats()
        }
    };
}

pub(crate) use search_api;
