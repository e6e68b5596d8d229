//! Queries over the live points (exact scans, as Qdrant answers small collections): nearest
//! by a dense vector or best by a sparse one, prefetch stages fused (RRF, DBSF) or re-ranked by
//! a vector, filters, offset / limit, score threshold, payload and vector selectors.

use std::collections::BTreeMap;

use serde_json::Value;
use sextant_core::{
    BitSet, DenseQueryScorer, Distance, PointId, PointOffset, QueryScorer, SparseVector, TopK,
};
use sextant_payload_index::Filter;

use crate::columns::SparseColumn;
use crate::error::{Error, Result};
use crate::fusion::{Fusion, Hits, fuse};
use crate::ops::Vector;
use crate::state::State;

/// Points an exact scan scores per kernel call (a batch's vectors stay in L2: 64 × 1.5 KB
/// at 384 floats).
const SCAN_BATCH: usize = 64;

/// Filters passing fewer points are answered by scoring their floats (see `nearest`).
const FLOAT_SCAN_MAX: usize = 1_000;

/// What a query (or a prefetch) ranks points by.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// Nearest to a dense vector, or best by dot product with a sparse one (in the vector
    /// named by `using`).
    Nearest(Vector),
    /// The prefetches' lists fused.
    Fusion(Fusion),
}

/// How a vector search is answered (Qdrant's `params`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SearchParams {
    /// The graph search's list size (default: the graph's `ef_construction`; at least the
    /// number of results asked).
    pub hnsw_ef: Option<usize>,
    /// Scan every point exactly, graph or not.
    pub exact: bool,
    /// How codes are used when the vector has them.
    pub quantization: QuantizationParams,
}

/// How a search uses a vector's codes (Qdrant's `quantization` search params).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuantizationParams {
    /// Search the floats, not the codes.
    pub ignore: bool,
    /// Rescore the candidates found on codes with the floats (default); without, the
    /// scores returned are the codes' estimates.
    pub rescore: bool,
    /// Candidates found on codes per result asked, before rescoring (default 1, as Qdrant).
    pub oversampling: f64,
}

impl Default for QuantizationParams {
    fn default() -> Self {
        Self {
            ignore: false,
            rescore: true,
            oversampling: 1.0,
        }
    }
}

/// A stage of a query that feeds the next: its own query (nearest, or a fusion of its own
/// prefetches), vector name, filter, limit and threshold.
#[derive(Debug, Clone)]
pub struct Prefetch {
    /// Stages feeding this one (then `query` ranks or fuses their points).
    pub prefetch: Vec<Prefetch>,
    /// What this stage ranks by.
    pub query: Query,
    /// The named vector `query` searches.
    pub using: String,
    /// Only points passing this filter.
    pub filter: Option<Filter>,
    /// Points this stage passes on (Qdrant's default: 10).
    pub limit: usize,
    /// Only points at least this good.
    pub score_threshold: Option<f32>,
    /// How this stage's vector search is answered.
    pub params: SearchParams,
}

impl Prefetch {
    /// The `limit` best points for `query` in the vector named `using`.
    pub fn new(using: &str, query: impl Into<Query>, limit: usize) -> Self {
        Self {
            prefetch: Vec::new(),
            query: query.into(),
            using: using.to_string(),
            filter: None,
            limit,
            score_threshold: None,
            params: SearchParams::default(),
        }
    }
}

impl From<Vector> for Query {
    fn from(v: Vector) -> Self {
        Query::Nearest(v)
    }
}

impl From<Vec<f32>> for Query {
    fn from(v: Vec<f32>) -> Self {
        Query::Nearest(Vector::Dense(v))
    }
}

impl From<Fusion> for Query {
    fn from(f: Fusion) -> Self {
        Query::Fusion(f)
    }
}

/// Qdrant's universal query over the live points: a vector query, or prefetches fused or
/// re-ranked by a vector query (only the prefetched points are scored then).
#[derive(Debug, Clone)]
pub struct QueryRequest {
    /// What the final stage ranks by.
    pub query: Query,
    /// Stages feeding the final one (none: `query` runs over every point).
    pub prefetch: Vec<Prefetch>,
    /// The named vector searched (`""`: the unnamed one).
    pub using: String,
    /// Only points passing this filter (a fusion applies its prefetches' filters only, as
    /// Local Mode does).
    pub filter: Option<Filter>,
    /// Results returned.
    pub limit: usize,
    /// Results skipped first.
    pub offset: usize,
    /// Only results at least this good: a similarity or fused score at least it, a distance
    /// (Euclid, Manhattan) at most it.
    pub score_threshold: Option<f32>,
    /// Return each point's payload.
    pub with_payload: bool,
    /// Return each point's vectors.
    pub with_vector: bool,
    /// How the final stage's vector search is answered.
    pub params: SearchParams,
}

impl QueryRequest {
    /// The `limit` best points for `query` (a vector, or a [`Fusion`] of prefetches) in the
    /// vector named `using`, nothing else asked.
    pub fn new(using: &str, query: impl Into<Query>, limit: usize) -> Self {
        Self {
            query: query.into(),
            prefetch: Vec::new(),
            using: using.to_string(),
            filter: None,
            limit,
            offset: 0,
            score_threshold: None,
            with_payload: false,
            with_vector: false,
            params: SearchParams::default(),
        }
    }
}

/// One stage, borrowed from a request or a prefetch.
struct Stage<'a> {
    query: &'a Query,
    prefetch: &'a [Prefetch],
    using: &'a str,
    filter: Option<&'a Filter>,
    limit: usize,
    offset: usize,
    threshold: Option<f32>,
    params: SearchParams,
}

/// A point found by a query, or read by id.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The point's id.
    pub id: PointId,
    /// The log index of the last operation that changed it.
    pub version: u64,
    /// Qdrant's score: the similarity for Cosine (of normalized vectors) and Dot, the distance
    /// for Euclid and Manhattan; 0 for a point read by id.
    pub score: f32,
    /// The payload, when asked.
    pub payload: Option<Value>,
    /// The vectors (as stored: cosine vectors normalized, sparse ones sorted by index), when
    /// asked.
    pub vectors: Option<BTreeMap<String, Vector>>,
}

/// Qdrant's score of an internal (higher-is-better) one.
fn reported(distance: Distance, score: f32) -> f32 {
    match distance {
        Distance::Cosine | Distance::Dot => score,
        Distance::Euclid | Distance::Manhattan => distance.to_distance(score),
    }
}

/// The sparse query as scored: sorted by index, each weight times its term's IDF over the
/// `points` live points when the vector has the modifier (Qdrant counts every point of the
/// collection, holding the vector or not).
fn weighted(
    column: &SparseColumn,
    points: usize,
    indices: &[u32],
    values: &[f32],
) -> Result<SparseVector> {
    let q = SparseVector::from_unsorted(indices.to_vec(), values.to_vec())
        .map_err(|e| Error::bad(format!("Wrong input: sparse query: {e}")))?;
    if !column.idf {
        return Ok(q);
    }
    let (indices, values): (Vec<u32>, Vec<f32>) = q
        .iter()
        .map(|(t, w)| {
            let df = column.df.get(&t).copied().unwrap_or(0);
            (t, w * sextant_sparse_index::idf(points, df))
        })
        .unzip();
    SparseVector::new(indices, values).map_err(|e| Error::bad(format!("sparse query: {e}")))
}

/// The stage's page of the best points in `top`, with Qdrant's scores (`report` turns an
/// internal score into one) at or better than the threshold (at most it when
/// `lower_is_better`: distances).
fn page(top: TopK, st: &Stage<'_>, report: impl Fn(f32) -> f32, lower_is_better: bool) -> Hits {
    let better = |a: f32, t: f32| if lower_is_better { a <= t } else { a >= t };
    top.into_sorted_vec()
        .into_iter()
        .skip(st.offset)
        .map(|p| (p.offset, report(p.score)))
        .filter(|&(_, s)| st.threshold.is_none_or(|t| better(s, t)))
        .collect()
}

impl State {
    /// The exact answer to `req`.
    pub(crate) fn query(&self, req: &QueryRequest) -> Result<Vec<Record>> {
        let hits = self.stage(&Stage {
            query: &req.query,
            prefetch: &req.prefetch,
            using: &req.using,
            filter: req.filter.as_ref(),
            limit: req.limit,
            offset: req.offset,
            threshold: req.score_threshold,
            params: req.params,
        })?;
        Ok(hits
            .into_iter()
            .map(|(o, s)| {
                let mut r = self.record(o, req.with_payload, req.with_vector);
                r.score = s;
                r
            })
            .collect())
    }

    /// One stage's points, best first: its prefetches' lists fused, or ranked by its vector
    /// (over every point, or over the prefetched ones).
    fn stage(&self, st: &Stage<'_>) -> Result<Hits> {
        if st.prefetch.is_empty() {
            let Query::Nearest(v) = st.query else {
                return Err(Error::bad("a fusion query needs prefetches to fuse"));
            };
            return self.nearest(v, st, None);
        }
        let lists = st
            .prefetch
            .iter()
            .map(|p| {
                self.stage(&Stage {
                    query: &p.query,
                    prefetch: &p.prefetch,
                    using: &p.using,
                    filter: p.filter.as_ref(),
                    limit: p.limit,
                    offset: 0,
                    threshold: p.score_threshold,
                    params: p.params,
                })
            })
            .collect::<Result<Vec<Hits>>>()?;
        match st.query {
            Query::Fusion(how) => {
                let fused =
                    fuse(&lists, how, st.limit.saturating_add(st.offset)).map_err(Error::bad)?;
                Ok(fused
                    .into_iter()
                    .filter(|&(_, s)| st.threshold.is_none_or(|t| s >= t))
                    .skip(st.offset)
                    .collect())
            }
            Query::Nearest(v) => {
                let mut among = BitSet::new(self.slots.len());
                lists.iter().flatten().for_each(|&(o, _)| {
                    among.insert(o);
                });
                self.nearest(v, st, Some(&among))
            }
        }
    }

    /// The stage's page of points nearest to `vector` among the live points passing its
    /// filter (and in `among`, when given), with Qdrant's scores. The indexes answer for the
    /// points they hold when the stage searches every point and the filter passes at least
    /// the full-scan threshold; the other points are scanned exactly.
    fn nearest(&self, vector: &Vector, st: &Stage<'_>, among: Option<&BitSet>) -> Result<Hits> {
        let allowed = st.filter.map(|f| self.payloads.filter(f, self));
        let passing = allowed.as_ref().map(BitSet::count);
        // The indexes answer for the points they hold unless the stage re-ranks prefetched
        // points or asks for exact scores; a filter passing few points is scanned (on codes
        // when the vector has them, as Qdrant does).
        let indexed = among.is_none() && !st.params.exact;
        let scan = passing.is_some_and(|n| n < self.optimizer.full_scan_threshold);
        let with_count = allowed.as_ref().zip(passing);
        let passes = |o: PointOffset| {
            self.slots[o as usize].is_some()
                && allowed.as_ref().is_none_or(|a| a.contains(o))
                && among.is_none_or(|a| a.contains(o))
        };
        let k = st.limit.saturating_add(st.offset);
        let mut top = TopK::new(k);
        let vector = match vector {
            Vector::Dense(v) => v,
            Vector::Sparse { indices, values } => {
                let (at, column) = self
                    .sparse
                    .iter()
                    .enumerate()
                    .find(|(_, c)| c.name == st.using)
                    .ok_or_else(|| {
                        Error::bad(format!(
                            "Not existing vector name error: {:?} is not a sparse vector",
                            st.using
                        ))
                    })?;
                let q = weighted(column, self.ids.len(), indices, values)?;
                // The inverted index is exact under any filter: it needs no scan threshold.
                let found = indexed
                    .then(|| self.indexed.search_sparse(at, &q, k, with_count))
                    .flatten();
                for &(o, s) in found.iter().flatten() {
                    top.push(o, s);
                }
                let score = |o: PointOffset| {
                    if let Some(v) = column.get(o).filter(|_| passes(o))
                        && let Some(s) = q.dot_if_shared(v)
                    {
                        top.push(o, s);
                    }
                };
                match (&found, &allowed) {
                    (Some(_), _) => self.indexed.unindexed(self.slots.len()).for_each(score),
                    (None, Some(a)) => a.iter().for_each(score),
                    (None, None) => (0..self.slots.len() as PointOffset).for_each(score),
                }
                return Ok(page(top, st, |s| s, false));
            }
        };
        let (at, column) = self
            .columns
            .iter()
            .enumerate()
            .find(|(_, c)| c.name == st.using)
            .ok_or_else(|| {
                Error::bad(format!(
                    "Not existing vector name error: {:?} is not a dense vector",
                    st.using
                ))
            })?;
        let mut q = vector.clone();
        column
            .distance
            .prepare(&mut q, column.size)
            .map_err(|e| Error::bad(format!("query vector: {e}")))?;
        // Fewer passing points than this are cheaper to score on their floats than through
        // the index's scan on codes (minilm-pypi-20k, sq4d: 209 points 12 µs on floats vs
        // 18 µs on codes; 2,222 points 229 µs vs 51 µs).
        let few = passing.is_some_and(|n| n < FLOAT_SCAN_MAX);
        let found = match indexed && !few {
            true => self
                .indexed
                .search_dense(at, column, &q, k, st.filter, with_count, scan, &st.params)?,
            false => None,
        };
        for &(o, s) in found.iter().flatten() {
            top.push(o, s);
        }
        // The rest scored exactly, a batch at a time through the SIMD kernels: the points the
        // indexes do not hold, or every passing point.
        let candidates: Box<dyn Iterator<Item = PointOffset>> = match (&found, &allowed) {
            (Some(_), _) => Box::new(self.indexed.unindexed(self.slots.len())),
            (None, Some(a)) => Box::new(a.iter()),
            (None, None) => Box::new(0..self.slots.len() as PointOffset),
        };
        let mut candidates = candidates
            .filter(|&o| column.present.contains(o) && passes(o))
            .peekable();
        if candidates.peek().is_some() {
            let scorer = DenseQueryScorer::new(column, column.distance, &q)
                .map_err(|e| Error::bad(format!("query vector: {e}")))?;
            let (mut batch, mut scores) = (Vec::with_capacity(SCAN_BATCH), [0.0; SCAN_BATCH]);
            let mut flush = |batch: &mut Vec<PointOffset>| {
                scorer.score_points(batch, &mut scores[..batch.len()]);
                batch.iter().zip(&scores).for_each(|(&o, &s)| {
                    top.push(o, s);
                });
                batch.clear();
            };
            for o in candidates {
                batch.push(o);
                if batch.len() == SCAN_BATCH {
                    flush(&mut batch);
                }
            }
            flush(&mut batch);
        }
        let distance = column.distance;
        let lower_is_better = matches!(distance, Distance::Euclid | Distance::Manhattan);
        Ok(page(top, st, |s| reported(distance, s), lower_is_better))
    }

    /// The point at `o` (live) with the parts asked for.
    pub(crate) fn record(&self, o: PointOffset, with_payload: bool, with_vector: bool) -> Record {
        let slot = self.slots[o as usize].as_ref().expect("a live offset");
        Record {
            id: slot.id,
            version: slot.version,
            score: 0.0,
            payload: with_payload.then(|| self.payload(o).into_owned()),
            vectors: with_vector.then(|| {
                let dense = self
                    .columns
                    .iter()
                    .filter_map(|c| Some((c.name.clone(), Vector::Dense(c.get(o)?.to_vec()))));
                let sparse = self.sparse.iter().filter_map(|c| {
                    let v = c.get(o)?;
                    let (indices, values) = (v.indices().to_vec(), v.values().to_vec());
                    Some((c.name.clone(), Vector::Sparse { indices, values }))
                });
                dense.chain(sparse).collect()
            }),
        }
    }
}
