//! The REST layer's own cost per request, without a socket: a 384-d query body parsed into
//! JSON, translated into a shard request, and the whole router (extractors, middleware, the
//! query over 2,000 points, the answer's bytes) driven in-process. `sextant-bench server`
//! measures the same path over loopback TCP against the in-process shard query.
//!
//! Run: `cargo bench -p sextant-server --bench request`.

// criterion's macros generate undocumented public items.
#![allow(missing_docs)]

use axum::body::Body;
use axum::http::Request;
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sextant_server::{AppState, ServerConfig, router};
use sextant_shard::QueryRequest;
use std::hint::black_box;
use tower::ServiceExt;

const DIM: usize = 384;
const POINTS: usize = 2_000;

/// A deterministic vector with MiniLM-like decimals (8–9 significant digits as JSON).
fn vector(seed: usize) -> Vec<f32> {
    (0..DIM)
        .map(|j| {
            let x = (seed * 7919 + j * 104_729) % 10_007;
            (x as f32 / 10_007.0 - 0.5) * 0.2
        })
        .collect()
}

fn query_body(seed: usize) -> Vec<u8> {
    json!({"query": vector(seed), "limit": 10, "with_payload": true, "params": {"hnsw_ef": 64}})
        .to_string()
        .into_bytes()
}

fn request(c: &mut Criterion) {
    let body = query_body(1);
    c.bench_function("query body to JSON value (384 floats)", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(&body)).unwrap())
    });
    let value: Value = serde_json::from_slice(&body).unwrap();
    c.bench_function("JSON value to QueryRequest", |b| {
        b.iter(|| QueryRequest::from_json(black_box(&value)).unwrap())
    });

    let dir = tempfile::tempdir().unwrap();
    let app = router(AppState::open(ServerConfig::new(dir.path())).unwrap());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let call = |method: &str, path: &str, body: Vec<u8>| {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        let app = app.clone();
        rt.block_on(async move {
            let res = app.oneshot(req).await.unwrap();
            assert!(res.status().is_success(), "{}", res.status());
            res.into_body().collect().await.unwrap().to_bytes()
        })
    };
    let create = json!({"vectors": {"size": DIM, "distance": "Cosine"}});
    call("PUT", "/collections/c", create.to_string().into_bytes());
    for chunk in (0..POINTS).collect::<Vec<_>>().chunks(100) {
        let points: Vec<Value> = chunk
            .iter()
            .map(|&i| json!({"id": i, "vector": vector(i + 100), "payload": {"i": i}}))
            .collect();
        let body = json!({"points": points}).to_string().into_bytes();
        call("PUT", "/collections/c/points?wait=true", body);
    }
    c.bench_function("router: query 2,000 points (exact), ten answers", |b| {
        b.iter(|| call("POST", "/collections/c/points/query", body.clone()))
    });
    c.bench_function("router: count (the layer alone)", |b| {
        b.iter(|| call("POST", "/collections/c/points/count", b"{}".to_vec()))
    });
}

criterion_group!(benches, request);
criterion_main!(benches);
