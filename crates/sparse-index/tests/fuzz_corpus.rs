//! Replays the fuzz corpus (`fuzz/corpus/sparse_index_file/`) through the fuzz entry point, so
//! CI exercises the target.

#[test]
fn index_file_corpus_replays() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus/sparse_index_file");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        sextant_sparse_index::fuzzing::index_file(&bytes);
        n += 1;
    }
    assert!(n >= 3, "corpus too small: {n}");
}
