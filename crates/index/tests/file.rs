//! The index file: a golden file pins the format (`SEXTANT_BLESS=1` rewrites it and the fuzz
//! seed), saved indexes load to the same answers (floats and codes), every truncation and
//! flipped byte is refused with an error naming the file, the fuzz corpus replays.

use std::path::{Path, PathBuf};

use sextant_core::Distance;
use sextant_index::{Error, IndexConfig, LabeledIndex};

fn golden_path(version: u32) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/index-v{version}.bin"))
}

/// Six 3-d cosine points under labels 10..16, label 12 deleted, built on one thread, the
/// float search behind bound codes.
fn golden() -> LabeledIndex {
    let mut config = IndexConfig::new(Distance::Cosine, 3, 8);
    config.bounds = true;
    config.hnsw.m = 4;
    config.hnsw.m0 = 8;
    config.hnsw.ef_construction = 8;
    let mut index = LabeledIndex::new(config).unwrap();
    let rows = [
        1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0,
    ];
    index.add(&rows, &[10, 11, 12, 13, 14, 15], 1).unwrap();
    index.set_deleted(12, true).unwrap();
    index
}

#[test]
fn golden_file_pins_the_format() {
    let bytes = golden().to_bytes();
    if std::env::var_os("SEXTANT_BLESS").is_some() {
        std::fs::write(golden_path(2), &bytes).unwrap();
        let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/index_file");
        std::fs::create_dir_all(&seeds).unwrap();
        std::fs::write(seeds.join("golden-v2"), &bytes).unwrap();
    }
    let stored = std::fs::read(golden_path(2)).unwrap();
    assert_eq!(
        bytes, stored,
        "the index file format changed: bump its version"
    );
    let back = LabeledIndex::from_bytes(&stored).unwrap();
    assert_eq!(back.labels(), &[10, 11, 12, 13, 14, 15]);
    assert!(back.is_deleted(12).unwrap());
    assert!(back.config().bounds);
    assert_eq!(back.search(&[0.9, 0.1, 0.0], 1, 8, None).unwrap()[0].0, 10);
}

/// Files of version 1 (no flags, no bound codes) still load and answer.
#[test]
fn version_1_files_still_load() {
    let stored = std::fs::read(golden_path(1)).unwrap();
    let back = LabeledIndex::from_bytes(&stored).unwrap();
    assert!(!back.config().bounds);
    assert_eq!(back.labels(), &[10, 11, 12, 13, 14, 15]);
    assert!(back.is_deleted(12).unwrap());
    assert_eq!(back.search(&[0.9, 0.1, 0.0], 1, 8, None).unwrap()[0].0, 10);
    // Saved again, it is written in the current version.
    assert_eq!(back.to_bytes()[8], 2);
}

#[test]
fn saved_indexes_answer_as_before() {
    let dir = tempfile::tempdir().unwrap();
    for (codec, bounds) in [(None, false), (Some("sq4d"), false), (None, true)] {
        let mut config = IndexConfig::new(Distance::Euclid, 8, 1000);
        config.codec = codec.map(|c| c.parse().unwrap());
        config.bounds = bounds;
        let mut index = LabeledIndex::new(config).unwrap();
        let rows: Vec<f32> = (0..800 * 8)
            .map(|i| ((i * 7919) % 1000) as f32 / 100.0)
            .collect();
        index
            .add(&rows, &(0..800).map(|i| i * 3).collect::<Vec<_>>(), 2)
            .unwrap();
        index.set_deleted(9, true).unwrap();
        let path = dir.path().join("index.bin");
        index.save(&path).unwrap();
        let back = LabeledIndex::load(&path).unwrap();
        let queries: Vec<f32> = (0..40 * 8)
            .map(|i| ((i * 104_729) % 1000) as f32 / 100.0)
            .collect();
        assert_eq!(
            index.search_batch(&queries, 10, 64, None).unwrap(),
            back.search_batch(&queries, 10, 64, None).unwrap()
        );
        assert_eq!(back.to_bytes(), index.to_bytes());
        // It goes on growing after a load.
        let mut back = back;
        back.add(&[1.0; 8], &[100_000], 1).unwrap();
        assert_eq!(back.search(&[1.0; 8], 1, 32, None).unwrap()[0].0, 100_000);
    }
}

#[test]
fn damage_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.bin");
    let bytes = golden().to_bytes();
    for cut in (0..bytes.len()).step_by(7) {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let e = LabeledIndex::load(&path).unwrap_err();
        assert!(matches!(e, Error::Corrupt { .. }), "{cut}: {e}");
        assert!(e.to_string().contains("index.bin"), "{e}");
    }
    for at in (0..bytes.len()).step_by(5) {
        let mut b = bytes.clone();
        b[at] ^= 0x40;
        assert!(LabeledIndex::from_bytes(&b).is_err(), "flip at {at}");
    }
    assert!(matches!(
        LabeledIndex::load(dir.path().join("none")),
        Err(Error::Io { .. })
    ));
}

#[test]
fn fuzz_corpus_replays() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/index_file");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in entries {
        sextant_index::fuzzing::index_file(&std::fs::read(e.unwrap().path()).unwrap());
    }
}
