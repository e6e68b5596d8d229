//! Scalar codes on principal components on the bundled real dataset: recall floors raw and
//! after rescoring at 8x and 16x, the file format, pairs, and bad input.

use sextant_core::{DenseVectorSource, DenseVectors, Distance};
use sextant_quantization::{EncodedVectors, Error, QuantizationConfig, ScalarPca};

mod common;

#[test]
fn recall_on_minilm() {
    for (bits, bytes, floors) in FLOORS {
        let (recall, got) = common::minilm_recalls(
            |base, d| {
                let codes = ScalarPca::train(base, d, bits, 7, 2).unwrap();
                eprintln!(
                    "{bits} bits: (8-bit, 4-bit) components kept {:?}",
                    codes.kept()
                );
                codes
            },
            &[1, 2, 4],
        );
        assert_eq!(got, bytes);
        eprintln!(
            "PCA scalar, {bits} bits per dimension, on minilm-pypi-20k: recall@10 R=1 {:.4}, R=2 {:.4}, R=4 {:.4}",
            recall[0], recall[1], recall[2]
        );
        assert!(
            recall.iter().zip(floors).all(|(r, f)| *r >= f),
            "{bits} bits: {recall:?} under {floors:?}"
        );
    }
}

/// A little under what was measured here (300 queries, seed 7; R=1 is the raw top 10):
/// 4 bits 0.960 / 1.0 / 1.0, 2 bits 0.843 / 0.978 / 0.997. For scale, the other 8x codecs
/// measured 0.950 (pq192) and 0.934 (sq4d) raw.
const FLOORS: [(u32, usize, [f64; 3]); 2] =
    [(4, 192, [0.945, 0.995, 0.995]), (2, 96, [0.83, 0.97, 0.99])];

/// Euclid with an odd dimension, so records carry the decoded squared norm, and one wide
/// direction, so the budget keeps both an 8-bit and a 4-bit group.
fn small() -> ScalarPca {
    let noise = sextant_datasets::gaussian(40, 9, 3).unwrap();
    let mut data = DenseVectors::new(9).unwrap();
    for p in 0..40 {
        let mut v = noise.vector(p).to_vec();
        v[0] *= 20.0;
        data.push(&v).unwrap();
    }
    ScalarPca::train(&data, Distance::Euclid, 3, 5, 1).unwrap()
}

#[test]
fn save_load_round_trip_golden_file_and_damage() {
    let codes = small();
    let (n8, n4) = codes.kept();
    assert!(n8 > 0 && n4 > 0, "{n8} {n4}");
    assert_eq!(8 * n8 + 4 * n4, 24);
    common::assert_file_round_trip(
        &codes,
        "small.pca",
        ScalarPca::to_bytes,
        ScalarPca::from_bytes,
    );
    assert_eq!(codes.bytes_per_vector(), n8 + n4.div_ceil(2) + 4);
}

#[test]
fn pairs_rank_like_the_floats() {
    // On a small real sample: the nearest stored neighbour by pair score is, most of the
    // time, the nearest by float score (96 of 100 measured).
    let ds = common::minilm();
    let base = ds.base_prepared().unwrap();
    let codes = ScalarPca::train(&base, ds.distance(), 4, 3, 2).unwrap();
    let agree = common::nearest_neighbour_agreement(&base, &codes.pair_scorer());
    eprintln!("PCA scalar pairs: nearest neighbour agrees with floats for {agree} of 100");
    assert!(agree >= 85, "{agree} of 100");
}

#[test]
fn bad_input_is_an_error() {
    let data = sextant_datasets::gaussian(20, 5, 1).unwrap();
    let mut codes = ScalarPca::train(&data, Distance::Dot, 4, 1, 1).unwrap();
    common::assert_rejects_bad_vectors(&mut codes);
    for bits in [0, 9] {
        assert!(matches!(
            ScalarPca::train(&data, Distance::Dot, bits, 1, 1),
            Err(Error::Config(_))
        ));
        assert!(QuantizationConfig::ScalarPca { bits }.validate().is_err());
    }
    assert!(matches!(
        ScalarPca::train(&data, Distance::Manhattan, 4, 1, 1),
        Err(Error::Config(_))
    ));
    let empty = DenseVectors::<f32>::new(3).unwrap();
    assert!(matches!(
        ScalarPca::train(&empty, Distance::Dot, 4, 1, 1),
        Err(Error::EmptyTrainingSet)
    ));
    let mut bad = data.clone();
    bad.push(&[1.0, f32::INFINITY, 0.0, 0.0, 0.0]).unwrap();
    assert!(matches!(
        ScalarPca::train(&bad, Distance::Dot, 4, 1, 1),
        Err(Error::NonFinite { index: 1 })
    ));
    let config: QuantizationConfig =
        serde_json::from_str(r#"{"kind":"scalar_pca","bits":4}"#).unwrap();
    assert_eq!(config, QuantizationConfig::ScalarPca { bits: 4 });
}
