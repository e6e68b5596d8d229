//! Replays `fuzz/corpus/gridstore_open/` through the fuzz entry point, so CI exercises the
//! target. `SEXTANT_BLESS=1` regenerates the seeds from the golden store.

use std::path::Path;

#[test]
fn gridstore_open_corpus_replays() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/gridstore_open");
    if std::env::var_os("SEXTANT_BLESS").is_some() {
        let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/store");
        let read = |name: &str| std::fs::read(golden.join(name)).unwrap();
        let (meta, tracker, page) = (read("meta"), read("tracker"), read("page_000000.dat"));
        std::fs::create_dir_all(&corpus).unwrap();
        let mut flipped = page.clone();
        flipped[100] ^= 1;
        let seeds = [
            (
                "golden",
                sextant_gridstore::fuzzing::pack(&meta, &tracker, &page),
            ),
            (
                "short-tracker",
                sextant_gridstore::fuzzing::pack(&meta, &tracker[..200], &page),
            ),
            (
                "no-page",
                sextant_gridstore::fuzzing::pack(&meta, &tracker, &[]),
            ),
            (
                "flipped-value",
                sextant_gridstore::fuzzing::pack(&meta, &tracker, &flipped),
            ),
            ("meta-only", meta.clone()),
            ("golden-v1", {
                let v1 = golden.with_file_name("store-v1");
                let read = |name: &str| std::fs::read(v1.join(name)).unwrap();
                let (meta, tracker, page) =
                    (read("meta"), read("tracker"), read("page_000000.dat"));
                sextant_gridstore::fuzzing::pack(&meta, &tracker, &page)
            }),
            ("zeroed-entry", {
                let mut t = tracker.clone();
                t[64 + 16 * 2..64 + 16 * 3].fill(0);
                sextant_gridstore::fuzzing::pack(&meta, &t, &page)
            }),
        ];
        for (name, bytes) in seeds {
            std::fs::write(corpus.join(name), bytes).unwrap();
        }
    }
    let mut n = 0;
    for entry in std::fs::read_dir(&corpus).unwrap() {
        sextant_gridstore::fuzzing::open_bytes(&std::fs::read(entry.unwrap().path()).unwrap());
        n += 1;
    }
    assert!(n >= 5, "corpus too small: {n}");
}
