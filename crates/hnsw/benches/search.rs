//! Criterion bench `search`: one query at a time on a graph of 20,000 seeded Gaussian vectors
//! of 128 dimensions (M = 16, ef_construction = 100): unfiltered at ef 16 / 64 / 256,
//! filtered with 10% and 1% of the points passing, and the exact scan the planner falls back
//! to at 1%.
//!
//! Run: `cargo bench -p sextant-hnsw --bench search` (filter: `-- filtered`).

// criterion_group! generates public functions without docs.
#![allow(missing_docs)]

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use sextant_core::{BitSet, DensePairScorer, DenseQueryScorer, DenseVectorSource, Distance};
use sextant_hnsw::{HnswConfig, HnswIndex, SearchContext, SearchMode, SearchRequest};
use std::hint::black_box;

const N: usize = 20_000;
const QUERIES: usize = 200;

fn search(c: &mut Criterion) {
    let data = sextant_datasets::gaussian(N + QUERIES, 128, 3).expect("synthetic data");
    let pair = DensePairScorer::new(&data, Distance::Euclid);
    let index = HnswIndex::build(N, &pair, HnswConfig::default(), 2).expect("build");
    let scorers: Vec<_> = (N..N + QUERIES)
        .map(|q| DenseQueryScorer::new(&data, Distance::Euclid, data.vector(q as u32)))
        .collect::<Result<_, _>>()
        .expect("queries");
    let mut ctx = SearchContext::new();
    let mut group = c.benchmark_group("search");
    for ef in [16, 64, 256] {
        let mut i = 0;
        group.bench_with_input(BenchmarkId::new("unfiltered", ef), &ef, |b, &ef| {
            b.iter(|| {
                i = (i + 1) % QUERIES;
                let request = SearchRequest::new(10).ef(ef);
                black_box(
                    index
                        .search(&scorers[i], &request, &mut ctx)
                        .map(|f| f.len()),
                )
            })
        });
    }
    for (name, every) in [("filtered-10pct", 10u32), ("filtered-1pct", 100)] {
        let mut allowed = BitSet::new(N);
        (0..N as u32).filter(|p| p % every == 0).for_each(|p| {
            allowed.insert(p);
        });
        let mut i = 0;
        group.bench_function(BenchmarkId::new(name, 64), |b| {
            b.iter(|| {
                i = (i + 1) % QUERIES;
                let request = SearchRequest::new(10)
                    .ef(64)
                    .mode(SearchMode::Graph)
                    .filter(&allowed);
                black_box(
                    index
                        .search(&scorers[i], &request, &mut ctx)
                        .map(|f| f.len()),
                )
            })
        });
        if every == 100 {
            group.bench_function("exact-scan-1pct", |b| {
                b.iter(|| {
                    i = (i + 1) % QUERIES;
                    let request = SearchRequest::new(10)
                        .mode(SearchMode::ExactScan)
                        .filter(&allowed);
                    black_box(
                        index
                            .search(&scorers[i], &request, &mut ctx)
                            .map(|f| f.len()),
                    )
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, search);
criterion_main!(benches);
