//! `on_disk`: a vector's base rows are mapped into the process at open unless its `on_disk`
//! is `true` (then searches page in what they touch), after an optimize, a reopen and a
//! `reconfigure` that flips the flags. Measured through the base file map's resident size in
//! `/proc/self/smaps` (Linux only).
#![cfg(target_os = "linux")]

use std::path::Path;

use sextant_core::Distance;
use sextant_hnsw::HnswConfig;
use sextant_shard::{Point, QueryRequest, Shard, ShardConfig, UpdateOp, VectorParams};

const DIM: usize = 128;
const POINTS: u64 = 20_000;
/// Bytes of one vector's rows in the base file: 10 MB.
const ROWS: usize = DIM * 4 * POINTS as usize;
/// What else a map holds: the kernel maps whole folios (up to 2 MiB on Linux 6) at each edge
/// of a vector's rows, plus the ids, versions and starts (0.6 MB).
const SLACK: usize = 5 << 20;

fn vector(i: u64, salt: u64) -> Vec<f32> {
    (0..DIM as u64)
        .map(|j| ((i * 31 + j * 7 + salt) % 97) as f32 / 97.0)
        .collect()
}

/// No graphs (`m` 0): `optimize` writes the base file only.
fn config(a_on_disk: bool) -> ShardConfig {
    let params = |on_disk| VectorParams {
        hnsw: Some(HnswConfig {
            m: 0,
            ..HnswConfig::default()
        }),
        ..VectorParams::new(DIM, Distance::Dot).with_on_disk(on_disk)
    };
    let mut c = ShardConfig::new([
        ("a".to_string(), params(a_on_disk)),
        ("b".to_string(), params(!a_on_disk)),
    ]);
    c.optimizer.indexing_threshold = 100;
    c
}

/// Resident bytes of this shard's base file map (summed over its mappings).
fn base_rss(dir: &Path) -> usize {
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
    let mut ours = false;
    let mut kb = 0;
    for line in smaps.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if first.contains('-') && !first.ends_with(':') {
            // A mapping's header: range, perms, offset, device, inode, path.
            let path = line.split_whitespace().nth(5).unwrap_or("");
            ours = path.starts_with(dir.to_str().unwrap()) && path.ends_with("base.bin");
        } else if ours && first == "Rss:" {
            kb += line
                .split_whitespace()
                .nth(1)
                .unwrap()
                .parse::<usize>()
                .unwrap();
        }
    }
    kb * 1024
}

/// The base map holds one vector's rows and not the other's.
fn holds_one_vector(dir: &Path) {
    let rss = base_rss(dir);
    assert!(
        rss + 16 * 1024 >= ROWS && rss < ROWS + SLACK,
        "base map resident: {rss} bytes, one vector's rows: {ROWS}"
    );
}

fn top(shard: &Shard, name: &str) -> u64 {
    let mut req = QueryRequest::new(name, vector(7, 0), 1);
    req.params.exact = true;
    let hits = shard.query(&req).unwrap();
    match hits[0].id {
        sextant_core::PointId::Num(n) => n,
        ref other => panic!("integer ids only, got {other:?}"),
    }
}

#[test]
fn rows_follow_the_on_disk_flag_through_optimize_reopen_and_reconfigure() {
    let dir = tempfile::tempdir().unwrap();
    let shard = Shard::create(dir.path(), config(true)).unwrap();
    let points = (0..POINTS)
        .map(|i| Point::new(i, "a", vector(i, 0)).with_vector("b", vector(i, 1)))
        .collect();
    shard.update(UpdateOp::upsert(points)).unwrap();
    shard.optimize().unwrap();
    holds_one_vector(dir.path());
    drop(shard);

    let shard = Shard::open(dir.path()).unwrap();
    holds_one_vector(dir.path());
    let expected = (top(&shard, "a"), top(&shard, "b"));

    // Flipped: "a" mapped in, "b" let go; the answers do not change.
    shard.reconfigure(config(false)).unwrap();
    holds_one_vector(dir.path());
    assert_eq!(shard.config().vectors["a"].on_disk, Some(false));
    assert_eq!((top(&shard, "a"), top(&shard, "b")), expected);

    // Both resident by default (Qdrant's default), both let go when both are on disk.
    let both = |on_disk: Option<bool>| {
        let mut c = config(false);
        c.vectors.values_mut().for_each(|p| p.on_disk = on_disk);
        c
    };
    shard.reconfigure(both(None)).unwrap();
    let rss = base_rss(dir.path());
    assert!(rss + 16 * 1024 >= 2 * ROWS, "both resident: {rss} bytes");
    shard.reconfigure(both(Some(true))).unwrap();
    let rss = base_rss(dir.path());
    assert!(rss < SLACK, "both on disk: {rss} bytes");
}
