//! Snapshots: a golden file; a restored shard answers as the one snapshotted; a snapshot taken
//! while a writer goes on holds exactly the operations before its covered index; damage (every
//! truncation, flipped bytes) refused with an error naming the snapshot and the damaged file;
//! the fuzz corpus replays.

use std::path::Path;
use std::sync::Arc;

use serde_json::json;
use sextant_core::PointId;
use sextant_shard::{Error, Point, QueryRequest, Shard, UpdateOp, Vector};

fn shard_with_points(dir: &Path) -> Shard {
    let shard = Shard::create(dir, sextant_shard::fuzzing::config()).unwrap();
    let sparse = |indices: Vec<u32>, values: Vec<f32>| Vector::Sparse { indices, values };
    let points = (0..8u64)
        .map(|i| {
            Point::new(i, "a", vec![i as f32 + 1.0, 1.0])
                .with_vector("s", sparse(vec![i as u32, 10], vec![1.0, 0.5]))
                .with_payload(json!({"g": i % 4}))
        })
        .collect();
    shard.update(UpdateOp::upsert(points)).unwrap();
    shard.optimize().unwrap();
    shard
        .update(UpdateOp::Delete {
            ids: vec![2u64.into()],
        })
        .unwrap();
    shard
}

fn everything(shard: &Shard) -> Vec<sextant_shard::Record> {
    let all: Vec<PointId> = (0..2_000u64).map(PointId::from).collect();
    shard.retrieve(&all, true, true)
}

#[test]
fn golden_snapshot_and_restore() {
    let dir = tempfile::tempdir().unwrap();
    let shard = shard_with_points(&dir.path().join("shard"));
    let file = dir.path().join("shard.snapshot");
    let covers = shard.snapshot(&file).unwrap();
    assert_eq!(covers, shard.info().next_version);
    let bytes = std::fs::read(&file).unwrap();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/snapshot-v1.bin");
    if std::env::var_os("SEXTANT_BLESS").is_some() {
        std::fs::write(&golden, &bytes).unwrap();
        let corpus =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/shard_snapshot_file");
        std::fs::create_dir_all(&corpus).unwrap();
        // A seed without the trailing checksum (the target reseals).
        std::fs::write(corpus.join("golden"), &bytes[..bytes.len() - 4]).unwrap();
        return;
    }
    assert_eq!(
        bytes,
        std::fs::read(&golden).unwrap(),
        "the format changed: bump its version"
    );
    let restored = Shard::restore(&file, dir.path().join("restored")).unwrap();
    assert_eq!(everything(&restored), everything(&shard));
    // Snapshots holding a format 1 base file (before datatypes) and format 2 files (before
    // multivectors) restore to the same points.
    for older in ["snapshot-v1-base-v1.bin", "snapshot-v1-points-v2.bin"] {
        let from = Shard::restore(golden.with_file_name(older), dir.path().join(older)).unwrap();
        assert_eq!(everything(&from), everything(&shard), "{older}");
    }
    let q = QueryRequest::new("a", vec![-1.0, 0.3], 5);
    assert_eq!(restored.query(&q).unwrap(), shard.query(&q).unwrap());
    // A batch answers each request as alone, an error in its place.
    let bad = QueryRequest::new("nope", vec![1.0, 0.0], 5);
    let batch = restored.query_batch(&[q.clone(), bad, q.clone()]);
    assert_eq!(batch.len(), 3);
    assert_eq!(batch[0].as_ref().unwrap(), &shard.query(&q).unwrap());
    assert!(batch[1].is_err());
    assert_eq!(batch[2].as_ref().unwrap(), batch[0].as_ref().unwrap());
    // The restored shard takes operations from where the snapshot ends.
    restored
        .update(UpdateOp::upsert(vec![Point::new(
            100u64,
            "a",
            vec![1.0, 0.0],
        )]))
        .unwrap();
    assert_eq!(restored.info().next_version, covers + 1);
    drop(restored);
    assert_eq!(
        Shard::open(dir.path().join("restored"))
            .unwrap()
            .info()
            .points,
        shard.info().points + 1
    );
    assert!(matches!(
        Shard::restore(&file, dir.path().join("shard")),
        Err(Error::Exists { .. })
    ));
}

#[test]
fn a_snapshot_taken_during_writes_holds_exactly_what_came_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let shard = Arc::new(shard_with_points(&dir.path().join("shard")));
    let writer = {
        let shard = shard.clone();
        std::thread::spawn(move || {
            (1_000..1_400u64)
                .map(|i| {
                    let p = Point::new(i, "a", vec![1.0, i as f32]);
                    (i, shard.update(UpdateOp::upsert(vec![p])).unwrap())
                })
                .collect::<Vec<_>>()
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(20));
    let file = dir.path().join("mid.snapshot");
    let covers = shard.snapshot(&file).unwrap();
    let versions = writer.join().unwrap();
    let restored = Shard::restore(&file, dir.path().join("restored")).unwrap();
    let have: Vec<u64> = everything(&restored)
        .iter()
        .filter_map(|r| match r.id {
            PointId::Num(n) if n >= 1_000 => Some(n),
            _ => None,
        })
        .collect();
    let want: Vec<u64> = versions
        .iter()
        .filter(|&&(_, v)| v < covers)
        .map(|&(i, _)| i)
        .collect();
    assert_eq!(have, want);
}

#[test]
fn damaged_snapshots_are_refused_naming_what_is_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let shard = shard_with_points(&dir.path().join("shard"));
    let file = dir.path().join("s.snapshot");
    shard.snapshot(&file).unwrap();
    let good = std::fs::read(&file).unwrap();
    let bad = dir.path().join("bad.snapshot");
    let restore = |bytes: &[u8], n: usize| {
        std::fs::write(&bad, bytes).unwrap();
        Shard::restore(&bad, dir.path().join(format!("r{n}")))
    };
    for (n, cut) in (0..good.len()).step_by(13).enumerate() {
        let e = restore(&good[..cut], n).unwrap_err();
        assert!(
            matches!(e, Error::Damaged { .. }) && e.to_string().contains("bad.snapshot"),
            "cut at {cut}: {e}"
        );
    }
    // A flipped byte inside points.bin is named as that file.
    let at = good.windows(10).position(|w| w == b"points.bin").unwrap() + 30;
    let mut bytes = good.clone();
    bytes[at] ^= 0x01;
    let e = restore(&bytes, 100_000).unwrap_err();
    assert!(e.to_string().contains("points.bin is damaged"), "{e}");
    for (n, at) in (0..good.len()).step_by(11).enumerate() {
        let mut bytes = good.clone();
        bytes[at] ^= 0x10;
        assert!(restore(&bytes, 200_000 + n).is_err(), "flip at {at}");
    }
}

#[test]
fn snapshot_file_corpus_replays() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/shard_snapshot_file");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        sextant_shard::fuzzing::snapshot_file(&std::fs::read(entry.unwrap().path()).unwrap());
        n += 1;
    }
    assert!(n >= 1, "corpus empty");
}
