//! Maximal marginal relevance: a nearest query's results re-ranked for diversity (Qdrant's
//! `mmr`), as Local Mode computes it. The nearest `candidates_limit` points (`limit` when not
//! given; after the offset, at or above the score threshold) are chosen greedily: the nearest
//! first, then each time the candidate with the highest
//! `λ·sim(query, c) − (1 − λ)·max sim(c, chosen)`, `λ = 1 − diversity` (the first of equal
//! ones), until `limit` are chosen. Similarities are the core's: cosine, dot product, minus the
//! squared Euclidean distance, minus the Manhattan distance; for a sparse vector the dot
//! product (0 without shared terms) on the query's own weights (no IDF modifier, as Local
//! Mode). The chosen points keep their search scores.

use sextant_core::SparseVector;

use crate::error::{Error, Result};
use crate::fusion::Hits;
use crate::ops::Vector;
use crate::query::Mmr;
use crate::state::State;

impl Mmr {
    /// `λ`, the weight of the relevance to the query (`1 − diversity`, diversity 0.5 when not
    /// given); a diversity outside 0..=1 is an error.
    pub(crate) fn lambda(&self) -> Result<f64> {
        let diversity = self.diversity.unwrap_or(0.5);
        if !(0.0..=1.0).contains(&diversity) {
            return Err(Error::bad(format!(
                "Wrong input: mmr.diversity must be between 0 and 1, got {diversity}"
            )));
        }
        Ok(1.0 - diversity)
    }
}

impl State {
    /// `limit` of `candidates` (best first, each holding the vector `using`) chosen for
    /// relevance to `query` and diversity, `lambda` weighing the first.
    pub(crate) fn mmr(
        &self,
        candidates: Hits,
        query: &Vector,
        using: &str,
        lambda: f64,
        limit: usize,
    ) -> Result<Hits> {
        let n = candidates.len();
        if n == 0 || limit == 0 {
            return Ok(Hits::new());
        }
        let (relevance, similar) = match query {
            Vector::Multi(_) => return Err(crate::reco::multi_unsupported(using)),
            Vector::Dense(q) => {
                let column = self.column(using).ok_or_else(|| {
                    Error::bad(format!("Not existing vector name error: {using:?}"))
                })?;
                let mut q = q.clone();
                column
                    .prepare(&mut q)
                    .map_err(|e| Error::bad(format!("query vector: {e}")))?;
                let rows: Vec<_> = candidates.iter().map(|&(o, _)| column.raw(o)).collect();
                let sim = |a: &[f32], b: &[f32]| f64::from(column.similarity(a, b));
                let relevance: Vec<f64> = rows.iter().map(|r| sim(&q, r)).collect();
                let similar = pairwise(n, |i, j| sim(&rows[i], &rows[j]));
                (relevance, similar)
            }
            Vector::Sparse { indices, values } => {
                let column = self
                    .sparse
                    .iter()
                    .find(|c| c.name == using)
                    .ok_or_else(|| {
                        Error::bad(format!("Not existing vector name error: {using:?}"))
                    })?;
                let q = SparseVector::from_unsorted(indices.clone(), values.clone())
                    .map_err(|e| Error::bad(format!("sparse query: {e}")))?;
                let empty = SparseVector::default();
                let rows: Vec<&SparseVector> = candidates
                    .iter()
                    .map(|&(o, _)| column.get(o).unwrap_or(&empty))
                    .collect();
                let sim = |a: &SparseVector, b: &SparseVector| {
                    f64::from(a.dot_if_shared(b).unwrap_or(0.0))
                };
                let relevance: Vec<f64> = rows.iter().map(|r| sim(&q, r)).collect();
                let similar = pairwise(n, |i, j| sim(rows[i], rows[j]));
                (relevance, similar)
            }
        };
        // The most similar chosen point, per candidate, kept as points are chosen.
        let mut nearest_chosen = vec![f64::NEG_INFINITY; n];
        let mut pending: Vec<usize> = (1..n).collect();
        let mut chosen = vec![0];
        let mut last = 0;
        while chosen.len() < limit && !pending.is_empty() {
            for &p in &pending {
                nearest_chosen[p] = nearest_chosen[p].max(similar[p * n + last]);
            }
            let score = |p: usize| lambda * relevance[p] - (1.0 - lambda) * nearest_chosen[p];
            let mut best = 0;
            for (i, &p) in pending.iter().enumerate().skip(1) {
                if score(p) > score(pending[best]) {
                    best = i;
                }
            }
            if score(pending[best]) == f64::NEG_INFINITY {
                break;
            }
            last = pending.remove(best);
            chosen.push(last);
        }
        Ok(chosen.into_iter().map(|i| candidates[i]).collect())
    }
}

/// The `n × n` similarities of the candidates, row-major (`sim` is symmetric).
fn pairwise(n: usize, sim: impl Fn(usize, usize) -> f64) -> Vec<f64> {
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for j in i..n {
            let s = sim(i, j);
            out[i * n + j] = s;
            out[j * n + i] = s;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::config::{ShardConfig, VectorParams};
    use crate::ops::{Point, UpdateOp};
    use crate::query::{Mmr, Query, QueryRequest};
    use crate::shard::Shard;
    use sextant_core::{Distance, PointId};

    /// Three near-duplicates along x and one point along y: plain nearest returns the
    /// duplicates first, MMR with diversity lets the y point in second.
    #[test]
    fn diversity_lets_a_different_point_in() {
        let dir = tempfile::tempdir().unwrap();
        let config = ShardConfig::new([(String::new(), VectorParams::new(2, Distance::Cosine))]);
        let shard = Shard::create(dir.path(), config).unwrap();
        let points = [
            (1u64, [1.0, 0.0]),
            (2, [1.0, 0.01]),
            (3, [1.0, 0.02]),
            (4, [0.6, 0.8]),
        ];
        let points = points
            .map(|(id, v)| Point::new(id, "", v.to_vec()))
            .to_vec();
        shard.update(UpdateOp::upsert(points)).unwrap();
        let ids = |q: Query| -> Vec<PointId> {
            let req = QueryRequest::new("", q, 3);
            shard.query(&req).unwrap().iter().map(|r| r.id).collect()
        };
        let near = vec![1.0, 0.05];
        assert_eq!(ids(near.clone().into()), [3u64, 2, 1].map(PointId::from));
        let mmr = |diversity| Query::NearestMmr {
            nearest: near.clone().into(),
            mmr: Mmr {
                diversity: Some(diversity),
                candidates_limit: Some(4),
            },
        };
        assert_eq!(ids(mmr(0.0)), [3u64, 2, 1].map(PointId::from));
        assert_eq!(ids(mmr(0.9)), [3u64, 4, 1].map(PointId::from));
        // Scores stay the search's.
        let req = QueryRequest::new("", mmr(0.9), 3);
        let found = shard.query(&req).unwrap();
        assert!(found[1].score < found[2].score);
        let err = shard
            .query(&QueryRequest::new("", mmr(1.5), 3))
            .unwrap_err();
        assert!(err.to_string().contains("diversity"), "{err}");
    }
}
