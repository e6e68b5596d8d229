//! Searches tell the scorer below which score a point will be dropped
//! (`QueryScorer::score_points_above`): a scorer that then writes junk below the floor for
//! every such point must leave every search's results unchanged.

use proptest::prelude::*;
use sextant_core::{
    BitSet, DensePairScorer, DenseQueryScorer, DenseVectorSource, Distance, PointOffset,
    QueryScorer, ScoreType, ScoredPoint,
};
use sextant_hnsw::{HnswConfig, HnswIndex, SearchContext};
use sextant_hnsw::{SearchMode, SearchRequest};
use std::cell::Cell;

/// Exact scores, except that every point below the floor gets a value further below it (as
/// a scorer that stops early would), counting how many.
struct Pruning<S> {
    exact: S,
    pruned: Cell<usize>,
}

impl<S: QueryScorer> QueryScorer for Pruning<S> {
    fn len(&self) -> usize {
        self.exact.len()
    }

    fn score_point(&self, p: PointOffset) -> ScoreType {
        self.exact.score_point(p)
    }

    fn score_points_above(
        &self,
        points: &[PointOffset],
        floor: ScoreType,
        scores: &mut [ScoreType],
    ) {
        self.exact.score_points(points, scores);
        for s in scores.iter_mut().filter(|s| **s < floor) {
            *s = if self.pruned.get().is_multiple_of(2) {
                floor - 1.0
            } else {
                ScoreType::NEG_INFINITY
            };
            self.pruned.set(self.pruned.get() + 1);
        }
    }
}

fn bits(len: usize, points: impl Iterator<Item = u32>) -> BitSet {
    let mut b = BitSet::new(len);
    points.for_each(|p| {
        b.insert(p);
    });
    b
}

/// Every search kind, in order: unfiltered, filtered, ACORN, exact scan.
fn all_searches<S: QueryScorer>(
    index: &HnswIndex,
    scorer: &S,
    k: usize,
    ef: usize,
    allowed: &BitSet,
    ctx: &mut SearchContext,
) -> Vec<Vec<ScoredPoint>> {
    let request = SearchRequest::new(k).ef(ef);
    let filtered = request.filter(allowed);
    vec![
        index.search(scorer, &request, ctx).unwrap().to_vec(),
        index.search(scorer, &filtered, ctx).unwrap().to_vec(),
        index
            .search(scorer, &filtered.mode(SearchMode::Acorn), ctx)
            .unwrap()
            .to_vec(),
        index
            .search(scorer, &filtered.mode(SearchMode::ExactScan), ctx)
            .unwrap()
            .to_vec(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(30))]

    #[test]
    fn scores_below_the_floor_never_change_results(
        n in 1usize..400,
        dim in 1usize..10,
        seed in any::<u64>(),
        k in 1usize..15,
        ef in 1usize..60,
        modulus in 1u32..4,
    ) {
        let data = sextant_datasets::gaussian(n + 1, dim, seed).unwrap();
        let pair = DensePairScorer::new(&data, Distance::Euclid);
        let index = HnswIndex::build(n, &pair, HnswConfig::with_m(4), 1).unwrap();
        let allowed = bits(n, (0..n as u32).filter(|p| p % modulus == 0));
        let mut ctx = SearchContext::new();
        let query = data.vector(n as u32);
        let exact = DenseQueryScorer::new(&data, Distance::Euclid, query).unwrap();
        let pruning = Pruning { exact: DenseQueryScorer::new(&data, Distance::Euclid, query).unwrap(), pruned: Cell::new(0) };
        let want = all_searches(&index, &exact, k, ef, &allowed, &mut ctx);
        let got = all_searches(&index, &pruning, k, ef, &allowed, &mut ctx);
        prop_assert_eq!(got, want);
    }
}

#[test]
fn large_searches_do_get_a_floor() {
    let data = sextant_datasets::gaussian(2001, 8, 7).unwrap();
    let pair = DensePairScorer::new(&data, Distance::Euclid);
    let index = HnswIndex::build(2000, &pair, HnswConfig::default(), 2).unwrap();
    let allowed = bits(2000, 0..1000);
    let query = data.vector(2000);
    let pruning = Pruning {
        exact: DenseQueryScorer::new(&data, Distance::Euclid, query).unwrap(),
        pruned: Cell::new(0),
    };
    let mut ctx = SearchContext::new();
    let mut before = 0;
    // Unfiltered, filtered, ACORN, exact scan: each must pass floors for some batches.
    let request = SearchRequest::new(10).ef(32);
    let filtered = request.filter(&allowed);
    for kind in 0..4 {
        let out = match kind {
            0 => index.search(&pruning, &request, &mut ctx),
            1 => index.search(&pruning, &filtered, &mut ctx),
            2 => index.search(&pruning, &filtered.mode(SearchMode::Acorn), &mut ctx),
            _ => index.search(&pruning, &filtered.mode(SearchMode::ExactScan), &mut ctx),
        }
        .unwrap();
        assert_eq!(out.len(), 10);
        assert!(
            pruning.pruned.get() > before,
            "search kind {kind} passed no floor"
        );
        before = pruning.pruned.get();
    }
}
