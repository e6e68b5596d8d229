//! Multivectors (Qdrant's `multivector_config` with `max_sim`): points hold lists of vectors;
//! a query's list scores each point by MaxSim, under the four metrics, against a brute-force
//! model, with filters, as a point id's own vectors (the point left out) and as the re-ranking
//! stage over dense prefetches; the vectors come back as stored; the answers stay the same
//! through flush, optimize and reopen; updates and deletes of the multivector apply; bad
//! input and queries by examples are refused with a message.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sextant_core::{Distance, PointId};
use sextant_shard::{
    MultivectorParams, Point, PointVectors, QueryRequest, Shard, ShardConfig, UpdateOp, Vector,
    VectorParams,
};

const DIM: usize = 3;
const POINTS: u64 = 60;

/// 1 to 4 vectors of pseudo-random values in [-1, 1]; every fifth point has none.
fn multi(i: u64) -> Option<Vec<Vec<f32>>> {
    let rows = (i % 4 + 1) as usize;
    let value = |r: usize, j: usize| {
        let h = (i * 31 + r as u64 * 7 + j as u64 * 3).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
        (h % 2001) as f32 / 1000.0 - 1.0
    };
    (i % 5 != 4).then(|| {
        (0..rows)
            .map(|r| (0..DIM).map(|j| value(r, j)).collect())
            .collect()
    })
}

fn config(distance: Distance) -> ShardConfig {
    let mut c = ShardConfig::new([("d".to_string(), VectorParams::new(2, Distance::Dot))]);
    c.multivectors = BTreeMap::from([("m".to_string(), MultivectorParams::new(DIM, distance))]);
    c.optimizer.indexing_threshold = 10;
    c
}

fn fill(shard: &Shard) {
    let points = (0..POINTS)
        .map(|i| {
            let p = Point::new(i, "d", vec![i as f32, 1.0]).with_payload(json!({"g": i % 3}));
            match multi(i) {
                Some(m) => p.with_vector("m", Vector::Multi(m)),
                None => p,
            }
        })
        .collect();
    shard.update(UpdateOp::upsert(points)).unwrap();
}

fn normalized(v: &[f32]) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| if n > 0.0 { x / n } else { *x }).collect()
}

/// Qdrant's MaxSim score of `point` for `query`, as reported (Local Mode's formula).
fn max_sim(distance: Distance, query: &[Vec<f32>], point: &[Vec<f32>]) -> f32 {
    let pair = |q: &[f32], d: &[f32]| -> f32 {
        match distance {
            Distance::Cosine => normalized(q)
                .iter()
                .zip(normalized(d))
                .map(|(a, b)| a * b)
                .sum(),
            Distance::Dot => q.iter().zip(d).map(|(a, b)| a * b).sum(),
            Distance::Euclid => -q.iter().zip(d).map(|(a, b)| (a - b) * (a - b)).sum::<f32>(),
            Distance::Manhattan => -q.iter().zip(d).map(|(a, b)| (a - b).abs()).sum::<f32>(),
        }
    };
    let s: f32 = query
        .iter()
        .map(|q| {
            point
                .iter()
                .map(|d| pair(q, d))
                .fold(f32::NEG_INFINITY, f32::max)
        })
        .sum();
    match distance {
        Distance::Euclid => s.abs().sqrt(),
        Distance::Manhattan => s.abs(),
        _ => s,
    }
}

/// The best `k` points passing `keep` by MaxSim (ties by id).
fn brute(
    distance: Distance,
    query: &[Vec<f32>],
    k: usize,
    keep: impl Fn(u64) -> bool,
) -> Vec<(u64, f32)> {
    let lower = matches!(distance, Distance::Euclid | Distance::Manhattan);
    let mut all: Vec<(u64, f32)> = (0..POINTS)
        .filter(|&i| keep(i))
        .filter_map(|i| Some((i, max_sim(distance, query, &multi(i)?))))
        .collect();
    all.sort_by(|a, b| match lower {
        true => a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)),
        false => b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)),
    });
    all.truncate(k);
    all
}

fn ask(shard: &Shard, body: Value) -> Vec<(u64, f32)> {
    let req = QueryRequest::from_json(&body).unwrap();
    let found = shard.query(&req).unwrap();
    found
        .iter()
        .map(|r| match r.id {
            PointId::Num(n) => (n, r.score),
            ref other => panic!("integer ids only, got {other:?}"),
        })
        .collect()
}

fn same(got: &[(u64, f32)], want: &[(u64, f32)], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: {got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g.0, w.0, "{what}: {got:?} vs {want:?}");
        assert!(
            (g.1 - w.1).abs() <= 1e-4 * w.1.abs().max(1.0),
            "{what}: {got:?} vs {want:?}"
        );
    }
}

fn check(shard: &Shard, distance: Distance) {
    let query = vec![vec![0.3, -0.2, 0.9], vec![-0.5, 0.1, 0.4]];
    let got = ask(shard, json!({"query": query, "using": "m", "limit": 10}));
    same(&got, &brute(distance, &query, 10, |_| true), "nearest");
    let filter = json!({"must": [{"key": "g", "match": {"value": 1}}]});
    let got = ask(
        shard,
        json!({"query": query, "using": "m", "limit": 5, "filter": filter}),
    );
    same(
        &got,
        &brute(distance, &query, 5, |i| i % 3 == 1),
        "filtered",
    );
    // A point id: its own vectors, the point left out.
    let got = ask(shard, json!({"query": 6, "using": "m", "limit": 4}));
    same(
        &got,
        &brute(distance, &multi(6).unwrap(), 4, |i| i != 6),
        "point id",
    );
    // Re-ranking a dense prefetch (the points 40..59 by the dense dot product).
    let body = json!({
        "prefetch": {"query": [1.0, 0.0], "using": "d", "limit": 20},
        "query": query, "using": "m", "limit": 5,
    });
    same(
        &ask(shard, body),
        &brute(distance, &query, 5, |i| i >= 40),
        "re-ranked",
    );
    // The vectors come back as stored (cosine: each normalized).
    let rec = shard.retrieve(&[5u64.into(), 4u64.into()], false, true);
    let stored = |v: &Vec<f32>| match distance {
        Distance::Cosine => normalized(v),
        _ => v.clone(),
    };
    let want: Vec<Vec<f32>> = multi(5).unwrap().iter().map(stored).collect();
    match &rec[0].vectors.as_ref().unwrap()["m"] {
        Vector::Multi(rows) => {
            for (r, w) in rows.iter().zip(&want) {
                assert!(
                    r.iter().zip(w).all(|(a, b)| (a - b).abs() < 1e-6),
                    "{rows:?} vs {want:?}"
                );
            }
            assert_eq!(rows.len(), want.len());
        }
        other => panic!("a multivector, got {other:?}"),
    }
    assert!(
        !rec[1].vectors.as_ref().unwrap().contains_key("m"),
        "point 4 has none"
    );
}

#[test]
fn max_sim_answers_as_the_model_through_flush_optimize_and_reopen() {
    for distance in [
        Distance::Cosine,
        Distance::Dot,
        Distance::Euclid,
        Distance::Manhattan,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let shard = Shard::create(dir.path(), config(distance)).unwrap();
        fill(&shard);
        check(&shard, distance);
        shard.flush().unwrap();
        drop(shard);
        let shard = Shard::open(dir.path()).unwrap();
        check(&shard, distance);
        shard.optimize().unwrap();
        check(&shard, distance);
        drop(shard);
        // From the base file alone (no points changed since the optimize).
        let shard = Shard::open(dir.path()).unwrap();
        check(&shard, distance);
    }
}

/// Queries by examples score each point by its MaxSim to each example (Local Mode's formulas;
/// the server's conformance suite compares them all): here the sum of scores.
#[test]
fn recommendations_score_by_max_sim_to_each_example() {
    let dir = tempfile::tempdir().unwrap();
    let shard = Shard::create(dir.path(), config(Distance::Dot)).unwrap();
    fill(&shard);
    let body = json!({"query": {"recommend": {"positive": [1, 2], "negative": [3], "strategy": "sum_scores"}},
                      "using": "m", "limit": 5});
    let ms = |e: u64, i: u64| max_sim(Distance::Dot, &multi(e).unwrap(), &multi(i).unwrap());
    let mut want: Vec<(u64, f32)> = (0..POINTS)
        .filter(|i| ![1, 2, 3].contains(i) && multi(*i).is_some())
        .map(|i| (i, ms(1, i) + ms(2, i) - ms(3, i)))
        .collect();
    want.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    want.truncate(5);
    same(&ask(&shard, body), &want, "sum of scores");
}

#[test]
fn updates_and_deletes_of_a_multivector_apply() {
    let dir = tempfile::tempdir().unwrap();
    let shard = Shard::create(dir.path(), config(Distance::Dot)).unwrap();
    fill(&shard);
    shard.optimize().unwrap();
    let query = vec![vec![1.0, 0.0, 0.0]];
    // Point 3 takes a vector that wins; point 0 loses its multivector.
    let vectors = BTreeMap::from([("m".to_string(), Vector::Multi(vec![vec![9.0, 0.0, 0.0]]))]);
    shard
        .update(UpdateOp::UpdateVectors {
            points: vec![PointVectors {
                id: 3u64.into(),
                vectors,
            }],
            update_filter: None,
        })
        .unwrap();
    shard
        .update(UpdateOp::DeleteVectors {
            ids: vec![0u64.into()],
            filter: None,
            vectors: vec!["m".into()],
        })
        .unwrap();
    let got = ask(&shard, json!({"query": query, "using": "m", "limit": 3}));
    assert_eq!(got[0], (3, 9.0));
    let rec = shard.retrieve(&[0u64.into()], false, true);
    assert!(!rec[0].vectors.as_ref().unwrap().contains_key("m"));
    drop(shard);
    let shard = Shard::open(dir.path()).unwrap();
    assert_eq!(
        ask(&shard, json!({"query": query, "using": "m", "limit": 1}))[0],
        (3, 9.0)
    );
    let rec = shard.retrieve(&[0u64.into()], false, true);
    assert!(!rec[0].vectors.as_ref().unwrap().contains_key("m"));
}

#[test]
fn bad_multivectors_and_queries_by_example_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let shard = Shard::create(dir.path(), config(Distance::Cosine)).unwrap();
    fill(&shard);
    let up = |v: Vector| shard.update(UpdateOp::upsert(vec![Point::new(100u64, "m", v)]));
    for (v, says) in [
        (Vector::Multi(vec![]), "holds no vector"),
        (
            Vector::Multi(vec![vec![1.0, 2.0]]),
            "expected dim: 3, got 2",
        ),
        (
            Vector::Multi(vec![vec![1.0, f32::NAN, 0.0]]),
            "not a finite number",
        ),
        (
            Vector::Dense(vec![1.0, 2.0, 3.0]),
            "expected a list of vectors",
        ),
    ] {
        let e = up(v).unwrap_err().to_string();
        assert!(e.contains(says), "{e}");
    }
    let e = shard
        .update(UpdateOp::upsert(vec![Point::new(
            100u64,
            "d",
            Vector::Multi(vec![vec![1.0, 2.0]]),
        )]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a multivector"), "{e}");
    assert_eq!(shard.info().points, POINTS as usize, "nothing applied");
    let query = |body: Value| {
        let req = QueryRequest::from_json(&body).unwrap();
        shard.query(&req).unwrap_err().to_string()
    };
    let e = query(json!({"query": [[1.0, 0.0]], "using": "m"}));
    assert!(e.contains("expected dim: 3, got 2"), "{e}");
    let e = query(json!({"query": [1.0, 0.0, 0.0], "using": "m"}));
    assert!(e.contains("not a dense vector"), "{e}");
    let e = query(json!({"query": {"nearest": 1, "mmr": {"diversity": 0.5}}, "using": "m"}));
    assert!(e.contains("not supported for the multivector"), "{e}");
    let e = query(json!({"query": {"recommend": {"positive": [[[1.0, 2.0]]]}}, "using": "m"}));
    assert!(e.contains("expected dim: 3, got 2"), "{e}");
    let best = json!({"positive": [[1.0, 2.0, 3.0]], "strategy": "best_score"});
    let e = query(json!({"query": {"recommend": best}, "using": "m"}));
    assert!(e.contains("example for the multivector"), "{e}");
}
