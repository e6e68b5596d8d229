//! `HnswIndex`: the public face of the graph: build, grow, search, diagnose.

use crate::block_links::ExtraLinks;
use crate::build::{FromPoint, Rule, insert, insert_exact, prune_slack, slack_capacity};
use crate::config::HnswConfig;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::query::Query;
use crate::search::SearchContext;
use sextant_core::{BitSet, PairScorer, PointOffset, QueryScorer};
use std::convert::Infallible;

/// A hierarchical navigable small-world graph over points `0..len`. It stores only links:
/// vectors (RAM, mmap, or quantized codes) are reached through the scorers passed in.
#[derive(Debug)]
pub struct HnswIndex {
    pub(crate) params: HnswConfig,
    pub(crate) graph: Graph,
    /// Points marked deleted: never returned; repaired out of every live node's links.
    pub(crate) deleted: BitSet,
    /// Payload-aware extra links (see `add_block_links`).
    pub(crate) extra: ExtraLinks,
}

/// Distance computations of an unfiltered search, per unit of `ef`: about 20 (measured on
/// minilm-pypi-20k, M=16: ~2,500 at ef=128). The planner's cost model starts from it.
pub const VISITS_PER_EF: usize = 20;

/// What the ACORN-style search through linked passing points costs per unit of `ef`, in points
/// an exact scan scores in the same time. Measured on minilm-pypi-120k (sq4d codes, k = 10,
/// blocks per category): ~147 µs at ef 64 against ~21 ns per scanned point, so ~110.
pub const ACORN_POINTS_PER_EF: usize = 110;

/// Shape of a built graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphStats {
    /// Nodes per level (`nodes[l]` = nodes whose level is at least `l`).
    pub nodes: Vec<usize>,
    /// `degrees[l][d]` = nodes on level `l` with `d` links.
    pub degrees: Vec<Vec<usize>>,
    /// Live nodes not reachable from the entry point (following links on level 0 after
    /// descending); deleted nodes, which no live node links to, are not counted.
    pub unreachable: usize,
}

impl HnswIndex {
    /// Builds the graph of points `0..n` on `threads` threads (called from inside a rayon pool
    /// of that size, on that pool; otherwise on a pool built for the build). With one thread
    /// the result is deterministic for a given seed.
    pub fn build<P: PairScorer + Sync>(
        n: usize,
        scorer: &P,
        params: HnswConfig,
        threads: usize,
    ) -> Result<Self> {
        let from_point = |point| {
            Ok::<_, Infallible>(FromPoint {
                pair: scorer,
                point,
            })
        };
        Self::build_with_search(n, scorer, from_point, params, threads)
    }

    /// Like [`build`](Self::build), but each inserted point `p` looks for its neighbours with
    /// `search(p)`, a query scorer of `p` against the stored points, while `pair` still selects
    /// and prunes the links. Give it a quantized scorer of `p`'s own vector (for instance
    /// `sextant-quantization`'s per-dimension int8 codes) and the candidate searches, most of a
    /// build, read a quarter of the bytes: on minilm-pypi-20k (M=16, ef_construction=100) a
    /// 2-thread build took about a quarter less time (median of 7 runs, 2.96 s → 2.19 s) with
    /// the same recall. An error from `search` stops the build and comes back as
    /// [`Error::Scorer`].
    pub fn build_with_search<P, Q, E, F>(
        n: usize,
        pair: &P,
        search: F,
        params: HnswConfig,
        threads: usize,
    ) -> Result<Self>
    where
        P: PairScorer + Sync,
        Q: QueryScorer,
        E: std::fmt::Display,
        F: Fn(PointOffset) -> std::result::Result<Q, E> + Sync,
    {
        params.validate()?;
        covers(pair.len(), n)?;
        let mut graph = Graph::new(n, &params, slack_capacity(params.m0));
        let rule = Rule::new(&params, pair);
        let insert_one = |p: PointOffset, ctx: &mut SearchContext| -> Result<()> {
            let scorer = search(p).map_err(|e| Error::Scorer {
                point: p,
                what: e.to_string(),
            })?;
            insert(&graph, pair, &rule, &scorer, p, params.ef_construction, ctx);
            Ok(())
        };
        let points: Vec<PointOffset> = (0..n as PointOffset).collect();
        on_threads(&points, threads, insert_one)?;
        prune_slack(&mut graph, pair, &rule, threads)?;
        let mut ctx = SearchContext::new();
        // Every point findable: the few nodes the build left unreachable are linked in.
        let deleted = BitSet::new(n);
        crate::reconnect::reconnect(&graph, pair, &deleted, params.ef_construction, &mut ctx);
        Ok(Self {
            params,
            graph,
            deleted,
            extra: ExtraLinks::default(),
        })
    }

    /// Adds point `len()` (the scorer must already know its vector); the index grows by one.
    /// A scorer that does not cover the new point is an error (and nothing changes). A node
    /// whose last back link a pruned neighbour list dropped can be left unreachable (seen once
    /// in 39 points at m = 4); [`grow_with_search`](Self::grow_with_search) adds many points at
    /// once on several threads and leaves every live node reachable.
    pub fn insert<P: PairScorer>(
        &mut self,
        scorer: &P,
        ctx: &mut SearchContext,
    ) -> Result<PointOffset> {
        covers(scorer.len(), self.graph.len() + 1)?;
        let p = self.graph.len() as PointOffset;
        self.graph.push_node(self.params.level_of(p));
        self.deleted.grow(p as usize + 1);
        insert_exact(&self.graph, scorer, &self.params, p, ctx);
        Ok(p)
    }

    /// Chooses the links of point `p` again after its vector changed (`scorer` already holds
    /// the new one; hnswlib's update): on each of its levels its neighbours are searched from
    /// the entry point as for an insert, and back links added with the same heuristic. Links
    /// other points hold to `p` stay (they are pruned as those lists next fill). A `p` the
    /// index does not hold is an error.
    pub fn relink<P: PairScorer>(
        &mut self,
        scorer: &P,
        p: PointOffset,
        ctx: &mut SearchContext,
    ) -> Result<()> {
        covers(scorer.len(), self.graph.len())?;
        if p as usize >= self.graph.len() {
            return Err(Error::NoPoint {
                point: p,
                len: self.graph.len(),
            });
        }
        insert_exact(&self.graph, scorer, &self.params, p, ctx);
        Ok(())
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
    pub fn config(&self) -> &HnswConfig {
        &self.params
    }

    pub(crate) fn query(&self) -> Query<'_, &Graph> {
        Query {
            graph: &self.graph,
            deleted: &self.deleted,
            extra: &self.extra,
        }
    }

    crate::query::search_api!();
}

/// A scorer over `len` points cannot serve an index that needs `needed`.
/// Runs `each` over `points` on `threads` threads: a first stretch alone, so parallel inserts
/// start from a connected core, then the rest in parallel (in the caller's rayon pool when
/// it has `threads` threads, otherwise in one built here: seconds of work).
pub(crate) fn on_threads<F>(points: &[PointOffset], threads: usize, each: F) -> Result<()>
where
    F: Fn(PointOffset, &mut SearchContext) -> Result<()> + Sync,
{
    let seq = if threads <= 1 {
        points.len()
    } else {
        points.len().min(64 * threads)
    };
    let mut ctx = SearchContext::new();
    for &p in &points[..seq] {
        each(p, &mut ctx)?;
    }
    if seq == points.len() {
        return Ok(());
    }
    use rayon::prelude::*;
    let parallel = || {
        points[seq..]
            .par_iter()
            .try_for_each_init(SearchContext::new, |ctx, &p| each(p, ctx))
    };
    if rayon::current_thread_index().is_some() && rayon::current_num_threads() == threads {
        parallel()
    } else {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(Error::ThreadPool)?;
        pool.install(parallel)
    }
}

pub(crate) fn covers(len: usize, needed: usize) -> Result<()> {
    if len < needed {
        return Err(Error::ScorerTooShort {
            scorer: len,
            needed,
        });
    }
    Ok(())
}
