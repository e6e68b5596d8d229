//! Saved graphs load back identical (same search results), the format is pinned by a golden
//! file, and damaged files are errors, never panics.

use sextant_core::Cardinality;
use sextant_core::{DensePairScorer, DenseQueryScorer, DenseVectorSource, Distance, PointFilter};
use sextant_hnsw::{Error, HnswConfig, HnswIndex, SearchContext};
use sextant_hnsw::{SearchMode, SearchRequest};
use std::path::Path;

fn small_index() -> (sextant_core::DenseVectors<f32>, HnswIndex) {
    let data = sextant_datasets::gaussian(300, 6, 11).unwrap();
    let pair = DensePairScorer::new(&data, Distance::Euclid);
    let mut index = HnswIndex::build(300, &pair, HnswConfig::with_m(4), 1).unwrap();
    index.delete(&[3, 77, 150], &pair).unwrap();
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
    let mut ctx = SearchContext::new();
    for q in 0..50u32 {
        let s = DenseQueryScorer::new(&data, Distance::Euclid, data.vector(q)).unwrap();
        let a = index
            .search(&s, &SearchRequest::new(10).ef(40), &mut ctx)
            .unwrap()
            .to_vec();
        let b = loaded
            .search(&s, &SearchRequest::new(10).ef(40), &mut ctx)
            .unwrap()
            .to_vec();
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
        (index.len(), index.config().m, index.config().m0),
        (300, 4, 8)
    );
    let deleted: Vec<u32> = (0..300).filter(|&p| index.is_deleted(p)).collect();
    assert_eq!(deleted, vec![3, 77, 150]);
    assert_eq!(index.stats().nodes[0], 300);

    // The compressed encoding of the same graph is pinned too, and reads back the same graph.
    let packed = golden.with_file_name("small-compressed.hnsw");
    if std::env::var_os("SEXTANT_BLESS").is_some() {
        std::fs::write(&packed, index.to_bytes_compressed()).unwrap();
    }
    let packed_bytes = std::fs::read(&packed).unwrap();
    assert_eq!(
        index.to_bytes_compressed(),
        packed_bytes,
        "compressed format changed: bless deliberately"
    );
    let from_packed = HnswIndex::load(&packed).unwrap();
    assert_eq!(from_packed.stats(), index.stats());
    assert_eq!(from_packed.to_bytes_compressed(), packed_bytes);
}

#[test]
fn truncated_or_flipped_files_are_errors() {
    let (_, index) = small_index();
    for bytes in [index.to_bytes(), index.to_bytes_compressed()] {
        truncated_or_flipped(&bytes);
    }
}

fn truncated_or_flipped(bytes: &[u8]) {
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
        let mut b = bytes.to_vec();
        let at = (state >> 33) as usize % b.len();
        b[at] ^= 1 << (state % 8);
        assert!(
            HnswIndex::from_bytes(&b).is_err(),
            "flip at {at} must be detected"
        );
    }
}

/// Damage that keeps a valid checksum (a buggy writer, not bit rot) is still caught by the
/// structural checks.
#[test]
fn bad_links_with_a_valid_checksum_are_errors() {
    let (_, index) = small_index();
    let bytes = index.to_bytes();
    let reseal = |mut b: Vec<u8>| {
        b.truncate(b.len() - 4);
        sextant_mmap_advice::header::seal(&mut b);
        b
    };
    assert!(HnswIndex::from_bytes(&reseal(bytes.clone())).is_ok());
    // The first level-0 list starts after the header, the levels and the deleted bitset.
    let list0 = 56 + 300 + 8 * 5;
    let mut link_past_end = bytes.clone();
    link_past_end[list0 + 4..list0 + 8].copy_from_slice(&5000u32.to_le_bytes());
    let err = HnswIndex::from_bytes(&reseal(link_past_end)).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("link to point 5000"), "{err}");
    let mut overfull = bytes.clone();
    overfull[list0..list0 + 4].copy_from_slice(&99u32.to_le_bytes());
    let err = HnswIndex::from_bytes(&reseal(overfull)).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("99 links exceeds"), "{err}");
    let mut bad_level = bytes.clone();
    bad_level[56] = 200;
    assert!(matches!(
        HnswIndex::from_bytes(&reseal(bad_level)),
        Err(Error::Corrupt { .. })
    ));
    let mut bad_entry = bytes;
    bad_entry[48..56].copy_from_slice(&10_000u64.to_le_bytes());
    assert!(matches!(
        HnswIndex::from_bytes(&reseal(bad_entry)),
        Err(Error::Corrupt { .. })
    ));
}

/// The same graph answers every kind of query identically whether it is in RAM, mapped from a
/// plain file, mapped from a compressed file, or loaded back from the compressed file.
#[test]
fn ram_mmap_and_compressed_give_identical_results() {
    let (data, index) = small_index();
    let dir = tempfile::tempdir().unwrap();
    let (plain, packed) = (
        dir.path().join("plain.hnsw"),
        dir.path().join("packed.hnsw"),
    );
    index.save(&plain).unwrap();
    index.save_compressed(&packed).unwrap();
    let mapped = HnswIndex::open_mapped(&plain).unwrap();
    let mapped_packed = HnswIndex::open_mapped(&packed).unwrap();
    let loaded_packed = HnswIndex::load(&packed).unwrap();
    assert!(!mapped.is_compressed() && mapped_packed.is_compressed());
    assert_eq!((mapped.len(), mapped.deleted_count()), (300, 3));
    assert!(mapped_packed.is_deleted(77) && !mapped_packed.is_deleted(78));
    mapped_packed.populate().unwrap();
    assert_eq!(mapped.stats(), index.stats());
    assert_eq!(mapped_packed.stats(), index.stats());
    assert_eq!(loaded_packed.stats(), index.stats());
    let sizes = (
        std::fs::metadata(&plain).unwrap().len(),
        std::fs::metadata(&packed).unwrap().len(),
    );
    assert!(
        sizes.1 * 10 < sizes.0 * 7,
        "compressed {} vs plain {} bytes",
        sizes.1,
        sizes.0
    );

    let even = |p: u32| p.is_multiple_of(2);
    let filter: &dyn PointFilter = &even;
    let mut ctx = SearchContext::new();
    for q in 0..60u32 {
        let s = DenseQueryScorer::new(&data, Distance::Euclid, data.vector(q)).unwrap();
        let mut runs: Vec<Vec<Vec<sextant_core::ScoredPoint>>> = Vec::new();
        for which in 0..4 {
            let plain = SearchRequest::new(10).ef(40);
            let filtered = plain.filter(filter);
            let acorn = filtered.mode(SearchMode::Acorn);
            let planned = filtered.estimate(Cardinality::exact(150));
            let mut results = vec![Vec::new(); 4];
            macro_rules! all {
                ($ix:expr) => {{
                    results[0] = $ix.search(&s, &plain, &mut ctx).unwrap().to_vec();
                    results[1] = $ix.search(&s, &filtered, &mut ctx).unwrap().to_vec();
                    results[2] = $ix.search(&s, &acorn, &mut ctx).unwrap().to_vec();
                    results[3] = $ix.search(&s, &planned, &mut ctx).unwrap().to_vec();
                }};
            }
            match which {
                0 => all!(index),
                1 => all!(mapped),
                2 => all!(mapped_packed),
                _ => all!(loaded_packed),
            }
            runs.push(results);
        }
        for r in &runs[1..] {
            assert_eq!(r, &runs[0], "query {q}");
        }
        assert!(runs[0][0].iter().all(|p| !index.is_deleted(p.offset)));
    }
}

#[test]
fn a_compressed_list_pointing_past_the_graph_is_an_error() {
    let (_, index) = small_index();
    let mut bytes = index.to_bytes_compressed();
    // First compressed list: after header, levels, deleted words and 301 u32 offsets; its
    // first link is at bytes 3..7 of the list.
    let first = 56 + 300 + 8 * 5 + 4 * 301 + 3;
    bytes[first..first + 4].copy_from_slice(&299u32.to_le_bytes());
    bytes.truncate(bytes.len() - 4);
    sextant_mmap_advice::header::seal(&mut bytes);
    assert!(matches!(
        HnswIndex::from_bytes(&bytes),
        Err(Error::Corrupt { .. })
    ));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("g"), &bytes).unwrap();
    assert!(matches!(
        HnswIndex::open_mapped(dir.path().join("g")),
        Err(Error::Corrupt { .. })
    ));
}

#[test]
fn a_missing_file_is_told_apart_from_a_damaged_one() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.hnsw");
    for err in [
        HnswIndex::load(&missing).unwrap_err(),
        HnswIndex::open_mapped(&missing).unwrap_err(),
    ] {
        assert!(err.is_not_found(), "{err}");
    }
    let damaged = dir.path().join("damaged.hnsw");
    std::fs::write(
        &damaged,
        b"not a graph file at all, but long enough to have a header....",
    )
    .unwrap();
    for err in [
        HnswIndex::load(&damaged).unwrap_err(),
        HnswIndex::open_mapped(&damaged).unwrap_err(),
    ] {
        assert!(!err.is_not_found(), "{err}");
        assert!(
            matches!(&err, Error::Corrupt { path: Some(p), .. } if p == &damaged),
            "{err}"
        );
        assert!(err.to_string().contains("damaged.hnsw"), "{err}");
    }
}
