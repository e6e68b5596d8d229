//! What a search asks for ([`SearchRequest`]) and what it gives back ([`Found`]): one small
//! value instead of six positional arguments, and results borrowed from the caller's
//! [`SearchContext`](crate::SearchContext), so the hot path allocates nothing.

use sextant_core::{AllowAll, Cardinality, PointFilter, ScoredPoint};

/// The list size a request searches with unless told otherwise: Qdrant's default
/// `ef_construct`, which it also uses as the default search `ef`; on minilm-pypi-20k (M=16)
/// it gives recall@10 ≈ 0.99.
pub const DEFAULT_EF: usize = 100;

/// How a search walks the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SearchMode {
    /// Without a filter, the graph. With one, the planner's choice on the request's
    /// [`Cardinality`] estimate (the graph when the request has none): an exact scan when few
    /// points pass; otherwise the ACORN-style search when the request says payload-aware links
    /// cover the filter ([`SearchRequest::linked`]) and a filtered traversal when not.
    #[default]
    Auto,
    /// Graph traversal; a filter only drops points from the results.
    Graph,
    /// Graph traversal that looks through rejected neighbours to their passing ones
    /// (ACORN-1 style): only passing points are scored. Without a filter, the graph.
    Acorn,
    /// Score every live point the filter allows: exact.
    ExactScan,
}

/// How a search was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SearchPlan {
    /// Every passing point was scored: exact, and cheapest when few points pass.
    ExactScan,
    /// The graph was walked, keeping only passing points.
    Graph,
    /// The graph was walked through the passing points (ACORN-1 style).
    Acorn,
    /// The block's own links were walked (the filter passes exactly one linked block; see
    /// [`SearchRequest::block`]).
    Block,
}

/// A search: `k` results from a list of `max(ef, k)` candidates, optionally under a filter.
///
/// ```
/// use sextant_core::Cardinality;
/// use sextant_hnsw::{SearchMode, SearchRequest};
///
/// let even = |p: u32| p % 2 == 0;
/// let request = SearchRequest::new(10).ef(64).filter(&even).estimate(Cardinality::exact(500));
/// assert_eq!((request.k, request.ef, request.mode), (10, 64, SearchMode::Auto));
/// ```
#[derive(Debug)]
pub struct SearchRequest<'f, F: ?Sized = AllowAll> {
    /// Number of results.
    pub k: usize,
    /// Candidate list size (at least `k` is used).
    pub ef: usize,
    /// How to walk the index.
    pub mode: SearchMode,
    /// The caller's estimate of how many points pass the filter (the planner's input).
    pub estimate: Option<Cardinality>,
    /// Payload-aware links cover the filter (see [`SearchRequest::linked`]).
    pub linked: bool,
    /// The filter passes exactly one linked block (see [`SearchRequest::block`]).
    pub block: bool,
    pub(crate) filter: Option<&'f F>,
}

impl<F: ?Sized> Clone for SearchRequest<'_, F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<F: ?Sized> Copy for SearchRequest<'_, F> {}

impl SearchRequest<'static, AllowAll> {
    /// The `k` best points, with `ef = max(k, DEFAULT_EF)`, no filter, [`SearchMode::Auto`].
    pub fn new(k: usize) -> Self {
        Self {
            k,
            ef: k.max(DEFAULT_EF),
            mode: SearchMode::Auto,
            estimate: None,
            linked: false,
            block: false,
            filter: None,
        }
    }
}

impl<'f, F: PointFilter + ?Sized> SearchRequest<'f, F> {
    /// The candidate list size.
    pub fn ef(mut self, ef: usize) -> Self {
        self.ef = ef;
        self
    }

    /// How to walk the index.
    pub fn mode(mut self, mode: SearchMode) -> Self {
        self.mode = mode;
        self
    }

    /// The estimate of how many points pass the filter, for [`SearchMode::Auto`].
    pub fn estimate(mut self, estimate: Cardinality) -> Self {
        self.estimate = Some(estimate);
        self
    }

    /// Whether the filter's passing points are linked among themselves by payload-aware links
    /// ([`HnswIndex::add_block_links`](crate::HnswIndex::add_block_links) on the values the
    /// filter selects), which the caller knows: [`SearchMode::Auto`] then weighs the
    /// ACORN-style search instead of a filtered traversal.
    pub fn linked(mut self, linked: bool) -> Self {
        self.linked = linked;
        self
    }

    /// Whether the filter passes exactly the points of one block linked by
    /// [`HnswIndex::add_block_links`](crate::HnswIndex::add_block_links) (a match on one
    /// linked value, as a store knows from its schema; not an `any` of several values, not
    /// narrowed by other conditions). The ACORN-style search then follows only the block's
    /// links once it has reached the block, walking the block's own graph; given for a filter
    /// that passes other points too, it loses recall. Implies [`linked`](Self::linked).
    pub fn block(mut self, block: bool) -> Self {
        self.block = block;
        self
    }

    /// Only points `filter` allows are returned (any `Fn(u32) -> bool`, a `BitSet` wrapper,
    /// a payload index's filter...).
    pub fn filter<'g, G: PointFilter + ?Sized>(self, filter: &'g G) -> SearchRequest<'g, G> {
        SearchRequest {
            k: self.k,
            ef: self.ef,
            mode: self.mode,
            estimate: self.estimate,
            linked: self.linked,
            block: self.block,
            filter: Some(filter),
        }
    }

    /// The filter, if any.
    pub fn filter_ref(&self) -> Option<&'f F> {
        self.filter
    }
}

/// The results of one search: best first, borrowed from the [`SearchContext`](crate::SearchContext)
/// that ran it (copy them out before the next search on that context).
#[derive(Debug, Clone, Copy)]
pub struct Found<'c> {
    /// The results, best first (higher score first, then the smaller offset).
    pub points: &'c [ScoredPoint],
    /// How the search was answered.
    pub plan: SearchPlan,
}

impl std::ops::Deref for Found<'_> {
    type Target = [ScoredPoint];
    fn deref(&self) -> &[ScoredPoint] {
        self.points
    }
}
