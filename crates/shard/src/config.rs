//! `ShardConfig`: the named dense vectors a shard holds and the log's durability, persisted as
//! `config.json` in the shard's folder and echoed back exactly as given.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sextant_core::Distance;
use sextant_wal::Durability;

/// What a shard holds. Field names are stable (they are the file format of `config.json`).
///
/// ```
/// use sextant_shard::{ShardConfig, VectorParams};
/// use sextant_core::Distance;
///
/// let config: ShardConfig = serde_json::from_str(
///     r#"{"vectors": {"text": {"size": 384, "distance": "Cosine"}}}"#)?;
/// assert_eq!(config.vectors["text"], VectorParams { size: 384, distance: Distance::Cosine });
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
    /// When an operation is durable before it is acknowledged (default: group commit, each
    /// `update` returns once its entry is synced, concurrent updates sharing a sync).
    #[serde(default = "group_commit")]
    pub durability: Durability,
}

fn group_commit() -> Durability {
    Durability::GroupCommit
}

/// One named dense vector: its dimension and metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorParams {
    /// Dimension.
    pub size: usize,
    /// Metric, by Qdrant's names: `Cosine`, `Dot`, `Euclid`, `Manhattan`.
    #[serde(with = "qdrant_distance")]
    pub distance: Distance,
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
            durability: Durability::GroupCommit,
        }
    }

    /// What is wrong with this config, if anything.
    pub fn problem(&self) -> Option<String> {
        if self.vectors.is_empty() && self.sparse_vectors.is_empty() {
            return Some("at least one vector is needed".into());
        }
        if let Some(name) = self
            .sparse_vectors
            .keys()
            .find(|n| self.vectors.contains_key(*n))
        {
            return Some(format!("{name:?} names both a dense and a sparse vector"));
        }
        self.vectors.iter().find_map(|(name, p)| {
            (p.size == 0 || p.size > MAX_DIM)
                .then(|| format!("vector {name:?}: size {} is not in 1..={MAX_DIM}", p.size))
        })
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
