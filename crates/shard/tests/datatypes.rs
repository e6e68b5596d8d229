//! Vector datatypes: a `float16` vector stores each prepared value rounded to f16 (half the
//! bytes of the base file's vector section), scores queries rounded the same way, exactly or
//! through its graph, before and after an optimize and a reopen; values beyond f16's range
//! are refused. A `uint8` vector keeps integers as given and scores them as Qdrant does
//! (cosine over both norms), under every metric.

use half::f16;
use sextant_core::{Distance, PointId};
use sextant_shard::{Datatype, Point, QueryRequest, Shard, ShardConfig, UpdateOp, VectorParams};

const DIM: usize = 16;
const POINTS: u64 = 300;

fn vector(i: u64) -> Vec<f32> {
    (0..DIM as u64)
        .map(|j| {
            let h = (i * 131 + j * 7).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
            (h % 20_001) as f32 / 10_000.0 - 1.0
        })
        .collect()
}

fn rounded(v: &[f32]) -> Vec<f32> {
    v.iter().map(|&x| f16::from_f32(x).to_f32()).collect()
}

fn config(distance: Distance) -> ShardConfig {
    let half = VectorParams::new(DIM, distance).with_datatype(Datatype::Float16);
    let mut c = ShardConfig::new([
        ("h".to_string(), half),
        ("f".to_string(), VectorParams::new(DIM, distance)),
    ]);
    c.optimizer.indexing_threshold = 100;
    c.optimizer.full_scan_threshold = 10;
    c
}

fn fill(shard: &Shard) {
    let points = (0..POINTS)
        .map(|i| Point::new(i, "h", vector(i)).with_vector("f", vector(i)))
        .collect();
    shard.update(UpdateOp::upsert(points)).unwrap();
}

/// The best `k` by the Dot score of the f16-rounded query and vectors (ties by id).
fn brute(q: &[f32], k: usize) -> Vec<(u64, f32)> {
    let q = rounded(q);
    let mut all: Vec<(u64, f32)> = (0..POINTS)
        .map(|i| {
            let v = rounded(&vector(i));
            (i, q.iter().zip(&v).map(|(a, b)| a * b).sum())
        })
        .collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    all.truncate(k);
    all
}

fn check(shard: &Shard, exact: bool) {
    for s in 0..20u64 {
        let q = vector(10_000 + s);
        let mut req = QueryRequest::new("h", q.clone(), 10);
        req.params.exact = exact;
        req.params.hnsw_ef = Some(200);
        let got = shard.query(&req).unwrap();
        let want = brute(&q, 10);
        for (g, w) in got.iter().zip(&want) {
            assert!((g.score - w.1).abs() < 1e-4, "{} vs {w:?}", g.score);
        }
        let ids: Vec<PointId> = want.iter().map(|w| w.0.into()).collect();
        assert_eq!(got.iter().map(|r| r.id).collect::<Vec<_>>(), ids);
    }
    // Points read back hold the rounded values; the float32 vector holds them as given.
    let got = shard.retrieve(&[7u64.into()], false, true);
    let vectors = got[0].vectors.as_ref().unwrap();
    assert_eq!(
        vectors["h"],
        sextant_shard::Vector::Dense(rounded(&vector(7)))
    );
    assert_eq!(vectors["f"], sextant_shard::Vector::Dense(vector(7)));
}

#[test]
fn float16_vectors_score_their_rounded_values() {
    let dir = tempfile::tempdir().unwrap();
    let shard = Shard::create(dir.path(), config(Distance::Dot)).unwrap();
    fill(&shard);
    check(&shard, true);
    shard.optimize().unwrap();
    check(&shard, true);
    check(&shard, false);
    drop(shard);
    let shard = Shard::open(dir.path()).unwrap();
    assert_eq!(shard.config().vectors["h"].datatype, Datatype::Float16);
    check(&shard, true);
    check(&shard, false);
    // Rows changed after the build live in RAM, rounded the same way.
    let moved = Point::new(3u64, "h", vector(20_000)).with_vector("f", vector(20_000));
    shard.update(UpdateOp::upsert(vec![moved])).unwrap();
    let got = shard.retrieve(&[3u64.into()], false, true);
    let h = &got[0].vectors.as_ref().unwrap()["h"];
    assert_eq!(h, &sextant_shard::Vector::Dense(rounded(&vector(20_000))));
}

#[test]
fn a_float16_vector_takes_half_the_base_file() {
    let base_bytes = |config: ShardConfig| {
        let dir = tempfile::tempdir().unwrap();
        let shard = Shard::create(dir.path(), config).unwrap();
        fill(&shard);
        shard.optimize().unwrap();
        drop(shard);
        let folder = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .starts_with("index-")
            })
            .unwrap();
        std::fs::metadata(folder.join("base.bin")).unwrap().len()
    };
    let mixed = base_bytes(config(Distance::Dot));
    let mut all_f32 = config(Distance::Dot);
    all_f32.vectors.get_mut("h").unwrap().datatype = Datatype::Float32;
    let wide = base_bytes(all_f32);
    // One of the two vectors at 2 bytes a value instead of 4 (a few padding bytes aside).
    let saved = wide - mixed;
    let half_of_one = (2 * DIM as u64) * POINTS;
    assert!(saved.abs_diff(half_of_one) < 16, "{saved} vs {half_of_one}");
}

#[test]
fn cosine_float16_vectors_are_normalized_then_rounded() {
    let dir = tempfile::tempdir().unwrap();
    let shard = Shard::create(dir.path(), config(Distance::Cosine)).unwrap();
    fill(&shard);
    let got = shard.retrieve(&[5u64.into()], false, true);
    let v = vector(5);
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let want: Vec<f32> = rounded(&v.iter().map(|x| x / norm).collect::<Vec<_>>());
    let sextant_shard::Vector::Dense(h) = &got[0].vectors.as_ref().unwrap()["h"] else {
        panic!("a dense vector")
    };
    for (a, b) in h.iter().zip(&want) {
        assert!((a - b).abs() <= 1e-3, "{a} vs {b}");
        assert_eq!(f16::from_f32(*a).to_f32(), *a, "held as an f16 value");
    }
}

#[test]
fn what_float16_cannot_hold_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let shard = Shard::create(dir.path(), config(Distance::Dot)).unwrap();
    let mut v = vector(1);
    v[3] = 1e5;
    let e = shard
        .update(UpdateOp::upsert(vec![Point::new(1u64, "h", v.clone())]))
        .unwrap_err();
    assert!(e.to_string().contains("beyond float16's range"), "{e}");
    assert_eq!(shard.info().points, 0);
    // The float32 vector takes it.
    shard
        .update(UpdateOp::upsert(vec![Point::new(1u64, "f", v)]))
        .unwrap();
}

fn bytes(i: u64) -> Vec<f32> {
    (0..DIM as u64)
        .map(|j| ((i * 131 + j * 7).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as f32 % 256.0)
        .collect()
}

/// Qdrant's score of a `uint8` vector against a query cast to u8.
fn byte_score(distance: Distance, q: &[f32], v: &[f32]) -> f32 {
    let q: Vec<f32> = q.iter().map(|&x| f32::from(x as u8)).collect();
    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    match distance {
        Distance::Dot => dot(&q, v),
        Distance::Cosine => dot(&q, v) / (dot(&q, &q) * dot(v, v)).sqrt(),
        Distance::Euclid => q
            .iter()
            .zip(v)
            .map(|(x, y)| (x - y) * (x - y))
            .sum::<f32>()
            .sqrt(),
        Distance::Manhattan => q.iter().zip(v).map(|(x, y)| (x - y).abs()).sum(),
    }
}

#[test]
fn uint8_vectors_score_as_qdrant_scores_them() {
    for distance in [
        Distance::Dot,
        Distance::Cosine,
        Distance::Euclid,
        Distance::Manhattan,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let params = VectorParams::new(DIM, distance).with_datatype(Datatype::Uint8);
        let mut config = ShardConfig::new([("u".to_string(), params)]);
        config.optimizer.indexing_threshold = 100;
        let shard = Shard::create(dir.path(), config).unwrap();
        let points = (0..POINTS).map(|i| Point::new(i, "u", bytes(i))).collect();
        shard.update(UpdateOp::upsert(points)).unwrap();
        let check = |shard: &Shard, exact: bool| {
            for s in 0..10u64 {
                // Fractions in the query are cut, as Qdrant casts it.
                let q: Vec<f32> = bytes(5_000 + s).iter().map(|x| x + 0.7).collect();
                let mut req = QueryRequest::new("u", q.clone(), 5);
                req.params.exact = exact;
                req.params.hnsw_ef = Some(300);
                let got = shard.query(&req).unwrap();
                let mut want: Vec<(u64, f32)> = (0..POINTS)
                    .map(|i| (i, byte_score(distance, &q, &bytes(i))))
                    .collect();
                let better_first = matches!(distance, Distance::Dot | Distance::Cosine);
                want.sort_by(|a, b| match better_first {
                    true => b.1.total_cmp(&a.1),
                    false => a.1.total_cmp(&b.1),
                });
                for (g, w) in got.iter().zip(&want) {
                    let tol = 1e-5 * w.1.abs().max(1.0);
                    assert!(
                        (g.score - w.1).abs() <= tol,
                        "{distance:?}: {} vs {w:?}",
                        g.score
                    );
                }
            }
            let got = shard.retrieve(&[9u64.into()], false, true);
            let u = &got[0].vectors.as_ref().unwrap()["u"];
            assert_eq!(
                u,
                &sextant_shard::Vector::Dense(bytes(9)),
                "{distance:?}: as given"
            );
        };
        check(&shard, true);
        shard.optimize().unwrap();
        check(&shard, true);
        check(&shard, false);
        drop(shard);
        let shard = Shard::open(dir.path()).unwrap();
        check(&shard, true);
        check(&shard, false);
        // What a byte cannot hold is refused, naming the value.
        for bad in [256.0, -1.0, 0.5] {
            let mut v = bytes(1);
            v[2] = bad;
            let e = shard
                .update(UpdateOp::upsert(vec![Point::new(1_000u64, "u", v)]))
                .unwrap_err();
            assert!(e.to_string().contains("not an integer in 0..=255"), "{e}");
        }
    }
}
