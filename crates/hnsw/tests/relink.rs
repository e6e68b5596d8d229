//! `relink`: points whose vectors changed are found at their new places once relinked, as
//! often as freshly inserted points are, and naming a point the index lacks is an error.

use sextant_core::{DensePairScorer, DenseQueryScorer, DenseVectorSource, DenseVectors, Distance};
use sextant_hnsw::{Error, HnswConfig, HnswIndex, SearchContext, SearchRequest};

#[test]
fn moved_points_are_found_at_their_new_places() {
    let n = 2_000;
    let mut data = sextant_datasets::gaussian(n, 16, 3).unwrap();
    let moved_to = sextant_datasets::gaussian(100, 16, 9).unwrap();
    let config = HnswConfig::with_m(8);
    let mut index = {
        let pair = DensePairScorer::new(&data, Distance::Euclid);
        HnswIndex::build(n, &pair, config, 1).unwrap()
    };
    // Every 20th point moves: its old links point at its old neighbourhood.
    let moved: Vec<u32> = (0..100u32).map(|i| i * 20 + 1).collect();
    for (i, &p) in moved.iter().enumerate() {
        data.set_prepared(p, moved_to.vector(i as u32)).unwrap();
    }
    let found_moved = |index: &HnswIndex, data: &DenseVectors<f32>| {
        let mut ctx = SearchContext::new();
        moved
            .iter()
            .filter(|&&p| {
                let q = DenseQueryScorer::new(data, Distance::Euclid, data.vector(p)).unwrap();
                let top = index
                    .search(&q, &SearchRequest::new(1).ef(32), &mut ctx)
                    .unwrap()
                    .to_vec();
                top.first().is_some_and(|t| t.offset == p)
            })
            .count()
    };
    let pair = DensePairScorer::new(&data, Distance::Euclid);
    let before = found_moved(&index, &data);
    let mut ctx = SearchContext::new();
    for &p in &moved {
        index.relink(&pair, p, &mut ctx).unwrap();
    }
    let after = found_moved(&index, &data);
    assert!(
        after >= 98,
        "{after} of 100 moved points found after relinking ({before} before)"
    );
    assert!(after > before);
    assert!(matches!(
        index.relink(&pair, n as u32, &mut ctx),
        Err(Error::NoPoint {
            point: 2000,
            len: 2000
        })
    ));
}
