//! The universal query's kinds beyond a plain vector, on a shard of random points before
//! and after `optimize` (a graph over them) and a reopen: by point id (the point left out),
//! recommendations, discovery, context and relevance-feedback searches against their
//! definitions, order-by
//! (query and scroll), samples, points in id order, groups, payload and vector selectors,
//! score formulas.

use serde_json::json;
use sextant_core::{Distance, PointId};
use sextant_payload_index::{FieldType, Filter};
use sextant_shard::{
    ContextPair, Direction, FeedbackItem, GroupId, GroupsRequest, OrderBy, OrderValue, Point,
    Query, QueryRequest, Recommend, RecommendStrategy, Record, RelevanceFeedback, ScrollRequest,
    Shard, ShardConfig, UpdateOp, VectorInput, VectorParams, WithPayload, WithVector,
};

const DIM: usize = 8;
const POINTS: u64 = 400;

fn vector(seed: u64) -> Vec<f32> {
    (0..DIM as u64)
        .map(|j| {
            let h = (seed * 31 + j).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
            (h % 2001) as f32 / 1000.0 - 1.0
        })
        .collect()
}

fn shard(dir: &std::path::Path, distance: Distance) -> Shard {
    let mut config = ShardConfig::new([("v".to_string(), VectorParams::new(DIM, distance))]);
    config.optimizer.indexing_threshold = 100;
    config.optimizer.full_scan_threshold = 50;
    let shard = Shard::create(dir, config).unwrap();
    for key in ["n", "x"] {
        let schema = if key == "n" {
            FieldType::Integer
        } else {
            FieldType::Float
        };
        let op = UpdateOp::CreateFieldIndex {
            key: key.into(),
            schema,
        };
        shard.update(op).unwrap();
    }
    let points = (0..POINTS)
        .map(|i| {
            let tag = ["a", "b", "c"][i as usize % 3];
            Point::new(i, "v", vector(i)).with_payload(json!({
                "n": i % 7, "x": (i * 37 % 101) as f64 / 4.0,
                "tag": tag, "both": [i % 2, 10 + i % 3],
            }))
        })
        .collect();
    shard.update(UpdateOp::upsert(points)).unwrap();
    shard
}

fn ids(found: &[Record]) -> Vec<PointId> {
    found.iter().map(|r| r.id).collect()
}

fn query(shard: &Shard, q: impl Into<Query>, limit: usize) -> Vec<Record> {
    let mut req = QueryRequest::new("v", q, limit);
    req.params.exact = true;
    shard.query(&req).unwrap()
}

/// The internal similarity Qdrant scores examples with (negated distances).
fn sim(distance: Distance, a: &[f32], b: &[f32]) -> f32 {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    distance.prepare(&mut a, DIM).unwrap();
    distance.prepare(&mut b, DIM).unwrap();
    distance.score_f32(&a, &b)
}

fn scaled_sigmoid(x: f32) -> f32 {
    0.5 * (x / (1.0 + x.abs()) + 1.0)
}

/// Every live point's score under `score`, best first (ties by id), the `limit` best.
fn brute(score: impl Fn(&[f32]) -> f32, limit: usize, skip: &[u64]) -> Vec<(u64, f32)> {
    let mut all: Vec<(u64, f32)> = (0..POINTS)
        .filter(|i| !skip.contains(i))
        .map(|i| (i, score(&vector(i))))
        .collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    all.truncate(limit);
    all
}

fn assert_scores(got: &[Record], want: &[(u64, f32)]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g.score - w.1).abs() < 1e-4, "{} vs {w:?}", g.score);
    }
    // Ids agree except among (near-)equal scores.
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let tied = want
            .iter()
            .enumerate()
            .any(|(j, o)| j != i && (o.1 - w.1).abs() < 1e-5);
        assert!(tied || g.id == PointId::from(w.0), "{:?} vs {w:?}", g.id);
    }
}

#[test]
fn examples_score_as_qdrant_defines_them() {
    for distance in Distance::ALL {
        let dir = tempfile::tempdir().unwrap();
        let s = shard(dir.path(), distance);
        let (p1, p2, n1) = (vector(1000), vector(1001), vector(1002));
        let id = |i: u64| VectorInput::Id(PointId::from(i));
        let sim = |a: &[f32], b: &[f32]| sim(distance, a, b);
        // Best score: σ(best positive) when it beats the best negative, else −σ(best negative).
        let best = Recommend {
            positive: vec![p1.clone().into(), id(5)],
            negative: vec![n1.clone().into()],
            strategy: RecommendStrategy::BestScore,
        };
        let want = brute(
            |v| {
                let p = sim(&p1, v).max(sim(&vector(5), v));
                let n = sim(&n1, v);
                if p > n {
                    scaled_sigmoid(p)
                } else {
                    -scaled_sigmoid(n)
                }
            },
            10,
            &[5],
        );
        assert_scores(&query(&s, Query::Recommend(best), 10), &want);
        // Sum of scores.
        let sum = Recommend {
            positive: vec![p1.clone().into(), p2.clone().into()],
            negative: vec![id(7)],
            strategy: RecommendStrategy::SumScores,
        };
        let want = brute(|v| sim(&p1, v) + sim(&p2, v) - sim(&vector(7), v), 10, &[7]);
        assert_scores(&query(&s, Query::Recommend(sum), 10), &want);
        // Discovery: +1 / −1 per pair, then σ(target).
        let pairs = vec![
            ContextPair {
                positive: p1.clone().into(),
                negative: n1.clone().into(),
            },
            ContextPair {
                positive: id(3),
                negative: p2.clone().into(),
            },
        ];
        let side = |v: &[f32], p: &[f32], n: &[f32]| match sim(p, v).partial_cmp(&sim(n, v)) {
            Some(std::cmp::Ordering::Greater) => 1.0,
            Some(std::cmp::Ordering::Less) => -1.0,
            _ => 0.0,
        };
        let discover = Query::Discover {
            target: p2.clone().into(),
            context: pairs.clone(),
        };
        let want = brute(
            |v| side(v, &p1, &n1) + side(v, &vector(3), &p2) + scaled_sigmoid(sim(&p2, v)),
            10,
            &[3],
        );
        assert_scores(&query(&s, discover, 10), &want);
        // Context: Σ sigmoid(min(pos − neg − ε, 0)).
        let part = |v: &[f32], p: &[f32], n: &[f32]| {
            let d = (sim(p, v) - sim(n, v) - f32::EPSILON).min(0.0);
            d / (1.0 + d.abs())
        };
        let want = brute(|v| part(v, &p1, &n1) + part(v, &vector(3), &p2), 10, &[3]);
        let got = query(&s, Query::Context(pairs), 10);
        for (g, w) in got.iter().zip(&want) {
            assert!((g.score - w.1).abs() < 1e-4, "{} vs {w:?}", g.score);
        }
        // Relevance feedback: a·sim(target) + Σ c·(sᵢ − sⱼ)^b·(sim(eᵢ) − sim(eⱼ)) over the
        // ordered pairs with sᵢ > sⱼ (higher is better on every distance).
        let feedback = RelevanceFeedback {
            target: p1.clone().into(),
            feedback: vec![
                FeedbackItem {
                    example: p2.clone().into(),
                    score: 0.9,
                },
                FeedbackItem {
                    example: id(11),
                    score: 0.4,
                },
                FeedbackItem {
                    example: n1.clone().into(),
                    score: 0.4,
                },
            ],
            naive: [0.8, 2.0, 1.5],
        };
        let w = 1.5 * 0.5f32.powi(2);
        let want = brute(
            |v| {
                0.8 * sim(&p1, v)
                    + w * (sim(&p2, v) - sim(&vector(11), v))
                    + w * (sim(&p2, v) - sim(&n1, v))
            },
            10,
            &[11],
        );
        assert_scores(&query(&s, Query::RelevanceFeedback(feedback), 10), &want);
    }
}

#[test]
fn a_point_id_queries_by_its_vector_and_is_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let s = shard(dir.path(), Distance::Cosine);
    let check = |s: &Shard| {
        for i in [0u64, 17, 399] {
            let by_id = query(s, PointId::from(i), 10);
            let by_vector = query(s, vector(i), 11);
            assert!(!ids(&by_id).contains(&PointId::from(i)));
            let rest: Vec<PointId> = ids(&by_vector)
                .into_iter()
                .filter(|&p| p != PointId::from(i))
                .take(10)
                .collect();
            assert_eq!(ids(&by_id), rest);
            // The average of one positive is the point's own vector.
            let avg = Recommend {
                positive: vec![VectorInput::Id(i.into())],
                ..Default::default()
            };
            assert_eq!(ids(&query(s, Query::Recommend(avg), 10)), rest);
            // Through the graph too: the same as its vector through the graph, less itself
            // (not compared with the exact answer: a graph built on two threads may leave a
            // point unreachable, and which one differs from run to run).
            let mut req = QueryRequest::new("v", PointId::from(i), 10);
            req.params.hnsw_ef = Some(400);
            let mut by_vector = QueryRequest::new("v", vector(i), 11);
            by_vector.params.hnsw_ef = Some(400);
            let graph_rest: Vec<PointId> = ids(&s.query(&by_vector).unwrap())
                .into_iter()
                .filter(|&p| p != PointId::from(i))
                .take(10)
                .collect();
            assert_eq!(ids(&s.query(&req).unwrap()), graph_rest);
        }
        let missing = QueryRequest::new("v", PointId::from(10_000u64), 3);
        let e = s.query(&missing).unwrap_err().to_string();
        assert!(e.contains("No point with id 10000"), "{e}");
    };
    check(&s);
    s.optimize().unwrap();
    check(&s);
    drop(s);
    check(&Shard::open(dir.path()).unwrap());
}

#[test]
fn order_by_follows_the_payload_values() {
    let dir = tempfile::tempdir().unwrap();
    let s = shard(dir.path(), Distance::Dot);
    let xs = |r: &[Record]| -> Vec<f64> {
        r.iter()
            .map(|r| match r.order_value {
                Some(OrderValue::Float(f)) => f,
                v => panic!("{v:?}"),
            })
            .collect()
    };
    for optimized in [false, true] {
        let mut req = QueryRequest::new("v", Query::OrderBy(OrderBy::new("x")), 15);
        req.offset = 3;
        let got = s.query(&req).unwrap();
        let mut all: Vec<f64> = (0..POINTS).map(|i| (i * 37 % 101) as f64 / 4.0).collect();
        all.sort_by(f64::total_cmp);
        assert_eq!(xs(&got), all[3..18]);
        assert!(got.iter().all(|r| r.score == 1.0));
        // Descending from a value, under a filter.
        let by = OrderBy {
            key: "x".into(),
            direction: Direction::Desc,
            start_from: Some(OrderValue::Float(10.0)),
        };
        let mut req = QueryRequest::new("v", Query::OrderBy(by), 400);
        req.filter = Some(
            Filter::from_value(&json!({"must": [{"key": "tag", "match": {"value": "b"}}]}))
                .unwrap(),
        );
        req.with_payload = WithPayload::All;
        let got = s.query(&req).unwrap();
        let vals = xs(&got);
        assert!(vals.windows(2).all(|w| w[0] >= w[1]) && vals[0] <= 10.0);
        assert!(
            got.iter()
                .all(|r| r.payload.as_ref().unwrap()["tag"] == "b")
        );
        assert_eq!(
            got.len(),
            (0..POINTS)
                .filter(|i| i % 3 == 1 && (i * 37 % 101) as f64 / 4.0 <= 10.0)
                .count()
        );
        // Scroll in value order; an offset is refused there.
        let mut scroll = ScrollRequest::new(5);
        scroll.order_by = Some(OrderBy::new("x"));
        assert_eq!(xs(&s.scroll(&scroll).unwrap().points), all[..5]);
        scroll.offset = Some(PointId::from(3u64));
        assert!(s.scroll(&scroll).is_err());
        // Unindexed key.
        let req = QueryRequest::new("v", Query::OrderBy(OrderBy::new("tag")), 3);
        assert!(s.query(&req).unwrap_err().to_string().contains("order_by"));
        if !optimized {
            s.optimize().unwrap();
        }
    }
}

#[test]
fn groups_samples_and_selectors() {
    let dir = tempfile::tempdir().unwrap();
    let s = shard(dir.path(), Distance::Euclid);
    let q = vector(4242);
    let groups = s
        .query_groups(&GroupsRequest {
            request: QueryRequest::new("v", q.clone(), 3),
            group_by: "both".into(),
            group_size: 4,
        })
        .unwrap();
    assert_eq!(groups.len(), 3);
    let ranked = query(&s, q.clone(), 400);
    let best_of = |g: &GroupId| {
        ranked
            .iter()
            .filter(|r| {
                let n = match r.id {
                    PointId::Num(n) => n,
                    _ => unreachable!(),
                };
                match g {
                    GroupId::Int(v) => *v as u64 == n % 2 || *v as u64 == 10 + n % 3,
                    GroupId::Str(_) => false,
                }
            })
            .take(4)
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    for g in &groups {
        assert_eq!(ids(&g.hits), best_of(&g.id), "{:?}", g.id);
    }
    // Groups come in the order of their best point (distances: ascending).
    assert!(
        groups
            .windows(2)
            .all(|w| w[0].hits[0].score <= w[1].hits[0].score)
    );
    // A random sample: distinct passing points.
    let mut req = QueryRequest::new("v", Query::Sample, 20);
    req.filter =
        Some(Filter::from_value(&json!({"must": [{"key": "n", "match": {"value": 3}}]})).unwrap());
    let got = ids(&s.query(&req).unwrap());
    let mut unique = got.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((got.len(), unique.len()), (20, 20));
    assert!(
        got.iter()
            .all(|p| matches!(p, PointId::Num(n) if n % 7 == 3))
    );
    // No query: id order.
    let mut req = QueryRequest::new("v", Query::Sample, 4);
    req.query = None;
    req.offset = 2;
    assert_eq!(
        ids(&s.query(&req).unwrap()),
        [2u64, 3, 4, 5].map(PointId::from)
    );
    // Selectors.
    let got = s.retrieve(
        &[PointId::from(5u64)],
        WithPayload::Exclude(vec!["both".into(), "x".into()]),
        WithVector::Names(vec!["w".into()]),
    );
    assert_eq!(got[0].payload, Some(json!({"n": 5, "tag": "c"})));
    assert_eq!(got[0].vectors.as_ref().map(|v| v.len()), Some(0));
    let got = s.retrieve(
        &[PointId::from(5u64)],
        WithPayload::Include(vec!["tag".into()]),
        true,
    );
    assert_eq!(got[0].payload, Some(json!({"tag": "c"})));
    assert_eq!(got[0].vectors.as_ref().map(|v| v.len()), Some(1));
}

#[test]
fn a_formula_scores_the_prefetched_points_again() {
    let dir = tempfile::tempdir().unwrap();
    let s = shard(dir.path(), Distance::Dot);
    let q = vector(9_999);
    let body = json!({
        "prefetch": {"query": q, "using": "v", "limit": 50, "params": {"exact": true}},
        "query": {"formula": {"sum": [
            "$score",
            {"mult": [0.5, {"key": "n", "range": {"gte": 3}}]},
            {"mult": [0.1, "x"]},
            {"gauss_decay": {"x": "missing", "target": 1, "scale": 2}}
        ]}, "defaults": {"missing": 3}},
        "limit": 10,
    });
    let req = QueryRequest::from_json(&body).unwrap();
    // By hand: the 50 nearest, scored by the same formula.
    let decay = (0.5f64.ln() / 4.0 * 4.0).exp();
    let mut want: Vec<(u64, f32)> = brute(|v| sim(Distance::Dot, &q, v), 50, &[])
        .into_iter()
        .map(|(i, score)| {
            let x = (i * 37 % 101) as f64 / 4.0;
            let boost = if i % 7 >= 3 { 0.5 } else { 0.0 };
            (i, (f64::from(score) + boost + 0.1 * x + decay) as f32)
        })
        .collect();
    want.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    want.truncate(10);
    let check = |s: &Shard| assert_scores(&s.query(&req).unwrap(), &want);
    check(&s);
    s.optimize().unwrap();
    check(&s);
    drop(s);
    let s = Shard::open(dir.path()).unwrap();
    check(&s);

    // A point whose formula is not finite fails the query, naming the expression; so does
    // a formula with nothing to score.
    let body = json!({"prefetch": {"query": q, "using": "v"},
                      "query": {"formula": {"ln": {"neg": "x"}}}});
    let e = s
        .query(&QueryRequest::from_json(&body).unwrap())
        .unwrap_err();
    assert!(
        e.to_string().contains("produced a non-finite number"),
        "{e}"
    );
    let body = json!({"query": {"formula": "$score"}});
    let e = s
        .query(&QueryRequest::from_json(&body).unwrap())
        .unwrap_err();
    assert!(e.to_string().contains("needs prefetches"), "{e}");
}

#[test]
fn query_json_corpus_replays() {
    let dir = tempfile::tempdir().unwrap();
    let shard = sextant_shard::fuzzing::query_shard(dir.path()).unwrap();
    let corpus =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/query_json");
    let mut n = 0;
    for entry in std::fs::read_dir(corpus).unwrap() {
        sextant_shard::fuzzing::query_json(&shard, &std::fs::read(entry.unwrap().path()).unwrap());
        n += 1;
    }
    assert!(n >= 6, "corpus has {n} files");
    // The formula seed is answered (the corpus exercises the evaluator, not only the parser).
    let body: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../fuzz/corpus/query_json/formula"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        shard
            .query(&QueryRequest::from_json(&body).unwrap())
            .unwrap()
            .len(),
        4
    );
}
