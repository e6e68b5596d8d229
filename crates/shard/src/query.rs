//! Queries over the live points: nearest by a dense vector (an exact scan, as Qdrant does on
//! small collections), filters, offset / limit, score threshold, payload and vector selectors.

use std::collections::BTreeMap;

use serde_json::Value;
use sextant_core::{Distance, PointId, PointOffset, SparseVector, TopK};
use sextant_payload_index::Filter;

use crate::error::{Error, Result};
use crate::ops::Vector;
use crate::state::{SparseColumn, State};

/// Nearest points to a dense vector, or best by dot product with a sparse one.
#[derive(Debug, Clone)]
pub struct QueryRequest {
    /// The query vector (dense, or sparse for a sparse vector name).
    pub vector: Vector,
    /// The named vector searched (`""`: the unnamed one).
    pub using: String,
    /// Only points passing this filter.
    pub filter: Option<Filter>,
    /// Results returned.
    pub limit: usize,
    /// Results skipped first.
    pub offset: usize,
    /// Only results at least this good: a similarity at least it (Cosine, Dot), a distance at
    /// most it (Euclid, Manhattan).
    pub score_threshold: Option<f32>,
    /// Return each point's payload.
    pub with_payload: bool,
    /// Return each point's vectors.
    pub with_vector: bool,
}

impl QueryRequest {
    /// The `limit` nearest points to `vector` in the vector named `using`, nothing else asked.
    pub fn new(using: &str, vector: impl Into<Vector>, limit: usize) -> Self {
        Self {
            vector: vector.into(),
            using: using.to_string(),
            filter: None,
            limit,
            offset: 0,
            score_threshold: None,
            with_payload: false,
            with_vector: false,
        }
    }
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

impl State {
    /// The exact answer to `req`: every live point with the vector, passing the filter,
    /// scored; best first, ties by offset.
    pub(crate) fn query(&self, req: &QueryRequest) -> Result<Vec<Record>> {
        let allowed = req.filter.as_ref().map(|f| self.payloads.filter(f, self));
        let passes = |o: PointOffset| {
            self.slots[o as usize].is_some() && allowed.as_ref().is_none_or(|a| a.contains(o))
        };
        let mut top = TopK::new(req.limit.saturating_add(req.offset));
        let vector = match &req.vector {
            Vector::Dense(v) => v,
            Vector::Sparse { indices, values } => {
                let column = self
                    .sparse
                    .iter()
                    .find(|c| c.name == req.using)
                    .ok_or_else(|| {
                        Error::bad(format!(
                            "Not existing vector name error: {:?} is not a sparse vector",
                            req.using.as_str()
                        ))
                    })?;
                let q = weighted(column, self.ids.len(), indices, values)?;
                for o in 0..self.slots.len() as PointOffset {
                    if let Some(v) = column.get(o).filter(|_| passes(o))
                        && let Some(s) = q.dot_if_shared(v)
                    {
                        top.push(o, s);
                    }
                }
                return Ok(self.page(top, req, |s| s, false));
            }
        };
        let column = self.column(&req.using).ok_or_else(|| {
            Error::bad(format!(
                "Not existing vector name error: {:?} is not a dense vector",
                req.using.as_str()
            ))
        })?;
        let mut q = vector.clone();
        column
            .distance
            .prepare(&mut q, column.size)
            .map_err(|e| Error::bad(format!("query vector: {e}")))?;
        for o in 0..self.slots.len() as PointOffset {
            if let Some(v) = column.get(o).filter(|_| passes(o)) {
                top.push(o, column.distance.score_f32(&q, v));
            }
        }
        let distance = column.distance;
        let lower_is_better = matches!(distance, Distance::Euclid | Distance::Manhattan);
        Ok(self.page(top, req, |s| reported(distance, s), lower_is_better))
    }

    /// The page `req` asks for of the best points in `top`, with Qdrant's scores (`report`
    /// turns an internal score into one) at or better than the threshold (at most it when
    /// `lower_is_better`: distances).
    fn page(
        &self,
        top: TopK,
        req: &QueryRequest,
        report: impl Fn(f32) -> f32,
        lower_is_better: bool,
    ) -> Vec<Record> {
        let better = |a: f32, t: f32| if lower_is_better { a <= t } else { a >= t };
        top.into_sorted_vec()
            .into_iter()
            .skip(req.offset)
            .map(|p| (p.offset, report(p.score)))
            .filter(|&(_, s)| req.score_threshold.is_none_or(|t| better(s, t)))
            .map(|(o, s)| {
                let mut r = self.record(o, req.with_payload, req.with_vector);
                r.score = s;
                r
            })
            .collect()
    }

    /// The point at `o` (live) with the parts asked for.
    pub(crate) fn record(&self, o: PointOffset, with_payload: bool, with_vector: bool) -> Record {
        let slot = self.slots[o as usize].as_ref().expect("a live offset");
        Record {
            id: slot.id,
            version: slot.version,
            score: 0.0,
            payload: with_payload.then(|| slot.payload.clone()),
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
