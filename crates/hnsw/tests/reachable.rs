//! Every point is reachable from the entry after a build, even where the neighbour heuristic
//! strands many (vectors repeated many times, short lists, parallel inserts), and a search
//! finds every copy of a repeated vector.

use sextant_core::{DensePairScorer, DenseQueryScorer, DenseVectorSource, DenseVectors, Distance};
use sextant_hnsw::{HnswConfig, HnswIndex, SearchContext, SearchRequest};

/// `distinct` random 8-d vectors, each repeated `copies` times (copies of one far apart).
fn duplicated(distinct: usize, copies: usize) -> DenseVectors<f32> {
    let base = sextant_datasets::gaussian(distinct, 8, 5).unwrap();
    let rows: Vec<f32> = (0..distinct * copies)
        .flat_map(|i| base.vector((i % distinct) as u32).to_vec())
        .collect();
    DenseVectors::from_flat(8, rows).unwrap()
}

#[test]
fn every_point_is_reachable_after_a_build() {
    for (distinct, copies, threads) in [(60, 20, 1), (60, 20, 2), (200, 3, 1), (500, 3, 2)] {
        let data = duplicated(distinct, copies);
        let n = data.len();
        let pair = DensePairScorer::new(&data, Distance::Euclid);
        let mut config = HnswConfig::with_m(4);
        config.ef_construction = 16;
        let index = HnswIndex::build(n, &pair, config, threads).unwrap();
        assert_eq!(index.stats().unreachable, 0, "{distinct} x {copies}");
        if copies > 2 * config.m {
            // More copies than a list holds link only each other (hnswlib's graphs too): a
            // search that starts among them does not leave them.
            continue;
        }
        // A list as long as the index finds every copy of a vector (they tie).
        let mut ctx = SearchContext::new();
        let q = DenseQueryScorer::new(&data, Distance::Euclid, data.vector(7)).unwrap();
        let found = index
            .search(&q, &SearchRequest::new(copies).ef(n), &mut ctx)
            .unwrap()
            .to_vec();
        let twins = found
            .iter()
            .filter(|p| p.offset as usize % distinct == 7)
            .count();
        assert_eq!(twins, copies, "{distinct} x {copies}");
    }
}
