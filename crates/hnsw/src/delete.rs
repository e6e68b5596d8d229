//! Deletes with online repair, and slot reuse.
//!
//! Marking a point deleted hides it from results, but the graph still routes through it, and
//! a graph with many such tombstones degrades. Repair removes deleted points from every live
//! node's links and reconnects each affected node: its candidates are its remaining links plus
//! the links of the deleted neighbours it lost (one hop through the hole), chosen with the same
//! heuristic as construction. After repair, no live node links to a deleted one.

use crate::build::{Rule, select_neighbors};
use crate::error::Result;
use crate::index::{HnswIndex, covers};
use crate::search::{Scored, SearchContext};
use sextant_core::{PairScorer, PointOffset};

impl HnswIndex {
    /// Marks `points` deleted and repairs the graph around them (one pass over all links for the
    /// whole batch, so delete in batches). Offsets past the end or already deleted are ignored.
    /// Returns how many points were newly deleted; a scorer over fewer points than the index
    /// is an error (and nothing is deleted).
    pub fn delete<P: PairScorer>(&mut self, points: &[PointOffset], scorer: &P) -> Result<usize> {
        covers(scorer.len(), self.graph.len())?;
        let n = self.graph.len() as PointOffset;
        let newly = points
            .iter()
            .filter(|&&p| p < n && self.deleted.insert(p))
            .count();
        if newly == 0 {
            return Ok(0);
        }
        let rule = Rule::new(&self.params, scorer);
        let (mut links, mut hole, mut scores) = (Vec::new(), Vec::new(), Vec::new());
        let mut candidates: Vec<PointOffset> = Vec::new();
        let mut scored: Vec<Scored> = Vec::new();
        let mut selected = Vec::new();
        for u in 0..n {
            if self.deleted.contains(u) {
                continue;
            }
            for l in 0..=self.graph.level(u) {
                self.graph.links_into(u, l, &mut links);
                if !links.iter().any(|&x| self.deleted.contains(x)) {
                    continue;
                }
                candidates.clear();
                for &x in &links {
                    if !self.deleted.contains(x) {
                        candidates.push(x);
                        continue;
                    }
                    self.graph.links_into(x, l, &mut hole);
                    candidates.extend(
                        hole.iter()
                            .filter(|&&y| y != u && !self.deleted.contains(y)),
                    );
                }
                candidates.sort_unstable();
                candidates.dedup();
                scores.resize(candidates.len(), 0.0);
                scorer.score_pairs(u, &candidates, &mut scores);
                scored.clear();
                scored.extend(candidates.iter().zip(&scores).map(|(&c, &s)| Scored(s, c)));
                scored.sort_unstable_by(|a, b| b.cmp(a));
                select_neighbors(scorer, &rule, l, &scored, &[], &mut selected);
                let _guard = self.graph.lock(u);
                self.graph.set_links(u, l, &selected);
            }
        }
        if self
            .graph
            .entry()
            .is_some_and(|(e, _)| self.deleted.contains(e))
        {
            let best = (0..n)
                .filter(|&p| !self.deleted.contains(p))
                .max_by_key(|&p| (self.graph.level(p), std::cmp::Reverse(p)));
            self.graph.set_entry(best);
        }
        self.extra = self.extra.without(n as usize, |p| self.deleted.contains(p));
        Ok(newly)
    }

    /// Reuses the slot of deleted point `point` for a new vector (the scorer must already see
    /// the new vector at that offset): its old links are dropped and it is inserted afresh.
    /// Returns false (and changes nothing) when `point` is not a deleted slot; a scorer over
    /// fewer points than the index is an error.
    pub fn reinsert<P: PairScorer>(
        &mut self,
        point: PointOffset,
        scorer: &P,
        ctx: &mut SearchContext,
    ) -> Result<bool> {
        covers(scorer.len(), self.graph.len())?;
        if !self.deleted.contains(point) {
            return Ok(false);
        }
        {
            let _guard = self.graph.lock(point);
            for l in 0..=self.graph.level(point) {
                self.graph.set_links(point, l, &[]);
            }
        }
        self.deleted.remove(point);
        if self.graph.entry().is_none() {
            self.graph.set_entry(Some(point));
            return Ok(true);
        }
        crate::build::insert_exact(&self.graph, scorer, &self.params, point, ctx);
        Ok(true)
    }
}
