//! RaBitQ on the bundled real dataset: recall floors raw and after rescoring per bit width,
//! the error bound's coverage, bound-driven rescoring, and bad input.

use sextant_core::{DenseQueryScorer, DenseVectorSource, DenseVectors, Distance, QueryScorer};
use sextant_quantization::{EncodedVectors, Error, RaBitQ, rescore_with_bounds};

mod common;

#[test]
fn recall_on_minilm_per_bit_width() {
    for (bits, floors) in FLOORS {
        let (recall, bytes) = common::minilm_recalls(
            |base, d| RaBitQ::train(base, d, bits, 7, 2).unwrap(),
            &[1, 2, 4],
        );
        assert_eq!(bytes, bits as usize * 48 + 12);
        eprintln!(
            "rabitq {bits}-bit ({bytes} B) on minilm-pypi-20k: recall@10 R=1 {:.4}, R=2 {:.4}, R=4 {:.4}",
            recall[0], recall[1], recall[2]
        );
        assert!(
            recall.iter().zip(floors).all(|(r, f)| *r >= f),
            "{bits} bits: {recall:?} under {floors:?}"
        );
    }
}

/// A little under what was measured here (R=1 is the raw top 10).
/// Measured (300 queries, seed 7): 1 bit 0.690 / 0.881 / 0.963; 2 bits 0.836 / 0.980 / 0.999;
/// 3 bits 0.903 / 0.998 / 1.0; 4 bits 0.947 / 1.0 / 1.0; 8 bits 0.995 / 1.0 / 1.0.
const FLOORS: [(u32, [f64; 3]); 5] = [
    (1, [0.66, 0.85, 0.94]),
    (2, [0.81, 0.96, 0.99]),
    (3, [0.88, 0.99, 0.99]),
    (4, [0.92, 0.99, 0.99]),
    (8, [0.98, 0.99, 0.99]),
];

#[test]
fn error_bounds_hold_for_most_pairs() {
    let ds = common::minilm();
    let (base, queries, d) = (
        ds.base_prepared().unwrap(),
        ds.queries_prepared().unwrap(),
        ds.distance(),
    );
    for bits in [1, 2, 4, 8] {
        let codec = RaBitQ::train(&base, d, bits, 7, 2).unwrap();
        // Coverage at ε₀ = 1 scaled to each candidate ε₀ (the half-width is linear in ε₀).
        let epsilons = [1.9f32, RaBitQ::BOUND_EPSILON, 3.0];
        let (mut inside, mut total, mut width) = ([0usize; 3], 0usize, 0f64);
        for q in 0..50u32 {
            let scorer = codec
                .query_scorer(queries.vector(q))
                .unwrap()
                .with_epsilon(1.0);
            let exact = DenseQueryScorer::new(&base, d, queries.vector(q)).unwrap();
            for p in 0..base.len() as u32 {
                let e = scorer.estimate(p);
                let truth = exact.score_point(p);
                for (count, eps) in inside.iter_mut().zip(epsilons) {
                    let half = eps * (e.upper - e.score);
                    *count += usize::from((truth - e.score).abs() <= half);
                }
                width += f64::from(RaBitQ::BOUND_EPSILON * (e.upper - e.lower));
                total += 1;
            }
        }
        let share = inside.map(|c| c as f64 / total as f64);
        eprintln!(
            "rabitq {bits}-bit: true score inside the bound at eps {epsilons:?}: {share:.5?} of {total} pairs; mean width at the default {:.4}",
            width / total as f64
        );
        assert!(share[1] >= 0.99, "{bits} bits: {share:?}");
    }
}

#[test]
fn bound_driven_rescoring_fetches_few_originals() {
    let ds = common::minilm();
    let (base, queries, d) = (
        ds.base_prepared().unwrap(),
        ds.queries_prepared().unwrap(),
        ds.distance(),
    );
    let gt = ds.ground_truth().unwrap().unwrap();
    for (bits, max_fetched, min_recall) in BOUNDED {
        let codec = RaBitQ::train(&base, d, bits, 7, 2).unwrap();
        let (mut fetched, mut found) = (0usize, Vec::new());
        for q in 0..200u32 {
            let scorer = codec.query_scorer(queries.vector(q)).unwrap();
            let candidates: Vec<_> = (0..base.len() as u32)
                .map(|p| (p, scorer.estimate(p)))
                .collect();
            let exact = DenseQueryScorer::new(&base, d, queries.vector(q)).unwrap();
            let mut best = Vec::new();
            fetched += rescore_with_bounds(&candidates, &exact, 10, &mut best);
            found.push(best.iter().map(|c| c.offset).collect::<Vec<_>>());
        }
        let recall = sextant_datasets::mean_recall(&found, &gt, 10);
        let per_query = fetched as f64 / 200.0;
        eprintln!(
            "rabitq {bits}-bit, bound-driven rescoring over all 20k codes: recall@10 {recall:.4}, {per_query:.1} originals fetched per query"
        );
        assert!(recall >= min_recall, "{bits} bits: recall {recall}");
        assert!(per_query <= max_fetched, "{bits} bits: {per_query} fetched");
    }
}

/// (bits, most originals fetched per query, least recall@10): a little outside what was
/// measured here (1 bit: 130.3 fetched, recall 0.999; 4 bits: 14.3, 1.0; 8 bits: 10.4, 1.0).
const BOUNDED: [(u32, f64, f64); 3] = [(1, 160.0, 0.99), (4, 20.0, 0.995), (8, 14.0, 0.995)];

/// 70 dims, so the bit planes carry padding; 3 bits, so codes span planes unevenly.
fn small() -> RaBitQ {
    let data = sextant_datasets::gaussian(40, 70, 3).unwrap();
    RaBitQ::train(&data, Distance::Dot, 3, 5, 1).unwrap()
}

#[test]
fn save_load_round_trip_golden_file_and_damage() {
    let codes = small();
    common::assert_file_round_trip(&codes, "small.rbq", RaBitQ::to_bytes, RaBitQ::from_bytes);
    assert_eq!(codes.bytes_per_vector(), 3 * 16 + 12);
    // Another codec's reader names the codec field.
    assert!(matches!(
        sextant_quantization::ScalarInt8::from_bytes(&codes.to_bytes()),
        Err(Error::Corrupt { offset: 12, .. })
    ));
}

#[test]
fn bad_input_is_an_error() {
    let data = sextant_datasets::gaussian(20, 5, 1).unwrap();
    let mut codes = RaBitQ::train(&data, Distance::Euclid, 3, 1, 1).unwrap();
    common::assert_rejects_bad_vectors(&mut codes);
    for bits in [0, 9] {
        assert!(matches!(
            RaBitQ::train(&data, Distance::Dot, bits, 1, 1),
            Err(Error::Config(_))
        ));
    }
    assert!(matches!(
        RaBitQ::train(&data, Distance::Manhattan, 2, 1, 1),
        Err(Error::Config(_))
    ));
    let empty = DenseVectors::<f32>::new(3).unwrap();
    assert!(matches!(
        RaBitQ::train(&empty, Distance::Dot, 1, 1, 1),
        Err(Error::EmptyTrainingSet)
    ));
}
