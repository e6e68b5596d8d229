//! Replays `fuzz/corpus/filter_json/` through the fuzz entry point, so CI exercises the target.

#[test]
fn filter_json_corpus_replays() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/filter_json");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        sextant_payload_index::fuzzing::filter_json(&bytes);
        n += 1;
    }
    assert!(n >= 5, "corpus too small: {n}");
}
