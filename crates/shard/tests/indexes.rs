//! The indexes and the base on disk: `indexes.bin` and `base.bin` pinned by golden files; a reopened shard searches the
//! saved graph, codes and sparse index (the same answers as before closing, changes made after
//! the build still scanned); damage to `indexes.bin` or to an index file is refused with an
//! error naming the file; the fuzz corpus replays.

use std::path::{Path, PathBuf};

use serde_json::json;
use sextant_core::{Distance, PointId};
use sextant_datasets::VecsFile;
use sextant_shard::{
    Error, Point, QueryRequest, Record, Shard, ShardConfig, UpdateOp, Vector, VectorParams,
    WithVector,
};

/// Eight points, a graph built over them; with `grown`, one deleted and two added before a
/// second optimize grows the graph (one new point in the deleted one's offset without a dense
/// vector, the other, at a new offset, in its graph node); then one point deleted and one moved after the last build, and a flush.
fn golden_shard(dir: &Path) -> Shard {
    golden_shard_grown(dir, true)
}

fn golden_shard_grown(dir: &Path, grown: bool) -> Shard {
    let shard = Shard::create(dir, sextant_shard::fuzzing::config()).unwrap();
    let sparse = |indices: Vec<u32>, values: Vec<f32>| Vector::Sparse { indices, values };
    let points = (0..8u64)
        .map(|i| {
            let p = Point::new(i, "a", vec![i as f32, 1.0])
                .with_vector("s", sparse(vec![i as u32, 10], vec![1.0, 0.5]))
                .with_payload(json!({"i": i, "g": i % 4}));
            match i % 2 {
                0 => p.with_vector(
                    "m",
                    Vector::Multi(vec![vec![i as f32, 1.0], vec![1.0, -2.0]]),
                ),
                _ => p,
            }
        })
        .collect();
    shard.update(UpdateOp::upsert(points)).unwrap();
    shard
        .update(UpdateOp::CreateFieldIndex {
            key: "g".into(),
            schema: sextant_payload_index::FieldType::Integer,
        })
        .unwrap();
    shard.optimize().unwrap();
    if grown {
        // 9 takes 2's offset without a dense vector; 10 (a new offset) takes 2's node.
        let ids = vec![2u64.into()];
        shard.update(UpdateOp::Delete { ids }).unwrap();
        let nine = Point::new(9u64, "s", sparse(vec![9], vec![1.0])).with_payload(json!({"i": 9}));
        let ten = Point::new(10u64, "a", vec![10.0, 1.0]).with_payload(json!({"i": 10, "g": 2}));
        shard.update(UpdateOp::upsert(vec![nine, ten])).unwrap();
        shard.optimize().unwrap();
    }
    // Changed after the build: one deleted, one moved.
    shard
        .update(UpdateOp::Delete {
            ids: vec![2u64.into()],
        })
        .unwrap();
    shard
        .update(UpdateOp::upsert(vec![Point::new(
            4u64,
            "a",
            vec![-1.0, 0.0],
        )]))
        .unwrap();
    shard.flush().unwrap();
    shard
}

/// The one build folder (`index-<version>/`) of a shard.
fn build_folder(shard: &Path) -> PathBuf {
    std::fs::read_dir(shard)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("index-")
        })
        .unwrap()
}

fn golden_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/indexes-v2.bin")
}

#[test]
fn format_1_index_file_still_reads() {
    let dir = tempfile::tempdir().unwrap();
    let shard = golden_shard_grown(dir.path(), false);
    let near = |shard: &Shard| -> Vec<PointId> {
        let request = QueryRequest::new("a", vec![-1.0, 0.1], 6);
        shard
            .query(&request)
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect()
    };
    let before = near(&shard);
    drop(shard);
    let v1 = golden_path().with_file_name("indexes-v1.bin");
    std::fs::copy(v1, dir.path().join("indexes.bin")).unwrap();
    let shard = Shard::open(dir.path()).unwrap();
    assert_eq!(near(&shard), before);
    assert!(shard.info().indexed_points > 0);
}

#[test]
fn format_1_and_2_base_files_still_read() {
    // The same build's base as format 1 wrote it (every vector f32, no datatype bytes) and
    // as format 2 did (no multivectors: they read as absent).
    for old in ["base-v1.bin", "base-v2.bin"] {
        let dir = tempfile::tempdir().unwrap();
        let shard = golden_shard(dir.path());
        let all: Vec<PointId> = (0..12u64).map(PointId::from).collect();
        let names = || WithVector::Names(vec!["a".into(), "s".into()]);
        let state = |shard: &Shard| {
            (
                shard.retrieve(&all, true, names()),
                shard
                    .query(&QueryRequest::new("a", vec![-1.0, 0.1], 6))
                    .unwrap(),
            )
        };
        let before = state(&shard);
        drop(shard);
        let file = golden_path().with_file_name(old);
        std::fs::copy(file, build_folder(dir.path()).join("base.bin")).unwrap();
        let shard = Shard::open(dir.path()).unwrap();
        assert_eq!(state(&shard), before, "{old}");
    }
}

#[test]
fn golden_indexes_file() {
    let dir = tempfile::tempdir().unwrap();
    let shard = golden_shard(dir.path());
    let bytes = std::fs::read(dir.path().join("indexes.bin")).unwrap();
    let base = std::fs::read(build_folder(dir.path()).join("base.bin")).unwrap();
    let golden_base = golden_path().with_file_name("base-v3.bin");
    if std::env::var_os("SEXTANT_BLESS").is_some() {
        std::fs::write(golden_path(), &bytes).unwrap();
        std::fs::write(&golden_base, &base).unwrap();
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
        for (target, b) in [("shard_index_file", &bytes), ("shard_base_file", &base)] {
            std::fs::create_dir_all(corpus.join(target)).unwrap();
            // A seed without the trailing checksum (the target reseals).
            std::fs::write(corpus.join(target).join("golden"), &b[..b.len() - 4]).unwrap();
        }
        return;
    }
    assert_eq!(
        bytes,
        std::fs::read(golden_path()).unwrap(),
        "the format changed: bump its version"
    );
    assert_eq!(
        base,
        std::fs::read(&golden_base).unwrap(),
        "the base format changed: bump its version"
    );
    // The stale points stay out of the graph's answers after a reopen.
    let near = |shard: &Shard| -> Vec<PointId> {
        let found = shard
            .query(&QueryRequest::new("a", vec![-1.0, 0.1], 6))
            .unwrap();
        found.iter().map(|r| r.id).collect()
    };
    let before = near(&shard);
    assert_eq!(before[0], PointId::from(4u64));
    assert!(!before.contains(&PointId::from(2u64)));
    drop(shard);
    assert_eq!(near(&Shard::open(dir.path()).unwrap()), before);
}

#[test]
fn damage_to_the_index_files_is_refused_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    drop(golden_shard(dir.path()));
    let manifest = dir.path().join("indexes.bin");
    let golden = std::fs::read(&manifest).unwrap();
    let names = |e: &Error, file: &str| e.to_string().contains(file);
    for cut in 0..golden.len() {
        std::fs::write(&manifest, &golden[..cut]).unwrap();
        let e = Shard::open(dir.path()).unwrap_err();
        assert!(
            matches!(e, Error::Damaged { .. }) && names(&e, "indexes.bin"),
            "cut at {cut}: {e}"
        );
    }
    for at in 0..golden.len() {
        let mut bytes = golden.clone();
        bytes[at] ^= 0x04;
        std::fs::write(&manifest, &bytes).unwrap();
        let e = Shard::open(dir.path()).unwrap_err();
        assert!(names(&e, "indexes.bin"), "flip at {at}: {e}");
    }
    std::fs::write(&manifest, &golden).unwrap();
    let folder = build_folder(dir.path());
    // The base file: every truncation and flipped byte is refused naming it.
    let base_path = folder.join("base.bin");
    let base = std::fs::read(&base_path).unwrap();
    for cut in (0..base.len()).step_by(7) {
        std::fs::write(&base_path, &base[..cut]).unwrap();
        let e = Shard::open(dir.path()).unwrap_err();
        assert!(names(&e, "base.bin"), "cut at {cut}: {e}");
    }
    for at in (0..base.len()).step_by(3) {
        let mut bytes = base.clone();
        bytes[at] ^= 0x04;
        std::fs::write(&base_path, &bytes).unwrap();
        let e = Shard::open(dir.path()).unwrap_err();
        assert!(names(&e, "base.bin"), "flip at {at}: {e}");
    }
    std::fs::write(&base_path, &base).unwrap();
    for file in ["dense-0.graph", "sparse-0.idx", "payload.idx"] {
        let path = folder.join(file);
        let good = std::fs::read(&path).unwrap();
        let mut bad = good.clone();
        let mid = bad.len() / 2;
        bad[mid] ^= 0x01;
        std::fs::write(&path, &bad).unwrap();
        let e = Shard::open(dir.path()).unwrap_err();
        assert!(names(&e, file), "{file}: {e}");
        std::fs::write(&path, &good).unwrap();
    }
    assert!(Shard::open(dir.path()).is_ok());
}

#[test]
fn reopened_shard_searches_the_saved_indexes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/minilm-pypi-20k");
    let base = VecsFile::<f32>::open(dir.join("base.fvecs")).unwrap();
    let queries = VecsFile::<f32>::open(dir.join("query.fvecs")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let params =
        VectorParams::new(384, Distance::Cosine).with_quantization("sq4d".parse().unwrap());
    let mut config = ShardConfig::new([(String::new(), params)]);
    config.optimizer.indexing_threshold = 1_000;
    config.optimizer.full_scan_threshold = 0;
    let shard = Shard::create(tmp.path(), config).unwrap();
    let points = (0..3_000)
        .map(|i| Point::new(i as u64, "", base.row(i).to_vec()))
        .collect();
    shard.update(UpdateOp::upsert(points)).unwrap();
    shard.optimize().unwrap();
    let gone: Vec<PointId> = (0..3_000u64).step_by(10).map(PointId::from).collect();
    shard
        .update(UpdateOp::Delete { ids: gone.clone() })
        .unwrap();
    // Answers on codes without rescoring differ from any scan: they show the codes are used.
    let answers = |shard: &Shard| -> Vec<Vec<Record>> {
        (0..50)
            .map(|q| {
                let mut req = QueryRequest::new("", queries.row(q).to_vec(), 10);
                req.params.quantization.rescore = false;
                shard.query(&req).unwrap()
            })
            .collect()
    };
    let before = answers(&shard);
    assert!(before.iter().flatten().all(|r| !gone.contains(&r.id)));
    drop(shard); // flushes
    let reopened = Shard::open(tmp.path()).unwrap();
    assert_eq!(answers(&reopened), before);
    let mut exact = QueryRequest::new("", queries.row(0).to_vec(), 10);
    exact.params.exact = true;
    let scan = reopened.query(&exact).unwrap();
    assert_ne!(
        scan.iter().map(|r| r.score).collect::<Vec<_>>(),
        before[0].iter().map(|r| r.score).collect::<Vec<_>>(),
        "unrescored scores are the codes' estimates"
    );
}

#[test]
fn index_and_base_file_corpora_replay() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    type Reader = fn(&[u8]);
    let targets: [(&str, Reader); 2] = [
        ("shard_index_file", sextant_shard::fuzzing::index_file),
        ("shard_base_file", sextant_shard::fuzzing::base_file),
    ];
    for (target, read) in targets {
        let mut n = 0;
        for entry in std::fs::read_dir(corpus.join(target)).unwrap() {
            read(&std::fs::read(entry.unwrap().path()).unwrap());
            n += 1;
        }
        assert!(n >= 1, "{target}: corpus empty");
    }
}
