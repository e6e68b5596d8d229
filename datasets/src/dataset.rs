//! A dataset folder in the layout of the bench protocol: `meta.json`, `base.fvecs` (or
//! `base.f16.npy`, the float16 base the larger sets ship to stay small), `query.fvecs`, and
//! optionally `groundtruth.ivecs` + `groundtruth.scores.fvecs`.

use crate::error::{Error, Result};
use crate::groundtruth::GroundTruth;
use crate::vecs::VecsFile;
use serde::{Deserialize, Serialize};
use sextant_core::{DenseVectors, Distance};
use std::path::{Path, PathBuf};

/// The fields of `meta.json` this crate relies on; other fields are kept in `extra`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Meta {
    /// Dataset name, e.g. `minilm-pypi-20k`.
    pub name: String,
    /// `cosine`, `l2` or `dot`.
    pub metric: String,
    /// Vector dimension.
    pub dim: usize,
    /// Number of base vectors.
    pub n_base: usize,
    /// Number of queries.
    pub n_query: usize,
    /// Neighbours per query in the ground truth.
    #[serde(default)]
    pub k: usize,
    /// Everything else (source, payload fields...).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// An opened dataset folder; vectors stay memory-mapped until asked for.
#[derive(Debug)]
pub struct Dataset {
    dir: PathBuf,
    meta: Meta,
    distance: Distance,
    base: VecsFile<f32>,
    query: VecsFile<f32>,
}

impl Dataset {
    /// Opens `dir`, validating the files against `meta.json` (dimensions and counts).
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        let meta_path = dir.join("meta.json");
        let text = std::fs::read_to_string(&meta_path).map_err(|e| Error::io(&meta_path, e))?;
        let meta: Meta = serde_json::from_str(&text).map_err(|e| Error::Meta {
            path: meta_path.clone(),
            what: e.to_string(),
        })?;
        let distance = Distance::parse(&meta.metric).ok_or_else(|| Error::Meta {
            path: meta_path.clone(),
            what: format!("unknown metric {:?}", meta.metric),
        })?;
        let base = open_base(&dir)?;
        let query = VecsFile::<f32>::open(dir.join("query.fvecs"))?;
        for (file, n) in [(&base, meta.n_base), (&query, meta.n_query)] {
            if file.dim() != meta.dim || file.len() != n {
                return Err(Error::Meta {
                    path: meta_path,
                    what: format!(
                        "{} holds {} x {}, meta.json says {n} x {}",
                        file.path().display(),
                        file.len(),
                        file.dim(),
                        meta.dim
                    ),
                });
            }
        }
        Ok(Self {
            dir,
            meta,
            distance,
            base,
            query,
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The parsed `meta.json`.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The metric of `meta.json`.
    pub fn distance(&self) -> Distance {
        self.distance
    }

    /// Base vectors as mapped from `base.fvecs`, or widened from `base.f16.npy` (not
    /// prepared).
    pub fn base(&self) -> &VecsFile<f32> {
        &self.base
    }

    /// Query vectors as mapped from `query.fvecs` (not prepared).
    pub fn queries(&self) -> &VecsFile<f32> {
        &self.query
    }

    /// Base vectors copied into RAM and prepared for the metric (validated; normalized for
    /// cosine).
    pub fn base_prepared(&self) -> Result<DenseVectors<f32>> {
        prepared(&self.base, self.distance)
    }

    /// Query vectors copied into RAM and prepared for the metric.
    pub fn queries_prepared(&self) -> Result<DenseVectors<f32>> {
        prepared(&self.query, self.distance)
    }

    /// `groundtruth.ivecs` (+ scores when present), or `None` when the folder has none yet.
    pub fn ground_truth(&self) -> Result<Option<GroundTruth>> {
        let ids = self.dir.join("groundtruth.ivecs");
        if !ids.exists() {
            return Ok(None);
        }
        let scores = self.dir.join("groundtruth.scores.fvecs");
        let scores = scores.exists().then_some(scores);
        let gt = GroundTruth::read(&ids, scores.as_deref(), self.distance, self.meta.n_base)?;
        if gt.len() != self.meta.n_query {
            return Err(Error::InconsistentDim {
                path: ids,
                row: gt.len(),
                expected: self.meta.n_query,
                found: gt.len(),
            });
        }
        Ok(Some(gt))
    }
}

/// `base.fvecs` mapped, or else `base.f16.npy` widened to f32 in RAM (its values are exactly
/// representable, so scores and the ground truth computed on them agree).
fn open_base(dir: &Path) -> Result<VecsFile<f32>> {
    let fvecs = dir.join("base.fvecs");
    let npy = dir.join("base.f16.npy");
    if fvecs.exists() || !npy.exists() {
        return VecsFile::open(fvecs);
    }
    let rows = match crate::npy::read_npy(&npy)? {
        crate::NpyMatrix::F16(m) => m,
        crate::NpyMatrix::F32(_) => {
            return Err(Error::InvalidData {
                path: npy,
                location: "header".into(),
                what: "base.f16.npy holds float32 values, expected float16".into(),
            });
        }
    };
    let dim = sextant_core::DenseVectorSource::dim(&rows);
    let mut bytes = Vec::with_capacity(rows.as_flat().len() / dim * (dim + 1) * 4);
    for row in rows.iter() {
        bytes.extend_from_slice(&(dim as i32).to_le_bytes());
        for x in row {
            bytes.extend_from_slice(&x.to_f32().to_le_bytes());
        }
    }
    VecsFile::from_vec(bytes, npy)
}

fn prepared(file: &VecsFile<f32>, distance: Distance) -> Result<DenseVectors<f32>> {
    for (row, v) in file.rows().enumerate() {
        sextant_core::validate(v, file.dim()).map_err(|e| Error::InvalidData {
            path: file.path().into(),
            location: format!("row {row}"),
            what: e.to_string(),
        })?;
    }
    let mut v = file.to_dense()?;
    v.prepare(distance)
        .map_err(|e| Error::InvalidArgument(e.to_string()))?;
    Ok(v)
}
