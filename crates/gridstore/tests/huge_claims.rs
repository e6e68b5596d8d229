//! A damaged tracker entry that claims a value of gigabytes must be refused before anything
//! is reserved for it. This test binary caps its own address space at 2 GiB (libFuzzer's
//! default malloc limit, under which the fuzzer found the bug), so an oversized reservation
//! aborts the test instead of passing unnoticed on a machine with memory to spare.

mod common;

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;

use sextant_gridstore::{Compression, Error, Gridstore};

const TRACKER_HEADER: u64 = 64;

#[test]
fn a_tracker_entry_claiming_gigabytes_is_refused_without_reserving_them() {
    let cap = libc::rlimit {
        rlim_cur: 2 << 30,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: setrlimit reads the struct it is given; lowering a soft limit is always allowed.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &cap) }, 0);
    let dir = tempfile::tempdir().unwrap();
    let mut store = Gridstore::create(dir.path(), common::tiny(Compression::None)).unwrap();
    let values: Vec<Vec<u8>> = (0..6u32)
        .map(|o| common::value(o, 0, 100 + 300 * o as usize, false))
        .collect();
    for (o, v) in values.iter().enumerate() {
        store.put(o as u32, v).unwrap();
    }
    drop(store);
    // Entry 3's stored length (bytes 8..12) becomes 3,000,000,000.
    OpenOptions::new()
        .write(true)
        .open(dir.path().join("tracker"))
        .unwrap()
        .write_all_at(&3_000_000_000u32.to_le_bytes(), TRACKER_HEADER + 16 * 3 + 8)
        .unwrap();
    let err = Gridstore::open(dir.path()).unwrap_err();
    assert!(matches!(err, Error::Corrupt { offset: 3, .. }), "{err}");
    let (store, dropped) = Gridstore::open_repair(dir.path()).unwrap();
    assert_eq!(
        dropped.iter().map(|d| d.offset).collect::<Vec<_>>(),
        vec![3]
    );
    assert_eq!(store.get(3).unwrap(), None);
    assert_eq!(store.get(4).unwrap().as_deref(), Some(&values[4][..]));
}
