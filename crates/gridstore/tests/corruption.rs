//! Damaged stores: every kind of damage is an error naming what is bad, `verify` lists it,
//! `open_repair` drops it, and nothing panics or returns wrong bytes.

mod common;

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::Path;

use sextant_gridstore::{Compression, Error, Gridstore, GridstoreReader};

const TRACKER_HEADER: u64 = 64;

fn filled(dir: &Path) -> Vec<Vec<u8>> {
    let mut store = Gridstore::create(dir, common::tiny(Compression::None)).unwrap();
    let values: Vec<Vec<u8>> = (0..12u32)
        .map(|o| common::value(o, 0, 100 + 300 * o as usize, false))
        .collect();
    for (o, v) in values.iter().enumerate() {
        store.put(o as u32, v).unwrap();
    }
    drop(store);
    values
}

fn patch(path: &Path, at: u64, bytes: &[u8]) {
    OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .write_all_at(bytes, at)
        .unwrap();
}

fn entry(dir: &Path, offset: u32) -> [u8; 16] {
    let mut buf = [0u8; 16];
    std::fs::File::open(dir.join("tracker"))
        .unwrap()
        .read_exact_at(&mut buf, TRACKER_HEADER + 16 * offset as u64)
        .unwrap();
    buf
}

#[test]
fn a_flipped_byte_in_a_value_is_reported_verified_and_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let values = filled(dir.path());
    let e = entry(dir.path(), 5);
    let (page, block) = (
        u32::from_le_bytes(e[0..4].try_into().unwrap()) - 1,
        u32::from_le_bytes(e[4..8].try_into().unwrap()),
    );
    let page_file = dir.path().join(format!("page_{page:06}.dat"));
    let at = block as u64 * 64 + 17;
    let mut byte = [0u8];
    std::fs::File::open(&page_file)
        .unwrap()
        .read_exact_at(&mut byte, at)
        .unwrap();
    patch(&page_file, at, &[byte[0] ^ 0x40]);

    let store = Gridstore::open(dir.path()).unwrap();
    match store.get(5) {
        Err(Error::Corrupt {
            offset: 5,
            page: p,
            block: b,
            ..
        }) => assert_eq!((p, b), (page, block)),
        other => panic!("expected corruption at offset 5, got {other:?}"),
    }
    assert_eq!(store.get(4).unwrap().as_ref(), Some(&values[4]));
    let report = store.verify().unwrap();
    assert_eq!(report.checked, 12);
    assert_eq!(
        report.bad.iter().map(|b| b.offset).collect::<Vec<_>>(),
        vec![5]
    );
    let reader = GridstoreReader::open(dir.path()).unwrap();
    assert!(matches!(
        reader.get(5),
        Err(Error::Corrupt { offset: 5, .. })
    ));
    drop(store);

    let (store, dropped) = Gridstore::open_repair(dir.path()).unwrap();
    assert_eq!(dropped.len(), 1);
    assert_eq!(
        (dropped[0].offset, dropped[0].page, dropped[0].block),
        (5, page, block)
    );
    assert_eq!(store.get(5).unwrap(), None);
    assert_eq!(store.len(), 11);
    assert!(store.verify().unwrap().is_clean());
    drop(store);
    let store = Gridstore::open(dir.path()).unwrap();
    assert_eq!(store.get(5).unwrap(), None, "the repair was made durable");
}

#[test]
fn entries_pointing_outside_the_pages_or_into_another_value_fail_a_strict_open() {
    for damage in ["past the pages", "overlap", "block past page end"] {
        let dir = tempfile::tempdir().unwrap();
        let values = filled(dir.path());
        let mut bad = entry(dir.path(), 3);
        match damage {
            "past the pages" => bad[0..4].copy_from_slice(&1000u32.to_le_bytes()),
            "overlap" => bad = entry(dir.path(), 2),
            _ => bad[4..8].copy_from_slice(&5000u32.to_le_bytes()),
        }
        patch(&dir.path().join("tracker"), TRACKER_HEADER + 16 * 3, &bad);
        let err = Gridstore::open(dir.path()).unwrap_err();
        assert!(
            matches!(err, Error::Corrupt { offset: 3, .. }),
            "{damage}: {err}"
        );
        let (store, dropped) = Gridstore::open_repair(dir.path()).unwrap();
        assert_eq!(
            dropped.iter().map(|d| d.offset).collect::<Vec<_>>(),
            vec![3],
            "{damage}"
        );
        assert_eq!(
            store.get(2).unwrap().as_ref(),
            Some(&values[2]),
            "{damage}: the intact value survives"
        );
        assert!(store.verify().unwrap().is_clean());
    }
}

#[test]
fn damaged_meta_tracker_or_page_set_is_a_format_error() {
    let dir = tempfile::tempdir().unwrap();
    filled(dir.path());
    let meta = std::fs::read(dir.path().join("meta")).unwrap();

    patch(&dir.path().join("meta"), 13, &[0xAA]);
    let err = Gridstore::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, Error::Format { .. }) && !err.is_not_found(),
        "{err}"
    );
    assert!(matches!(
        GridstoreReader::open(dir.path()),
        Err(Error::Format { .. })
    ));
    std::fs::write(dir.path().join("meta"), &meta).unwrap();
    // A store that is not there is told apart from a damaged one.
    let err = Gridstore::open(dir.path().join("absent")).unwrap_err();
    assert!(err.is_not_found(), "{err}");

    let tracker = dir.path().join("tracker");
    let len = std::fs::metadata(&tracker).unwrap().len();
    OpenOptions::new()
        .write(true)
        .open(&tracker)
        .unwrap()
        .set_len(len - 3)
        .unwrap();
    let err = Gridstore::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("16-byte entries"), "{err}");
    OpenOptions::new()
        .write(true)
        .open(&tracker)
        .unwrap()
        .set_len(len)
        .unwrap();

    std::fs::rename(
        dir.path().join("page_000000.dat"),
        dir.path().join("page_000009.dat"),
    )
    .unwrap();
    let err = Gridstore::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("not consecutive"), "{err}");
}

#[test]
fn a_page_cut_short_by_a_crash_is_extended_and_its_values_reported() {
    let dir = tempfile::tempdir().unwrap();
    filled(dir.path());
    let last = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("page_")
        })
        .max()
        .unwrap();
    OpenOptions::new()
        .write(true)
        .open(&last)
        .unwrap()
        .set_len(100)
        .unwrap();
    let store = Gridstore::open(dir.path()).unwrap();
    let report = store.verify().unwrap();
    assert!(!report.is_clean());
    assert!(
        report.bad.iter().all(|b| b.reason.contains("checksum")),
        "{report:?}"
    );
    assert_eq!(std::fs::metadata(&last).unwrap().len(), 8192);
}

#[test]
fn bad_configs_and_existing_stores_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut bad = common::tiny(Compression::None);
    bad.block_size = 48;
    assert!(matches!(
        Gridstore::create(dir.path(), bad),
        Err(Error::Config(_))
    ));
    let store = Gridstore::create(dir.path(), common::tiny(Compression::None)).unwrap();
    drop(store);
    let err = Gridstore::create(dir.path(), common::tiny(Compression::None)).unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
}

#[test]
fn readers_see_flushed_state_and_follow_growth() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Gridstore::create(dir.path(), common::tiny(Compression::Lz4)).unwrap();
    store.put(0, b"first").unwrap();
    store.flush().unwrap();
    let mut reader = GridstoreReader::open(dir.path()).unwrap();
    assert_eq!(reader.get(0).unwrap().as_deref(), Some(&b"first"[..]));

    store.put(0, b"second").unwrap();
    assert_eq!(
        reader.get(0).unwrap().as_deref(),
        Some(&b"first"[..]),
        "unflushed writes stay private"
    );
    for offset in 1..200u32 {
        store
            .put(offset, &common::value(offset, 1, 3000, false))
            .unwrap();
    }
    store.flush().unwrap();
    assert_eq!(reader.get(0).unwrap().as_deref(), Some(&b"second"[..]));
    assert!(
        matches!(reader.get(150), Err(Error::Stale { .. }) | Ok(None)),
        "new pages and tracker growth need a reload"
    );
    reader.live_reload().unwrap();
    assert_eq!(
        reader.get(150).unwrap(),
        Some(common::value(150, 1, 3000, false))
    );
    assert_eq!(reader.iter().count(), 200);
}

/// The cases that used to open clean: a zeroed entry read as "no value", a cut tracker as a
/// shorter store.
#[test]
fn a_zeroed_entry_or_a_cut_tracker_is_refused_and_repaired_with_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Gridstore::create(dir.path(), common::tiny(Compression::None)).unwrap();
    for o in 0..200u32 {
        store.put(o, &common::value(o, 0, 20, false)).unwrap();
    }
    drop(store);
    let tracker = dir.path().join("tracker");
    let pristine = std::fs::read(&tracker).unwrap();

    patch(&tracker, TRACKER_HEADER + 16 * 10, &[0; 4]);
    let err = Gridstore::open(dir.path()).unwrap_err();
    assert!(
        matches!(&err, Error::Corrupt { path, offset: 10, .. } if *path == tracker),
        "{err}"
    );
    let reader = GridstoreReader::open(dir.path()).unwrap();
    assert!(reader.get(10).is_err());
    drop(reader);
    let (store, dropped) = Gridstore::open_repair(dir.path()).unwrap();
    assert_eq!(dropped.iter().map(|b| b.offset).collect::<Vec<_>>(), [10]);
    assert_eq!((store.len(), store.get(10).unwrap()), (199, None));
    assert!(store.verify().unwrap().is_clean());
    drop(store);

    std::fs::write(&tracker, &pristine[..64 + 16 * 100]).unwrap();
    let err = Gridstore::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
    let (store, dropped) = Gridstore::open_repair(dir.path()).unwrap();
    let lost: Vec<u32> = dropped.iter().map(|b| b.offset).collect();
    assert_eq!(lost, (100..200).collect::<Vec<_>>());
    assert_eq!(store.len(), 100);
    drop(store);
    assert_eq!(Gridstore::open(dir.path()).unwrap().len(), 100);
}
