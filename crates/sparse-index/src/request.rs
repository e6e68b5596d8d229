//! What a search asks for: `k`, whether query weights get the IDF modifier, and an optional
//! filter with the caller's count of the points it passes.

use sextant_core::{AllowAll, PointFilter};

/// A sparse search: the `k` best live points by dot product.
///
/// ```
/// use sextant_sparse_index::SparseRequest;
///
/// let even = |p: u32| p % 2 == 0;
/// let request = SparseRequest::new(10).idf(true).filter(&even).passing(500);
/// assert_eq!((request.k, request.idf, request.passing), (10, true, Some(500)));
/// ```
#[derive(Debug)]
pub struct SparseRequest<'f, F: ?Sized = AllowAll> {
    /// Number of results.
    pub k: usize,
    /// Multiply each query weight by its term's IDF over the live points (Qdrant's `idf`
    /// modifier).
    pub idf: bool,
    /// The caller's count (or estimate) of the points the filter passes: a filter passing few
    /// points is scored point by point instead of through the postings.
    pub passing: Option<usize>,
    /// Approximate mode: the k-th score is taken as this factor times what it is when deciding
    /// which terms and points to skip (1, the default: exact).
    pub(crate) factor: f32,
    /// Approximate mode: only this many query terms (those with the largest bounds) walk
    /// the lists (`None`, the default: every term).
    pub(crate) max_terms: Option<usize>,
    pub(crate) filter: Option<&'f F>,
}

impl<F: ?Sized> Clone for SparseRequest<'_, F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<F: ?Sized> Copy for SparseRequest<'_, F> {}

impl SparseRequest<'static, AllowAll> {
    /// The `k` best points, no IDF, no filter.
    pub fn new(k: usize) -> Self {
        Self {
            k,
            idf: false,
            passing: None,
            factor: 1.0,
            max_terms: None,
            filter: None,
        }
    }
}

impl<'f, F: PointFilter + ?Sized> SparseRequest<'f, F> {
    /// Apply the IDF modifier to query weights.
    pub fn idf(mut self, idf: bool) -> Self {
        self.idf = idf;
        self
    }

    /// How many points the filter passes (the payload index's estimate).
    pub fn passing(mut self, passing: usize) -> Self {
        self.passing = Some(passing);
        self
    }

    /// Only points `filter` allows are returned.
    pub fn filter<'g, G: PointFilter + ?Sized>(self, filter: &'g G) -> SparseRequest<'g, G> {
        SparseRequest {
            k: self.k,
            idf: self.idf,
            passing: self.passing,
            factor: self.factor,
            max_terms: self.max_terms,
            filter: Some(filter),
        }
    }

    /// Approximate search: skips as if the k-th score were `factor` times higher (when it is
    /// positive), so fewer terms stay essential and fewer points are scored; results may miss
    /// points of the exact top-k (their scores are still exact). `1.0` is the exact search;
    /// a factor below 1 or not finite is an error. Recall per factor: `sextant-bench sparse
    /// --approximate`.
    pub fn approximate(mut self, factor: f32) -> crate::Result<Self> {
        if !(factor.is_finite() && factor >= 1.0) {
            return Err(crate::Error::Factor(factor));
        }
        self.factor = factor;
        Ok(self)
    }

    /// Approximate search over the query's `n` heaviest terms (by the most each can add: its
    /// weight times its list's largest weight): they alone walk the lists, for the best
    /// [`MAX_TERMS_POOL`](crate::MAX_TERMS_POOL) times `k` points, which are then scored on every query
    /// term from their vectors and the best `k` returned. The scores returned are exact; the
    /// points may miss some of the exact top-k (recall per `n`: `sextant-bench sparse
    /// --max-terms`). Long queries gain most: their light terms are common words with long
    /// lists. `n = 0` is an error; `n` at least the query's length is the exact search.
    pub fn max_terms(mut self, n: usize) -> crate::Result<Self> {
        if n == 0 {
            return Err(crate::Error::MaxTerms);
        }
        self.max_terms = Some(n);
        Ok(self)
    }

    /// The filter, if any.
    pub fn filter_ref(&self) -> Option<&'f F> {
        self.filter
    }
}
