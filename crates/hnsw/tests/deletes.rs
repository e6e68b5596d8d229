//! Deleting 30% of the points with online repair keeps recall on the rest close to a fresh
//! build over the rest; deleted slots can be reused.

use sextant_core::{
    DensePairScorer, DenseQueryScorer, DenseVectorSource, DenseVectors, QueryScorer, TopK,
};
use sextant_hnsw::SearchRequest;
use sextant_hnsw::{HnswConfig, HnswIndex, SearchContext};

mod common;

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[test]
fn recall_after_deleting_30_percent_stays_close_to_a_fresh_build() {
    let common::Minilm {
        base,
        queries,
        distance: d,
        ..
    } = common::minilm();
    let n = base.len() as u32;
    let pair = DensePairScorer::new(&base, d);
    let mut index = HnswIndex::build(base.len(), &pair, HnswConfig::default(), 2).unwrap();
    let doomed: Vec<u32> = (0..n)
        .filter(|&p| splitmix(p as u64 ^ 0xDE1) % 10 < 3)
        .collect();
    assert_eq!(index.delete(&doomed, &pair).unwrap(), doomed.len());
    let live: Vec<u32> = (0..n).filter(|&p| !index.is_deleted(p)).collect();

    // A fresh build over the survivors, with their own dense ids.
    let subset = DenseVectors::from_flat(
        base.dim(),
        live.iter().flat_map(|&p| base.vector(p).to_vec()).collect(),
    )
    .unwrap();
    let fresh = HnswIndex::build(
        subset.len(),
        &DensePairScorer::new(&subset, d),
        HnswConfig::default(),
        2,
    )
    .unwrap();

    let mut ctx = SearchContext::new();
    let mut out: Vec<sextant_core::ScoredPoint>;
    let (mut hits_repaired, mut hits_fresh, mut total) = (0, 0, 0);
    for q in 0..300u32 {
        let scorer = DenseQueryScorer::new(&base, d, queries.vector(q)).unwrap();
        let mut exact = TopK::new(10);
        live.iter().for_each(|&p| {
            exact.push(p, scorer.score_point(p));
        });
        let truth: Vec<u32> = exact.into_sorted_vec().iter().map(|p| p.offset).collect();
        total += truth.len();

        out = index
            .search(&scorer, &SearchRequest::new(10).ef(128), &mut ctx)
            .unwrap()
            .to_vec();
        assert!(
            out.iter().all(|p| !index.is_deleted(p.offset)),
            "deleted points are never returned"
        );
        hits_repaired += out.iter().filter(|p| truth.contains(&p.offset)).count();

        let sub_scorer = DenseQueryScorer::new(&subset, d, queries.vector(q)).unwrap();
        out = fresh
            .search(&sub_scorer, &SearchRequest::new(10).ef(128), &mut ctx)
            .unwrap()
            .to_vec();
        hits_fresh += out
            .iter()
            .filter(|p| truth.contains(&live[p.offset as usize]))
            .count();
    }
    let (repaired, fresh_recall) = (
        hits_repaired as f64 / total as f64,
        hits_fresh as f64 / total as f64,
    );
    eprintln!(
        "after deleting 30%: recall@10 {repaired:.4} (repaired) vs {fresh_recall:.4} (fresh build)"
    );
    assert!(repaired >= 0.95, "recall after deletes {repaired}");
    assert!(
        fresh_recall - repaired <= 0.02,
        "repaired {repaired} vs fresh {fresh_recall}"
    );
    let stats = index.stats();
    assert!(
        stats.unreachable <= doomed.len() + 50,
        "live nodes stay reachable: {stats:?}"
    );
}

#[test]
fn deleted_slots_can_be_reused() {
    let data = sextant_datasets::gaussian(500, 8, 3).unwrap();
    let pair = DensePairScorer::new(&data, sextant_core::Distance::Euclid);
    let mut index = HnswIndex::build(500, &pair, HnswConfig::with_m(8), 1).unwrap();
    let doomed: Vec<u32> = (0..500).step_by(3).collect();
    index.delete(&doomed, &pair).unwrap();
    assert_eq!(
        index.delete(&doomed, &pair).unwrap(),
        0,
        "deleting twice is a no-op"
    );
    let mut ctx = SearchContext::new();
    let mut out: Vec<sextant_core::ScoredPoint>;
    let q = DenseQueryScorer::new(&data, sextant_core::Distance::Euclid, data.vector(9)).unwrap();
    out = index
        .search(&q, &SearchRequest::new(5).ef(64), &mut ctx)
        .unwrap()
        .to_vec();
    assert!(out.iter().all(|p| p.offset != 9));
    assert!(index.reinsert(9, &pair, &mut ctx).unwrap());
    assert!(!index.reinsert(10, &pair, &mut ctx).unwrap(), "10 is live");
    out = index
        .search(&q, &SearchRequest::new(5).ef(64), &mut ctx)
        .unwrap()
        .to_vec();
    assert_eq!(out[0].offset, 9, "the reused slot is found again");
    assert_eq!(index.deleted_count(), doomed.len() - 1);
}

#[test]
fn an_exact_scan_over_a_bit_set_skips_deleted_points_and_bits_past_the_graph() {
    use sextant_core::BitSet;
    use sextant_hnsw::SearchMode;
    // 300 points: the last word of the graph is partial; the filter's set is longer.
    let data = sextant_datasets::gaussian(300, 8, 5).unwrap();
    let d = sextant_core::Distance::Euclid;
    let pair = DensePairScorer::new(&data, d);
    let mut index = HnswIndex::build(300, &pair, HnswConfig::with_m(8), 1).unwrap();
    let doomed: Vec<u32> = (0..300)
        .filter(|&p| splitmix(p as u64).is_multiple_of(4))
        .collect();
    index.delete(&doomed, &pair).unwrap();
    let mut allowed = BitSet::new(400);
    (0..400u32)
        .filter(|&p| !splitmix(p as u64 ^ 0xF1).is_multiple_of(3))
        .for_each(|p| {
            allowed.insert(p);
        });
    let mut ctx = SearchContext::new();
    for q in 0..20u32 {
        let scorer = DenseQueryScorer::new(&data, d, data.vector(q * 7)).unwrap();
        let mut exact = TopK::new(25);
        (0..300u32)
            .filter(|&p| allowed.contains(p) && !index.is_deleted(p))
            .for_each(|p| {
                exact.push(p, scorer.score_point(p));
            });
        let truth = exact.into_sorted_vec();
        let req = SearchRequest::new(25)
            .filter(&allowed)
            .mode(SearchMode::ExactScan);
        let found = index.search(&scorer, &req, &mut ctx).unwrap().to_vec();
        assert_eq!(found, truth, "query {q}");
    }
}
