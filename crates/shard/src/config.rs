//! `ShardConfig`: the named dense vectors a shard holds and the log's durability, persisted as
//! `config.json` in the shard's folder and echoed back exactly as given.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sextant_core::Distance;
use sextant_hnsw::HnswConfig;
use sextant_quantization::QuantizationConfig;
use sextant_wal::Durability;

/// What a shard holds. Field names are stable (they are the file format of `config.json`).
///
/// ```
/// use sextant_shard::{ShardConfig, VectorParams};
/// use sextant_core::Distance;
///
/// let config: ShardConfig = serde_json::from_str(
///     r#"{"vectors": {"text": {"size": 384, "distance": "Cosine"}}}"#)?;
/// assert_eq!(config.vectors["text"], VectorParams::new(384, Distance::Cosine));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardConfig {
    /// Named dense vectors (`""` is Qdrant's unnamed default vector).
    pub vectors: BTreeMap<String, VectorParams>,
    /// Named sparse vectors (names distinct from the dense ones).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sparse_vectors: BTreeMap<String, SparseVectorParams>,
    /// Named multivectors (Qdrant's dense vectors with a `multivector_config`; names distinct
    /// from the others): each point holds a list of vectors, scored exactly by MaxSim.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub multivectors: BTreeMap<String, MultivectorParams>,
    /// When an operation is durable before it is acknowledged (default: group commit, each
    /// `update` returns once its entry is synced, concurrent updates sharing a sync).
    #[serde(default = "group_commit")]
    pub durability: Durability,
    /// When `optimize` builds indexes and when a search scans instead of walking a graph.
    #[serde(default, skip_serializing_if = "OptimizerConfig::is_default")]
    pub optimizer: OptimizerConfig,
}

/// Thresholds of the optimizer and of the search planner, in points (Qdrant counts
/// kilobytes of vectors: 10,000 KB is about 6,600 vectors of 384 floats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OptimizerConfig {
    /// `optimize` builds a dense vector's graph only when at least this many points hold
    /// it; below, every search of it is an exact scan (as Qdrant answers small segments).
    pub indexing_threshold: usize,
    /// A filtered search whose filter passes fewer points than this scans them exactly
    /// instead of walking the graph.
    pub full_scan_threshold: usize,
    /// Threads of an `optimize` (0: one per core).
    pub threads: usize,
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        Self {
            indexing_threshold: 10_000,
            full_scan_threshold: 10_000,
            threads: 0,
        }
    }
}

impl OptimizerConfig {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// The thread count an optimize uses.
    pub(crate) fn threads(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
}

fn group_commit() -> Durability {
    Durability::GroupCommit
}

/// One named dense vector: its dimension and metric, and how `optimize` indexes it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorParams {
    /// Dimension.
    pub size: usize,
    /// Metric, by Qdrant's names: `Cosine`, `Dot`, `Euclid`, `Manhattan`.
    #[serde(with = "qdrant_distance")]
    pub distance: Distance,
    /// The graph `optimize` builds (default: `sextant-hnsw`'s, m 16, ef_construction 100).
    /// `m` 0 builds none: every search of the vector scans (Qdrant's way to defer indexing
    /// through a bulk upload, then turned on with [`Shard::reconfigure`](crate::Shard::reconfigure)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hnsw: Option<HnswConfig>,
    /// Codes the graph is searched on, the candidates then rescored with the floats (none:
    /// the graph is searched on the floats).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantization: Option<QuantizationConfig>,
    /// How the values are stored (Qdrant's `datatype`; `float32` when not given).
    #[serde(default, skip_serializing_if = "Datatype::is_float32")]
    pub datatype: Datatype,
    /// Where the rows of the base file live (Qdrant's `on_disk`). `Some(true)`: in the page
    /// cache only as searches touch them (memory follows use; the first searches after an
    /// open read from disk). Otherwise (Qdrant's default): mapped into the process when the
    /// base is opened, so no search waits on a page fault; the kernel may still drop them
    /// under memory pressure, as it may Qdrant's populated maps. Codes and graphs are kept
    /// in memory either way (Qdrant's `always_ram` for codes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_disk: Option<bool>,
}

/// How a dense vector's values are stored (Qdrant's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Datatype {
    /// 4 bytes a value.
    #[default]
    Float32,
    /// 2 bytes a value: each prepared value (cosine vectors normalized first) rounded to the
    /// nearest f16, as Qdrant stores them; queries are rounded the same way and scored in
    /// f16 (summed in f32). Values beyond f16's ±65504 are refused (Qdrant stores them as
    /// infinities).
    Float16,
    /// 1 byte a value (Qdrant's `uint8`): integers 0..=255, kept as given (a cosine vector
    /// is not normalized: its score divides by both norms); queries are cast as Qdrant casts
    /// them (saturating, toward zero). Points with other values are refused (Qdrant casts
    /// them too).
    Uint8,
}

impl Datatype {
    /// The default, `float32` (left out of the config file).
    pub fn is_float32(&self) -> bool {
        *self == Datatype::Float32
    }
}

impl VectorParams {
    /// A vector of this size and metric, indexed with the default graph on its floats.
    pub fn new(size: usize, distance: Distance) -> Self {
        Self {
            size,
            distance,
            hnsw: None,
            quantization: None,
            datatype: Datatype::Float32,
            on_disk: None,
        }
    }

    /// The same vector with its base rows left on disk (`true`) or kept resident.
    pub fn with_on_disk(self, on_disk: bool) -> Self {
        Self {
            on_disk: Some(on_disk),
            ..self
        }
    }

    /// Are the base rows kept resident (`on_disk` not `true`)?
    pub(crate) fn resident(&self) -> bool {
        self.on_disk != Some(true)
    }

    /// The same vector stored as `datatype`.
    pub fn with_datatype(self, datatype: Datatype) -> Self {
        Self { datatype, ..self }
    }

    /// Does `optimize` build a graph of this vector (`m` is not 0)?
    pub fn indexed(&self) -> bool {
        self.hnsw.is_none_or(|h| h.m > 0)
    }

    /// The same vector with its graph searched on `codec`'s codes.
    pub fn with_quantization(self, codec: QuantizationConfig) -> Self {
        Self {
            quantization: Some(codec),
            ..self
        }
    }
}

/// One named sparse vector.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SparseVectorParams {
    /// `idf`: query weights multiplied by each term's inverse document frequency over the
    /// points holding this vector (Qdrant's `Modifier::Idf`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modifier: Option<Modifier>,
}

/// One named multivector (Qdrant's `multivector_config`): a point holds one or more vectors
/// of `size`; a query (a list of vectors too) scores a point by MaxSim, the sum over the
/// query's vectors of the best similarity to any of the point's. Searched exactly: no graph
/// is built (Qdrant's advice for such vectors, `m` 0, is the shard's only mode); values are
/// f32 (cosine vectors normalized, each on its own).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultivectorParams {
    /// Dimension of each vector.
    pub size: usize,
    /// Metric of each pair, by Qdrant's names.
    #[serde(with = "qdrant_distance")]
    pub distance: Distance,
    /// How a query's vectors and a point's combine (Qdrant's `comparator`).
    #[serde(default)]
    pub comparator: Comparator,
}

impl MultivectorParams {
    /// Vectors of this size and metric, compared by MaxSim.
    pub fn new(size: usize, distance: Distance) -> Self {
        Self {
            size,
            distance,
            comparator: Comparator::MaxSim,
        }
    }
}

/// Qdrant's multivector comparators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparator {
    /// For each query vector the best similarity among the point's vectors, summed (Euclid
    /// and Manhattan: the least distance's square, or the least distance, summed, then the
    /// square root for Euclid, as Qdrant reports them).
    #[default]
    MaxSim,
}

/// A sparse vector's modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Modifier {
    /// No modifier (Qdrant's `none`).
    None,
    /// Inverse document frequency: `ln((N − df + 0.5) / (df + 0.5) + 1)`.
    Idf,
}

/// Largest dimension accepted (Qdrant's limit is 65,536).
pub const MAX_DIM: usize = 65_536;

impl ShardConfig {
    /// A config of these named vectors, with group commit.
    pub fn new(vectors: impl IntoIterator<Item = (String, VectorParams)>) -> Self {
        Self {
            vectors: vectors.into_iter().collect(),
            sparse_vectors: BTreeMap::new(),
            multivectors: BTreeMap::new(),
            durability: Durability::GroupCommit,
            optimizer: OptimizerConfig::default(),
        }
    }

    /// What is wrong with this config, if anything.
    pub fn problem(&self) -> Option<String> {
        if self.vectors.is_empty() && self.sparse_vectors.is_empty() && self.multivectors.is_empty()
        {
            return Some("at least one vector is needed".into());
        }
        if let Some(name) = self
            .sparse_vectors
            .keys()
            .find(|n| self.vectors.contains_key(*n))
        {
            return Some(format!("{name:?} names both a dense and a sparse vector"));
        }
        if let Some(name) = self
            .multivectors
            .keys()
            .find(|n| self.vectors.contains_key(*n) || self.sparse_vectors.contains_key(*n))
        {
            return Some(format!("{name:?} names a multivector and another vector"));
        }
        if let Some((name, p)) =
            (self.multivectors.iter()).find(|(_, p)| p.size == 0 || p.size > MAX_DIM)
        {
            return Some(format!(
                "multivector {name:?}: size {} is not in 1..={MAX_DIM}",
                p.size
            ));
        }
        self.vectors.iter().find_map(|(name, p)| {
            if p.size == 0 || p.size > MAX_DIM {
                return Some(format!(
                    "vector {name:?}: size {} is not in 1..={MAX_DIM}",
                    p.size
                ));
            }
            if p.quantization.is_some() && p.distance == Distance::Manhattan {
                return Some(format!(
                    "vector {name:?}: codes estimate inner products, Manhattan vectors take none"
                ));
            }
            let hnsw = p
                .hnsw
                .filter(|_| p.indexed())
                .map(|h| h.validate().map_err(|e| e.to_string()));
            let codec = p
                .quantization
                .map(|q| q.validate().map_err(|e| e.to_string()));
            match (hnsw, codec) {
                (Some(Err(e)), _) => Some(format!("vector {name:?}: hnsw: {e}")),
                (_, Some(Err(e))) => Some(format!("vector {name:?}: quantization: {e}")),
                _ => None,
            }
        })
    }

    /// What differs between this config and `next` that an open shard cannot change (names,
    /// sizes and metrics of the vectors, the durability), if anything.
    pub fn fixed_difference(&self, next: &ShardConfig) -> Option<String> {
        let same_names = self.vectors.keys().eq(next.vectors.keys())
            && self.sparse_vectors.keys().eq(next.sparse_vectors.keys());
        if !same_names || self.multivectors != next.multivectors {
            return Some("the set of vectors (and the multivectors' parameters)".into());
        }
        if let Some((name, p)) = self.vectors.iter().find(|(name, p)| {
            let n = &next.vectors[*name];
            (n.size, n.distance, n.datatype) != (p.size, p.distance, p.datatype)
        }) {
            let n = &next.vectors[name];
            return Some(format!(
                "vector {name:?}: size, distance and datatype ({} {:?} {:?} → {} {:?} {:?})",
                p.size, p.distance, p.datatype, n.size, n.distance, n.datatype
            ));
        }
        (self.durability != next.durability).then(|| "the durability".into())
    }
}

/// Qdrant's distance names (`Cosine`, `Dot`, `Euclid`, `Manhattan`) in JSON.
mod qdrant_distance {
    use serde::{Deserialize, Deserializer, Serializer};
    use sextant_core::Distance;

    pub fn serialize<S: Serializer>(d: &Distance, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match d {
            Distance::Cosine => "Cosine",
            Distance::Dot => "Dot",
            Distance::Euclid => "Euclid",
            Distance::Manhattan => "Manhattan",
        })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Distance, D::Error> {
        let name = String::deserialize(d)?;
        match name.as_str() {
            "Cosine" => Ok(Distance::Cosine),
            "Dot" => Ok(Distance::Dot),
            "Euclid" => Ok(Distance::Euclid),
            "Manhattan" => Ok(Distance::Manhattan),
            _ => Err(serde::de::Error::custom(format!(
                "unknown distance {name:?}: expected Cosine, Dot, Euclid or Manhattan"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_bad_configs() {
        let json =
            r#"{"vectors":{"":{"size":4,"distance":"Euclid"}},"durability":{"kind":"sync_each"}}"#;
        let c: ShardConfig = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), json);
        assert!(c.problem().is_none());
        for bad in [
            r#"{"vectors":{"a":{"size":4,"distance":"cosine"}}}"#,
            r#"{"vectors":{"a":{"size":4,"distance":"Cosine","extra":1}}}"#,
            r#"{"vectors":{"a":{"size":-1,"distance":"Cosine"}}}"#,
        ] {
            assert!(serde_json::from_str::<ShardConfig>(bad).is_err(), "{bad}");
        }
        let zero: ShardConfig =
            serde_json::from_str(r#"{"vectors":{"a":{"size":0,"distance":"Dot"}}}"#).unwrap();
        assert!(zero.problem().unwrap().contains("size 0"));
        assert!(ShardConfig::new([]).problem().is_some());
        let sparse = r#"{"vectors":{},"sparse_vectors":{"bm25":{"modifier":"idf"},"splade":{}},"durability":{"kind":"group_commit"}}"#;
        let c: ShardConfig = serde_json::from_str(sparse).unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), sparse);
        assert!(c.problem().is_none());
    }
}
