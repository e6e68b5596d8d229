//! Incremental optimize: what an optimize keeps of the last build's graph. When few points
//! changed since (new, moved, removed: at most as many as the graph holds live, so a
//! collection that doubles is built anew), the graph is copied and grown instead of built
//! again: removed points deleted from it (the graph repaired around them), points whose
//! vector changed linked again, new points put in the slots removed ones left, then appended;
//! their codes written with the codec as trained; points entering a block of payload-aware
//! links joined to it. The cost follows the changes, not the collection (a full build
//! re-inserts every point).
//!
//! Built anew instead: when more points changed than the graph holds live, or when more than
//! a fifth of its slots would stay empty. A payload value that newly qualifies for a block
//! gets its block linked whole; one that no longer does leaves its links unused.

use sextant_core::{
    BitSet, DensePairScorer, DenseQueryScorer, DenseVectorSource, PairScorer, PointOffset,
};
use sextant_hnsw::HnswIndex;
use sextant_quantization::{AnyCodes, EncodedVectors};

use crate::columns::Column;
use crate::error::{Error, Result};
use crate::indexed::{Block, DenseIndex, DenseInput, search_codes, selection_pairs};

/// Most empty (deleted) slots a grown graph may keep, as a fraction of its nodes: past it the
/// graph is built anew (an unfiltered search walks around deleted nodes through a slower,
/// filtered path).
const MAX_EMPTY_FRACTION: f64 = 0.2;

/// The last build's graph and what changed since, taken under the read lock.
#[derive(Debug)]
pub(crate) struct Prior {
    /// The graph, as bytes (copied under the lock; read back off it).
    graph: Vec<u8>,
    /// Its codes, as bytes.
    codes: Option<Vec<u8>>,
    /// Nodes whose points left: deleted from the graph.
    gone: Vec<PointOffset>,
    /// Nodes inserted again: vectors changed, or deleted slots taking new points.
    redo: Vec<PointOffset>,
    /// Nodes appended after the last build's.
    added: usize,
    /// Nodes whose points are new or changed: they join the blocks they belong to.
    joining: Vec<PointOffset>,
    /// The payload values the last build linked (a value that newly qualifies gets its block
    /// linked whole; one that no longer does keeps its links unused until a build anew).
    linked: Vec<Block>,
}

/// How the next build's nodes relate to the last one's.
pub(crate) struct Plan {
    /// Node → offset: the last build's nodes (deleted ones keep their last offset), the
    /// slots reused and the nodes appended.
    pub nodes: Vec<PointOffset>,
    /// Which nodes hold a point.
    pub live: BitSet,
    pub prior: Prior,
}

/// What changed for `column` since `old` was built, if growing `old` is worth it. `stale`
/// says which offsets changed; `base_rows_current` that the column's base rows are the
/// build's (a row still read from the base holds the vector the graph was built on).
pub(crate) fn plan(
    column: &Column,
    old: &DenseIndex,
    stale: &BitSet,
    base_rows_current: bool,
) -> Option<Plan> {
    let graph = &old.graph;
    let mut nodes = old.nodes.clone();
    let mut live = BitSet::new(nodes.len());
    let mut empty = Vec::new();
    let (mut gone, mut redo, mut joining) = (Vec::new(), Vec::new(), Vec::new());
    for n in 0..nodes.len() as PointOffset {
        let o = nodes[n as usize];
        if graph.is_deleted(n) {
            empty.push(n);
            continue;
        }
        live.insert(n);
        if !stale.contains(o) {
            continue;
        }
        if !column.present.contains(o) {
            gone.push(n);
            continue;
        }
        joining.push(n);
        if !(base_rows_current && column.is_base_row(o)) {
            redo.push(n);
        }
    }
    let live_before = live.count();
    gone.iter().for_each(|&n| {
        live.remove(n);
    });
    // Slots are refilled lowest first.
    empty.extend(&gone);
    empty.sort_unstable_by(|a, b| b.cmp(a));
    let mut added = 0;
    for o in column.present.iter().filter(|&o| old.node(o).is_none()) {
        let n = match empty.pop() {
            Some(n) => {
                nodes[n as usize] = o;
                redo.push(n);
                n
            }
            None => {
                nodes.push(o);
                added += 1;
                (nodes.len() - 1) as PointOffset
            }
        };
        live.grow(nodes.len());
        live.insert(n);
        joining.push(n);
    }
    if redo.len() + added > live_before
        || empty.len() as f64 > MAX_EMPTY_FRACTION * nodes.len() as f64
    {
        return None;
    }
    Some(Plan {
        nodes,
        live,
        prior: Prior {
            graph: graph.to_bytes(),
            codes: old.codes.as_ref().map(EncodedVectors::to_bytes),
            gone,
            redo,
            added,
            joining,
            linked: old.blocks.clone(),
        },
    })
}

/// Grows the last build's graph (and codes) over `input` (its vectors in the plan's node
/// order, its blocks those the last build linked) on `threads` threads.
pub(crate) fn grow_dense(input: DenseInput, prior: Prior, threads: usize) -> Result<DenseIndex> {
    let built = |e: String| Error::Build(e);
    let mut graph = HnswIndex::from_bytes(&prior.graph).map_err(|e| built(e.to_string()))?;
    match selection_pairs(&input.vectors, input.distance) {
        Some(pairs) => grow_links(&mut graph, &input, &prior, &pairs, threads)?,
        None => {
            let pairs = DensePairScorer::new(&input.vectors, input.distance);
            grow_links(&mut graph, &input, &prior, &pairs, threads)?
        }
    }
    let vectors = &input.vectors;
    let blocks: Vec<_> = input.blocks.into_iter().map(|(b, _)| b).collect();
    let codes = prior
        .codes
        .map(|bytes| -> Result<AnyCodes> {
            let mut codes = AnyCodes::from_bytes(&bytes).map_err(|e| built(e.to_string()))?;
            let coded = |e: sextant_quantization::Error| built(e.to_string());
            for &n in &prior.redo {
                codes.set(n, vectors.vector(n)).map_err(coded)?;
            }
            for n in codes.len()..vectors.len() {
                codes
                    .push(vectors.vector(n as PointOffset))
                    .map_err(coded)?;
            }
            Ok(codes)
        })
        .transpose()?;
    let mut index = DenseIndex::new(
        graph,
        codes,
        input.nodes,
        input.hnsw.ef_construction,
        blocks,
    )
    .map_err(built)?;
    index.grown = true;
    Ok(index)
}

/// Deletes `prior.gone` from `graph`, grows it over the redone and added points and links the
/// blocks, neighbours selected by `pairs`.
fn grow_links<P: PairScorer + Sync>(
    graph: &mut HnswIndex,
    input: &DenseInput,
    prior: &Prior,
    pairs: &P,
    threads: usize,
) -> Result<()> {
    let built = |e: String| Error::Build(e);
    graph
        .delete(&prior.gone, pairs)
        .map_err(|e| built(e.to_string()))?;
    let vectors = &input.vectors;
    match search_codes(vectors, input.distance, threads)? {
        Some(codes) => {
            let search = |p| codes.query_scorer(vectors.vector(p));
            graph.grow_with_search(&prior.redo, prior.added, pairs, search, threads)
        }
        None => {
            let search = |p| DenseQueryScorer::new(vectors, input.distance, vectors.vector(p));
            graph.grow_with_search(&prior.redo, prior.added, pairs, search, threads)
        }
    }
    .map_err(|e| built(e.to_string()))?;
    let mut joining = BitSet::new(graph.len());
    joining.insert_all(&prior.joining);
    let m = input.hnsw.m;
    let mut joins = Vec::new();
    for (block, members) in &input.blocks {
        if prior.linked.contains(block) {
            let joiners: Vec<PointOffset> = members
                .iter()
                .copied()
                .filter(|&n| joining.contains(n))
                .collect();
            joins.push((members.as_slice(), joiners));
        } else {
            graph
                .add_block_links(members, pairs, m, threads)
                .map_err(|e| built(e.to_string()))?;
        }
    }
    let joins: Vec<(&[PointOffset], &[PointOffset])> =
        joins.iter().map(|(b, j)| (*b, j.as_slice())).collect();
    graph
        .join_blocks(&joins, pairs, m, threads)
        .map_err(|e| built(e.to_string()))?;
    Ok(())
}
