//! `HnswIndex`: the public face of the graph: build, grow, search, diagnose.

use crate::build::insert;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::params::HnswParams;
use crate::search::{
    Scored, SearchContext, greedy, pool_results, search_level, search_level_pool, sorted_results,
};
use sextant_core::{BitSet, PairScorer, PointFilter, PointOffset, QueryScorer, ScoredPoint};

/// A hierarchical navigable small-world graph over points `0..len`. It stores only links:
/// vectors (RAM, mmap, or quantized codes) are reached through the scorers passed in.
#[derive(Debug)]
pub struct HnswIndex {
    pub(crate) params: HnswParams,
    pub(crate) graph: Graph,
    /// Points marked deleted: never returned; repaired out of every live node's links.
    pub(crate) deleted: BitSet,
}

/// How a filtered query is answered (see [`HnswIndex::plan`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchPlan {
    /// Score every passing point: exact, and cheapest when few points pass.
    ExactScan,
    /// Walk the graph, keeping only passing points.
    Graph,
}

/// Distance computations of an unfiltered search, per unit of `ef`: about 20 (measured on
/// minilm-pypi-20k, M=16: ~2,500 at ef=128). The planner's cost model starts from it.
pub const VISITS_PER_EF: usize = 20;

/// Shape of a built graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphStats {
    /// Nodes per level (`nodes[l]` = nodes whose level is at least `l`).
    pub nodes: Vec<usize>,
    /// `degrees[l][d]` = nodes on level `l` with `d` links.
    pub degrees: Vec<Vec<usize>>,
    /// Nodes not reachable from the entry point (following links on level 0 after descending).
    pub unreachable: usize,
}

impl HnswIndex {
    /// Builds the graph of points `0..n` on `threads` threads. With one thread the result is
    /// deterministic for a given seed.
    pub fn build<P: PairScorer + Sync>(
        n: usize,
        scorer: &P,
        params: HnswParams,
        threads: usize,
    ) -> Result<Self> {
        params.validate()?;
        let graph = Graph::new(n, &params);
        if threads <= 1 {
            let mut ctx = SearchContext::new();
            for p in 0..n as PointOffset {
                insert(&graph, scorer, p, params.ef_construction, &mut ctx);
            }
        } else {
            use rayon::prelude::*;
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|e| Error::ThreadPool(e.to_string()))?;
            // Insert a first stretch alone so the parallel inserts start from a connected core.
            let seq = n.min(64 * threads);
            let mut ctx = SearchContext::new();
            for p in 0..seq as PointOffset {
                insert(&graph, scorer, p, params.ef_construction, &mut ctx);
            }
            pool.install(|| {
                (seq as PointOffset..n as PointOffset)
                    .into_par_iter()
                    .for_each_init(SearchContext::new, |ctx, p| {
                        insert(&graph, scorer, p, params.ef_construction, ctx)
                    })
            });
        }
        Ok(Self {
            params,
            graph,
            deleted: BitSet::new(n),
        })
    }

    /// Adds point `len()` (the scorer must already know its vector); the index grows by one.
    pub fn insert<P: PairScorer>(&mut self, scorer: &P, ctx: &mut SearchContext) -> PointOffset {
        let p = self.graph.len() as PointOffset;
        self.graph.push_node(self.params.level_of(p));
        self.deleted.grow(p as usize + 1);
        insert(&self.graph, scorer, p, self.params.ef_construction, ctx);
        p
    }

    /// Number of point slots (live and deleted).
    pub fn len(&self) -> usize {
        self.graph.len()
    }

    /// Number of points marked deleted.
    pub fn deleted_count(&self) -> usize {
        self.deleted.count()
    }

    /// True when `point` is marked deleted.
    pub fn is_deleted(&self, point: PointOffset) -> bool {
        self.deleted.contains(point)
    }

    /// True when the index holds no points.
    pub fn is_empty(&self) -> bool {
        self.graph.len() == 0
    }

    /// The construction parameters.
    pub fn params(&self) -> &HnswParams {
        &self.params
    }

    /// The `k` best points for the query behind `scorer`, best first, searching with a list of
    /// `max(ef, k)`. With a filter, only allowed points are returned (the traversal still walks
    /// through rejected ones).
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
        if self.deleted.count() == 0 && filter.is_none() {
            search_level_pool(&self.graph, scorer, &[cur], ef.max(k), 0, ctx);
            pool_results(ctx, out, k);
            return;
        } else if self.deleted.count() == 0 {
            search_level(&self.graph, scorer, &[cur], ef.max(k), 0, filter, ctx);
        } else {
            let live = Live {
                deleted: &self.deleted,
                inner: filter,
            };
            search_level(&self.graph, scorer, &[cur], ef.max(k), 0, Some(&live), ctx);
        }
        sorted_results(ctx, out, k);
    }

    /// Greedy descent from the entry point through the upper levels: the level-0 starting
    /// point of a search. `None` for an empty index or `k = 0`.
    pub(crate) fn descend<S: QueryScorer>(
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

    /// Searches many queries on `threads` threads (one `SearchContext` per thread); results come
    /// back in query order. `scorers[i]` is the prepared query `i`.
    pub fn search_batch<S: QueryScorer + Sync>(
        &self,
        scorers: &[S],
        k: usize,
        ef: usize,
        threads: usize,
    ) -> Result<Vec<Vec<ScoredPoint>>> {
        use rayon::prelude::*;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build()
            .map_err(|e| Error::ThreadPool(e.to_string()))?;
        Ok(pool.install(|| {
            scorers
                .par_iter()
                .map_init(SearchContext::new, |ctx, s| {
                    let mut out = Vec::with_capacity(k);
                    self.search(s, k, ef, None::<&dyn PointFilter>, ctx, &mut out);
                    out
                })
                .collect()
        }))
    }

    /// The plan for a filtered query given an estimate of how many points pass the filter (the
    /// caller's cardinality estimate, e.g. from payload indexes).
    ///
    /// Cost model, in distance computations: an exact scan scores the `p` passing points; a
    /// filtered graph search scores about `VISITS_PER_EF * ef` points per filled result list,
    /// and with a fraction `p / n` passing it must walk `n / p` times further. The scan wins
    /// when `p² < VISITS_PER_EF * ef * n`. (Measured on minilm-pypi-20k at ef=128: 11% passing,
    /// scan 3,100 QPS vs traversal 350 QPS; 53% passing, scan 710 vs traversal 1,500.)
    pub fn plan(&self, estimated_passing: usize, k: usize, ef: usize) -> SearchPlan {
        let p = estimated_passing as u128;
        let budget = (VISITS_PER_EF * ef.max(k)) as u128 * self.graph.len() as u128;
        if p * p < budget {
            SearchPlan::ExactScan
        } else {
            SearchPlan::Graph
        }
    }

    /// A filtered search that follows [`plan`](Self::plan): exact scan over the passing points
    /// when few pass, graph traversal otherwise. Returns the plan used.
    #[allow(clippy::too_many_arguments)]
    pub fn search_planned<S: QueryScorer, F: PointFilter + ?Sized>(
        &self,
        scorer: &S,
        k: usize,
        ef: usize,
        filter: &F,
        estimated_passing: usize,
        ctx: &mut SearchContext,
        out: &mut Vec<ScoredPoint>,
    ) -> SearchPlan {
        let plan = self.plan(estimated_passing, k, ef);
        match plan {
            SearchPlan::ExactScan => self.exact_scan(scorer, k, filter, ctx, out),
            SearchPlan::Graph => self.search(scorer, k, ef, Some(filter), ctx, out),
        }
        plan
    }

    /// The exact top `k` among the points `filter` allows (every point is checked, only the
    /// passing ones are scored).
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
        for p in 0..n {
            if filter.allows(p) && !self.deleted.contains(p) {
                ctx.fresh.push(p);
            }
            if ctx.fresh.len() == BATCH || (p + 1 == n && !ctx.fresh.is_empty()) {
                ctx.scores.resize(ctx.fresh.len(), 0.0);
                scorer.score_points(&ctx.fresh, &mut ctx.scores);
                for (&q, &s) in ctx.fresh.iter().zip(&ctx.scores) {
                    top.push(q, s);
                }
                ctx.fresh.clear();
            }
        }
        out.clear();
        out.extend(top.drain_sorted());
    }

    /// Degree histograms per level and the count of nodes unreachable from the entry point.
    pub fn stats(&self) -> GraphStats {
        let n = self.graph.len();
        let top = (0..n as PointOffset)
            .map(|p| self.graph.level(p))
            .max()
            .unwrap_or(0);
        let mut nodes = vec![0; top + 1];
        let mut degrees: Vec<Vec<usize>> = (0..=top)
            .map(|l| vec![0; self.graph.max_links(l) + 1])
            .collect();
        let mut links = Vec::new();
        for p in 0..n as PointOffset {
            for l in 0..=self.graph.level(p) {
                nodes[l] += 1;
                self.graph.links_into(p, l, &mut links);
                degrees[l][links.len()] += 1;
            }
        }
        let mut seen = vec![false; n];
        let mut stack: Vec<PointOffset> = self.graph.entry().map(|e| e.0).into_iter().collect();
        while let Some(p) = stack.pop() {
            if std::mem::replace(&mut seen[p as usize], true) {
                continue;
            }
            self.graph.links_into(p, 0, &mut links);
            stack.extend(links.iter().filter(|&&x| !seen[x as usize]));
        }
        GraphStats {
            nodes,
            degrees,
            unreachable: seen.iter().filter(|&&s| !s).count(),
        }
    }
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
