//! The bundled real dataset and the recall measurement both codec tests use.

use sextant_core::{
    DenseQueryScorer, DenseVectorSource, DenseVectors, Distance, PairScorer, QueryScorer,
    ScoredPoint, TopK,
};
use sextant_datasets::{Dataset, mean_recall};
use sextant_quantization::{EncodedVectors, rescore};

const MINILM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../datasets/minilm-pypi-20k"
);

/// The bundled dataset.
#[allow(dead_code)] // not every test binary uses it
pub fn minilm() -> Dataset {
    Dataset::open(MINILM).unwrap()
}

/// recall@10 over 300 queries of a brute-force scan over the codes `train` builds from the
/// bundled minilm-pypi-20k, after rescoring the top 10·R for each R in `rs` (R=1: the raw
/// top 10), and the codes' bytes per vector.
pub fn minilm_recalls<C: EncodedVectors>(
    train: impl FnOnce(&DenseVectors<f32>, Distance) -> C,
    rs: &[usize],
) -> (Vec<f64>, usize) {
    let ds = minilm();
    let (base, queries, d) = (
        ds.base_prepared().unwrap(),
        ds.queries_prepared().unwrap(),
        ds.distance(),
    );
    let gt = ds.ground_truth().unwrap().unwrap();
    let codes = train(&base, d);
    assert_eq!(codes.len(), base.len());
    let widest = 10 * rs.iter().copied().max().unwrap_or(1);
    let mut found: Vec<Vec<Vec<u32>>> = vec![Vec::new(); rs.len()];
    for q in 0..300u32 {
        let scorer = codes.query_scorer(queries.vector(q)).unwrap();
        let mut top = TopK::new(widest);
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
    (
        found.iter().map(|f| mean_recall(f, &gt, 10)).collect(),
        codes.bytes_per_vector(),
    )
}

/// Of the first 100 vectors of `base` (prepared minilm-pypi-20k, Cosine), how many have the
/// same nearest neighbour among the first 2,000 by `pairs` (stored codes against each other)
/// as by the float vectors.
#[allow(dead_code)] // not every test binary uses it
pub fn nearest_neighbour_agreement(base: &DenseVectors<f32>, pairs: &impl PairScorer) -> u32 {
    let kernels = sextant_core::Kernels::best();
    let mut agree = 0;
    for a in 0..100u32 {
        let best = |score: &dyn Fn(u32) -> f32| {
            (0..2000u32)
                .filter(|&b| b != a)
                .max_by(|&x, &y| score(x).total_cmp(&score(y)))
                .unwrap()
        };
        let by_codes = best(&|b| pairs.score_pair(a, b));
        let by_floats = best(&|b| (kernels.float.dot_f32)(base.vector(a), base.vector(b)));
        agree += u32::from(by_codes == by_floats);
    }
    agree
}

/// Every cut of `bytes` is `Error::Corrupt` and every flipped bit (every third byte) an error:
/// the file check of a codec's `from_bytes`.
#[allow(dead_code)] // not every test binary uses it
pub fn assert_damage_is_detected<T>(
    bytes: &[u8],
    parse: impl Fn(&[u8]) -> Result<T, sextant_quantization::Error>,
) {
    for cut in (0..bytes.len()).step_by(5) {
        assert!(
            matches!(
                parse(&bytes[..cut]),
                Err(sextant_quantization::Error::Corrupt { .. })
            ),
            "cut {cut}"
        );
    }
    for at in (0..bytes.len()).step_by(3) {
        let mut b = bytes.to_vec();
        b[at] ^= 0x04;
        assert!(parse(&b).is_err(), "flip at {at}");
    }
}

/// Compares `bytes` with the golden file `name` (rewritten first under `SEXTANT_BLESS=1`)
/// and returns the golden bytes.
#[allow(dead_code)] // not every test binary uses it
pub fn golden(name: &str, bytes: &[u8]) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("SEXTANT_BLESS").is_some() {
        std::fs::write(&path, bytes).unwrap();
    }
    let golden = std::fs::read(&path).unwrap();
    assert_eq!(golden, bytes, "{name}: format changed: bless deliberately");
    golden
}

/// Checks what every codec must refuse once trained on `len` vectors of `dim ≥ 2` dims: a
/// vector of the wrong length and a query holding NaN; then a good vector lands at `len`.
#[allow(dead_code)] // not every test binary uses it
pub fn assert_rejects_bad_vectors<C: EncodedVectors>(codes: &mut C) {
    use sextant_quantization::Error;
    let (dim, len) = (codes.dim(), codes.len());
    assert!(matches!(
        codes.push(&vec![0.0; dim - 1]),
        Err(Error::Dimension { expected, got }) if expected == dim && got == dim - 1
    ));
    let mut query = vec![0.0; dim];
    query[1] = f32::NAN;
    assert!(matches!(
        codes.query_scorer(&query),
        Err(Error::NonFinite { index: 1 })
    ));
    assert_eq!(codes.push(&vec![0.1; dim]).unwrap() as usize, len);
}

/// Save / load and save / open mapped (the `EncodedVectors` file operations) give the same
/// codes and the same scores (and the mapped codes grow like the others); the bytes
/// (`to_bytes`) match the golden file `golden_name`; every cut or flip of them is refused by
/// `from_bytes`.
#[allow(dead_code)] // not every test binary uses it
pub fn assert_file_round_trip<C>(
    codes: &C,
    golden_name: &str,
    to_bytes: fn(&C) -> Vec<u8>,
    from_bytes: fn(&[u8]) -> Result<C, sextant_quantization::Error>,
) where
    C: EncodedVectors + PartialEq + Clone + std::fmt::Debug,
{
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(golden_name);
    codes.save(&path).unwrap();
    let loaded = C::load(&path).unwrap();
    assert_eq!(&loaded, codes);
    let mut mapped = C::open_mapped(&path).unwrap();
    assert_eq!(&mapped, codes);
    let query = vec![0.3f32; codes.dim()];
    {
        let (a, b, c) = (
            codes.query_scorer(&query).unwrap(),
            loaded.query_scorer(&query).unwrap(),
            mapped.query_scorer(&query).unwrap(),
        );
        for p in 0..codes.len() as u32 {
            assert_eq!(a.score_point(p), b.score_point(p));
            assert_eq!(a.score_point(p), c.score_point(p));
        }
    }
    let (mut grown, v) = (codes.clone(), vec![0.2f32; codes.dim()]);
    assert_eq!(mapped.push(&v).unwrap(), grown.push(&v).unwrap());
    assert_eq!(mapped, grown);
    let bytes = golden(golden_name, &to_bytes(codes));
    assert_eq!(&from_bytes(&bytes).unwrap(), codes);
    // Format version 2 changed only the fast-scan block order (tests/fast_scan.rs reads a
    // real version 1 file); every other codec reads its version 1 bytes as the same codec.
    if !golden_name.ends_with(".pqfs") {
        let mut v1 = bytes.clone();
        v1[8..12].copy_from_slice(&1u32.to_le_bytes());
        v1.truncate(v1.len() - 4);
        sextant_mmap_advice::header::seal(&mut v1);
        assert_eq!(
            &from_bytes(&v1).unwrap(),
            codes,
            "{golden_name} as version 1"
        );
    }
    assert_damage_is_detected(&bytes, from_bytes);
}
