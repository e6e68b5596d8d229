//! Saved graphs load back identical (same search results), the format is pinned by a golden
//! file, and damaged files are errors, never panics.

use sextant_core::{DensePairScorer, DenseQueryScorer, DenseVectorSource, Distance, PointFilter};
use sextant_hnsw::{Error, HnswIndex, HnswParams, SearchContext};
use std::path::Path;

fn small_index() -> (sextant_core::DenseVectors<f32>, HnswIndex) {
    let data = sextant_datasets::gaussian(300, 6, 11).unwrap();
    let pair = DensePairScorer::new(&data, Distance::Euclid);
    let mut index = HnswIndex::build(300, &pair, HnswParams::with_m(4), 1).unwrap();
    index.delete(&[3, 77, 150], &pair);
    (data, index)
}

#[test]
fn save_and_load_give_identical_results() {
    let (data, index) = small_index();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("graph.hnsw");
    index.save(&path).unwrap();
    let loaded = HnswIndex::load(&path).unwrap();
    assert_eq!(loaded.stats(), index.stats());
    assert_eq!(loaded.deleted_count(), 3);
    assert_eq!(loaded.to_bytes(), index.to_bytes());
    let (mut ctx, mut a, mut b) = (SearchContext::new(), Vec::new(), Vec::new());
    for q in 0..50u32 {
        let s = DenseQueryScorer::new(&data, Distance::Euclid, data.vector(q)).unwrap();
        index.search(&s, 10, 40, None::<&dyn PointFilter>, &mut ctx, &mut a);
        loaded.search(&s, 10, 40, None::<&dyn PointFilter>, &mut ctx, &mut b);
        assert_eq!(a, b);
    }
}

/// The golden file pins the format: it must load, describe the graph it was written from
/// (300 points, m = 4, points 3, 77 and 150 deleted), and write back byte for byte. (It is not
/// compared with a fresh build: float sums, and so heuristic choices, differ across SIMD levels.)
#[test]
fn golden_graph_file() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/small.hnsw");
    if std::env::var_os("SEXTANT_BLESS").is_some() {
        std::fs::write(&golden, small_index().1.to_bytes()).unwrap();
    }
    let bytes = std::fs::read(&golden).unwrap();
    let index = HnswIndex::load(&golden).unwrap();
    assert_eq!(
        index.to_bytes(),
        bytes,
        "format changed: bless deliberately"
    );
    assert_eq!(
        (index.len(), index.params().m, index.params().m0),
        (300, 4, 8)
    );
    let deleted: Vec<u32> = (0..300).filter(|&p| index.is_deleted(p)).collect();
    assert_eq!(deleted, vec![3, 77, 150]);
    assert_eq!(index.stats().nodes[0], 300);
}

#[test]
fn truncated_or_flipped_files_are_errors() {
    let (_, index) = small_index();
    let bytes = index.to_bytes();
    for cut in (0..bytes.len()).step_by(7).chain([bytes.len() - 1]) {
        assert!(
            matches!(
                HnswIndex::from_bytes(&bytes[..cut]),
                Err(Error::Corrupt { .. })
            ),
            "cut {cut}"
        );
    }
    let mut state = 99u64;
    for _ in 0..500 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut b = bytes.clone();
        let at = (state >> 33) as usize % b.len();
        b[at] ^= 1 << (state % 8);
        assert!(
            HnswIndex::from_bytes(&b).is_err(),
            "flip at {at} must be detected"
        );
    }
}
