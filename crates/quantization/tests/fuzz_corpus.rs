//! Replays `fuzz/corpus/quant_file/` through the fuzz entry point, so CI exercises the target.
//! `SEXTANT_BLESS=1` regenerates the seeds from the golden files.

use std::path::Path;

#[test]
fn quant_file_corpus_replays() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = here.join("../../fuzz/corpus/quant_file");
    if std::env::var_os("SEXTANT_BLESS").is_some() {
        std::fs::create_dir_all(&corpus).unwrap();
        for name in [
            "small.sq8",
            "small.rbq",
            "small.tq",
            "small.pq",
            "small.bin",
            "small.sq8d",
            "small.pqfs",
            "small-v1.pqfs",
            "small.sq4d",
            "small.pca",
        ] {
            let bytes = std::fs::read(here.join("tests/golden").join(name)).unwrap();
            std::fs::write(corpus.join(name), &bytes).unwrap();
            std::fs::write(
                corpus.join(format!("{name}-cut")),
                &bytes[..bytes.len() / 2],
            )
            .unwrap();
        }
    }
    let mut n = 0;
    for entry in std::fs::read_dir(&corpus).unwrap() {
        sextant_quantization::fuzzing::load(&std::fs::read(entry.unwrap().path()).unwrap());
        n += 1;
    }
    assert!(n >= 12, "corpus too small: {n}");
}
