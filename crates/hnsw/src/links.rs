//! What a search needs from a graph, whoever stores it: the RAM graph (atomics, growable), or
//! a graph file read in place (plain or compressed lists). Searches are generic over it, so
//! every storage answers a query with the same code and the same results.

use sextant_core::PointOffset;

/// Read access to an HNSW graph.
pub(crate) trait Links {
    /// Number of nodes.
    fn len(&self) -> usize;
    /// Level of `p`.
    fn level(&self, p: PointOffset) -> usize;
    /// Entry point and top level, `None` for an empty graph.
    fn entry(&self) -> Option<(PointOffset, usize)>;
    /// Link capacity on `level`.
    fn max_links(&self, level: usize) -> usize;
    /// Copies the links of `p` on `level` into `out` (cleared first).
    fn links_into(&self, p: PointOffset, level: usize, out: &mut Vec<PointOffset>);
    /// Starts loading the links of `p` on `level` into cache; a search calls it for the node
    /// it will expand next, so that list is there when the current batch is scored.
    fn prefetch_links(&self, _p: PointOffset, _level: usize) {}
}

impl Links for crate::graph::Graph {
    #[inline]
    fn len(&self) -> usize {
        crate::graph::Graph::len(self)
    }
    #[inline]
    fn level(&self, p: PointOffset) -> usize {
        crate::graph::Graph::level(self, p)
    }
    #[inline]
    fn entry(&self) -> Option<(PointOffset, usize)> {
        crate::graph::Graph::entry(self)
    }
    #[inline]
    fn max_links(&self, level: usize) -> usize {
        crate::graph::Graph::max_links(self, level)
    }
    #[inline]
    fn links_into(&self, p: PointOffset, level: usize, out: &mut Vec<PointOffset>) {
        crate::graph::Graph::links_into(self, p, level, out)
    }
    #[inline]
    fn prefetch_links(&self, p: PointOffset, level: usize) {
        crate::graph::Graph::prefetch_links(self, p, level)
    }
}

impl<T: Links + ?Sized> Links for &T {
    #[inline]
    fn len(&self) -> usize {
        (**self).len()
    }
    #[inline]
    fn level(&self, p: PointOffset) -> usize {
        (**self).level(p)
    }
    #[inline]
    fn entry(&self) -> Option<(PointOffset, usize)> {
        (**self).entry()
    }
    #[inline]
    fn max_links(&self, level: usize) -> usize {
        (**self).max_links(level)
    }
    #[inline]
    fn links_into(&self, p: PointOffset, level: usize, out: &mut Vec<PointOffset>) {
        (**self).links_into(p, level, out)
    }
    #[inline]
    fn prefetch_links(&self, p: PointOffset, level: usize) {
        (**self).prefetch_links(p, level)
    }
}
