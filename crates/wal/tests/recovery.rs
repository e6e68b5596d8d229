//! Crash and corruption handling: torn tails at every byte, bit flips, stale bytes after a
//! rollback, the directory lock, concurrency, and the golden segment file.

use sextant_wal::{DropReason, Durability, Error, Recovery, Wal, WalConfig};
use std::path::{Path, PathBuf};

fn opts(durability: Durability) -> WalConfig {
    WalConfig {
        segment_size: 4096,
        durability,
        ..WalConfig::default()
    }
}

fn body(i: u64) -> Vec<u8> {
    (0..(i * 37 % 300))
        .map(|j| (i as u8).wrapping_mul(31).wrapping_add(j as u8))
        .collect()
}

fn fill(dir: &Path, n: u64) -> Vec<Vec<u8>> {
    let wal = Wal::open(dir, opts(Durability::SyncEach)).unwrap();
    (0..n)
        .map(|i| {
            let b = body(i);
            assert_eq!(wal.append(&b).unwrap(), i);
            b
        })
        .collect()
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wal"))
        .collect();
    v.sort();
    v
}

fn copy_dir(from: &Path) -> tempfile::TempDir {
    let to = tempfile::tempdir().unwrap();
    for seg in segments(from) {
        std::fs::copy(&seg, to.path().join(seg.file_name().unwrap())).unwrap();
    }
    to
}

/// Everything the log returns must be an unaltered prefix of `model`.
fn assert_prefix(wal: &Wal, model: &[Vec<u8>]) -> usize {
    let got: Vec<(u64, Vec<u8>)> = wal
        .iter_from(wal.first_index())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (i, b) in &got {
        assert_eq!(
            b, &model[*i as usize],
            "entry {i} differs from what was written"
        );
    }
    got.len()
}

/// Offset in the last segment where the data written so far ends.
fn written_end(seg: &Path) -> usize {
    let bytes = std::fs::read(seg).unwrap();
    bytes.iter().rposition(|&b| b != 0).unwrap() + 1
}

#[test]
fn torn_tail_at_every_byte_keeps_every_complete_entry() {
    let dir = tempfile::tempdir().unwrap();
    let model = fill(dir.path(), 40);
    let last = segments(dir.path()).pop().unwrap();
    let end = written_end(&last);
    // Entries before the last segment live in sealed segments: a torn tail never touches them.
    let first_in_last =
        u64::from_le_bytes(std::fs::read(&last).unwrap()[16..24].try_into().unwrap());
    assert!(first_in_last > 0 && first_in_last < 39);
    let mut torn = 0;
    // Cut anywhere in the last ~3 entries (including exactly at entry boundaries).
    for cut in end.saturating_sub(700).max(64)..=end {
        for zero_fill in [false, true] {
            let copy = copy_dir(dir.path());
            let seg = copy.path().join(last.file_name().unwrap());
            if zero_fill {
                let mut bytes = std::fs::read(&seg).unwrap();
                bytes[cut..].fill(0);
                std::fs::write(&seg, bytes).unwrap();
            } else {
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&seg)
                    .unwrap()
                    .set_len(cut as u64)
                    .unwrap();
            }
            let wal = Wal::open(copy.path(), opts(Durability::SyncEach)).unwrap();
            let n = assert_prefix(&wal, &model);
            assert!(
                n as u64 >= first_in_last,
                "cut {cut}: entries of sealed segments lost"
            );
            if let Some(d) = &wal.recovery_report().dropped {
                assert_eq!(d.reason, DropReason::TornWrite, "cut {cut}");
                torn += 1;
            }
            // The log continues where the recovered tail ends, and survives another reopen.
            assert_eq!(wal.append(b"after").unwrap(), n as u64);
            drop(wal);
            let wal = Wal::open(copy.path(), opts(Durability::SyncEach)).unwrap();
            assert_eq!(
                wal.recovery_report().dropped,
                None,
                "cut {cut}: second open drops nothing"
            );
            assert_eq!(wal.entry(n as u64).unwrap(), b"after");
        }
    }
    assert!(
        torn > 1000,
        "most cuts land inside an entry and are reported as torn ({torn})"
    );
}

#[test]
fn bit_flips_are_detected_never_returned() {
    let dir = tempfile::tempdir().unwrap();
    let model = fill(dir.path(), 60);
    let segs = segments(dir.path());
    assert!(segs.len() >= 3, "several segments");
    let mut corrupt_errors = 0;
    let mut state = 12345u64;
    for _ in 0..300 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let seg_i = (state >> 33) as usize % segs.len();
        let copy = copy_dir(dir.path());
        let seg = copy.path().join(segs[seg_i].file_name().unwrap());
        let mut bytes = std::fs::read(&seg).unwrap();
        let pos = (state >> 17) as usize % written_end(&seg);
        bytes[pos] ^= 1 << (state % 8);
        std::fs::write(&seg, &bytes).unwrap();
        match Wal::open(copy.path(), opts(Durability::SyncEach)) {
            Ok(wal) => {
                assert_prefix(&wal, &model);
            }
            Err(Error::Corrupt { segment, .. }) => {
                corrupt_errors += 1;
                assert_eq!(segment, seg);
                assert_eq!(
                    std::fs::read(&seg).unwrap(),
                    bytes,
                    "strict recovery changes nothing"
                );
                let wal = Wal::open(
                    copy.path(),
                    WalConfig {
                        recovery: Recovery::TruncateAtCorruption,
                        ..opts(Durability::SyncEach)
                    },
                );
                // A damaged first header leaves nothing to keep: that stays an error.
                if let Ok(wal) = wal {
                    assert_prefix(&wal, &model);
                    assert!(matches!(
                        wal.recovery_report().dropped.as_ref().unwrap().reason,
                        DropReason::Corruption(_)
                    ));
                }
            }
            Err(e) => panic!("unexpected error kind: {e}"),
        }
    }
    assert!(
        corrupt_errors > 100,
        "most mid-log flips are reported as corruption ({corrupt_errors})"
    );
}

#[test]
fn rolled_back_entries_never_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let model = fill(dir.path(), 30);
    let wal = Wal::open(dir.path(), opts(Durability::SyncEach)).unwrap();
    wal.truncate(12).unwrap();
    // Re-append the very same bytes at index 12: the old 13.. must stay gone.
    assert_eq!(wal.append(&model[12]).unwrap(), 12);
    drop(wal);
    let wal = Wal::open(dir.path(), opts(Durability::SyncEach)).unwrap();
    assert_eq!(wal.next_index(), 13);
    assert_eq!(assert_prefix(&wal, &model), 13);
}

#[test]
fn second_writer_is_refused_until_the_first_closes() {
    let dir = tempfile::tempdir().unwrap();
    let wal = Wal::open(dir.path(), WalConfig::default()).unwrap();
    assert!(matches!(
        Wal::open(dir.path(), WalConfig::default()),
        Err(Error::Locked { .. })
    ));
    drop(wal);
    assert!(Wal::open(dir.path(), WalConfig::default()).is_ok());
}

#[test]
fn group_commit_serves_concurrent_appenders() {
    let dir = tempfile::tempdir().unwrap();
    let wal = std::sync::Arc::new(Wal::open(dir.path(), opts(Durability::GroupCommit)).unwrap());
    let threads: Vec<_> = (0..8u8)
        .map(|t| {
            let wal = wal.clone();
            std::thread::spawn(move || {
                (0..200u32)
                    .map(|i| (wal.append(&[t; 40]).unwrap(), t, i))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<(u64, u8, u32)> = threads
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    all.sort();
    assert_eq!(
        all.iter().map(|a| a.0).collect::<Vec<_>>(),
        (0..1600).collect::<Vec<_>>()
    );
    drop(wal);
    let wal = Wal::open(dir.path(), opts(Durability::GroupCommit)).unwrap();
    for (i, t, _) in all {
        assert_eq!(wal.entry(i).unwrap(), vec![t; 40]);
    }
}

#[test]
fn async_policy_syncs_on_demand_and_on_close() {
    let dir = tempfile::tempdir().unwrap();
    let o = opts(Durability::Async {
        interval: std::time::Duration::from_millis(5),
    });
    let wal = Wal::open(dir.path(), o.clone()).unwrap();
    for i in 0..50 {
        wal.append(&body(i)).unwrap();
    }
    wal.sync().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    drop(wal);
    let wal = Wal::open(dir.path(), o).unwrap();
    assert_eq!(wal.next_index(), 50);
}

#[test]
fn bad_requests_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        Wal::open(
            dir.path(),
            WalConfig {
                segment_size: 100,
                ..WalConfig::default()
            }
        ),
        Err(Error::InvalidOptions(_))
    ));
    let wal = Wal::open(dir.path(), opts(Durability::SyncEach)).unwrap();
    assert!(matches!(wal.append(&[0; 5000]), Err(Error::EntryTooLarge { max, .. }) if max < 4096));
    assert_eq!(wal.last_index(), None);
    assert!(matches!(
        wal.entry(0),
        Err(Error::IndexOutOfRange {
            index: 0,
            first: 0,
            next: 0
        })
    ));
    wal.append(b"x").unwrap();
    assert!(matches!(
        wal.iter_from(5),
        Err(Error::IndexOutOfRange { .. })
    ));
    assert_eq!(wal.append_batch(&[]).unwrap(), 1..1);
}

#[test]
fn golden_segment_file() {
    let golden =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/00000000000000000000.wal");
    let dir = tempfile::tempdir().unwrap();
    let o = WalConfig {
        fixed_seed: Some(7),
        ..opts(Durability::SyncEach)
    };
    let wal = Wal::open(dir.path(), o.clone()).unwrap();
    wal.append_batch(&[b"alpha", b"", b"gamma"]).unwrap();
    drop(wal);
    let written = std::fs::read(dir.path().join("00000000000000000000.wal")).unwrap();
    if std::env::var_os("SEXTANT_BLESS").is_some() {
        std::fs::write(&golden, &written).unwrap();
    }
    assert_eq!(
        written,
        std::fs::read(&golden).unwrap(),
        "segment format changed: bless deliberately"
    );
    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(&golden, copy.path().join("00000000000000000000.wal")).unwrap();
    let wal = Wal::open(copy.path(), o).unwrap();
    let got: Vec<_> = wal.iter_from(0).unwrap().map(|r| r.unwrap().1).collect();
    assert_eq!(got, vec![b"alpha".to_vec(), vec![], b"gamma".to_vec()]);
}
