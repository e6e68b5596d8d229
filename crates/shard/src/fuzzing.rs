//! Entry points for the fuzz targets `shard_points_file`, `shard_base_file`,
//! `shard_index_file`, `shard_snapshot_file` and `query_json` and their
//! corpus replay tests: arbitrary bytes, resealed with a valid checksum so the structure checks
//! are what is exercised, read as a points file of [`config`] (refused with an error, or read,
//! written again and read again to the same bytes) or as its `indexes.bin` (refused or
//! accepted), or read as a REST query body and run on a small shard; never a panic.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};
use sextant_core::Distance;
use sextant_payload_index::FieldType;

use crate::config::{MultivectorParams, ShardConfig, SparseVectorParams, VectorParams};
use crate::ops::{Point, UpdateOp, Vector};
use crate::query::{GroupsRequest, QueryRequest};
use crate::shard::Shard;

/// The config the fuzzed files are read with: a 2-dim cosine vector `a`, a sparse vector `s`,
/// a multivector `m` of 2-dim dot vectors;
/// `optimize` indexes every vector, on one thread (the same graph every run), and links the
/// points of every indexed payload value at least two points hold.
pub fn config() -> ShardConfig {
    let mut c = ShardConfig::new([("a".to_string(), VectorParams::new(2, Distance::Cosine))]);
    c.sparse_vectors = BTreeMap::from([("s".to_string(), SparseVectorParams::default())]);
    c.multivectors = BTreeMap::from([("m".to_string(), MultivectorParams::new(2, Distance::Dot))]);
    c.optimizer.indexing_threshold = 1;
    c.optimizer.full_scan_threshold = 2;
    c.optimizer.threads = 1;
    c
}

/// A points file of [`config`] read and written again in the current version.
pub fn rewrite_points_file(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let (state, covers) = crate::checkpoint::read(bytes, &config())?;
    Ok(crate::checkpoint::write(&state, covers))
}

/// Reads `data` (its checksum recomputed) as a base file of [`config`]'s vectors.
pub fn base_file(data: &[u8]) {
    let mut bytes = data.to_vec();
    sextant_mmap_advice::header::seal(&mut bytes);
    let _ = crate::base::check(&bytes);
}

/// Reads `data` (its checksum recomputed) as a snapshot file.
pub fn snapshot_file(data: &[u8]) {
    let mut bytes = data.to_vec();
    sextant_mmap_advice::header::seal(&mut bytes);
    let _ = crate::snapshot::parse(&bytes);
}

/// Reads `data` (its checksum recomputed) as the `indexes.bin` of a shard of [`config`].
pub fn index_file(data: &[u8]) {
    let mut bytes = data.to_vec();
    sextant_mmap_advice::header::seal(&mut bytes);
    let _ = crate::index_files::check(&bytes, 1, 1);
}

/// Reads `data` (its checksum recomputed) as a points file and checks the round trip.
pub fn points_file(data: &[u8]) {
    let mut bytes = data.to_vec();
    sextant_mmap_advice::header::seal(&mut bytes);
    let config = config();
    if let Ok((state, covers)) = crate::checkpoint::read(&bytes, &config) {
        let once = crate::checkpoint::write(&state, covers);
        let (again, covers_again) =
            crate::checkpoint::read(&once, &config).expect("a written file reads back");
        assert_eq!(covers_again, covers);
        assert_eq!(
            crate::checkpoint::write(&again, covers),
            once,
            "write ∘ read is stable"
        );
    }
}

/// The shard [`query_json`] runs on, created in `dir`: 40 points of [`config`] with payloads
/// (integer `n`, keyword `tag`, float `x`, geo `loc`, datetime `t`, an array `arr`; the first
/// three indexed), a sparse vector on every other point and a multivector on every third,
/// optimized (graphs and indexes built).
pub fn query_shard(dir: &Path) -> crate::Result<Shard> {
    let shard = Shard::create(dir, config())?;
    for (key, schema) in [
        ("n", FieldType::Integer),
        ("tag", FieldType::Keyword),
        ("x", FieldType::Float),
    ] {
        let key = key.to_string();
        shard.update(UpdateOp::CreateFieldIndex { key, schema })?;
    }
    let points = (0..40u64)
        .map(|i| {
            let f = i as f32;
            let tag = ["a", "b", "c"][i as usize % 3];
            let mut p = Point::new(i, "a", vec![f.sin(), f.cos()]).with_payload(json!({
                "n": i % 5, "tag": tag, "x": f / 4.0,
                "loc": {"lat": f - 20.0, "lon": 2.0 * f}, "t": format!("2024-01-{:02}", 1 + i % 28),
                "arr": [i % 2, i % 3],
            }));
            if i % 2 == 0 {
                let indices = vec![i as u32 % 7, 7 + i as u32 % 5];
                let values = vec![1.0, f / 8.0];
                p = p.with_vector("s", Vector::Sparse { indices, values });
            }
            if i % 3 == 0 {
                let rows = (0..1 + i as usize % 3).map(|r| vec![f.cos(), r as f32 - f / 40.0]);
                p = p.with_vector("m", Vector::Multi(rows.collect()));
            }
            p
        })
        .collect();
    shard.update(UpdateOp::upsert(points))?;
    shard.optimize()?;
    Ok(shard)
}

/// Reads `data` as Qdrant's REST body of a query and of a query by groups, and runs what
/// parses on `shard` ([`query_shard`]): an answer or an error, never a panic.
pub fn query_json(shard: &Shard, data: &[u8]) {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if let Ok(req) = QueryRequest::from_json(&body) {
        let _ = shard.query(&req);
    }
    if let Ok(req) = GroupsRequest::from_json(&body) {
        let _ = shard.query_groups(&req);
    }
}
