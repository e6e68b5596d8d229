//! Ground truth: the exact top-k ids (and scores) of each query, as `groundtruth.ivecs` plus
//! `groundtruth.scores.fvecs`.
//!
//! Scores are stored in each metric's customary unit, as the shared datasets store them:
//! the similarity for cosine and dot (descending), the *squared* L2 distance for Euclid and
//! the L1 distance for Manhattan (ascending). In memory they are Sextant scores (higher is
//! better); the conversion happens here, on read and write.

use crate::error::{Error, Result};
use crate::vecs::{VecsFile, write_vecs};
use sextant_core::{Distance, PointOffset, ScoreType, ScoredPoint};
use std::path::Path;

/// The exact neighbours of every query, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct GroundTruth {
    k: usize,
    ids: Vec<PointOffset>,
    scores: Option<Vec<ScoreType>>,
}

fn score_to_file(distance: Distance, score: ScoreType) -> f32 {
    match distance {
        Distance::Cosine | Distance::Dot => score,
        Distance::Euclid | Distance::Manhattan => -score,
    }
}

impl GroundTruth {
    /// Builds ground truth from search results (every row must hold exactly `k` points).
    pub fn from_results(results: &[Vec<ScoredPoint>], k: usize) -> Result<Self> {
        let mut ids = Vec::with_capacity(results.len() * k);
        let mut scores = Vec::with_capacity(results.len() * k);
        for (q, row) in results.iter().enumerate() {
            if row.len() != k {
                return Err(Error::InvalidArgument(format!(
                    "query {q} has {} results, expected {k}",
                    row.len()
                )));
            }
            ids.extend(row.iter().map(|p| p.offset));
            scores.extend(row.iter().map(|p| p.score));
        }
        Ok(Self {
            k,
            ids,
            scores: Some(scores),
        })
    }

    /// Reads `ids` (ivecs) and, when given, `scores` (fvecs, same shape), checking that every
    /// id is below `n_base`.
    pub fn read(
        ids: &Path,
        scores: Option<&Path>,
        distance: Distance,
        n_base: usize,
    ) -> Result<Self> {
        let file = VecsFile::<i32>::open(ids)?;
        let k = file.dim();
        let mut flat = Vec::with_capacity(k * file.len());
        for (q, row) in file.rows().enumerate() {
            for (i, &id) in row.iter().enumerate() {
                if id < 0 || id as usize >= n_base {
                    return Err(Error::InvalidData {
                        path: ids.into(),
                        location: format!("query {q}, rank {i}"),
                        what: format!("id {id} is not a base vector (0..{n_base})"),
                    });
                }
                flat.push(id as PointOffset);
            }
        }
        let scores = match scores {
            None => None,
            Some(path) => {
                let s = VecsFile::<f32>::open(path)?;
                if (s.dim(), s.len()) != (k, file.len()) {
                    return Err(Error::InconsistentDim {
                        path: path.into(),
                        row: 0,
                        expected: k,
                        found: s.dim(),
                    });
                }
                // The conversion is its own inverse (identity or negation).
                Some(
                    s.rows()
                        .flatten()
                        .map(|&x| score_to_file(distance, x))
                        .collect(),
                )
            }
        };
        Ok(Self {
            k,
            ids: flat,
            scores,
        })
    }

    /// Writes `groundtruth.ivecs` and `groundtruth.scores.fvecs` into `dir`.
    pub fn write(&self, dir: &Path, distance: Distance) -> Result<()> {
        let ids: Vec<i32> = self.ids.iter().map(|&i| i as i32).collect();
        write_vecs(dir.join("groundtruth.ivecs"), self.k, ids.chunks(self.k))?;
        if let Some(scores) = &self.scores {
            let s: Vec<f32> = scores.iter().map(|&x| score_to_file(distance, x)).collect();
            write_vecs(
                dir.join("groundtruth.scores.fvecs"),
                self.k,
                s.chunks(self.k),
            )?;
        }
        Ok(())
    }

    /// Neighbours kept per query.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Number of queries.
    pub fn len(&self) -> usize {
        self.ids.len().checked_div(self.k).unwrap_or(0)
    }

    /// True when there are no queries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Ids of query `q`'s exact neighbours, best first.
    pub fn ids(&self, q: usize) -> &[PointOffset] {
        &self.ids[q * self.k..(q + 1) * self.k]
    }

    /// Scores (higher is better) of query `q`'s neighbours, when known.
    pub fn scores(&self, q: usize) -> Option<&[ScoreType]> {
        self.scores
            .as_ref()
            .map(|s| &s[q * self.k..(q + 1) * self.k])
    }
}
