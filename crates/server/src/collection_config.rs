//! Qdrant's create-collection body translated into a shard config, and the collection info
//! Qdrant answers (the vectors config echoed exactly as created, the HNSW, optimizer and WAL
//! configs with Qdrant's defaults filled in).
//!
//! Translation: `distance` by Qdrant's names; `hnsw_config.m` / `ef_construct` → the graph
//! (`m` 0: none, every search scans);
//! `quantization_config` `scalar` (int8) → sq8d codes (a grid per dimension) with the given
//! quantile, `binary` → binary codes of the given encoding, `product` → product codes of the
//! given compression; the thresholds Qdrant counts in kilobytes of vectors
//! (`optimizers_config.indexing_threshold`, `hnsw_config.full_scan_threshold`) → points of
//! the collection's widest vector; `datatype` → the shard's (`float32` the default, `float16`,
//! `uint8`); `on_disk` → the shard's (`true`: the vector's rows paged in as searches touch
//! them; otherwise mapped into memory when the collection opens). Refused with a message:
//! anything else. `multivector_config` (`max_sim`) → the shard's multivectors (float32,
//! no quantization, scored exactly: no graph whatever `hnsw_config` says). Accepted and
//! echoed without effect: `hnsw_config.on_disk` (graphs are in
//! memory), `on_disk_payload` (payloads are read in place), sharding and replication settings,
//! `wal_config`.

use serde_json::{Map, Value, json};
use sextant_shard::{ShardConfig, ShardInfo};

use crate::error::{Error, Result};
use crate::points::field;

/// Qdrant's default thresholds, in kilobytes of vectors.
const INDEXING_THRESHOLD_KB: u64 = 10_000;
const FULL_SCAN_THRESHOLD_KB: u64 = 10_000;

fn bad(what: &str, why: impl std::fmt::Display) -> Error {
    Error::bad(format!("Wrong input: {what}: {why}"))
}

/// The named vectors of a `vectors` field: one unnamed `{size, distance}` or name → params.
fn named(vectors: Option<&Value>) -> Result<Vec<(String, &Map<String, Value>)>> {
    match vectors {
        None => Ok(Vec::new()),
        Some(Value::Object(m)) if m.contains_key("size") => Ok(vec![(String::new(), m)]),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(n, p)| {
                p.as_object()
                    .map(|p| (n.clone(), p))
                    .ok_or_else(|| bad("vectors", format!("{n:?}: expected an object")))
            })
            .collect(),
        Some(v) => Err(bad("vectors", format!("expected an object, got {v}"))),
    }
}

/// Our codec for Qdrant's `quantization_config` (`dim` for product codes).
fn codec(q: &Value, dim: usize) -> Result<Value> {
    let q = q
        .as_object()
        .ok_or_else(|| bad("quantization_config", "expected an object"))?;
    if let Some(s) = field(q, "scalar") {
        if field(s.as_object().unwrap_or(&Map::new()), "type").and_then(Value::as_str)
            != Some("int8")
        {
            return Err(bad("quantization_config.scalar.type", "expected int8"));
        }
        let quantile = s.get("quantile").and_then(Value::as_f64).unwrap_or(1.0);
        return Ok(json!({"kind": "scalar_int8_per_dim", "quantile": quantile}));
    }
    if let Some(b) = field(q, "binary") {
        let encoding = match b.get("encoding").and_then(Value::as_str) {
            None | Some("one_bit") => "one",
            Some("one_and_half_bits") => "one_and_half",
            Some("two_bits") => "two",
            Some(e) => return Err(bad("quantization_config.binary.encoding", e)),
        };
        return Ok(json!({"kind": "binary", "encoding": encoding}));
    }
    if let Some(p) = field(q, "product") {
        let ratio = match p.get("compression").and_then(Value::as_str) {
            Some("x4") => 4,
            Some("x8") => 8,
            Some("x16") => 16,
            Some("x32") => 32,
            Some("x64") => 64,
            _ => return Err(bad("quantization_config.product.compression", "x4 to x64")),
        };
        // One byte per sub-space: 4·dim bytes of floats / ratio.
        let m = 4 * dim / ratio;
        if m == 0 || !dim.is_multiple_of(m) {
            return Err(bad(
                "quantization_config.product",
                format!("compression x{ratio} does not divide {dim} dimensions into sub-spaces"),
            ));
        }
        return Ok(json!({"kind": "product", "m": m}));
    }
    Err(bad(
        "quantization_config",
        "expected scalar, product or binary",
    ))
}

/// A threshold in kilobytes of vectors as points of `dim` floats (at least 1).
fn points_of(kb: u64, dim: usize) -> u64 {
    (kb * 1024 / (4 * dim.max(1)) as u64).max(1)
}

/// The shard config of a create-collection body.
pub fn shard_config(body: &Value) -> Result<ShardConfig> {
    let body = body
        .as_object()
        .ok_or_else(|| bad("collection", "expected an object"))?;
    let empty = Map::new();
    let hnsw = field(body, "hnsw_config")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let quantization = field(body, "quantization_config");
    let mut vectors = Map::new();
    let mut multivectors = Map::new();
    let mut widest = 1;
    for (name, p) in named(field(body, "vectors"))? {
        let size = field(p, "size").and_then(Value::as_u64).ok_or_else(|| {
            bad(
                "vectors",
                format!("{name:?}: size must be a positive integer"),
            )
        })? as usize;
        widest = widest.max(size);
        if let Some(m) = field(p, "multivector_config") {
            let comparator = m.get("comparator").and_then(Value::as_str);
            if comparator != Some("max_sim") {
                return Err(bad(
                    "vectors",
                    format!("{name:?}: multivector comparator {comparator:?}: expected max_sim"),
                ));
            }
            if field(p, "datatype").is_some_and(|d| d != "float32") {
                return Err(bad(
                    "vectors",
                    format!("{name:?}: multivectors are stored as float32"),
                ));
            }
            if field(p, "quantization_config").is_some() {
                return Err(bad(
                    "vectors",
                    format!("{name:?}: multivectors are scored exactly, without quantization"),
                ));
            }
            let distance = field(p, "distance").cloned().unwrap_or(Value::Null);
            multivectors.insert(
                name,
                json!({"size": size, "distance": distance, "comparator": "max_sim"}),
            );
            continue;
        }
        let datatype = match field(p, "datatype").map(|t| (t, t.as_str())) {
            None | Some((_, Some("float32"))) => None,
            Some((_, Some(d @ ("float16" | "uint8")))) => Some(d),
            Some((t, _)) => {
                return Err(bad(
                    "vectors",
                    format!("{name:?}: datatype {t}: expected float32, float16 or uint8"),
                ));
            }
        };
        let own = field(p, "hnsw_config")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let get = |k: &str| own.get(k).or_else(|| hnsw.get(k)).and_then(Value::as_u64);
        let m = get("m").unwrap_or(16);
        let mut params = json!({
            "size": size,
            "distance": field(p, "distance").cloned().unwrap_or(Value::Null),
            "hnsw": {"m": m, "m0": 2 * m, "ef_construction": get("ef_construct").unwrap_or(100)},
        });
        if let Some(q) = field(p, "quantization_config").or(quantization) {
            params["quantization"] = codec(q, size)?;
        }
        if let Some(d) = datatype {
            params["datatype"] = json!(d);
        }
        match field(p, "on_disk") {
            None => {}
            Some(b @ Value::Bool(_)) => params["on_disk"] = b.clone(),
            Some(other) => {
                return Err(bad(
                    "vectors",
                    format!("{name:?}: on_disk {other}: expected true or false"),
                ));
            }
        }
        vectors.insert(name, params);
    }
    let mut sparse = Map::new();
    if let Some(s) = field(body, "sparse_vectors") {
        let s = s
            .as_object()
            .ok_or_else(|| bad("sparse_vectors", "expected an object"))?;
        for (name, p) in s {
            let modifier = p.get("modifier").and_then(Value::as_str);
            let params = match modifier {
                Some("idf") => json!({"modifier": "idf"}),
                None | Some("none") => json!({}),
                Some(m) => return Err(bad("sparse_vectors", format!("modifier {m}"))),
            };
            sparse.insert(name.clone(), params);
        }
    }
    let optimizers = field(body, "optimizers_config").and_then(Value::as_object);
    let kb = |v: Option<&Value>, default| v.and_then(Value::as_u64).unwrap_or(default);
    let indexing = kb(
        optimizers.and_then(|o| field(o, "indexing_threshold")),
        INDEXING_THRESHOLD_KB,
    );
    let full_scan = kb(field(hnsw, "full_scan_threshold"), FULL_SCAN_THRESHOLD_KB);
    let config = json!({
        "vectors": vectors,
        "sparse_vectors": sparse,
        "multivectors": multivectors,
        "optimizer": {
            "indexing_threshold": points_of(indexing, widest),
            "full_scan_threshold": points_of(full_scan, widest),
            "threads": field(hnsw, "max_indexing_threads").and_then(Value::as_u64).unwrap_or(0),
        },
    });
    let config: ShardConfig =
        serde_json::from_value(config).map_err(|e| bad("collection config", e))?;
    if let Some(problem) = config.problem() {
        return Err(bad("collection config", problem));
    }
    Ok(config)
}

/// The indexing threshold in points the background optimizer applies: the create body's
/// `optimizers_config.indexing_threshold` (kilobytes; 0 turns indexing off, as in Qdrant),
/// as updated by `PATCH`, or the shard's.
fn indexing_threshold(create: &Value, shard: &ShardConfig) -> Option<usize> {
    let kb = create
        .get("optimizers_config")
        .and_then(|o| o.get("indexing_threshold"))
        .and_then(Value::as_u64);
    let widest = shard.vectors.values().map(|v| v.size).max().unwrap_or(1);
    match kb {
        Some(0) => None,
        Some(kb) => Some(points_of(kb, widest) as usize),
        None => Some(shard.optimizer.indexing_threshold),
    }
}

/// Do enough points wait for the background optimizer (`info`'s unindexed points reach the
/// indexing threshold; never when indexing is off)? Its trigger, and collection info's grey.
pub fn index_pending(create: &Value, shard: &ShardConfig, info: &ShardInfo) -> bool {
    let pending = info.points.saturating_sub(info.indexed_points);
    indexing_threshold(create, shard).is_some_and(|t| pending >= t.max(1))
}

/// `given`'s non-null fields over `defaults`' (one level).
pub(crate) fn merged(defaults: Value, given: Option<&Value>) -> Value {
    let mut out = defaults;
    if let (Some(o), Some(Value::Object(g))) = (out.as_object_mut(), given) {
        for (k, v) in g {
            if !v.is_null() {
                o.insert(k.clone(), v.clone());
            }
        }
    }
    out
}

/// The `config` of Qdrant's collection info: the parameters as created, defaults filled in.
pub fn config_json(create: &Value) -> Value {
    let body = create.as_object().cloned().unwrap_or_default();
    let hnsw = merged(
        json!({"m": 16, "ef_construct": 100, "full_scan_threshold": FULL_SCAN_THRESHOLD_KB,
               "max_indexing_threads": 0, "on_disk": false}),
        field(&body, "hnsw_config"),
    );
    let optimizer = merged(
        json!({"deleted_threshold": 0.2, "vacuum_min_vector_number": 1000,
               "default_segment_number": 0, "max_segment_size": null, "memmap_threshold": null,
               "indexing_threshold": INDEXING_THRESHOLD_KB, "flush_interval_sec": 5,
               "max_optimization_threads": null}),
        field(&body, "optimizers_config"),
    );
    let wal = merged(
        json!({"wal_capacity_mb": 32, "wal_segments_ahead": 0}),
        field(&body, "wal_config"),
    );
    let mut params = json!({
        "shard_number": 1, "replication_factor": 1, "write_consistency_factor": 1,
        "on_disk_payload": true,
    });
    for key in [
        "vectors",
        "sparse_vectors",
        "shard_number",
        "on_disk_payload",
        "sharding_method",
        "replication_factor",
        "write_consistency_factor",
        "read_fan_out_factor",
    ] {
        if let Some(v) = field(&body, key) {
            params[key] = v.clone();
        }
    }
    json!({
        "params": params,
        "hnsw_config": hnsw,
        "optimizer_config": optimizer,
        "wal_config": wal,
        "quantization_config": field(&body, "quantization_config"),
        "strict_mode_config": null,
        "metadata": field(&body, "metadata"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qdrant_bodies_translate() {
        let c = shard_config(&json!({"vectors": {"size": 384, "distance": "Cosine"}})).unwrap();
        assert_eq!(c.vectors[""].size, 384);
        // 10,000 KB of 384 floats.
        assert_eq!(c.optimizer.indexing_threshold, 6_666);
        let c = shard_config(&json!({
            "vectors": {"a": {"size": 8, "distance": "Dot", "hnsw_config": {"m": 8},
                              "quantization_config": {"scalar": {"type": "int8", "quantile": 0.99}}},
                        "b": {"size": 4, "distance": "Euclid", "on_disk": true}},
            "sparse_vectors": {"s": {"modifier": "idf"}, "t": {}},
            "hnsw_config": {"ef_construct": 64, "full_scan_threshold": 100},
            "optimizers_config": {"indexing_threshold": 20},
        }))
        .unwrap();
        assert_eq!(c.vectors.len(), 2);
        assert_eq!(c.vectors["a"].hnsw.unwrap().m, 8);
        assert_eq!(c.vectors["b"].hnsw.unwrap().ef_construction, 64);
        assert_eq!(
            (c.vectors["a"].on_disk, c.vectors["b"].on_disk),
            (None, Some(true))
        );
        let m = shard_config(&json!({"vectors": {
            "d": {"size": 4, "distance": "Dot"},
            "m": {"size": 8, "distance": "Euclid", "multivector_config": {"comparator": "max_sim"}},
        }}))
        .unwrap();
        assert_eq!(m.vectors.keys().collect::<Vec<_>>(), ["d"]);
        assert_eq!(
            m.multivectors["m"],
            sextant_shard::MultivectorParams::new(8, sextant_core::Distance::Euclid)
        );
        assert!(c.vectors["a"].quantization.is_some() && c.vectors["b"].quantization.is_none());
        assert_eq!(c.sparse_vectors.len(), 2);
        assert_eq!(
            (
                c.optimizer.indexing_threshold,
                c.optimizer.full_scan_threshold
            ),
            (640, 3200)
        );
    }

    #[test]
    fn what_we_cannot_hold_is_refused() {
        for (body, says) in [
            (
                json!({"vectors": {"size": 4, "distance": "Cosine", "datatype": "float64"}}),
                "datatype \"float64\": expected",
            ),
            (
                json!({"vectors": {"size": 4, "distance": "Cosine", "multivector_config": {"comparator": "sum"}}}),
                "expected max_sim",
            ),
            (
                json!({"vectors": {"size": 4, "distance": "Cosine", "multivector_config": {"comparator": "max_sim"},
                                   "quantization_config": {"scalar": {"type": "int8"}}}}),
                "without quantization",
            ),
            (json!({"vectors": {"size": 4, "distance": "Cos"}}), "config"),
            (
                json!({"vectors": {"size": 4, "distance": "Dot", "on_disk": "yes"}}),
                "on_disk \"yes\": expected true or false",
            ),
            (
                json!({"vectors": {"size": 0, "distance": "Cosine"}}),
                "config",
            ),
            (
                json!({"vectors": {"size": 6, "distance": "Dot", "quantization_config": {"product": {"compression": "x32"}}}}),
                "divide",
            ),
        ] {
            let e = shard_config(&body).unwrap_err().to_string();
            assert!(e.contains(says), "{body}: {e}");
        }
    }
}
