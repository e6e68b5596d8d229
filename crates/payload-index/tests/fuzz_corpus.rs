//! Replays the fuzz corpora (`fuzz/corpus/filter_json/`, `fuzz/corpus/payload_index_file/`)
//! through the fuzz entry points, so CI exercises the targets.

fn replay(target: &str, run: fn(&[u8])) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        run(&bytes);
        n += 1;
    }
    assert!(n >= 4, "{target}: corpus too small: {n}");
}

#[test]
fn filter_json_corpus_replays() {
    replay("filter_json", sextant_payload_index::fuzzing::filter_json);
}

#[test]
fn index_file_corpus_replays() {
    replay(
        "payload_index_file",
        sextant_payload_index::fuzzing::index_file,
    );
}
