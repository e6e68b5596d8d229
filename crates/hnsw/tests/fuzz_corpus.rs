//! Replays `fuzz/corpus/hnsw_graph/` through the fuzz entry point, so CI exercises the target.

#[test]
fn hnsw_graph_corpus_replays() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/hnsw_graph");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        sextant_hnsw::fuzzing::load(&bytes);
        n += 1;
    }
    assert!(n >= 5, "corpus too small: {n}");
}
