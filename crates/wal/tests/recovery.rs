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

/// The record offsets of entries `first..n` in a segment that starts at `first`.
fn record_offsets(first: u64, n: u64) -> Vec<usize> {
    let mut at = 64;
    (first..n)
        .map(|i| {
            let here = at;
            at += 20 + body(i).len();
            here
        })
        .collect()
}

/// Opens a copy, checks it holds exactly `model[..want]`, appends and reopens cleanly.
fn assert_recovers_to(copy: &Path, model: &[Vec<u8>], want: usize, what: &str) -> Wal {
    let wal = Wal::open(copy, opts(Durability::SyncEach)).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(assert_prefix(&wal, model), want, "{what}");
    // The log continues where the recovered tail ends, and survives another reopen.
    assert_eq!(wal.append(b"after").unwrap(), want as u64, "{what}");
    drop(wal);
    let wal = Wal::open(copy, opts(Durability::SyncEach)).unwrap();
    assert_eq!(wal.recovery_report().dropped, None, "{what}: second open");
    assert_eq!(wal.entry(want as u64).unwrap(), b"after");
    wal
}

#[test]
fn a_torn_last_write_keeps_every_synced_entry() {
    let dir = tempfile::tempdir().unwrap();
    let model = fill(dir.path(), 40);
    let last = segments(dir.path()).pop().unwrap();
    let bytes = std::fs::read(&last).unwrap();
    // Entries before the last segment live in sealed segments: a torn tail never touches them.
    let first = u64::from_le_bytes(bytes[16..24].try_into().unwrap());
    assert!(first > 0 && first < 39);
    let offsets = record_offsets(first, 40);
    let mut torn = 0;
    // Each entry of the last segment as the write a crash interrupted: nothing after it was
    // written, and some of its 512-byte sectors never reached the disk (read as zeros).
    for (k, &at) in offsets.iter().enumerate() {
        let j = first as usize + k;
        let end = at + 20 + model[j].len();
        let sectors: Vec<usize> = (at / 512..end.div_ceil(512)).collect();
        let mut missing: Vec<Vec<usize>> = sectors.iter().map(|&s| vec![s]).collect();
        missing.extend((1..sectors.len()).map(|from| sectors[from..].to_vec()));
        missing.push(sectors.clone());
        for lost in missing {
            let copy = copy_dir(dir.path());
            let seg = copy.path().join(last.file_name().unwrap());
            let mut b = bytes.clone();
            b[end..].fill(0);
            for s in &lost {
                b[(s * 512).max(at)..((s + 1) * 512).min(end)].fill(0);
            }
            std::fs::write(&seg, &b).unwrap();
            let what = format!("entry {j} missing sectors {lost:?}");
            let wal = assert_recovers_to(copy.path(), &model, j, &what);
            drop(wal);
            let wal = Wal::open(copy.path(), opts(Durability::SyncEach)).unwrap();
            drop(wal);
            // What the first open reported.
            let copy2 = copy_dir(dir.path());
            std::fs::write(copy2.path().join(last.file_name().unwrap()), &b).unwrap();
            let wal = Wal::open(copy2.path(), opts(Durability::SyncEach)).unwrap();
            match &wal.recovery_report().dropped {
                Some(d) => {
                    assert_eq!(d.reason, DropReason::TornWrite, "{what}");
                    assert_eq!(d.entries, 1, "{what}");
                    torn += 1;
                }
                // Every byte of the entry was lost: there is nothing to drop.
                None => assert!(b[at..end].iter().all(|&x| x == 0), "{what}"),
            }
        }
    }
    assert!(torn >= 15, "torn writes seen: {torn}");
}

#[test]
fn a_truncated_segment_is_corruption_not_a_torn_write() {
    let dir = tempfile::tempdir().unwrap();
    let model = fill(dir.path(), 40);
    let last = segments(dir.path()).pop().unwrap();
    let end = written_end(&last);
    let first = u64::from_le_bytes(std::fs::read(&last).unwrap()[16..24].try_into().unwrap());
    for cut in (end.saturating_sub(700).max(64)..=end).chain([end + 100, 4095]) {
        let copy = copy_dir(dir.path());
        let seg = copy.path().join(last.file_name().unwrap());
        std::fs::OpenOptions::new()
            .write(true)
            .open(&seg)
            .unwrap()
            .set_len(cut as u64)
            .unwrap();
        match Wal::open(copy.path(), opts(Durability::SyncEach)) {
            Err(Error::Corrupt { segment, .. }) => assert_eq!(segment, seg, "cut {cut}"),
            other => panic!("cut {cut}: {other:?}"),
        }
        let wal = Wal::open(
            copy.path(),
            WalConfig {
                recovery: Recovery::TruncateAtCorruption,
                ..opts(Durability::SyncEach)
            },
        )
        .unwrap();
        let n = assert_prefix(&wal, &model);
        assert!(
            n as u64 >= first,
            "cut {cut}: entries of sealed segments lost"
        );
        let d = wal.recovery_report().dropped.clone().unwrap();
        assert!(matches!(d.reason, DropReason::Corruption(_)), "cut {cut}");
        // A truncated file can have held more than its remains show.
        assert!(d.entries <= (40 - n) as u64, "cut {cut}");
        // Cut and reported: the next open is clean.
        drop(wal);
        let wal = Wal::open(copy.path(), opts(Durability::SyncEach)).unwrap();
        assert_eq!(wal.recovery_report().dropped, None, "cut {cut}");
    }
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
            Ok(wal) => panic!(
                "a flipped bit in synced data opened as {:?}",
                wal.recovery_report()
            ),
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
    assert_eq!(corrupt_errors, 300);
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
    assert!(
        written == std::fs::read(&golden).unwrap(),
        "segment format changed: bless deliberately"
    );
    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(&golden, copy.path().join("00000000000000000000.wal")).unwrap();
    let wal = Wal::open(copy.path(), o).unwrap();
    let got: Vec<_> = wal.iter_from(0).unwrap().map(|r| r.unwrap().1).collect();
    assert_eq!(got, vec![b"alpha".to_vec(), vec![], b"gamma".to_vec()]);
}

#[test]
fn version_1_segments_are_replayed_then_continued_in_version_2() {
    let golden =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/v1/00000000000000000000.wal");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&golden, dir.path().join("00000000000000000000.wal")).unwrap();
    let wal = Wal::open(dir.path(), opts(Durability::SyncEach)).unwrap();
    let got: Vec<_> = wal.iter_from(0).unwrap().map(|r| r.unwrap().1).collect();
    assert_eq!(got, vec![b"alpha".to_vec(), vec![], b"gamma".to_vec()]);
    // The version 1 segment is sealed; new entries go to a version 2 segment.
    assert_eq!(wal.append(b"delta").unwrap(), 3);
    drop(wal);
    let names: Vec<_> = segments(dir.path())
        .iter()
        .map(|p| p.file_name().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        ["00000000000000000000.wal", "00000000000000000003.wal"]
    );
    let new = std::fs::read(dir.path().join("00000000000000000003.wal")).unwrap();
    assert_eq!(new[8], 2, "new segments are version 2");
    let wal = Wal::open(dir.path(), opts(Durability::SyncEach)).unwrap();
    assert_eq!(wal.recovery_report().dropped, None);
    let got: Vec<_> = wal.iter_from(1).unwrap().map(|r| r.unwrap().1).collect();
    assert_eq!(got, vec![vec![], b"gamma".to_vec(), b"delta".to_vec()]);
    // Rolling back into the version 1 segment and appending again works the same way.
    wal.truncate(2).unwrap();
    assert_eq!(wal.append(b"epsilon").unwrap(), 2);
    drop(wal);
    let wal = Wal::open(dir.path(), opts(Durability::SyncEach)).unwrap();
    let got: Vec<_> = wal.iter_from(0).unwrap().map(|r| r.unwrap().1).collect();
    assert_eq!(got, vec![b"alpha".to_vec(), vec![], b"epsilon".to_vec()]);
}
