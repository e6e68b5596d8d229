//! Shared by the integration tests: the bundled real dataset, prepared.

// Each test binary compiles this module and uses a different part of it.
#![allow(dead_code)]

use sextant_core::{DensePairScorer, DenseVectorSource, DenseVectors, Distance};
use sextant_datasets::Dataset;
use sextant_hnsw::{HnswConfig, HnswIndex};

/// Folder of the bundled `minilm-pypi-20k`.
pub const MINILM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../datasets/minilm-pypi-20k"
);

/// The bundled dataset with its base and query vectors prepared for its metric.
pub struct Minilm {
    pub ds: Dataset,
    pub base: DenseVectors<f32>,
    pub queries: DenseVectors<f32>,
    pub distance: Distance,
}

pub fn minilm() -> Minilm {
    let ds = Dataset::open(MINILM).unwrap();
    Minilm {
        base: ds.base_prepared().unwrap(),
        queries: ds.queries_prepared().unwrap(),
        distance: ds.distance(),
        ds,
    }
}

/// The default graph over `base` (M=16, ef_construction=100) on 2 threads.
pub fn build(base: &DenseVectors<f32>, distance: Distance) -> HnswIndex {
    HnswIndex::build(
        base.len(),
        &DensePairScorer::new(base, distance),
        HnswConfig::default(),
        2,
    )
    .unwrap()
}

/// The bundled dataset's `payload.jsonl`, one JSON object per base point.
pub fn payload() -> Vec<serde_json::Value> {
    std::fs::read_to_string(format!("{MINILM}/payload.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
