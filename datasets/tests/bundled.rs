//! The bundled real dataset: it opens, its ground truth is exact, and our brute force agrees.

use sextant_core::DenseVectorSource;
use sextant_datasets::{Dataset, exact_search, ground_truth, recall_at_k, recall_at_k_with_ties};
use std::path::PathBuf;

fn minilm() -> Dataset {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("minilm-pypi-20k");
    Dataset::open(dir).expect("bundled dataset opens")
}

#[test]
fn minilm_opens_with_consistent_meta_and_ground_truth() {
    let ds = minilm();
    assert_eq!(ds.meta().name, "minilm-pypi-20k");
    assert_eq!((ds.base().len(), ds.base().dim()), (20_000, 384));
    assert_eq!(ds.queries().len(), 1_000);
    let gt = ds.ground_truth().unwrap().expect("ground truth bundled");
    assert_eq!((gt.len(), gt.k()), (1_000, 100));
    let scores = gt.scores(0).expect("scores bundled");
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "cosine scores descend"
    );
}

#[test]
fn brute_force_reproduces_the_bundled_ground_truth() {
    let ds = minilm();
    let base = ds.base_prepared().unwrap();
    let queries = ds.queries_prepared().unwrap();
    let gt = ds.ground_truth().unwrap().unwrap();
    // The file was computed in float64; ours in float32, so near-ties may swap: count ties.
    let ours = ground_truth(&base, &queries, 100, ds.distance(), 2, &|_| {}).unwrap();
    let (mut strict, mut tied) = (0.0, 0.0);
    for (q, row) in ours.iter().enumerate() {
        let ids: Vec<u32> = row.iter().map(|p| p.offset).collect();
        strict += recall_at_k(&ids, gt.ids(q), 100);
        tied += recall_at_k_with_ties(row, gt.ids(q), gt.scores(q).unwrap(), 100, 1e-5);
        if q < 50 {
            let single = exact_search(&base, queries.vector(q as u32), 10, ds.distance());
            assert_eq!(single.as_slice(), &row[..10], "query {q}");
        }
    }
    let n = ours.len() as f64;
    assert!(strict / n > 0.999, "strict recall@100 {}", strict / n);
    assert_eq!(tied / n, 1.0, "recall@100 counting float ties");
}

#[test]
fn a_float16_base_reads_like_its_fvecs() {
    // The larger shared sets ship base.f16.npy instead of base.fvecs: copy the bundled set's
    // first 300 rows both ways (rounded to f16) and compare what the two folders give.
    let ds = minilm();
    let dir = tempfile::tempdir().unwrap();
    let (f16_dir, f32_dir) = (dir.path().join("f16"), dir.path().join("f32"));
    let rows: Vec<half::f16> = (0..300)
        .flat_map(|i| ds.base().row(i).iter().map(|&x| half::f16::from_f32(x)))
        .collect();
    let rows = sextant_core::DenseVectors::from_flat(384, rows).unwrap();
    let widened: Vec<Vec<f32>> = rows
        .iter()
        .map(|r| r.iter().map(|x| x.to_f32()).collect())
        .collect();
    for d in [&f16_dir, &f32_dir] {
        std::fs::create_dir(d).unwrap();
        let mut meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(ds.dir().join("meta.json")).unwrap())
                .unwrap();
        meta["n_base"] = 300.into();
        std::fs::write(d.join("meta.json"), meta.to_string()).unwrap();
        std::fs::copy(ds.dir().join("query.fvecs"), d.join("query.fvecs")).unwrap();
    }
    sextant_datasets::write_npy_f16(f16_dir.join("base.f16.npy"), &rows).unwrap();
    sextant_datasets::write_vecs(
        f32_dir.join("base.fvecs"),
        384,
        widened.iter().map(|r| r.as_slice()),
    )
    .unwrap();
    let (a, b) = (
        Dataset::open(&f16_dir).unwrap(),
        Dataset::open(&f32_dir).unwrap(),
    );
    assert_eq!(a.base().len(), 300);
    assert_eq!(a.base_prepared().unwrap(), b.base_prepared().unwrap());
}
