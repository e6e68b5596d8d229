//! The points file: a golden file, reopen after flush (file + log tail), and damage (every
//! truncation, flipped bytes) refused with an error naming the file, never a panic; the fuzz
//! corpus replays.

use std::path::Path;

use serde_json::json;
use sextant_core::PointId;
use sextant_shard::{Error, Point, Shard, UpdateOp, Vector};

fn golden_shard(dir: &Path) -> Shard {
    let shard = Shard::create(dir, sextant_shard::fuzzing::config()).unwrap();
    let sparse = |indices: Vec<u32>, values: Vec<f32>| Vector::Sparse { indices, values };
    shard
        .update(UpdateOp::upsert(vec![
            Point::new(1u64, "a", vec![3.0, 4.0]).with_payload(json!({"k": "x", "n": 1.5})),
            Point::new(
                PointId::parse_uuid("550e8400-e29b-41d4-a716-446655440000").unwrap(),
                "s",
                sparse(vec![9, 2], vec![0.5, 1.0]),
            ),
            Point::new(7u64, "a", vec![0.0, 1.0])
                .with_vector("s", sparse(vec![1], vec![2.0]))
                .with_vector("m", Vector::Multi(vec![vec![1.0, 2.0], vec![-0.5, 0.25]])),
        ]))
        .unwrap();
    shard
        .update(UpdateOp::Delete {
            ids: vec![1u64.into()],
        })
        .unwrap();
    shard
        .update(UpdateOp::CreateFieldIndex {
            key: "k".into(),
            schema: sextant_payload_index::FieldType::Keyword,
        })
        .unwrap();
    shard
}

#[test]
fn golden_points_file() {
    let dir = tempfile::tempdir().unwrap();
    let shard = golden_shard(dir.path());
    shard.flush().unwrap();
    let bytes = std::fs::read(dir.path().join("points.bin")).unwrap();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/points-v3.bin");
    if std::env::var_os("SEXTANT_BLESS").is_some() {
        std::fs::write(&golden, &bytes).unwrap();
        let corpus =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/shard_points_file");
        std::fs::create_dir_all(&corpus).unwrap();
        // Seeds without the trailing checksum (the target reseals).
        std::fs::write(corpus.join("golden"), &bytes[..bytes.len() - 4]).unwrap();
        drop(shard);
        let empty = tempfile::tempdir().unwrap();
        let s = Shard::create(empty.path(), sextant_shard::fuzzing::config()).unwrap();
        s.flush().unwrap();
        let b = std::fs::read(empty.path().join("points.bin")).unwrap();
        std::fs::write(corpus.join("empty"), &b[..b.len() - 4]).unwrap();
        return;
    }
    assert_eq!(
        bytes,
        std::fs::read(&golden).unwrap(),
        "the format changed: bump its version"
    );
    drop(shard);
    // The golden file alone (an empty log) opens to the same points.
    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir.path().join("config.json"),
        copy.path().join("config.json"),
    )
    .unwrap();
    std::fs::copy(&golden, copy.path().join("points.bin")).unwrap();
    let opened = Shard::open(copy.path());
    assert!(
        matches!(opened, Err(Error::Damaged { .. })),
        "a log behind the file is refused"
    );
}

#[test]
fn flush_then_more_operations_reopen_to_the_same_points() {
    let dir = tempfile::tempdir().unwrap();
    let shard = golden_shard(dir.path());
    shard.flush().unwrap();
    shard
        .update(UpdateOp::upsert(vec![
            Point::new(8u64, "a", vec![1.0, 1.0]).with_payload(json!({"k": "y"})),
        ]))
        .unwrap();
    shard
        .update(UpdateOp::clear_payload(vec![7u64.into()]))
        .unwrap();
    let ids: Vec<PointId> = [1u64, 7, 8].map(PointId::from).to_vec();
    let uuid = PointId::parse_uuid("550e8400-e29b-41d4-a716-446655440000").unwrap();
    let want = shard.retrieve(&[ids.clone(), vec![uuid]].concat(), true, true);
    let schema = shard.payload_schema();
    let info = shard.info();
    // As if killed without a final flush: the folder copied while the shard is open (the
    // copy has the file plus the log's tail, and no lock held).
    let copy = tempfile::tempdir().unwrap();
    for f in ["config.json", "points.bin"] {
        std::fs::copy(dir.path().join(f), copy.path().join(f)).unwrap();
    }
    copy_dir(&dir.path().join("wal"), &copy.path().join("wal"));
    drop(shard);
    let reopened = Shard::open(copy.path()).unwrap();
    assert_eq!(
        reopened.retrieve(&[ids, vec![uuid]].concat(), true, true),
        want
    );
    assert_eq!(reopened.payload_schema(), schema);
    assert_eq!(reopened.info(), info);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn damaged_points_files_are_refused() {
    let golden =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/points-v1.bin"))
            .unwrap();
    let config = sextant_shard::fuzzing::config();
    let open = |bytes: &[u8]| {
        let dir = tempfile::tempdir().unwrap();
        Shard::create(dir.path(), config.clone())
            .unwrap()
            .close()
            .unwrap();
        std::fs::write(dir.path().join("points.bin"), bytes).unwrap();
        Shard::open(dir.path()).map(|_| ())
    };
    for len in (0..golden.len()).step_by(7) {
        let e = open(&golden[..len]).unwrap_err();
        assert!(
            matches!(e, Error::Damaged { .. }) && e.to_string().contains("points.bin"),
            "{len}: {e}"
        );
    }
    for at in (0..golden.len()).step_by(5) {
        let mut bytes = golden.clone();
        bytes[at] ^= 0x10;
        assert!(
            matches!(open(&bytes), Err(Error::Damaged { .. })),
            "flip at {at}"
        );
    }
}

/// Version 1 (no base field, written before bases existed) and version 2 (before
/// multivectors: they read as absent) files still read, to the same points.
#[test]
fn versions_1_and_2_points_files_still_read() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let v1 = std::fs::read(golden.join("points-v1.bin")).unwrap();
    let v2 = std::fs::read(golden.join("points-v2.bin")).unwrap();
    let from_v1 = sextant_shard::fuzzing::rewrite_points_file(&v1).unwrap();
    let from_v2 = sextant_shard::fuzzing::rewrite_points_file(&v2).unwrap();
    assert_eq!(from_v1, from_v2);
    assert_eq!(
        &from_v2[8..12],
        &3u32.to_le_bytes(),
        "rewritten in version 3"
    );
}

#[test]
fn points_file_corpus_replays() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/shard_points_file");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        sextant_shard::fuzzing::points_file(&std::fs::read(entry.unwrap().path()).unwrap());
        n += 1;
    }
    assert!(n >= 2, "corpus too small: {n}");
}
