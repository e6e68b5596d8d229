//! `LabeledIndex` (and so Python's `sextant.Index`) answers exactly as the graph bench
//! (`sextant-bench hnsw`: `HnswIndex::build` over the dataset's prepared base, one float query
//! scorer per query): one-thread builds with the same seed and parameters give the same labels
//! for every query, so Python figures and Rust figures measure the same graph.

use sextant_core::{DensePairScorer, DenseQueryScorer, DenseVectorSource, DenseVectors};
use sextant_datasets::Dataset;
use sextant_hnsw::{HnswConfig, HnswIndex, SearchContext, SearchRequest};
use sextant_index::{IndexConfig, LabeledIndex};

const MINILM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../datasets/minilm-pypi-20k"
);
/// Points of the bundled set used (the whole build on one thread stays well under a second).
const POINTS: usize = 3000;

#[test]
fn same_labels_as_the_graph_bench_for_the_same_seed() {
    let ds = Dataset::open(MINILM).unwrap();
    let distance = ds.distance();
    let all = ds.base_prepared().unwrap();
    let flat: Vec<f32> = (0..POINTS as u32)
        .flat_map(|o| all.vector(o).to_vec())
        .collect();
    let base = DenseVectors::from_flat(all.dim(), flat.clone()).unwrap();
    let queries = ds.queries_prepared().unwrap();
    let hnsw = HnswConfig {
        seed: 100,
        ..HnswConfig::default()
    };

    // The bench's path.
    let graph = HnswIndex::build(POINTS, &DensePairScorer::new(&base, distance), hnsw, 1).unwrap();
    // The index's, labels = offsets as `add_items` without ids gives them.
    let mut config = IndexConfig::new(distance, all.dim(), POINTS);
    config.hnsw = hnsw;
    let mut index = LabeledIndex::new(config).unwrap();
    index
        .add(&flat, &(0..POINTS as u64).collect::<Vec<_>>(), 1)
        .unwrap();

    let mut ctx = SearchContext::new();
    let mut golden = Vec::new();
    for ef in [16, GOLDEN_EF] {
        for q in 0..200u32 {
            let query = queries.vector(q);
            let scorer = DenseQueryScorer::new(&base, distance, query).unwrap();
            let bench: Vec<u64> = graph
                .search(&scorer, &SearchRequest::new(10).ef(ef), &mut ctx)
                .unwrap()
                .iter()
                .map(|p| u64::from(p.offset))
                .collect();
            let ours: Vec<u64> = index
                .search(query, 10, ef, None)
                .unwrap()
                .iter()
                .map(|p| p.0)
                .collect();
            assert_eq!(ours, bench, "query {q} at ef {ef}");
            if ef == GOLDEN_EF && (q as usize) < GOLDEN_QUERIES {
                golden.push(bench);
            }
        }
    }
    check_golden(&golden);
}

/// Queries and `ef` of the committed labels (`tests/golden/bench-labels.json`), which
/// `crates/python/tests/test_index.py` compares `sextant.Index`'s answers with: Python, this
/// index and the graph bench then agree label for label.
const GOLDEN_QUERIES: usize = 50;
const GOLDEN_EF: usize = 64;

/// The bench's labels against the committed file; a deliberate change to how graphs are
/// built re-blesses it with `SEXTANT_BLESS=1`. Float sums differ in their last bits between
/// SIMD levels (16 lanes against 8), which may tip a near tie in the build, so the file names
/// the level it was made on and is compared on that level only (the bench and the index
/// still agree above on every level).
fn check_golden(labels: &[Vec<u64>]) {
    let simd = sextant_core::Kernels::best().level.name();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/bench-labels.json"
    );
    let doc = serde_json::json!({
        "dataset": "minilm-pypi-20k", "points": POINTS, "m": 16, "ef_construction": 100,
        "seed": 100, "threads": 1, "ef": GOLDEN_EF, "k": 10, "simd": simd, "labels": labels,
    });
    if std::env::var_os("SEXTANT_BLESS").is_some() {
        std::fs::write(path, format!("{doc}\n")).unwrap();
    }
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    if saved["simd"] != simd {
        eprintln!(
            "bench-labels.json was made on {}, this CPU runs {simd}: not compared",
            saved["simd"]
        );
        return;
    }
    assert_eq!(
        saved, doc,
        "the graph bench's labels changed: re-bless {path} if the build changed on purpose"
    );
}
