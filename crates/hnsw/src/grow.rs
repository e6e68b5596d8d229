//! Growing a built graph in place, many points at once on several threads: what a store's
//! optimizer does between full builds. New points are inserted, points whose vectors changed
//! get their links chosen again, deleted slots take new vectors, and points join the blocks
//! of payload-aware links they now belong to.

use std::sync::Mutex;

use sextant_core::{BitSet, Cardinality, PairScorer, PointOffset, QueryScorer};

use crate::block_links::ExtraLinks;
use crate::build::{FromPoint, Rule, insert, prune_slack, slack_capacity};
use crate::error::{Error, Result};
use crate::index::{HnswIndex, covers, on_threads};
use crate::request::SearchRequest;
use crate::search::SearchContext;

/// The search list of a point joining a block, per link it gets: the block is navigable
/// already, and only its `m` nearest members are wanted. On minilm-pypi-120k (3,589 joins
/// into five blocks of 11k-20k points, m = 16) ef 32 took a third of ef 100's time, and the
/// recall of queries filtered to a block stayed within run-to-run noise (0.936 vs 0.939-0.942).
const JOIN_EF_PER_LINK: usize = 2;

impl HnswIndex {
    /// Adds `added` points (`len()..len() + added`) and inserts each of `points` (below
    /// `len()`) again: a live one whose vector changed gets its links chosen again (as
    /// [`relink`](Self::relink)), a deleted one's slot takes the new vector it now holds (as
    /// [`reinsert`](Self::reinsert)). Runs on `threads` threads, each insert searching with
    /// `search(p)` as in [`build_with_search`](Self::build_with_search) while `pair` (which
    /// must already hold every new vector) chooses the links; ends as a build does, with every
    /// live node reachable. A point past `len()` or named twice is an error, and nothing
    /// changes.
    pub fn grow_with_search<P, Q, E, F>(
        &mut self,
        points: &[PointOffset],
        added: usize,
        pair: &P,
        search: F,
        threads: usize,
    ) -> Result<()>
    where
        P: PairScorer + Sync,
        Q: QueryScorer,
        E: std::fmt::Display,
        F: Fn(PointOffset) -> std::result::Result<Q, E> + Sync,
    {
        let len = self.len();
        covers(pair.len(), len + added)?;
        let mut named = BitSet::new(len);
        for &p in points {
            if p as usize >= len {
                return Err(Error::NoPoint { point: p, len });
            }
            if !named.insert(p) {
                return Err(Error::InvalidParams(format!("point {p} named twice")));
            }
        }
        for &p in points {
            if self.deleted.remove(p) {
                // A deleted slot no live node links to: it starts over without links.
                for l in 0..=self.graph.level(p) {
                    self.graph.set_links(p, l, &[]);
                }
            }
        }
        // Slack while the inserts run, as in a build.
        self.graph
            .set_level0_capacity(slack_capacity(self.params.m0));
        for p in len..len + added {
            self.graph.push_node(self.params.level_of(p as PointOffset));
        }
        self.deleted.grow(len + added);
        let mut order = points.to_vec();
        order.extend(len as PointOffset..(len + added) as PointOffset);
        let rule = Rule::new(&self.params, pair);
        let (graph, ef) = (&self.graph, self.params.ef_construction);
        let inserted = on_threads(&order, threads, |p, ctx| {
            let scorer = search(p).map_err(|e| Error::Scorer {
                point: p,
                what: e.to_string(),
            })?;
            insert(graph, pair, &rule, &scorer, p, ef, ctx);
            Ok(())
        });
        // Back to the saved size even when an insert failed.
        prune_slack(&mut self.graph, pair, &rule, threads)?;
        inserted?;
        let mut ctx = SearchContext::new();
        crate::reconnect::reconnect(&self.graph, pair, &self.deleted, ef, &mut ctx);
        Ok(())
    }

    /// Links points into blocks of payload-aware links they entered after
    /// [`add_block_links`](Self::add_block_links) linked them: `blocks` holds, per block,
    /// every point of the block and the joining ones among them. Each joining point finds its
    /// `m` nearest block members by a search through the block's links (or a scan of a small
    /// block) and is linked with them both ways. Lists then grow past `m`; linking the block
    /// again rebuilds them. Runs on `threads` threads; returns the extra links held afterwards.
    pub fn join_blocks<P: PairScorer + Sync>(
        &mut self,
        blocks: &[(&[PointOffset], &[PointOffset])],
        pair: &P,
        m: usize,
        threads: usize,
    ) -> Result<usize> {
        let n = self.len();
        covers(pair.len(), n)?;
        let found = Mutex::new(Vec::new());
        let query = self.query();
        for &(block, joining) in blocks {
            let mut members = BitSet::new(n);
            for &p in block.iter().filter(|&&p| (p as usize) < n) {
                if !self.deleted.contains(p) {
                    members.insert(p);
                }
            }
            let size = members.count();
            let joining: Vec<PointOffset> = joining
                .iter()
                .copied()
                .filter(|&p| (p as usize) < n && members.contains(p))
                .collect();
            if size < 2 || joining.is_empty() {
                continue;
            }
            let request = SearchRequest::new(m + 1)
                .ef(JOIN_EF_PER_LINK * m)
                .estimate(Cardinality::exact(size))
                .block(true)
                .filter(&members);
            on_threads(&joining, threads, |p, ctx| {
                let scorer = FromPoint { pair, point: p };
                query.run(&scorer, &request, ctx)?;
                let near: Vec<PointOffset> = ctx
                    .out
                    .iter()
                    .map(|s| s.offset)
                    .filter(|&q| q != p)
                    .take(m)
                    .collect();
                found
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((p, near));
                Ok(())
            })?;
        }
        let found = found.into_inner().unwrap_or_else(|e| e.into_inner());
        if found.is_empty() {
            return Ok(self.extra.count());
        }
        let mut lists = self.extra.to_lists(n);
        for (p, near) in found {
            for &q in &near {
                lists[q as usize].push(p);
            }
            lists[p as usize].extend(near);
        }
        self.extra = ExtraLinks::from_lists(lists)?;
        Ok(self.extra.count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HnswConfig;
    use sextant_core::{
        DensePairScorer, DenseQueryScorer, DenseVectorSource, DenseVectors, Distance,
    };
    use std::convert::Infallible;

    fn points(n: usize, seed: u64) -> Vec<f32> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n * 8)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 40) as f32 / (1u64 << 24) as f32
            })
            .collect()
    }

    fn recall(index: &HnswIndex, data: &DenseVectors<f32>, live: &dyn Fn(u32) -> bool) -> f64 {
        let mut ctx = SearchContext::new();
        let (mut hit, mut all) = (0, 0);
        for q in (0..data.len() as u32).step_by(7).filter(|&q| live(q)) {
            let query = DenseQueryScorer::for_source(data, data.vector(q)).unwrap();
            let found = index
                .search(&query, &SearchRequest::new(10).ef(64), &mut ctx)
                .unwrap();
            let mut exact: Vec<(f32, u32)> = (0..data.len() as u32)
                .filter(|&p| live(p))
                .map(|p| (query.score_point(p), p))
                .collect();
            exact.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let truth: Vec<u32> = exact.iter().take(10).map(|e| e.1).collect();
            hit += found.iter().filter(|p| truth.contains(&p.offset)).count();
            all += 10;
        }
        hit as f64 / all as f64
    }

    #[test]
    fn grown_graph_finds_added_changed_and_reused_points() {
        let mut flat = points(3000, 1);
        let data = DenseVectors::prepared(8, flat[..2000 * 8].to_vec(), Distance::Euclid).unwrap();
        let pairs = DensePairScorer::for_source(&data).unwrap();
        let mut index = HnswIndex::build(2000, &pairs, HnswConfig::default(), 2).unwrap();
        index.delete(&[5, 6, 7], &pairs).unwrap();
        // Point 10 moves, slots 5 and 6 take new vectors, 1,000 points join; 7 stays deleted.
        let fresh = points(3, 2);
        flat[10 * 8..11 * 8].copy_from_slice(&fresh[..8]);
        flat[5 * 8..6 * 8].copy_from_slice(&fresh[8..16]);
        flat[6 * 8..7 * 8].copy_from_slice(&fresh[16..24]);
        let data = DenseVectors::prepared(8, flat, Distance::Euclid).unwrap();
        let pairs = DensePairScorer::for_source(&data).unwrap();
        let search = |p| {
            Ok::<_, Infallible>(FromPoint {
                pair: &pairs,
                point: p,
            })
        };
        index
            .grow_with_search(&[10, 5, 6], 1000, &pairs, search, 2)
            .unwrap();
        assert_eq!((index.len(), index.deleted_count()), (3000, 1));
        let live = |p: u32| p != 7;
        assert!(recall(&index, &data, &live) >= 0.95);
        let mut ctx = SearchContext::new();
        for p in [5, 6, 10, 2999] {
            let query = DenseQueryScorer::for_source(&data, data.vector(p)).unwrap();
            let found = index
                .search(&query, &SearchRequest::new(1).ef(64), &mut ctx)
                .unwrap();
            assert_eq!(found[0].offset, p);
        }
    }

    #[test]
    fn grow_refuses_bad_points_and_changes_nothing() {
        let data = DenseVectors::prepared(8, points(100, 3), Distance::Dot).unwrap();
        let pairs = DensePairScorer::for_source(&data).unwrap();
        let mut index = HnswIndex::build(90, &pairs, HnswConfig::default(), 1).unwrap();
        let search = |p| {
            Ok::<_, Infallible>(FromPoint {
                pair: &pairs,
                point: p,
            })
        };
        let err = index.grow_with_search(&[90], 0, &pairs, search, 1);
        assert!(matches!(err, Err(Error::NoPoint { point: 90, .. })));
        let err = index.grow_with_search(&[3, 3], 0, &pairs, search, 1);
        assert!(matches!(err, Err(Error::InvalidParams(_))));
        let err = index.grow_with_search(&[], 11, &pairs, search, 1);
        assert!(matches!(err, Err(Error::ScorerTooShort { .. })));
        assert_eq!(index.len(), 90);
    }

    #[test]
    fn joined_points_are_found_through_the_block() {
        let data = DenseVectors::prepared(8, points(2000, 4), Distance::Euclid).unwrap();
        let pairs = DensePairScorer::for_source(&data).unwrap();
        let mut index = HnswIndex::build(2000, &pairs, HnswConfig::default(), 2).unwrap();
        // A 5% block linked without its last members, which join afterwards.
        let block: Vec<u32> = (0..2000).filter(|p| p % 20 == 3).collect();
        index.add_block_links(&block[..80], &pairs, 16, 2).unwrap();
        let before = index.block_link_count();
        index
            .join_blocks(&[(&block, &block[80..])], &pairs, 16, 2)
            .unwrap();
        assert!(index.block_link_count() > before);
        let in_block = |p: u32| p % 20 == 3;
        let mut ctx = SearchContext::new();
        for &p in &block[80..] {
            let query = DenseQueryScorer::for_source(&data, data.vector(p)).unwrap();
            let req = SearchRequest::new(1)
                .ef(32)
                .mode(crate::SearchMode::Acorn)
                .block(true)
                .filter(&in_block);
            let found = index.search(&query, &req, &mut ctx).unwrap();
            assert_eq!(found[0].offset, p);
        }
    }
}
