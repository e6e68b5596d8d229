//! After a build (or a growth): links every live node that the entry point cannot reach on
//! level 0 into the reachable part (deleted nodes, which no live node links to, stay out), so that every point can be found. The neighbour heuristic drops back links
//! freely, and parallel inserts race for the same lists, so a build leaves a few nodes that
//! no search can ever return: 1 of minilm-pypi-20k's 20,000 and 18 of minilm-pypi-120k's
//! 120,000 points (M=16, ef_construction=100, two threads), many more among duplicates.

use crate::build::FromPoint;
use crate::graph::Graph;
use crate::search::{Scored, SearchContext, search_level_pool};
use sextant_core::{BitSet, PairScorer, PointOffset, QueryScorer};

/// Rounds of "find the unreachable, link each in" at most. Linking in never strands a
/// reachable node, so one round links every node it finds; a node whose search found no
/// reachable node (none in `ef` of the entry's search) waits for a later round.
const ROUNDS: usize = 4;

/// Links each unreachable node `u` from the nearest reachable node `v` with a free slot on
/// level 0 (among the `ef_construction` nearest found by a search from the entry). When all
/// of them are full, `u` takes the slot of the nearest one's farthest link `w`, and `u` links
/// to `w` in turn (in a free slot, or in place of its own farthest link to a node that is
/// reachable without `u`), so that every node reachable before stays reachable: `v → u → w`.
/// Returns the nodes still unreachable when the rounds end (0 in every build measured).
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
    let unreachable = |reached: &[bool]| -> Vec<PointOffset> {
        (0..n as PointOffset)
            .filter(|&p| !reached[p as usize] && !deleted.contains(p))
            .collect()
    };
    for _ in 0..ROUNDS {
        let lost = unreachable(&reached);
        if lost.is_empty() {
            return 0;
        }
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
            let free = near.iter().any(|&v| {
                let _guard = graph.lock(v);
                graph.try_push_link(v, 0, u)
            });
            if !free {
                splice(graph, pair, nearest, u, &reached, ctx);
            }
            mark(u, &mut reached, &mut stack);
        }
    }
    unreachable(&reached).len()
}

/// Puts `u` (unreachable) between the full node `v` and its farthest link `w`: `v → u → w`.
/// `u`'s own list takes `w` in a free slot, or in place of its farthest link to a reachable
/// node (reachable without `u`, which nothing reachable links to), or of its farthest link.
fn splice<P: PairScorer>(
    graph: &Graph,
    pair: &P,
    v: PointOffset,
    u: PointOffset,
    reached: &[bool],
    ctx: &mut SearchContext,
) {
    let w = {
        let _guard = graph.lock(v);
        let slot = farthest_link(graph, pair, v, |_| true, ctx);
        let w = ctx.links[slot];
        ctx.links[slot] = u;
        graph.set_links(v, 0, &ctx.links);
        w
    };
    let _guard = graph.lock(u);
    graph.links_into(u, 0, &mut ctx.links);
    if ctx.links.contains(&w) || graph.try_push_link(u, 0, w) {
        return;
    }
    let slot = farthest_link(graph, pair, u, |x| reached[x as usize], ctx);
    ctx.links[slot] = w;
    graph.set_links(u, 0, &ctx.links);
}

/// The slot of `v`'s level-0 link farthest from `v` among those whose target `prefer`
/// accepts (or among all when none does), with the links in `ctx.links`. `v`'s list is
/// full (never empty).
fn farthest_link<P: PairScorer>(
    graph: &Graph,
    pair: &P,
    v: PointOffset,
    prefer: impl Fn(PointOffset) -> bool,
    ctx: &mut SearchContext,
) -> usize {
    graph.links_into(v, 0, &mut ctx.links);
    ctx.scores.resize(ctx.links.len(), 0.0);
    pair.score_pairs(v, &ctx.links, &mut ctx.scores);
    let farthest = |among: &dyn Fn(usize) -> bool| {
        (0..ctx.links.len()).filter(|&i| among(i)).min_by(|&a, &b| {
            Scored(ctx.scores[a], ctx.links[a]).cmp(&Scored(ctx.scores[b], ctx.links[b]))
        })
    };
    farthest(&|i| prefer(ctx.links[i]))
        .or_else(|| farthest(&|_| true))
        .expect("a full list has links")
}
