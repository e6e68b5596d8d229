//! After a build (or a growth): links every live node that the entry point cannot reach on
//! level 0 into the reachable part (deleted nodes, which no live node links to, stay out), so that every point can be found. The neighbour heuristic drops back links
//! freely, and parallel inserts race for the same lists, so a build leaves a few nodes that
//! no search can ever return: 1 of minilm-pypi-20k's 20,000 and 18 of minilm-pypi-120k's
//! 120,000 points (M=16, ef_construction=100, two threads), many more among duplicates.

use crate::build::FromPoint;
use crate::graph::Graph;
use crate::search::{Scored, SearchContext, search_level_pool};
use sextant_core::{BitSet, PairScorer, PointOffset, QueryScorer};

/// Rounds of "find the unreachable, link each in" at most: one is enough on real data; a
/// link that had to replace another may strand that one's target, which a later round links
/// back. Rounds stop early once one links nothing more in.
const ROUNDS: usize = 32;

/// Links each unreachable node from the nearest reachable node with a free slot on level 0
/// (among the `ef_construction` nearest found by a search from the entry), or, when all of
/// them are full, in place of a link whose target keeps another link in. Returns the nodes
/// still unreachable when the rounds end (0 in every build measured).
pub(crate) fn reconnect<P: PairScorer>(
    graph: &Graph,
    pair: &P,
    deleted: &BitSet,
    ef_construction: usize,
    ctx: &mut SearchContext,
) -> usize {
    let Some((entry, _)) = graph.entry() else {
        return 0;
    };
    let n = graph.len();
    let m0 = graph.max_links(0);
    let mut reached = vec![false; n];
    let mut stack = Vec::new();
    let mut links = Vec::new();
    let mut mark = |from: PointOffset, reached: &mut [bool], stack: &mut Vec<PointOffset>| {
        stack.push(from);
        while let Some(p) = stack.pop() {
            if std::mem::replace(&mut reached[p as usize], true) {
                continue;
            }
            graph.links_into(p, 0, &mut links);
            stack.extend(links.iter().filter(|&&x| !reached[x as usize]));
        }
    };
    mark(entry, &mut reached, &mut stack);
    let mut before = usize::MAX;
    for _ in 0..ROUNDS {
        let mut replaced = false;
        // Links into each node on level 0.
        let mut indegree = vec![0u32; n];
        for p in 0..n as PointOffset {
            graph.links_into(p, 0, &mut ctx.links);
            for &x in &ctx.links {
                indegree[x as usize] += 1;
            }
        }
        let lost: Vec<PointOffset> = (0..n as PointOffset)
            .filter(|&p| !reached[p as usize] && !deleted.contains(p))
            .collect();
        if lost.is_empty() || lost.len() >= before {
            return lost.len();
        }
        before = lost.len();
        for u in lost {
            if reached[u as usize] {
                continue; // reached through one linked before it
            }
            // From the entry on level 0 (not descended: an upper level may lead to a node
            // that level 0 does not reach), so every point found is reachable.
            let scorer = FromPoint { pair, point: u };
            let start = Scored(scorer.score_point(entry), entry);
            search_level_pool(graph, &scorer, &[start], ef_construction.max(m0), 0, ctx);
            let near: Vec<PointOffset> = ctx
                .pool
                .iter()
                .map(|(s, _)| s.1)
                .filter(|&v| v != u && reached[v as usize])
                .collect();
            let Some(&nearest) = near.first() else {
                continue;
            };
            let free = near.iter().copied().find(|&v| {
                let _guard = graph.lock(v);
                graph.try_push_link(v, 0, u)
            });
            match free {
                Some(_) => indegree[u as usize] += 1,
                None => {
                    replaced = true;
                    // In the nearest node that has one, the farthest link to a node linked
                    // from elsewhere too (dropping it strands nothing); else the nearest's
                    // farthest link.
                    let at = near
                        .iter()
                        .find_map(|&v| farthest_link(graph, pair, v, &indegree, 2, ctx))
                        .or_else(|| farthest_link(graph, pair, nearest, &indegree, 0, ctx));
                    if let Some((v, slot)) = at {
                        let _guard = graph.lock(v);
                        graph.links_into(v, 0, &mut ctx.links);
                        indegree[ctx.links[slot] as usize] -= 1;
                        indegree[u as usize] += 1;
                        ctx.links[slot] = u;
                        graph.set_links(v, 0, &ctx.links);
                    }
                }
            }
            mark(u, &mut reached, &mut stack);
        }
        if replaced {
            // A replaced link may have stranded its target: find what is reachable again.
            reached.iter_mut().for_each(|r| *r = false);
            mark(entry, &mut reached, &mut stack);
        }
    }
    let live = |(p, &r): (usize, &bool)| !r && !deleted.contains(p as PointOffset);
    reached.iter().enumerate().filter(|&x| live(x)).count()
}

/// The slot of `v`'s level-0 link farthest from `v` among those whose target has at least
/// `min_indegree` links into it, with `v`.
fn farthest_link<P: PairScorer>(
    graph: &Graph,
    pair: &P,
    v: PointOffset,
    indegree: &[u32],
    min_indegree: u32,
    ctx: &mut SearchContext,
) -> Option<(PointOffset, usize)> {
    graph.links_into(v, 0, &mut ctx.links);
    ctx.scores.resize(ctx.links.len(), 0.0);
    pair.score_pairs(v, &ctx.links, &mut ctx.scores);
    (0..ctx.links.len())
        .filter(|&i| indegree[ctx.links[i] as usize] >= min_indegree)
        .min_by(|&a, &b| {
            Scored(ctx.scores[a], ctx.links[a]).cmp(&Scored(ctx.scores[b], ctx.links[b]))
        })
        .map(|slot| (v, slot))
}
