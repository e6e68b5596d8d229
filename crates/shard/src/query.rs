//! Queries over the live points: nearest by a dense vector (an exact scan, as Qdrant does on
//! small collections), filters, offset / limit, score threshold, payload and vector selectors.

use std::collections::BTreeMap;

use serde_json::Value;
use sextant_core::{Distance, PointId, PointOffset, TopK};
use sextant_payload_index::Filter;

use crate::error::{Error, Result};
use crate::state::State;

/// Nearest points to a dense vector.
#[derive(Debug, Clone)]
pub struct QueryRequest {
    /// The query vector.
    pub vector: Vec<f32>,
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
    pub fn new(using: &str, vector: Vec<f32>, limit: usize) -> Self {
        Self {
            vector,
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
    /// The vectors (as stored: cosine vectors normalized), when asked.
    pub vectors: Option<BTreeMap<String, Vec<f32>>>,
}

/// Qdrant's score of an internal (higher-is-better) one.
fn reported(distance: Distance, score: f32) -> f32 {
    match distance {
        Distance::Cosine | Distance::Dot => score,
        Distance::Euclid | Distance::Manhattan => distance.to_distance(score),
    }
}

impl State {
    /// The exact answer to `req`: every live point with the vector, passing the filter,
    /// scored; best first, ties by offset.
    pub(crate) fn query(&self, req: &QueryRequest) -> Result<Vec<Record>> {
        let column = self.column(&req.using).ok_or_else(|| {
            Error::bad(format!(
                "Not existing vector name error: {:?}",
                req.using.as_str()
            ))
        })?;
        let mut q = req.vector.clone();
        column
            .distance
            .prepare(&mut q, column.size)
            .map_err(|e| Error::bad(format!("query vector: {e}")))?;
        let allowed = req.filter.as_ref().map(|f| self.payloads.filter(f, self));
        let mut top = TopK::new(req.limit.saturating_add(req.offset));
        for (o, slot) in self.slots.iter().enumerate() {
            let o = o as PointOffset;
            if slot.is_none() || allowed.as_ref().is_some_and(|a| !a.contains(o)) {
                continue;
            }
            if let Some(v) = column.get(o) {
                top.push(o, column.distance.score_f32(&q, v));
            }
        }
        let threshold = req
            .score_threshold
            .map(|t| column.distance.from_distance(t))
            .filter(|_| matches!(column.distance, Distance::Euclid | Distance::Manhattan))
            .or(req.score_threshold);
        Ok(top
            .into_sorted_vec()
            .into_iter()
            .skip(req.offset)
            .filter(|p| threshold.is_none_or(|t| p.score >= t))
            .map(|p| {
                let mut r = self.record(p.offset, req.with_payload, req.with_vector);
                r.score = reported(column.distance, p.score);
                r
            })
            .collect())
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
                self.columns
                    .iter()
                    .filter_map(|c| Some((c.name.clone(), c.get(o)?.to_vec())))
                    .collect()
            }),
        }
    }
}
