//! Replays the fuzz corpus (`fuzz/corpus/<target>/`) through the same entry points as the
//! cargo-fuzz targets, so CI exercises them without a fuzzer; also checks that the corpus
//! holds both inputs that parse and inputs that must be rejected.

use sextant_datasets::{SparseMatrix, VecsFile, fuzzing, parse_npy};
use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{target}: corpus too small");
    files
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn vecs_corpus_replays_and_classifies() {
    for (path, bytes) in corpus("vecs_reader") {
        fuzzing::vecs(&bytes);
        let ok = VecsFile::<f32>::from_vec(bytes, &path).is_ok();
        let n = name(&path);
        if ["two_rows.fvecs", "minilm_two_rows.fvecs", "empty"].contains(&n.as_str()) {
            assert!(ok, "{n} should parse");
        } else if ["truncated.fvecs", "mixed_dims.fvecs", "negative_dim.fvecs"]
            .contains(&n.as_str())
        {
            assert!(!ok, "{n} should be rejected");
        }
    }
}

#[test]
fn csr_corpus_replays_and_classifies() {
    for (path, bytes) in corpus("csr_reader") {
        fuzzing::csr(&bytes);
        let ok = SparseMatrix::parse(&bytes, &path).is_ok();
        let n = name(&path);
        assert_eq!(ok, n == "small.csr", "{n}");
    }
}

#[test]
fn npy_corpus_replays_and_classifies() {
    for (path, bytes) in corpus("npy_reader") {
        fuzzing::npy(&bytes);
        let ok = parse_npy(&bytes, &path).is_ok();
        let n = name(&path);
        assert_eq!(ok, n.starts_with("f32") || n.starts_with("f16"), "{n}");
    }
}
