//! `Indexed`: what `optimize` built over the points that existed when it started (the offsets
//! below `covered`): per dense vector an HNSW graph (searched on codes when the config names a
//! codec, the candidates then rescored with the floats), per sparse vector an inverted index;
//! and the offsets whose points changed since the build (`stale`), which searches leave to an
//! exact scan with the offsets at and above `covered`.
//!
//! A graph node is a point that held the vector at the build; `nodes` maps it to its offset.
//! The vectors stay in the shard's columns: the graph reads them through the column's node
//! scorer (`Column::node_scorer`, in the column's datatype), so a build's copy of the
//! vectors is dropped once the graph is made.

use std::borrow::Cow;
use std::sync::Mutex;

use sextant_core::kernels::has_native_bf16;
use sextant_core::{
    Bf16PairScorer, BitSet, Cardinality, DensePairScorer, DenseVectorSource, DenseVectors,
    Distance, PairScorer, PointOffset, ScoredPoint, SparseVector,
};
use sextant_hnsw::{HnswConfig, HnswIndex, SearchContext, SearchMode, SearchPlan, SearchRequest};
use sextant_payload_index::Filter;
use sextant_payload_index::filter::{Condition, FieldCheck, FieldCondition, Match, MatchValue};
use sextant_quantization::{AnyCodes, CodecConfig, EncodedVectors, QuantizationConfig, rescore};
use sextant_sparse_index::{SparseIndex, SparseRequest};

use crate::columns::Column;
use crate::error::{Error, Result};
use crate::grow::Prior;

/// One dense vector's graph.
#[derive(Debug)]
pub(crate) struct DenseIndex {
    pub graph: HnswIndex,
    /// The codes the graph is searched on (node order).
    pub codes: Option<AnyCodes>,
    /// Node → offset.
    pub nodes: Vec<PointOffset>,
    /// Offset → node (`NO_NODE`: the offset held no vector at the build).
    node_of: Vec<u32>,
    /// Nodes holding a point (the graph's deleted ones left out; kept: every search asks).
    live: usize,
    /// Node `n` holds offset `n` for every node, none deleted (a build over every point): a
    /// filter's bits over offsets are bits over nodes as they are.
    identity: bool,
    /// The graph's `ef_construction`, the default search list size (Qdrant's default `hnsw_ef`).
    pub ef_default: usize,
    /// The payload values whose points the graph links among themselves.
    pub blocks: Vec<Block>,
    /// Made by growing the last build's graph (not saved: false once loaded).
    pub grown: bool,
}

/// A payload value whose points a graph links among themselves (payload-aware links):
/// `key` matches `value`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Block {
    pub key: String,
    pub value: MatchValue,
}

impl Block {
    /// The filter passing this block's points.
    pub fn filter(&self) -> Filter {
        let value = match &self.value {
            MatchValue::Keyword(s) => serde_json::Value::from(s.as_str()),
            MatchValue::Integer(i) => serde_json::Value::from(*i),
            MatchValue::Bool(b) => serde_json::Value::from(*b),
        };
        let json = serde_json::json!({"must": [{"key": self.key, "match": {"value": value}}]});
        Filter::from_value(&json).expect("a match on an indexed key parses")
    }
}

/// How a filter meets a graph's payload-aware links: `linked` when every condition is a
/// `match` of a value on a linked key (the planner may walk the links), `block` when the
/// filter is one such match of a linked value (the walk may follow that block's links alone).
fn coverage(blocks: &[Block], filter: Option<&Filter>) -> (bool, bool) {
    let Some(f) = filter.filter(|_| !blocks.is_empty()) else {
        return (false, false);
    };
    if f.should.is_some() || f.must_not.is_some() || f.min_should.is_some() {
        return (false, false);
    }
    let matches: Option<Vec<(&str, &MatchValue)>> = f
        .must
        .iter()
        .flatten()
        .map(|c| match c {
            Condition::Field(FieldCondition {
                key,
                check: FieldCheck::Match(Match::Value(v)),
            }) => Some((key.as_str(), v)),
            _ => None,
        })
        .collect();
    let Some(matches) = matches.filter(|m| !m.is_empty()) else {
        return (false, false);
    };
    let linked = matches
        .iter()
        .all(|(k, _)| blocks.iter().any(|b| b.key == *k));
    let block = linked
        && matches.len() == 1
        && blocks
            .iter()
            .any(|b| b.key == matches[0].0 && b.value == *matches[0].1);
    (linked, block)
}

/// `DenseIndex::node_of` of an offset that is no node.
const NO_NODE: u32 = u32::MAX;

impl DenseIndex {
    /// A graph (and codes) over `nodes`, the offsets of its nodes in node order (a node the
    /// graph holds deleted keeps its last offset). Two live nodes of one offset are an error.
    pub fn new(
        graph: HnswIndex,
        codes: Option<AnyCodes>,
        nodes: Vec<PointOffset>,
        ef_default: usize,
        blocks: Vec<Block>,
    ) -> std::result::Result<Self, String> {
        let end = nodes.iter().max().map_or(0, |&o| o as usize + 1);
        let mut node_of = vec![NO_NODE; end];
        let mut live = 0;
        for (n, &o) in nodes.iter().enumerate() {
            if graph.is_deleted(n as PointOffset) {
                continue;
            }
            live += 1;
            let at = &mut node_of[o as usize];
            if *at != NO_NODE {
                return Err(format!("nodes {} and {n} both hold offset {o}", *at));
            }
            *at = n as u32;
        }
        let identity =
            live == nodes.len() && nodes.iter().enumerate().all(|(n, &o)| o as usize == n);
        Ok(Self {
            graph,
            codes,
            nodes,
            node_of,
            live,
            identity,
            ef_default,
            blocks,
            grown: false,
        })
    }

    /// The live node holding offset `o`, if any.
    pub fn node(&self, o: PointOffset) -> Option<PointOffset> {
        self.node_of
            .get(o as usize)
            .copied()
            .filter(|&n| n != NO_NODE)
    }
}

/// The indexes of the points below `covered`.
#[derive(Debug, Default)]
pub(crate) struct Indexed {
    /// The log index the build read the points at.
    pub built_at: u64,
    /// Offsets below this were in the build.
    pub covered: usize,
    /// Offsets below `covered` changed (or freed) since the build.
    pub stale: BitSet,
    /// How many (kept: searches ask for it every time).
    stale_count: usize,
    /// By dense column (`None`: below the indexing threshold, scanned).
    pub dense: Vec<Option<DenseIndex>>,
    /// By sparse column.
    pub sparse: Vec<Option<SparseIndex>>,
    /// Search contexts reused across queries (their visited sets are sized to the graph).
    contexts: Mutex<Vec<SearchContext>>,
}

/// One dense vector's points as the build reads them: a copy taken under the read lock.
#[derive(Debug)]
pub(crate) struct DenseInput {
    pub vectors: DenseVectors<f32>,
    pub nodes: Vec<PointOffset>,
    pub distance: Distance,
    pub hnsw: HnswConfig,
    pub codec: Option<QuantizationConfig>,
    /// Payload values whose points get linked among themselves, with their nodes.
    pub blocks: Vec<(Block, Vec<PointOffset>)>,
    /// The last build's graph to grow, when few points changed since (`nodes` then in its
    /// node order).
    pub prior: Option<Prior>,
}

/// What a build reads, taken under the read lock at log version `version`.
#[derive(Debug)]
pub(crate) struct BuildInput {
    pub covered: usize,
    pub version: u64,
    /// By dense column (`None`: below the indexing threshold).
    pub dense: Vec<Option<DenseInput>>,
    /// By sparse column: the live points' vectors in offset order.
    pub sparse: Vec<Vec<(PointOffset, SparseVector)>>,
}

/// Fewest dimensions for which a build searches on int8 codes (see `build_dense`).
const BUILD_CODES_MIN_DIM: usize = 64;

/// The codes inserts search on, if any: per-dimension int8 codes (a quarter of the bytes;
/// links are chosen on the floats or their bf16 copy, see `selection_pairs`):
/// minilm-pypi-20k, 2 threads, 1.61 → 1.05 s, the same recall at every ef. A full build
/// skips them where the bf16 copy fits the cache (`Bf16PairScorer::fits_search`) and
/// searches on the copy. Only for embeddings of `BUILD_CODES_MIN_DIM` dimensions or more:
/// on a few dimensions spanning a wide range, 256 levels per dimension cannot tell
/// neighbours apart (3-d points over 0..200,000: the graph lost the nearest ones). Manhattan
/// has no such codes.
pub(crate) fn search_codes(
    vectors: &DenseVectors<f32>,
    distance: Distance,
    threads: usize,
) -> Result<Option<AnyCodes>> {
    if distance == Distance::Manhattan || vectors.dim() < BUILD_CODES_MIN_DIM {
        return Ok(None);
    }
    let config = CodecConfig::new(QuantizationConfig::ScalarInt8PerDim {
        quantile: QuantizationConfig::SCALAR_INT8_PER_DIM_QUANTILE,
    });
    let codes = AnyCodes::train(vectors, distance, &config, threads)
        .map_err(|e| Error::Build(e.to_string()))?;
    Ok(Some(codes))
}

/// What a build selects neighbours on, where not the f32 vectors: their bf16 copy, on CPUs
/// with native bf16 dot products, for the dot metrics and embeddings of
/// `BUILD_CODES_MIN_DIM` dimensions or more (minilm-pypi-120k: build 12.6 → 10.7–11.9 s on
/// 2 threads, the same recall at every ef).
pub(crate) fn selection_pairs(
    vectors: &DenseVectors<f32>,
    distance: Distance,
) -> Option<Bf16PairScorer> {
    let worth = has_native_bf16() && vectors.dim() >= BUILD_CODES_MIN_DIM;
    worth
        .then(|| Bf16PairScorer::new(vectors, distance))
        .flatten()
}

/// Builds a dense vector's graph (and codes) on `threads` threads.
fn build_dense(input: DenseInput, threads: usize) -> Result<DenseIndex> {
    let built = |e: String| Error::Build(e);
    let graph = match selection_pairs(&input.vectors, input.distance) {
        // A copy small enough to stay cached is searched on directly, not on codes.
        Some(pairs) => link_dense(&input, &pairs, !pairs.fits_search(), threads)?,
        None => {
            let pairs = DensePairScorer::new(&input.vectors, input.distance);
            link_dense(&input, &pairs, true, threads)?
        }
    };
    let blocks = input.blocks.into_iter().map(|(block, _)| block).collect();
    let codes = input
        .codec
        .map(|c| {
            AnyCodes::train(
                &input.vectors,
                input.distance,
                &CodecConfig::new(c),
                threads,
            )
        })
        .transpose()
        .map_err(|e| built(e.to_string()))?;
    DenseIndex::new(
        graph,
        codes,
        input.nodes,
        input.hnsw.ef_construction,
        blocks,
    )
    .map_err(built)
}

/// The graph of `input` with its blocks' links, neighbours selected by `pairs`; inserts
/// search on `pairs`, or on int8 codes where `codes` and [`search_codes`] has them.
fn link_dense<P: PairScorer + Sync>(
    input: &DenseInput,
    pairs: &P,
    codes: bool,
    threads: usize,
) -> Result<HnswIndex> {
    let built = |e: sextant_hnsw::Error| Error::Build(e.to_string());
    let n = input.vectors.len();
    let codes = if codes {
        search_codes(&input.vectors, input.distance, threads)?
    } else {
        None
    };
    let mut graph = match codes {
        None => HnswIndex::build(n, pairs, input.hnsw, threads),
        Some(codes) => {
            let search = |p| codes.query_scorer(input.vectors.vector(p));
            HnswIndex::build_with_search(n, pairs, search, input.hnsw, threads)
        }
    }
    .map_err(built)?;
    for (_, members) in &input.blocks {
        graph
            .add_block_links(members, pairs, input.hnsw.m, threads)
            .map_err(built)?;
    }
    Ok(graph)
}

impl Indexed {
    /// Builds every index `input` asks for (the stale set starts empty: the caller marks the
    /// points changed since `input.version`).
    pub fn build(input: BuildInput, threads: usize) -> Result<Indexed> {
        let dense = input
            .dense
            .into_iter()
            .map(|d| {
                d.map(|mut d| match d.prior.take() {
                    Some(prior) => crate::grow::grow_dense(d, prior, threads),
                    None => build_dense(d, threads),
                })
                .transpose()
            })
            .collect::<Result<Vec<_>>>()?;
        let sparse = input
            .sparse
            .into_iter()
            .map(|points| {
                let index = SparseIndex::build(points).map_err(|e| Error::Build(e.to_string()))?;
                Ok(Some(index))
            })
            .collect::<Result<Vec<_>>>()?;
        let stale = BitSet::new(input.covered);
        Ok(Indexed::new(
            input.version,
            input.covered,
            stale,
            dense,
            sparse,
        ))
    }

    /// Indexes built at `built_at` over the offsets below `covered`, `stale` of them changed.
    pub fn new(
        built_at: u64,
        covered: usize,
        stale: BitSet,
        dense: Vec<Option<DenseIndex>>,
        sparse: Vec<Option<SparseIndex>>,
    ) -> Indexed {
        Indexed {
            built_at,
            covered,
            stale_count: stale.count(),
            stale,
            dense,
            sparse,
            contexts: Mutex::new(Vec::new()),
        }
    }

    /// True once an optimize built (or an open loaded) indexes.
    pub fn is_built(&self) -> bool {
        !self.dense.is_empty() || !self.sparse.is_empty()
    }

    /// Is any graph or sparse index built?
    pub fn holds_any(&self) -> bool {
        self.dense.iter().any(Option::is_some) || self.sparse.iter().any(Option::is_some)
    }

    /// Marks the point at `o` changed since the build (its index entries no longer count).
    pub fn mark(&mut self, o: PointOffset) {
        if (o as usize) < self.covered {
            self.stale_count += usize::from(self.stale.insert(o));
        }
    }

    /// The offsets searches must scan exactly: stale ones, then those from `covered` to `end`.
    pub fn unindexed(&self, end: usize) -> impl Iterator<Item = PointOffset> + '_ {
        // Without stale points the bitset's walk (every word, each query) is skipped.
        let stale = (self.stale_count > 0).then(|| self.stale.iter());
        stale
            .into_iter()
            .flatten()
            .chain(self.covered as PointOffset..end as PointOffset)
    }

    /// The indexed part of a dense search: up to `k` points (offsets, internal scores) among
    /// the held ones `allowed` passes (`passing` of them), nearest to the prepared `query`:
    /// by the graph, or with `scan` by scoring every passing point (on the codes when there
    /// are codes, as Qdrant scans its quantized vectors, then rescored).
    #[allow(clippy::too_many_arguments)]
    pub fn search_dense(
        &self,
        column_at: usize,
        column: &Column,
        query: &[f32],
        k: usize,
        filter: Option<&Filter>,
        allowed: Option<(&BitSet, usize)>,
        scan: bool,
        params: &crate::query::SearchParams,
    ) -> Result<Option<Vec<(PointOffset, f32)>>> {
        let Some(Some(index)) = self.dense.get(column_at) else {
            return Ok(None);
        };
        let scorer = |e: sextant_core::Error| Error::bad(format!("query vector: {e}"));
        let floats = column.node_scorer(&index.nodes, query).map_err(scorer)?;
        let codes = match &index.codes {
            Some(c) if !params.quantization.ignore => Some(
                c.query_scorer(&column.indexed(query))
                    .map_err(|e| Error::bad(format!("query vector: {e}")))?,
            ),
            _ => None,
        };
        let rescoring = codes.is_some() && params.quantization.rescore;
        let wanted = match rescoring {
            true => (k as f64 * params.quantization.oversampling).ceil() as usize,
            false => k,
        };
        let ef = params.hnsw_ef.unwrap_or(index.ef_default).max(wanted);
        let nodes = &index.nodes;
        let passes = |n: PointOffset| {
            let o = nodes[n as usize];
            !self.stale.contains(o) && allowed.is_none_or(|(a, _)| a.contains(o))
        };
        // An estimate: stale offsets include some that never were nodes.
        let held = index.live.saturating_sub(self.stale_count);
        let passing = allowed.map_or(held, |(_, n)| n.min(held));
        let estimate = Cardinality::new(passing, passing, passing).expect("min = exp = max");
        let (linked, block) = coverage(&index.blocks, filter);
        let req = SearchRequest::new(wanted)
            .ef(ef)
            .estimate(estimate)
            .linked(linked)
            .block(block);
        let filtered = allowed.is_some() || self.stale_count > 0;
        // A scan (asked for, or the planner's choice) walks the passing nodes' bits.
        let planned = match linked {
            true => index.graph.plan_linked(estimate, wanted, ef),
            false => index.graph.plan(estimate, wanted, ef),
        };
        let scan = scan || planned == SearchPlan::ExactScan;
        // Nodes that are their offsets, none changed since the build, scan the passing bits
        // as they are (the scan stops at the last node); otherwise the bits are translated.
        // 1% of minilm-pypi-120k passing: the copy was 16% of the query.
        let scanned = allowed.filter(|_| scan).map(|(a, _)| {
            if index.identity && self.stale_count == 0 {
                return Cow::Borrowed(a);
            }
            let mut bits = BitSet::new(index.nodes.len());
            a.iter()
                .filter(|&o| !self.stale.contains(o))
                .filter_map(|o| index.node(o))
                .for_each(|n| {
                    bits.insert(n);
                });
            Cow::Owned(bits)
        });
        let mut ctx = self.context();
        let mut found: Vec<ScoredPoint> = Vec::new();
        let mut run = |ctx: &mut SearchContext| -> sextant_hnsw::Result<()> {
            let graph = &index.graph;
            found = match (&codes, &scanned, filtered) {
                (Some(c), Some(bits), _) => {
                    let req = req.mode(SearchMode::ExactScan).filter(&**bits);
                    graph.search(c, &req, ctx)?.to_vec()
                }
                (None, Some(bits), _) => {
                    let req = req.mode(SearchMode::ExactScan).filter(&**bits);
                    graph.search(&floats, &req, ctx)?.to_vec()
                }
                (Some(c), None, false) => graph.search(c, &req, ctx)?.to_vec(),
                (Some(c), None, true) => graph.search(c, &req.filter(&passes), ctx)?.to_vec(),
                (None, None, false) => graph.search(&floats, &req, ctx)?.to_vec(),
                (None, None, true) => graph.search(&floats, &req.filter(&passes), ctx)?.to_vec(),
            };
            Ok(())
        };
        let ran = run(&mut ctx);
        self.contexts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(ctx);
        ran.map_err(|e| Error::bad(format!("search: {e}")))?;
        if rescoring {
            let candidates = std::mem::take(&mut found);
            rescore(&candidates, &floats, k, &mut found);
        }
        Ok(Some(
            found
                .iter()
                .map(|p| (nodes[p.offset as usize], p.score))
                .collect(),
        ))
    }

    /// The inverted-index part of a sparse search: the `k` best held points `allowed` passes
    /// (`passing` of them) by dot product with `query` (weights already modified).
    pub fn search_sparse(
        &self,
        column_at: usize,
        query: &SparseVector,
        k: usize,
        allowed: Option<(&BitSet, usize)>,
    ) -> Option<Vec<(PointOffset, f32)>> {
        let index = self.sparse.get(column_at)?.as_ref()?;
        let passes =
            |o: PointOffset| !self.stale.contains(o) && allowed.is_none_or(|(a, _)| a.contains(o));
        let req = SparseRequest::new(k);
        let found = if allowed.is_some() || self.stale_count > 0 {
            let passing = allowed.map_or(index.len(), |(_, n)| n);
            index.search(query, &req.passing(passing).filter(&passes))
        } else {
            index.search(query, &req)
        };
        Some(found.iter().map(|p| (p.offset, p.score)).collect())
    }

    /// A search context from the pool, or a new one.
    fn context(&self) -> SearchContext {
        self.contexts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_default()
    }
}
