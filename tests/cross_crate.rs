//! Cross-crate checks through the facade: the core traits, the kernels and the datasets crate
//! agree with each other on real and synthetic data.

use half::f16;
use sextant::core::{
    BitSet, DenseQueryScorer, DenseVectorSource, DenseVectors, Distance, PointFilter, QueryScorer,
    TopK, VisitedPool,
};
use sextant_datasets::{Dataset, GroundTruth, clustered, exact_search, ground_truth, mean_recall};

/// Brute force written against the core traits only (what an index crate would do).
fn trait_search(
    scorer: &impl QueryScorer,
    n: usize,
    k: usize,
    filter: &impl PointFilter,
) -> Vec<u32> {
    let mut top = TopK::new(k);
    let pool = VisitedPool::new();
    let mut visited = pool.get(n);
    for p in 0..n as u32 {
        if visited.visit(p) && filter.allows(p) {
            top.push(p, scorer.score_point(p));
        }
    }
    top.into_sorted_vec().iter().map(|s| s.offset).collect()
}

#[test]
fn trait_scorers_agree_with_the_datasets_brute_force() {
    for distance in Distance::ALL {
        let mut base = clustered(3_000, 48, 30, 0.3, 11).unwrap();
        base.prepare(distance).unwrap();
        let queries = clustered(20, 48, 30, 0.3, 12).unwrap();
        for q in 0..queries.len() as u32 {
            let raw = queries.vector(q);
            let scorer = DenseQueryScorer::new(&base, distance, raw).unwrap();
            let ours = trait_search(&scorer, base.len(), 10, &|_| true);
            let reference: Vec<u32> = exact_search(&base, scorer.query(), 10, distance)
                .iter()
                .map(|p| p.offset)
                .collect();
            assert_eq!(ours, reference, "{distance} query {q}");
        }
    }
}

#[test]
fn filtered_brute_force_returns_only_allowed_points() {
    let mut base = clustered(2_000, 16, 10, 0.5, 3).unwrap();
    base.prepare(Distance::Euclid).unwrap();
    let mut allowed = BitSet::new(base.len());
    (0..base.len() as u32).filter(|p| p % 7 == 0).for_each(|p| {
        allowed.insert(p);
    });
    let scorer = DenseQueryScorer::new(&base, Distance::Euclid, base.vector(5)).unwrap();
    let found = trait_search(&scorer, base.len(), 25, &allowed);
    assert_eq!(found.len(), 25);
    assert!(found.iter().all(|p| p % 7 == 0));
}

/// f16 storage halves the bytes; on the bundled real data it must keep recall@10 near 1.
#[test]
fn f16_storage_keeps_recall_on_minilm() {
    let ds = Dataset::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/datasets/minilm-pypi-20k"
    ))
    .unwrap();
    let base = ds.base_prepared().unwrap();
    let queries = ds.queries_prepared().unwrap();
    let gt = ds.ground_truth().unwrap().unwrap();
    let half: Vec<f16> = base.as_flat().iter().map(|&x| f16::from_f32(x)).collect();
    let half = DenseVectors::from_flat(base.dim(), half).unwrap();
    let found: Vec<Vec<u32>> = (0..200u32)
        .map(|q| {
            let scorer = DenseQueryScorer::new(&half, ds.distance(), queries.vector(q)).unwrap();
            trait_search(&scorer, half.len(), 10, &|_| true)
        })
        .collect();
    let truth = GroundTruth::from_results(
        &ground_truth(
            &base,
            &DenseVectors::from_flat(384, queries.as_flat()[..200 * 384].to_vec()).unwrap(),
            10,
            ds.distance(),
            2,
            &|_| {},
        )
        .unwrap(),
        10,
    )
    .unwrap();
    let recall = mean_recall(&found, &truth, 10);
    assert!(recall >= 0.99, "f16 recall@10 {recall}");
    assert!(mean_recall(&found, &gt, 10) >= 0.99);
}
