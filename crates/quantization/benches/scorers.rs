//! Criterion bench `scorers`: one query against a batch of 32 random stored points (what a
//! graph expansion asks for), per codec, on 20,000 seeded Gaussian vectors of 384 dimensions
//! prepared for cosine; plus `BoundedExact` with a floor that keeps about one point in ten,
//! next to the plain float scorer it replaces; one whole fast-scan block (the scan path); the
//! fast-scan top-40 over all 20,000 codes; and a query's preparation (its tables) for the two
//! product codecs, which a scan pays once per query; and sq4d through `AnyCodes` next to the
//! concrete type.
//!
//! Run: `cargo bench -p sextant-quantization --bench scorers` (filter: `-- sq8d`).

// criterion_group! generates public functions without docs.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sextant_core::{DenseQueryScorer, DenseVectorSource, DenseVectors, Distance, QueryScorer};
use sextant_quantization::{
    AnyCodes, BoundedExact, CodecConfig, EncodedVectors, ProductFastScan, ProductQuantizer, RaBitQ,
    ScalarInt4PerDim, ScalarInt8, ScalarInt8PerDim, TurboQuant,
};
use std::hint::black_box;

const N: usize = 20_000;
const DIM: usize = 384;
const BATCH: usize = 32;

fn data() -> DenseVectors<f32> {
    let mut v = sextant_datasets::gaussian(N, DIM, 7).expect("synthetic data");
    v.prepare(Distance::Cosine).expect("finite data");
    v
}

/// Batches of random offsets (a fixed LCG, so every codec sees the same points).
fn batches() -> Vec<Vec<u32>> {
    let mut x = 12345u64;
    (0..256)
        .map(|_| {
            (0..BATCH)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((x >> 33) % N as u64) as u32
                })
                .collect()
        })
        .collect()
}

fn bench_codec<C: EncodedVectors>(c: &mut Criterion, name: &str, codes: &C, query: &[f32]) {
    let scorer = codes.query_scorer(query).expect("query");
    let batches = batches();
    let mut scores = vec![0f32; BATCH];
    let mut group = c.benchmark_group("batch32");
    group.throughput(Throughput::Elements(BATCH as u64));
    let mut i = 0;
    group.bench_function(name, |b| {
        b.iter(|| {
            i = (i + 1) % batches.len();
            scorer.score_points(black_box(&batches[i]), &mut scores);
            black_box(&scores);
        })
    });
    group.finish();
}

fn scorers(c: &mut Criterion) {
    let data = data();
    let query: Vec<f32> = data.vector(11).iter().map(|x| x + 0.01).collect();
    let d = Distance::Cosine;
    bench_codec(
        c,
        "sq8",
        &ScalarInt8::train(&data, d, 0.99, 1, 2).expect("sq8"),
        &query,
    );
    let sq8d = ScalarInt8PerDim::train(&data, d, 1.0, 1, 2).expect("sq8d");
    bench_codec(c, "sq8d", &sq8d, &query);
    // The dynamic codec next to the concrete one: AnyCodes dispatches once per batch.
    let sq4d_any = AnyCodes::train(
        &data,
        d,
        &CodecConfig::new("sq4d".parse().expect("name")),
        2,
    );
    bench_codec(c, "sq4d-any", &sq4d_any.expect("sq4d"), &query);
    bench_codec(
        c,
        "sq4d",
        &ScalarInt4PerDim::train(&data, d, 0.995, 1, 2).expect("sq4d"),
        &query,
    );
    bench_codec(
        c,
        "rabitq4",
        &RaBitQ::train(&data, d, 4, 1, 2).expect("rabitq"),
        &query,
    );
    bench_codec(
        c,
        "tq4",
        &TurboQuant::train(&data, d, 4, true, 1, 2).expect("tq"),
        &query,
    );
    let pq48 = ProductQuantizer::train(&data, d, 48, 1, 2).expect("pq");
    bench_codec(c, "pq48", &pq48, &query);
    // Fast scan: batches of random points take the one-by-one path; a whole block the kernel.
    let fs = ProductFastScan::train(&data, d, 96, 1, 2).expect("pq96x4");
    bench_codec(c, "pq96x4", &fs, &query);
    let scorer = fs.query_scorer(&query).expect("query");
    let block: Vec<u32> = (0..BATCH as u32).collect();
    let mut out = vec![0f32; BATCH];
    let mut group = c.benchmark_group("block32");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("pq96x4", |b| {
        b.iter(|| {
            scorer.score_points(black_box(&block), &mut out);
            black_box(&out);
        })
    });
    group.finish();
    let mut group = c.benchmark_group("scan_top40");
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("pq96x4", |b| b.iter(|| black_box(scorer.top_k(40))));
    group.finish();
    let mut group = c.benchmark_group("prepare");
    group.bench_function("pq96x4", |b| {
        b.iter(|| black_box(fs.query_scorer(black_box(&query)).expect("query")))
    });
    group.bench_function("pq48", |b| {
        b.iter(|| black_box(pq48.query_scorer(black_box(&query)).expect("query")))
    });
    group.finish();

    // Floats, plain and behind sq8d bounds, with the floor of a search that keeps ~10%.
    let batches = batches();
    let exact = DenseQueryScorer::new(&data, d, &query).expect("query");
    let bounded = BoundedExact::new(&sq8d, &data).expect("bounded");
    let pruning = bounded.query_scorer(&query).expect("query");
    let mut all: Vec<f32> = (0..N as u32).map(|p| exact.score_point(p)).collect();
    all.sort_by(|a, b| b.total_cmp(a));
    let floor = all[N / 10];
    let mut scores = vec![0f32; BATCH];
    let mut group = c.benchmark_group("batch32");
    group.throughput(Throughput::Elements(BATCH as u64));
    let mut i = 0;
    group.bench_function("f32", |b| {
        b.iter(|| {
            i = (i + 1) % batches.len();
            exact.score_points_above(black_box(&batches[i]), floor, &mut scores);
            black_box(&scores);
        })
    });
    group.bench_function("f32-bounded-sq8d", |b| {
        b.iter(|| {
            i = (i + 1) % batches.len();
            pruning.score_points_above(black_box(&batches[i]), floor, &mut scores);
            black_box(&scores);
        })
    });
    group.finish();
}

criterion_group!(benches, scorers);
criterion_main!(benches);
