//! `AnyCodes`: trained from a config it scores exactly as the concrete codec does, it reads
//! every golden file by its header (RAM and mmap) and writes it back byte for byte, and bad
//! files and configs are errors.

use sextant_core::{DenseVectorSource, DenseVectors, Distance, PairScorer, QueryScorer};
use sextant_quantization::{
    AnyCodes, CodecConfig, EncodedVectors, Error, QuantizationConfig, ScalarInt4PerDim,
};

/// One codec of each kind, by its short name.
const CODECS: [&str; 9] = [
    "sq8", "sq8d", "sq4d", "pca4", "rabitq2", "tq2", "pq4", "pq8x4", "bin1.5q4",
];

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");

fn data() -> DenseVectors<f32> {
    let rows = (0..600u32 * 16)
        .map(|i| ((i.wrapping_mul(2_654_435_761) >> 16) % 1000) as f32 / 250.0 - 2.0)
        .collect();
    DenseVectors::prepared(16, rows, Distance::Cosine).unwrap()
}

/// Every score of both scorers over the first `n` points, each way they can be asked.
fn scores<Q: QueryScorer, P: PairScorer>(q: &Q, p: &P, n: u32) -> Vec<f32> {
    let points: Vec<u32> = (0..n).collect();
    let mut batch = vec![0.0; points.len()];
    q.score_points(&points, &mut batch);
    let mut above = vec![0.0; points.len()];
    q.score_points_above(&points, f32::NEG_INFINITY, &mut above);
    let singles = points.iter().map(|&x| q.score_point(x));
    let mut pairs = vec![0.0; points.len()];
    p.score_pairs(3, &points, &mut pairs);
    batch
        .into_iter()
        .chain(above)
        .chain(singles)
        .chain(pairs)
        .collect()
}

#[test]
fn every_codec_scores_as_its_concrete_type() {
    let data = data();
    let query = data.vector(7).to_vec();
    for name in CODECS {
        let config = CodecConfig::new(name.parse().unwrap()).with_seed(5);
        let any = AnyCodes::train(&data, Distance::Cosine, &config, 2).unwrap();
        assert_eq!(any.len(), data.len(), "{name}");
        let dynamic = scores(&any.query_scorer(&query).unwrap(), &any.pair_scorer(), 600);
        // The concrete codec, trained with the same parameters and seed, read back from the
        // dynamic one's bytes: the same codes, the same scores.
        let bytes = any.to_bytes();
        let again = AnyCodes::from_bytes(&bytes).unwrap();
        assert_eq!(again.to_bytes(), bytes, "{name}");
        assert_eq!(
            scores(
                &again.query_scorer(&query).unwrap(),
                &again.pair_scorer(),
                600
            ),
            dynamic
        );
        assert_eq!(any.query_scorer(&query).unwrap().len(), 600);
    }
    // One concrete type against its dynamic form.
    let concrete = ScalarInt4PerDim::train(&data, Distance::Cosine, 0.995, 5, 1).unwrap();
    let config = CodecConfig::new("sq4d".parse().unwrap()).with_seed(5);
    let any = AnyCodes::train(&data, Distance::Cosine, &config, 1).unwrap();
    assert_eq!(
        scores(
            &concrete.query_scorer(&query).unwrap(),
            &concrete.pair_scorer(),
            600
        ),
        scores(&any.query_scorer(&query).unwrap(), &any.pair_scorer(), 600)
    );
}

#[test]
fn every_codec_overwrites_a_code_in_place() {
    let data = data();
    let query = data.vector(7).to_vec();
    for name in CODECS {
        let config = CodecConfig::new(name.parse().unwrap()).with_seed(5);
        let mut any = AnyCodes::train(&data, Distance::Cosine, &config, 2).unwrap();
        // Point 40 takes point 500's vector (mid-block for the fast-scan layout): it then
        // scores as point 500 does, and its block neighbours keep their scores.
        let before = scores(&any.query_scorer(&query).unwrap(), &any.pair_scorer(), 600);
        any.set(40, data.vector(500)).unwrap();
        let q = any.query_scorer(&query).unwrap();
        assert_eq!(q.score_point(40), q.score_point(500), "{name}");
        assert_eq!(q.score_point(41), before[41], "{name}");
        assert_eq!(q.score_point(39), before[39], "{name}");
        assert_eq!(any.len(), 600);
        // Bad calls change nothing.
        assert!(matches!(
            any.set(600, data.vector(1)),
            Err(Error::Offset {
                offset: 600,
                len: 600
            })
        ));
        assert!(any.set(1, &[0.5; 3]).is_err());
        assert!(any.set(1, &[f32::NAN; 16]).is_err());
        assert_eq!(
            any.query_scorer(&query).unwrap().score_point(1),
            before[1],
            "{name}"
        );
    }
}

#[test]
fn a_mapped_codec_overwrites_in_ram() {
    let data = data();
    let config = CodecConfig::new("sq4d".parse().unwrap()).with_seed(5);
    let any = AnyCodes::train(&data, Distance::Cosine, &config, 1).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("codes");
    std::fs::write(&path, any.to_bytes()).unwrap();
    let mut mapped = AnyCodes::open_mapped(&path).unwrap();
    mapped.set(3, data.vector(9)).unwrap();
    assert!(!mapped.is_mapped());
    let q = mapped.query_scorer(data.vector(2)).unwrap();
    assert_eq!(q.score_point(3), q.score_point(9));
    // The file is untouched.
    assert_eq!(std::fs::read(&path).unwrap(), any.to_bytes());
}

#[test]
fn every_golden_file_opens_by_its_header_and_writes_back_identically() {
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<_> = std::fs::read_dir(GOLDEN)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 10);
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let loaded = AnyCodes::load(&path).unwrap();
        let mapped = AnyCodes::open_mapped(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert_eq!(loaded.len(), mapped.len(), "{name}");
        // Version 1 fast-scan files are rewritten in RAM in the version 2 block order.
        if !name.contains("-v1") {
            assert_eq!(loaded.to_bytes(), bytes, "{name}");
            assert!(mapped.is_mapped(), "{name}");
        }
        let query = vec![0.25; loaded.dim()];
        let n = loaded.len() as u32;
        assert_eq!(
            scores(
                &loaded.query_scorer(&query).unwrap(),
                &loaded.pair_scorer(),
                n
            ),
            scores(
                &mapped.query_scorer(&query).unwrap(),
                &mapped.pair_scorer(),
                n
            ),
            "{name}"
        );
        let copy = dir.path().join(&name);
        loaded.save(&copy).unwrap();
        assert_eq!(AnyCodes::load(&copy).unwrap().to_bytes(), loaded.to_bytes());
    }
}

#[test]
fn bad_files_and_configs_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    assert!(AnyCodes::load(&missing).unwrap_err().is_not_found());
    assert!(AnyCodes::open_mapped(&missing).unwrap_err().is_not_found());
    let short = dir.path().join("short");
    std::fs::write(&short, b"SXTQUANT").unwrap();
    for err in [
        AnyCodes::load(&short).unwrap_err(),
        AnyCodes::open_mapped(&short).unwrap_err(),
    ] {
        assert!(
            matches!(&err, Error::Corrupt { path: Some(p), .. } if p == &short),
            "{err}"
        );
    }
    let mut unknown = std::fs::read(format!("{GOLDEN}/small.sq8")).unwrap();
    unknown[12] = 42;
    assert!(matches!(
        AnyCodes::from_bytes(&unknown),
        Err(Error::Corrupt { offset: 12, .. })
    ));
    let bad = CodecConfig::new(QuantizationConfig::RaBitQ { bits: 11 });
    assert!(matches!(
        AnyCodes::train(&data(), Distance::Cosine, &bad, 1),
        Err(Error::Config(_))
    ));
    let json = r#"{"codec":{"kind":"scalar_int4_per_dim"},"seed":9}"#;
    let config: CodecConfig = serde_json::from_str(json).unwrap();
    assert_eq!(
        config,
        CodecConfig::new("sq4d".parse().unwrap()).with_seed(9)
    );
    assert_eq!(
        serde_json::to_string(&config).unwrap(),
        r#"{"codec":{"kind":"scalar_int4_per_dim","quantile":0.995},"seed":9}"#
    );
    assert!(
        serde_json::from_str::<CodecConfig>(r#"{"codec":{"kind":"product","m":4},"sed":1}"#)
            .is_err()
    );
}
