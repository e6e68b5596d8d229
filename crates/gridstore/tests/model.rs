//! Model-based test: the store against a `HashMap<u32, Vec<u8>>` through puts, deletes,
//! flushes, clean reopens and crashes (close without flush).

mod common;

use std::collections::HashMap;

use proptest::prelude::*;
use sextant_gridstore::{Compression, Gridstore};

#[derive(Debug, Clone)]
enum Op {
    Put { offset: u32, len: usize },
    Delete { offset: u32 },
    Flush,
    FlushOnThread,
    Reopen,
    Crash,
}

fn op() -> impl Strategy<Value = Op> {
    let len = prop_oneof![
        6 => 0usize..200,
        3 => 200usize..5000,
        1 => 5000usize..30_000, // several 8 KiB pages
    ];
    prop_oneof![
        10 => (0u32..40, len).prop_map(|(offset, len)| Op::Put { offset, len }),
        3 => (0u32..45).prop_map(|offset| Op::Delete { offset }),
        2 => Just(Op::Flush),
        1 => Just(Op::FlushOnThread),
        1 => Just(Op::Reopen),
        1 => Just(Op::Crash),
    ]
}

fn check_equal(store: &Gridstore, model: &HashMap<u32, Vec<u8>>) -> Result<(), TestCaseError> {
    prop_assert_eq!(store.len(), model.len());
    for offset in 0..45 {
        let got = store.get(offset).unwrap();
        prop_assert_eq!(got.as_ref(), model.get(&offset), "offset {}", offset);
    }
    let listed: Vec<(u32, Vec<u8>)> = store.iter().map(|r| r.unwrap()).collect();
    let mut expected: Vec<(u32, Vec<u8>)> = model.iter().map(|(k, v)| (*k, v.clone())).collect();
    expected.sort();
    prop_assert_eq!(listed, expected);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn store_matches_a_hashmap(ops in proptest::collection::vec(op(), 1..120), lz4 in any::<bool>()) {
        let compression = if lz4 { Compression::Lz4 } else { Compression::None };
        let dir = tempfile::tempdir().unwrap();
        let mut store = Gridstore::create(dir.path(), common::tiny(compression)).unwrap();
        let mut current: HashMap<u32, Vec<u8>> = HashMap::new();
        let mut flushed = current.clone();
        for (version, op) in ops.into_iter().enumerate() {
            match op {
                Op::Put { offset, len } => {
                    let v = common::value(offset, version as u32, len, lz4);
                    store.put(offset, &v).unwrap();
                    current.insert(offset, v);
                }
                Op::Delete { offset } => {
                    prop_assert_eq!(store.delete(offset).unwrap(), current.remove(&offset).is_some());
                }
                Op::Flush => {
                    store.flush().unwrap();
                    flushed = current.clone();
                }
                Op::FlushOnThread => {
                    std::thread::spawn(store.flusher()).join().unwrap().unwrap();
                    flushed = current.clone();
                }
                Op::Reopen => {
                    drop(store);
                    store = Gridstore::open(dir.path()).unwrap();
                    flushed = current.clone();
                }
                Op::Crash => {
                    store.abandon();
                    store = Gridstore::open(dir.path()).unwrap();
                    current = flushed.clone();
                }
            }
            check_equal(&store, &current)?;
        }
        prop_assert!(store.verify().unwrap().is_clean());
        let stats = store.stats();
        prop_assert_eq!(stats.values, current.len() as u64);
        prop_assert!(stats.used_block_bytes >= stats.stored_bytes);
    }
}

/// A flusher running on another thread while the writer keeps going: after a crash, every
/// offset holds the value it had when the flusher was created, or a newer one.
#[test]
fn concurrent_flushes_keep_every_flushed_value() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Gridstore::create(dir.path(), common::tiny(Compression::None)).unwrap();
    let mut history: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut at_flusher: HashMap<u32, usize> = HashMap::new();
    let mut handles = Vec::new();
    for version in 0..3000usize {
        let offset = (version * 7919 % 97) as u32;
        store
            .put(
                offset,
                &common::value(offset, version as u32, version % 700, false),
            )
            .unwrap();
        history.entry(offset).or_default().push(version);
        if version % 250 == 249 {
            at_flusher = history
                .iter()
                .map(|(&o, v)| (o, *v.last().unwrap()))
                .collect();
            handles.push(std::thread::spawn(store.flusher()));
        }
    }
    for h in handles {
        h.join().unwrap().unwrap();
    }
    store.abandon();
    let store = Gridstore::open(dir.path()).unwrap();
    for (offset, flushed_version) in at_flusher {
        let got = store.get(offset).unwrap().expect("flushed value present");
        let versions = &history[&offset];
        let matching = versions
            .iter()
            .filter(|&&v| v >= flushed_version)
            .any(|&v| got == common::value(offset, v as u32, v % 700, false));
        assert!(
            matching,
            "offset {offset} lost its flushed version {flushed_version}"
        );
    }
    assert!(store.verify().unwrap().is_clean());
}

#[test]
fn freed_blocks_are_reused_after_flush() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Gridstore::create(dir.path(), common::tiny(Compression::None)).unwrap();
    for round in 0..20u32 {
        for offset in 0..10u32 {
            store
                .put(offset, &common::value(offset, round, 1500, false))
                .unwrap();
        }
        store.flush().unwrap();
    }
    let stats = store.stats();
    // 10 live values of 24 blocks, 2 per 64-block region, 4 per page. At most two generations
    // are held at once (live, and replaced until the flush): 2 x 3 pages, however many rounds.
    assert_eq!(stats.used_block_bytes, 10 * 24 * 64);
    assert!(stats.page_bytes <= 6 * 8192, "{stats:?}");
}

#[test]
fn a_second_writer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _store = Gridstore::create(dir.path(), common::tiny(Compression::None)).unwrap();
    let err = Gridstore::open(dir.path()).unwrap_err();
    assert!(matches!(err, sextant_gridstore::Error::Locked(_)), "{err}");
    let err = Gridstore::create(dir.path(), common::tiny(Compression::None)).unwrap_err();
    assert!(matches!(err, sextant_gridstore::Error::Locked(_)), "{err}");
}
