//! Qdrant's distance matrix (`search_matrix_pairs` / `search_matrix_offsets`): a random
//! sample of the points that pass a filter and hold a vector, sorted by id, and for each
//! sampled point its nearest others among the sample, as Local Mode answers it (an exact
//! search per sampled point, limited to the other sampled ids, with Qdrant's scores).

use sextant_core::PointId;
use sextant_payload_index::Filter;
use sextant_payload_index::filter::Condition;

use crate::error::{Error, Result};
use crate::query::{Query, QueryRequest, VectorInput};
use crate::shard::Shard;

/// Qdrant's default sample size.
pub(crate) const SAMPLE: usize = 10;
/// Qdrant's default neighbours per sampled point.
pub(crate) const LIMIT: usize = 3;

/// A distance-matrix request.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixRequest {
    /// The vector the distances are of (`""`: the unnamed one).
    pub using: String,
    /// Only points passing this are sampled.
    pub filter: Option<Filter>,
    /// How many points to sample (at least 2 are needed for a matrix).
    pub sample: usize,
    /// Nearest others kept per sampled point.
    pub limit: usize,
}

impl MatrixRequest {
    /// Qdrant's defaults: a sample of 10, 3 neighbours each, no filter.
    pub fn new(using: &str) -> Self {
        Self {
            using: using.to_string(),
            filter: None,
            sample: SAMPLE,
            limit: LIMIT,
        }
    }
}

/// The sampled points and each one's nearest others among them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Matrix {
    /// The sampled points, in id order (integers before UUIDs); empty when fewer than two
    /// points could be sampled.
    pub ids: Vec<PointId>,
    /// Row `i`: the nearest others of `ids[i]`, best first, as (index in `ids`, score).
    pub rows: Vec<Vec<(usize, f32)>>,
}

impl Shard {
    /// The distance matrix of a random sample (see the module's docs).
    pub fn distance_matrix(&self, req: &MatrixRequest) -> Result<Matrix> {
        if req.sample == 0 || req.limit == 0 {
            return Err(Error::BadInput(format!(
                "Validation error: sample ({}) and limit ({}) must be at least 1",
                req.sample, req.limit
            )));
        }
        let config = self.config();
        if !config.vectors.contains_key(&req.using)
            && !config.sparse_vectors.contains_key(&req.using)
        {
            return Err(Error::BadInput(format!(
                "Wrong input: Not existing vector name error: {}",
                req.using
            )));
        }
        // The points holding the vector and passing the filter.
        let mut must = vec![Condition::HasVector(req.using.clone())];
        must.extend(req.filter.clone().map(|f| Condition::Filter(Box::new(f))));
        let mut sample = QueryRequest::new(&req.using, Query::Sample, req.sample);
        sample.filter = Some(Filter {
            must: Some(must),
            ..Filter::default()
        });
        let mut ids: Vec<PointId> = self.query(&sample)?.iter().map(|r| r.id).collect();
        if ids.len() < 2 {
            return Ok(Matrix::default());
        }
        ids.sort_unstable();
        let index = |id: &PointId| ids.binary_search(id).expect("a sampled id");
        // Every sampled point passed the filter and holds the vector: each row searches the
        // sample, a point id as the query leaving that point out.
        let among = Filter {
            must: Some(vec![Condition::HasId(ids.clone())]),
            ..Filter::default()
        };
        let mut rows = Vec::with_capacity(ids.len());
        for &id in &ids {
            let mut near = QueryRequest::new(&req.using, VectorInput::Id(id), req.limit);
            near.filter = Some(among.clone());
            near.params.exact = true;
            let found = self.query(&near)?;
            rows.push(found.iter().map(|r| (index(&r.id), r.score)).collect());
        }
        Ok(Matrix { ids, rows })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Point, ShardConfig, UpdateOp, VectorParams};
    use sextant_core::Distance;

    fn shard(dir: &std::path::Path, n: u64) -> Shard {
        let config = ShardConfig::new([("v".to_string(), VectorParams::new(2, Distance::Euclid))]);
        let shard = Shard::create(dir, config).unwrap();
        let points = (0..n)
            .map(|i| Point::new(i, "v", vec![i as f32, (i * i % 7) as f32]))
            .collect();
        shard.update(UpdateOp::upsert(points)).unwrap();
        shard
    }

    #[test]
    fn every_sampled_point_gets_its_nearest_others_among_the_sample() {
        let dir = tempfile::tempdir().unwrap();
        let shard = shard(dir.path(), 30);
        let mut req = MatrixRequest::new("v");
        req.sample = 100;
        req.limit = 2;
        let m = shard.distance_matrix(&req).unwrap();
        assert_eq!(m.ids, (0..30u64).map(PointId::from).collect::<Vec<_>>());
        for (i, row) in m.rows.iter().enumerate() {
            assert_eq!(row.len(), 2);
            // Brute force over the others: Qdrant's Euclid score is the distance.
            let at = |j: usize| [j as f32, (j * j % 7) as f32];
            let d =
                |j: usize| ((at(i)[0] - at(j)[0]).powi(2) + (at(i)[1] - at(j)[1]).powi(2)).sqrt();
            let mut others: Vec<usize> = (0..30).filter(|&j| j != i).collect();
            others.sort_by(|&a, &b| d(a).total_cmp(&d(b)).then(a.cmp(&b)));
            assert_eq!(row.iter().map(|r| r.0).collect::<Vec<_>>(), others[..2]);
            assert!((row[0].1 - d(others[0])).abs() < 1e-4);
        }
    }

    #[test]
    fn a_sample_is_a_sample_and_bad_requests_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let shard = shard(dir.path(), 30);
        let m = shard.distance_matrix(&MatrixRequest::new("v")).unwrap();
        assert_eq!(m.ids.len(), SAMPLE);
        assert!(m.ids.windows(2).all(|w| w[0] < w[1]));
        assert!(m.rows.iter().all(|r| r.len() == LIMIT));
        let mut one = MatrixRequest::new("v");
        one.filter = Some(Filter::from_json(r#"{"must": [{"has_id": [3]}]}"#).unwrap());
        assert_eq!(shard.distance_matrix(&one).unwrap(), Matrix::default());
        assert!(shard.distance_matrix(&MatrixRequest::new("w")).is_err());
        let mut zero = MatrixRequest::new("v");
        zero.limit = 0;
        assert!(shard.distance_matrix(&zero).is_err());
    }
}
