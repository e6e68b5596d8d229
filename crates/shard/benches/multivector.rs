//! Criterion bench `multivector`: MaxSim through `Shard::query` on 2,000 points of 16
//! vectors of 128 dimensions each (ColBERT's shape; pseudo-random values, cosine), a query of
//! 16 vectors: an exact scan of every point, and the late-interaction pattern (a dense
//! prefetch of 100 points re-ranked by MaxSim).
//!
//! Run: `cargo bench -p sextant-shard --bench multivector`.

// criterion_group! generates public functions without docs.
#![allow(missing_docs)]

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use sextant_core::Distance;
use sextant_shard::{
    MultivectorParams, Point, QueryRequest, Shard, ShardConfig, UpdateOp, Vector, VectorParams,
};

const POINTS: u64 = 2_000;
const ROWS: usize = 16;
const DIM: usize = 128;

/// `n` pseudo-random vectors of `DIM` values in [-1, 1) from `seed`.
fn vectors(seed: u64, n: usize) -> Vec<Vec<f32>> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    };
    (0..n).map(|_| (0..DIM).map(|_| next()).collect()).collect()
}

fn multivector(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut config =
        ShardConfig::new([("d".to_string(), VectorParams::new(DIM, Distance::Cosine))]);
    config.multivectors = BTreeMap::from([(
        "m".to_string(),
        MultivectorParams::new(DIM, Distance::Cosine),
    )]);
    let shard = Shard::create(dir.path(), config).expect("create");
    for chunk in (0..POINTS).collect::<Vec<_>>().chunks(250) {
        let points = chunk
            .iter()
            .map(|&i| {
                let rows = vectors(i + 1, ROWS);
                let mean = (0..DIM)
                    .map(|j| rows.iter().map(|r| r[j]).sum::<f32>() / ROWS as f32)
                    .collect::<Vec<f32>>();
                Point::new(i, "d", mean).with_vector("m", Vector::Multi(rows))
            })
            .collect();
        shard.update(UpdateOp::upsert(points)).expect("upsert");
    }
    shard.optimize().expect("optimize");
    let queries: Vec<Vec<Vec<f32>>> = (0..50).map(|q| vectors(1_000_000 + q, ROWS)).collect();
    let scan: Vec<QueryRequest> = queries
        .iter()
        .map(|q| {
            QueryRequest::from_json(&json!({"query": q, "using": "m", "limit": 10}))
                .expect("a query")
        })
        .collect();
    let rerank: Vec<QueryRequest> = queries
        .iter()
        .map(|q| {
            QueryRequest::from_json(&json!({
                "prefetch": {"query": q[0], "using": "d", "limit": 100},
                "query": q, "using": "m", "limit": 10,
            }))
            .expect("a query")
        })
        .collect();
    let mut group = c.benchmark_group("multivector");
    for (name, reqs) in [("max_sim_scan_2k", &scan), ("rerank_100", &rerank)] {
        let mut i = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % reqs.len();
                black_box(shard.query(&reqs[i]).map(|r| r.len()))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, multivector);
criterion_main!(benches);
