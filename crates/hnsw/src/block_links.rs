//! Payload-aware extra links: for a "block" of points that share a payload value, a small HNSW
//! is built over the block alone and its level-0 links are kept as extra links of those points.
//! The ACORN-style search ([`crate::SearchMode::Acorn`]) follows them besides the graph's own
//! links, so a search that reaches the block stays inside it, connected, even when the block is
//! a small fraction of the index (the approach Qdrant takes for indexed payload values).
//! Unfiltered search and plain filtered traversal (which scores rejected neighbours too, so
//! extra links would only add work) ignore them.

use sextant_core::{PairScorer, PointOffset, ScoreType};

use crate::config::HnswConfig;
use crate::error::{Error, Result};
use crate::index::HnswIndex;
use crate::links::Links;

/// Extra level-0 links per point, in compressed-row form (rebuilt when blocks are added).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ExtraLinks {
    /// `starts[p]..starts[p + 1]` indexes `links`; empty when there are no extra links.
    starts: Vec<u32>,
    links: Vec<PointOffset>,
}

impl ExtraLinks {
    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }

    /// Number of extra links.
    pub fn count(&self) -> usize {
        self.links.len()
    }

    /// Extra links of `p` (none past the end).
    #[inline]
    pub fn get(&self, p: PointOffset) -> &[PointOffset] {
        let p = p as usize;
        match (self.starts.get(p), self.starts.get(p + 1)) {
            (Some(&a), Some(&b)) => &self.links[a as usize..b as usize],
            _ => &[],
        }
    }

    /// From per-point lists (sorted and deduplicated here).
    pub fn from_lists(mut lists: Vec<Vec<PointOffset>>) -> Result<Self> {
        let mut starts = Vec::with_capacity(lists.len() + 1);
        let mut links = Vec::new();
        starts.push(0);
        for list in &mut lists {
            list.sort_unstable();
            list.dedup();
            links.extend_from_slice(list);
            starts.push(
                u32::try_from(links.len())
                    .map_err(|_| Error::InvalidParams("more than 2^32 extra links".into()))?,
            );
        }
        if links.is_empty() {
            return Ok(Self::default());
        }
        Ok(Self { starts, links })
    }

    /// Per-point lists for `n` points (to merge into).
    pub fn to_lists(&self, n: usize) -> Vec<Vec<PointOffset>> {
        (0..n as PointOffset)
            .map(|p| self.get(p).to_vec())
            .collect()
    }

    /// Drops every link to or from a point `gone` says is gone.
    pub fn without(&self, n: usize, gone: impl Fn(PointOffset) -> bool) -> Self {
        if self.is_empty() {
            return Self::default();
        }
        let mut kept = Self {
            starts: Vec::with_capacity(n + 1),
            links: Vec::new(),
        };
        kept.starts.push(0);
        for p in 0..n as PointOffset {
            if !gone(p) {
                kept.links
                    .extend(self.get(p).iter().copied().filter(|&x| !gone(x)));
            }
            // Never more links than before, and those fitted in u32.
            kept.starts.push(kept.links.len() as u32);
        }
        if kept.links.is_empty() {
            Self::default()
        } else {
            kept
        }
    }
}

/// A graph seen with its extra links: level-0 lists are the graph's, then the extras.
#[derive(Clone, Copy)]
pub(crate) struct WithExtra<'a, G> {
    pub graph: G,
    pub extra: &'a ExtraLinks,
}

impl<G: Links> Links for WithExtra<'_, G> {
    #[inline]
    fn len(&self) -> usize {
        self.graph.len()
    }
    #[inline]
    fn level(&self, p: PointOffset) -> usize {
        self.graph.level(p)
    }
    #[inline]
    fn entry(&self) -> Option<(PointOffset, usize)> {
        self.graph.entry()
    }
    #[inline]
    fn max_links(&self, level: usize) -> usize {
        self.graph.max_links(level)
    }
    #[inline]
    fn links_into(&self, p: PointOffset, level: usize, out: &mut Vec<PointOffset>) {
        self.graph.links_into(p, level, out);
        if level == 0 {
            out.extend_from_slice(self.extra.get(p));
        }
    }
    /// The extra list too: reading where it starts may wait on memory, but its lines then
    /// load while the current node's neighbours are scored.
    #[inline]
    fn prefetch_links(&self, p: PointOffset, level: usize) {
        self.graph.prefetch_links(p, level);
        if level == 0 {
            sextant_core::kernels::prefetch(self.extra.get(p));
        }
    }
}

/// A pair scorer over block-local ids `0..ids.len()`, mapped to the index's offsets.
struct Remap<'a, P> {
    inner: &'a P,
    ids: &'a [PointOffset],
}

impl<P: PairScorer> PairScorer for Remap<'_, P> {
    fn len(&self) -> usize {
        self.ids.len()
    }

    #[inline]
    fn score_pair(&self, a: PointOffset, b: PointOffset) -> ScoreType {
        self.inner
            .score_pair(self.ids[a as usize], self.ids[b as usize])
    }

    fn distance(&self) -> Option<sextant_core::Distance> {
        self.inner.distance()
    }

    /// Batches through the inner scorer (its prefetching and four-at-a-time kernels), a
    /// stack buffer of remapped ids at a time: a block's inserts search with this scorer.
    fn score_pairs(&self, a: PointOffset, others: &[PointOffset], scores: &mut [ScoreType]) {
        const BATCH: usize = 64;
        let a = self.ids[a as usize];
        let mut mapped = [0; BATCH];
        for (chunk, out) in others.chunks(BATCH).zip(scores.chunks_mut(BATCH)) {
            let mapped = &mut mapped[..chunk.len()];
            for (m, &o) in mapped.iter_mut().zip(chunk) {
                *m = self.ids[o as usize];
            }
            self.inner.score_pairs(a, mapped, out);
        }
    }
}

impl HnswIndex {
    /// Links the points of `block` (e.g. every point with `category = "web"`) among themselves:
    /// an HNSW with `m` links per point is built over the block alone (on `threads` threads)
    /// and its level-0 links become extra links of those points, used by the ACORN-style search.
    /// Offsets past the end, deleted points and duplicates in `block` are skipped. Call it once
    /// per block; points entering it later join it with [`join_blocks`](Self::join_blocks). Returns the
    /// number of extra links the index holds afterwards.
    pub fn add_block_links<P: PairScorer + Sync>(
        &mut self,
        block: &[PointOffset],
        scorer: &P,
        m: usize,
        threads: usize,
    ) -> Result<usize> {
        let n = self.len();
        let mut ids: Vec<PointOffset> = block
            .iter()
            .copied()
            .filter(|&p| (p as usize) < n && !self.deleted.contains(p))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() < 2 {
            return Ok(self.extra.count());
        }
        let params = HnswConfig {
            m,
            m0: 2 * m,
            ef_construction: self.params.ef_construction,
            seed: self.params.seed,
            alpha: self.params.alpha,
        };
        let local = HnswIndex::build(
            ids.len(),
            &Remap {
                inner: scorer,
                ids: &ids,
            },
            params,
            threads,
        )?;
        let mut lists = self.extra.to_lists(n);
        let mut links = Vec::new();
        for (i, &p) in ids.iter().enumerate() {
            // Every level's links: the block's upper levels are its long-range shortcuts.
            for level in 0..=local.graph.level(i as PointOffset) {
                local.graph.links_into(i as PointOffset, level, &mut links);
                lists[p as usize].extend(links.iter().map(|&j| ids[j as usize]));
            }
        }
        self.extra = ExtraLinks::from_lists(lists)?;
        Ok(self.extra.count())
    }

    /// Number of payload-aware extra links (see [`add_block_links`](Self::add_block_links)).
    pub fn block_link_count(&self) -> usize {
        self.extra.count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_round_trip_and_drop_gone_points() {
        let extra =
            ExtraLinks::from_lists(vec![vec![3, 1, 3], vec![], vec![0], vec![2, 0]]).unwrap();
        assert_eq!(extra.get(0), &[1, 3]);
        assert_eq!(extra.get(1), &[] as &[u32]);
        assert_eq!(extra.get(9), &[] as &[u32]);
        assert_eq!(extra.count(), 5);
        let kept = extra.without(4, |p| p == 0);
        assert_eq!(kept.to_lists(4), vec![vec![], vec![], vec![], vec![2]]);
        assert!(
            ExtraLinks::from_lists(vec![vec![], vec![]])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn remapped_batches_score_as_single_pairs() {
        use sextant_core::{DensePairScorer, DenseVectors, Distance};
        let flat: Vec<f32> = (0..300 * 8).map(|i| ((i * 37) % 17) as f32 - 8.0).collect();
        let v = DenseVectors::prepared(8, flat, Distance::Cosine).unwrap();
        let inner = DensePairScorer::new(&v, Distance::Cosine);
        // Every third point: 100 ids, so batches of 64 and 36.
        let ids: Vec<PointOffset> = (0..100).map(|i| 3 * i).collect();
        let remap = Remap {
            inner: &inner,
            ids: &ids,
        };
        let others: Vec<PointOffset> = (0..100).rev().collect();
        let mut batch = vec![0.0; others.len()];
        remap.score_pairs(5, &others, &mut batch);
        for (&o, &s) in others.iter().zip(&batch) {
            let one = inner.score_pair(15, ids[o as usize]);
            assert!((s - one).abs() <= 1e-5, "{o}: {s} against {one}");
        }
    }
}
