//! `Shard::reconfigure`: a graph deferred with `m` 0 and turned on later (Qdrant's bulk-upload
//! recipe), a codec added, thresholds and the IDF modifier changed at once, what cannot change
//! refused, and the new config kept across a reopen with the indexes it asked for.

use sextant_core::{Distance, PointId};
use sextant_hnsw::HnswConfig;
use sextant_quantization::QuantizationConfig;
use sextant_shard::{
    Modifier, Point, QueryRequest, Shard, ShardConfig, SparseVectorParams, UpdateOp, Vector,
    VectorParams,
};

const N: u64 = 600;
const DIM: usize = 8;

/// A pseudo-random vector (distinct for every `i`: no ties for the top 10 to cut through).
fn vector(i: u64) -> Vec<f32> {
    (0..DIM as u64)
        .map(|d| {
            let h = (i * DIM as u64 + d + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
            (h % 20_001) as f32 / 1_000.0 - 10.0
        })
        .collect()
}

fn config(m: usize) -> ShardConfig {
    let hnsw = HnswConfig {
        m,
        m0: 2 * m,
        ..HnswConfig::default()
    };
    let dense = VectorParams {
        hnsw: Some(hnsw),
        ..VectorParams::new(DIM, Distance::Euclid)
    };
    let mut c = ShardConfig::new([("v".to_string(), dense)]);
    c.sparse_vectors
        .insert("s".into(), SparseVectorParams::default());
    c.optimizer.indexing_threshold = 100;
    c.optimizer.threads = 1;
    c
}

fn fill(shard: &Shard) {
    let points = (0..N)
        .map(|i| {
            let sparse = Vector::Sparse {
                indices: vec![(i % 5) as u32, 10 + (i % 3) as u32],
                values: vec![1.0, 2.0],
            };
            Point::new(i, "v", vector(i)).with_vector("s", sparse)
        })
        .collect();
    shard.update(UpdateOp::upsert(points)).unwrap();
}

/// The ids of the nearest 10 of a few queries, by the index and by an exact scan.
fn answers(shard: &Shard) -> (Vec<Vec<PointId>>, Vec<Vec<PointId>>) {
    let (mut found, mut truth) = (Vec::new(), Vec::new());
    for q in 0..20 {
        let mut req = QueryRequest::new("v", vector(q * 7 + 3), 10);
        found.push(shard.query(&req).unwrap().iter().map(|r| r.id).collect());
        req.params.exact = true;
        truth.push(shard.query(&req).unwrap().iter().map(|r| r.id).collect());
    }
    (found, truth)
}

/// Is a graph file of the first dense vector in the shard's index folders?
fn graph_saved(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| e.path().join("dense-0.graph").exists())
}

fn sparse_scores(shard: &Shard) -> Vec<f32> {
    let q = Vector::Sparse {
        indices: vec![0, 10],
        values: vec![1.0, 1.0],
    };
    let req = QueryRequest::new("s", q, 5);
    shard.query(&req).unwrap().iter().map(|r| r.score).collect()
}

#[test]
fn a_deferred_graph_is_built_after_a_reconfigure_and_kept_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let shard = Shard::create(dir.path(), config(0)).unwrap();
    fill(&shard);
    shard.optimize().unwrap();
    // m 0: the sparse index is built, no graph; the dense searches scan.
    assert!(!graph_saved(dir.path()));
    let (found, truth) = answers(&shard);
    assert_eq!(found, truth);

    let mut next = config(16);
    next.vectors.get_mut("v").unwrap().quantization =
        Some("sq8d".parse::<QuantizationConfig>().unwrap());
    shard.reconfigure(next.clone()).unwrap();
    assert_eq!(shard.config(), next);
    // The indexes built with the old parameters are gone until the next optimize.
    assert_eq!(shard.info().indexed_points, 0);
    assert_eq!(answers(&shard).0, truth);
    shard.optimize().unwrap();
    assert_eq!(shard.info().indexed_points, N as usize);
    assert!(graph_saved(dir.path()));
    let (found, truth) = answers(&shard);
    let hits: usize = found
        .iter()
        .zip(&truth)
        .map(|(f, t)| f.iter().filter(|i| t.contains(i)).count())
        .sum();
    assert!(
        hits >= 190,
        "recall {hits}/200 on codes over a 600-point graph"
    );
    drop(shard);

    let shard = Shard::open(dir.path()).unwrap();
    assert_eq!(shard.config(), next);
    assert_eq!(shard.info().indexed_points, N as usize);
    assert_eq!(answers(&shard).1, truth);
}

#[test]
fn a_dropped_index_stays_dropped_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let shard = Shard::create(dir.path(), config(8)).unwrap();
    fill(&shard);
    shard.optimize().unwrap();
    assert_eq!(shard.info().indexed_points, N as usize);
    shard.reconfigure(config(12)).unwrap();
    drop(shard);
    // The manifest went with the indexes: nothing built with m 8 loads under m 12.
    let shard = Shard::open(dir.path()).unwrap();
    assert_eq!(shard.info().indexed_points, 0);
    assert_eq!(shard.config().vectors["v"].hnsw.unwrap().m, 12);
    let (found, truth) = answers(&shard);
    assert_eq!(found, truth);
}

#[test]
fn thresholds_and_the_modifier_apply_at_once_without_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let shard = Shard::create(dir.path(), config(8)).unwrap();
    fill(&shard);
    shard.optimize().unwrap();
    let plain = sparse_scores(&shard);
    let mut next = config(8);
    next.sparse_vectors.get_mut("s").unwrap().modifier = Some(Modifier::Idf);
    next.optimizer.full_scan_threshold = 50;
    shard.reconfigure(next).unwrap();
    assert_eq!(
        shard.info().indexed_points,
        N as usize,
        "nothing to rebuild"
    );
    let idf = sparse_scores(&shard);
    // Terms 0..5 are held by 120 points each, 10..13 by 200: the IDF weighs them apart.
    assert_ne!(plain, idf);
    let (found, truth) = answers(&shard);
    assert!(found.iter().zip(&truth).all(|(f, t)| f.len() == t.len()));
}

#[test]
fn what_an_open_shard_cannot_change_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let shard = Shard::create(dir.path(), config(8)).unwrap();
    fill(&shard);
    let mut resized = config(8);
    resized.vectors.get_mut("v").unwrap().size = 4;
    let mut renamed = config(8);
    let p = renamed.vectors.remove("v").unwrap();
    renamed.vectors.insert("w".into(), p);
    let mut durability = config(8);
    durability.durability = sextant_wal::Durability::SyncEach;
    for (bad, says) in [
        (resized, "size, distance and datatype"),
        (renamed, "the set of vectors"),
        (durability, "the durability"),
    ] {
        let e = shard.reconfigure(bad).unwrap_err().to_string();
        assert!(e.contains(says), "{e}");
    }
    let mut invalid = config(8);
    invalid.vectors.get_mut("v").unwrap().hnsw = Some(HnswConfig {
        m: 1,
        ..HnswConfig::default()
    });
    assert!(shard.reconfigure(invalid).is_err());
    assert_eq!(shard.config(), config(8));
    assert_eq!(shard.info().points, N as usize);
}
