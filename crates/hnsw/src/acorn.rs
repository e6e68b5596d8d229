//! Filter-aware traversal for mid-range selectivity, in the style of ACORN-1 (Patel et al.,
//! SIGMOD 2024): when a node is expanded, neighbours that fail the filter are not scored but
//! looked through: their own neighbours that pass are taken instead (two hops), up to the
//! level-0 list size. Only passing points are scored and kept, so the search moves through
//! the subgraph of passing points even when plain filtered traversal would wander through the
//! rejected majority.

use crate::graph::Graph;
use crate::index::HnswIndex;
use crate::search::{Scored, SearchContext};
use sextant_core::{PointFilter, PointOffset, QueryScorer, ScoredPoint};
use std::cmp::Reverse;

impl HnswIndex {
    /// Filtered search with two-hop expansion through rejected neighbours (see the module
    /// docs). Returns only points `filter` allows (and never deleted ones), best first.
    pub fn search_acorn<S: QueryScorer, F: PointFilter + ?Sized>(
        &self,
        scorer: &S,
        k: usize,
        ef: usize,
        filter: &F,
        ctx: &mut SearchContext,
        out: &mut Vec<ScoredPoint>,
    ) {
        out.clear();
        let Some(cur) = self.descend(scorer, k, ctx) else {
            return;
        };
        let allows = |p: PointOffset| filter.allows(p) && !self.deleted.contains(p);
        let ef = ef.max(k);
        let g: &Graph = &self.graph;
        ctx.visited.reset(g.len());
        ctx.candidates.clear();
        ctx.results.clear();
        ctx.visited.visit(cur.1);
        // The descent's end point seeds the frontier even when it fails the filter.
        ctx.candidates.push(cur);
        if allows(cur.1) {
            ctx.results.push(Reverse(cur));
        }
        let mut hop = Vec::new();
        while let Some(c) = ctx.candidates.pop() {
            if ctx.results.len() >= ef && ctx.results.peek().is_some_and(|w| c < w.0) {
                break;
            }
            g.links_into(c.1, 0, &mut ctx.links);
            ctx.fresh.clear();
            for &x in &ctx.links {
                if ctx.fresh.len() >= g.m0 {
                    break;
                }
                if allows(x) {
                    if ctx.visited.visit(x) {
                        ctx.fresh.push(x);
                    }
                    continue;
                }
                // Look through a rejected neighbour: take its passing neighbours.
                g.links_into(x, 0, &mut hop);
                for &y in &hop {
                    if ctx.fresh.len() >= g.m0 {
                        break;
                    }
                    if allows(y) && ctx.visited.visit(y) {
                        ctx.fresh.push(y);
                    }
                }
            }
            ctx.scores.resize(ctx.fresh.len(), 0.0);
            scorer.score_points(&ctx.fresh, &mut ctx.scores);
            for (&p, &s) in ctx.fresh.iter().zip(&ctx.scores) {
                let cand = Scored(s, p);
                if ctx.results.len() >= ef && ctx.results.peek().is_some_and(|w| cand <= w.0) {
                    continue;
                }
                ctx.candidates.push(cand);
                ctx.results.push(Reverse(cand));
                if ctx.results.len() > ef {
                    ctx.results.pop();
                }
            }
        }
        crate::search::sorted_results(ctx, out, k);
    }
}
