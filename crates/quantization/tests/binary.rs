//! 1-bit codes with a 4-bit query on the bundled real dataset: recall floors raw and after
//! rescoring, and bad input.

use sextant_core::{
    DenseQueryScorer, DenseVectorSource, DenseVectors, Distance, QueryScorer, ScoredPoint, TopK,
};
use sextant_datasets::{Dataset, mean_recall};
use sextant_quantization::{Binary1, Error, rescore};

const MINILM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../datasets/minilm-pypi-20k"
);

#[test]
fn recall_on_minilm_raw_and_rescored() {
    let ds = Dataset::open(MINILM).unwrap();
    let (base, queries, d) = (
        ds.base_prepared().unwrap(),
        ds.queries_prepared().unwrap(),
        ds.distance(),
    );
    let gt = ds.ground_truth().unwrap().unwrap();
    let codes = Binary1::train(&base, d, 7, 2).unwrap();
    assert_eq!(codes.bytes_per_vector(), 384 / 8 + 16);
    let rs = [1usize, 2, 4, 10];
    let mut found: Vec<Vec<Vec<u32>>> = vec![Vec::new(); rs.len()];
    for q in 0..300u32 {
        let scorer = codes.query_scorer(queries.vector(q)).unwrap();
        let mut top = TopK::new(100);
        for p in 0..base.len() as u32 {
            top.push(p, scorer.score_point(p));
        }
        let candidates: Vec<ScoredPoint> = top.into_sorted_vec();
        let exact = DenseQueryScorer::new(&base, d, queries.vector(q)).unwrap();
        for (i, &r) in rs.iter().enumerate() {
            let mut best = Vec::new();
            rescore(&candidates[..10 * r], &exact, 10, &mut best);
            found[i].push(best.iter().map(|c| c.offset).collect());
        }
    }
    let recall: Vec<f64> = found.iter().map(|f| mean_recall(f, &gt, 10)).collect();
    eprintln!(
        "binary 1-bit / 4-bit query on minilm-pypi-20k: recall@10 after rescoring R=1 {:.4}, R=2 {:.4}, R=4 {:.4}, R=10 {:.4}",
        recall[0], recall[1], recall[2], recall[3]
    );
    assert!(
        recall[0] >= FLOORS[0]
            && recall[1] >= FLOORS[1]
            && recall[2] >= FLOORS[2]
            && recall[3] >= FLOORS[3],
        "{recall:?}"
    );
}

/// A little under what was measured here: 0.622 (R=1, the raw top 10), 0.812, 0.925, 0.983.
const FLOORS: [f64; 4] = [0.59, 0.78, 0.90, 0.97];

#[test]
fn bad_input_is_an_error() {
    let data = sextant_datasets::gaussian(20, 5, 1).unwrap();
    let mut codes = Binary1::train(&data, Distance::Euclid, 1, 1).unwrap();
    assert!(matches!(
        codes.push(&[0.0; 4]),
        Err(Error::Dimension {
            expected: 5,
            got: 4
        })
    ));
    assert!(matches!(
        codes.query_scorer(&[0.0, 0.0, f32::NAN, 0.0, 0.0]),
        Err(Error::NonFinite { index: 2 })
    ));
    assert_eq!(codes.push(&[0.1; 5]).unwrap(), 20);
    let empty = DenseVectors::<f32>::new(3).unwrap();
    assert!(matches!(
        Binary1::train(&empty, Distance::Dot, 1, 1),
        Err(Error::EmptyTrainingSet)
    ));
}
