//! Golden files: the writers produce these bytes exactly, and the readers read them back. A
//! change of output bytes must be deliberate: regenerate with `SEXTANT_BLESS=1 cargo test
//! --test golden` and say why in the commit.

use half::f16;
use sextant_core::{DenseVectors, Distance, ScoredPoint};
use sextant_datasets::{
    GroundTruth, NpyMatrix, SparseMatrix, VecsFile, read_npy, write_npy_f16, write_npy_f32,
    write_vecs,
};
use std::path::{Path, PathBuf};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Compares a freshly written file with its golden copy (or blesses it).
fn check(written: &Path, name: &str) {
    let bytes = std::fs::read(written).unwrap();
    if std::env::var_os("SEXTANT_BLESS").is_some() {
        std::fs::write(golden(name), &bytes).unwrap();
    }
    let expected =
        std::fs::read(golden(name)).unwrap_or_else(|e| panic!("{name}: {e} (bless it?)"));
    assert_eq!(bytes, expected, "{name}: writer output changed");
}

#[test]
fn writers_match_golden_files_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let rows = [[0.5f32, -1.0, 2.25], [3.0, 0.0, -0.125]];
    let p = dir.path().join("small.fvecs");
    write_vecs(&p, 3, rows.iter().map(|r| r.as_slice())).unwrap();
    check(&p, "small.fvecs");
    assert_eq!(
        VecsFile::<f32>::open(golden("small.fvecs")).unwrap().row(1),
        &rows[1]
    );

    let p = dir.path().join("small.bvecs");
    write_vecs::<u8>(&p, 4, [[1u8, 2, 3, 255].as_slice()]).unwrap();
    check(&p, "small.bvecs");

    let m = DenseVectors::from_flat(3, rows.concat()).unwrap();
    let p = dir.path().join("small_f32.npy");
    write_npy_f32(&p, &m).unwrap();
    check(&p, "small_f32.npy");
    assert_eq!(
        read_npy(golden("small_f32.npy")).unwrap(),
        NpyMatrix::F32(m)
    );

    let h = DenseVectors::from_flat(2, [1.0f32, -0.5, 65504.0, 0.0].map(f16::from_f32).to_vec())
        .unwrap();
    let p = dir.path().join("small_f16.npy");
    write_npy_f16(&p, &h).unwrap();
    check(&p, "small_f16.npy");

    let csr = SparseMatrix {
        n_cols: 30522,
        indptr: vec![0, 2, 3],
        indices: vec![101, 30521, 7],
        data: vec![1.5, 0.25, 3.0],
    };
    let p = dir.path().join("small.csr");
    csr.write(&p).unwrap();
    check(&p, "small.csr");
    assert_eq!(SparseMatrix::read(golden("small.csr")).unwrap(), csr);

    // Ground truth of an L2 dataset stores squared distances (positive), read back as scores.
    let gt = GroundTruth::from_results(
        &[vec![ScoredPoint::new(4, -2.0), ScoredPoint::new(1, -9.0)]],
        2,
    )
    .unwrap();
    gt.write(dir.path(), Distance::Euclid).unwrap();
    check(&dir.path().join("groundtruth.ivecs"), "groundtruth.ivecs");
    check(
        &dir.path().join("groundtruth.scores.fvecs"),
        "groundtruth.scores.fvecs",
    );
    let back = GroundTruth::read(
        &golden("groundtruth.ivecs"),
        Some(&golden("groundtruth.scores.fvecs")),
        Distance::Euclid,
        5,
    )
    .unwrap();
    assert_eq!(back, gt);
    let on_disk = VecsFile::<f32>::open(golden("groundtruth.scores.fvecs")).unwrap();
    assert_eq!(on_disk.row(0), &[2.0, 9.0]);
}
