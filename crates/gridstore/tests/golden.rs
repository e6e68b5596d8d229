//! Golden files: the on-disk bytes of a small store (meta, tracker, first page) are fixed.
//! A deliberate format change re-blesses them with `SEXTANT_BLESS=1`. The store as version 1
//! wrote it (tracker without empty entries or count) must still open, and is upgraded.

mod common;

use std::path::{Path, PathBuf};

use sextant_gridstore::{Compression, Gridstore, GridstoreReader};

const FILES: [&str; 3] = ["meta", "tracker", "page_000000.dat"];

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/store")
}

fn contents() -> Vec<(u32, Vec<u8>)> {
    vec![
        (0, b"zero".to_vec()),
        (1, Vec::new()),
        (2, common::value(2, 0, 700, false)),
        (5, br#"{"lang":"rust","stars":5}"#.to_vec()),
        (9, common::value(9, 0, 3000, false)),
    ]
}

fn build(dir: &Path) {
    let mut store = Gridstore::create(dir, common::tiny(Compression::None)).unwrap();
    for (offset, value) in contents() {
        store.put(offset, &value).unwrap();
    }
    store.put(3, b"deleted later").unwrap();
    store.flush().unwrap();
    store.delete(3).unwrap();
    store.put(0, b"zero, rewritten").unwrap();
}

#[test]
fn store_files_match_the_golden_bytes() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let golden = golden_dir();
    if std::env::var_os("SEXTANT_BLESS").is_some() {
        std::fs::create_dir_all(&golden).unwrap();
        for name in FILES {
            std::fs::copy(dir.path().join(name), golden.join(name)).unwrap();
        }
    }
    for name in FILES {
        let ours = std::fs::read(dir.path().join(name)).unwrap();
        let theirs = std::fs::read(golden.join(name)).unwrap();
        assert!(
            ours == theirs,
            "{name} changed: bless deliberately with SEXTANT_BLESS=1"
        );
    }
}

fn copy_golden(from: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in FILES {
        std::fs::copy(from.join(name), dir.path().join(name)).unwrap();
    }
    dir
}

fn expected() -> Vec<(u32, Vec<u8>)> {
    let mut expected = contents();
    expected[0].1 = b"zero, rewritten".to_vec();
    expected
}

#[test]
fn the_golden_store_opens_and_reads_back() {
    let dir = copy_golden(&golden_dir());
    let reader = GridstoreReader::open(dir.path()).unwrap();
    let read: Vec<(u32, Vec<u8>)> = reader.iter().map(|r| r.unwrap()).collect();
    assert_eq!(read, expected());
    let store = Gridstore::open(dir.path()).unwrap();
    assert!(store.verify().unwrap().is_clean());
    assert_eq!(store.len(), 5);
}

#[test]
fn a_version_1_store_is_read_then_upgraded_by_its_writer() {
    let dir = copy_golden(&golden_dir().with_file_name("store-v1"));
    let tracker = dir.path().join("tracker");
    assert_eq!(std::fs::read(&tracker).unwrap()[8], 1);
    let reader = GridstoreReader::open(dir.path()).unwrap();
    let read: Vec<(u32, Vec<u8>)> = reader.iter().map(|r| r.unwrap()).collect();
    assert_eq!(read, expected());
    drop(reader);
    let store = Gridstore::open(dir.path()).unwrap();
    assert!(store.verify().unwrap().is_clean());
    assert_eq!(store.len(), 5);
    drop(store);
    let upgraded = std::fs::read(&tracker).unwrap();
    assert_eq!(upgraded[8], 2, "the writer upgrades the tracker");
    // Upgraded, the deleted offset 3 has an empty entry of its own: zeroing it is damage.
    let at = 64 + 16 * 3;
    assert_ne!(upgraded[at..at + 16], [0u8; 16]);
    let mut zeroed = upgraded.clone();
    zeroed[at..at + 16].fill(0);
    std::fs::write(&tracker, &zeroed).unwrap();
    let err = Gridstore::open(dir.path()).unwrap_err().to_string();
    assert!(err.contains("offset 3") && err.contains("zeroed"), "{err}");
    std::fs::write(&tracker, &upgraded).unwrap();
    let reader = GridstoreReader::open(dir.path()).unwrap();
    let read: Vec<(u32, Vec<u8>)> = reader.iter().map(|r| r.unwrap()).collect();
    assert_eq!(read, expected());
}
