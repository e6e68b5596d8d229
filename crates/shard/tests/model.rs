//! Model test: random sequences of every operation, with reopens and reconfigures, against a
//! map of points; after each step every point, counts under filters and exact queries must
//! equal the model's.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use sextant_core::{Distance, PointId};
use sextant_payload_index::Filter;
use sextant_payload_index::path::JsonPath;
use sextant_shard::{Point, QueryRequest, Shard, ShardConfig, UpdateMode, UpdateOp, VectorParams};

const DIM: usize = 3;

#[derive(Debug, Clone)]
enum Step {
    Upsert(Vec<(u64, Option<[i8; DIM]>, i64, bool)>, u8, Option<i64>),
    Delete(Vec<u64>),
    DeleteWhere(i64),
    Set(Vec<u64>, i64),
    Overwrite(Vec<u64>, i64),
    DeleteKey(Vec<u64>),
    Clear(Vec<u64>),
    /// Set `{"s": value}` on the points with this `g`, at the top or at the key `n.m`.
    SetWhere(i64, bool, i64),
    ClearWhere(i64),
    Index(bool),
    Unindex,
    Flush,
    Reopen,
    Optimize,
    /// `Shard::reconfigure`: the graph off (`m` 0) or on, sq8d codes or none.
    Reconfigure(bool, bool),
}

fn step() -> impl Strategy<Value = Step> {
    let ids = || prop::collection::vec(0u64..12, 1..4);
    prop_oneof![
        4 => (
            prop::collection::vec(
                (0u64..12, prop::option::weighted(0.85, any::<[i8; DIM]>()), 0i64..4, any::<bool>()),
                1..5
            ),
            0u8..3,
            prop::option::weighted(0.3, 0i64..4),
        ).prop_map(|(p, mode, g)| Step::Upsert(p, mode, g)),
        1 => ids().prop_map(Step::Delete),
        1 => (0i64..4).prop_map(Step::DeleteWhere),
        1 => (ids(), 0i64..4).prop_map(|(i, g)| Step::Set(i, g)),
        1 => (ids(), 0i64..4).prop_map(|(i, g)| Step::Overwrite(i, g)),
        1 => ids().prop_map(Step::DeleteKey),
        1 => ids().prop_map(Step::Clear),
        1 => (0i64..4, any::<bool>(), 0i64..9).prop_map(|(g, n, v)| Step::SetWhere(g, n, v)),
        1 => (0i64..4).prop_map(Step::ClearWhere),
        1 => any::<bool>().prop_map(Step::Index),
        1 => Just(Step::Unindex),
        1 => Just(Step::Flush),
        1 => Just(Step::Reopen),
        2 => Just(Step::Optimize),
        1 => (any::<bool>(), any::<bool>()).prop_map(|(off, codes)| Step::Reconfigure(off, codes)),
    ]
}

/// The model: id → (prepared vector, payload).
type Model = BTreeMap<u64, (Option<Vec<f32>>, Map<String, Value>)>;

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

/// The filter `g = value`.
fn g_is(value: i64) -> Value {
    json!({"must": [{"key": "g", "match": {"value": value}}]})
}

/// Does `payload` pass the filter `f` (Qdrant's filter JSON)?
fn passes(f: &Value, payload: &Map<String, Value>) -> bool {
    sextant_payload_index::check::check_filter(
        &Filter::from_value(f).unwrap(),
        &Value::Object(payload.clone()),
        0,
        &sextant_payload_index::check::NoContext,
    )
}

fn op_of(step: &Step) -> Option<UpdateOp> {
    let ids = |v: &[u64]| v.iter().map(|&i| PointId::from(i)).collect::<Vec<_>>();
    Some(match step {
        Step::Upsert(points, mode, g) => UpdateOp::Upsert {
            points: points
                .iter()
                .map(|&(id, v, g, tag)| Point {
                    id: id.into(),
                    vectors: v
                        .map(|v| {
                            BTreeMap::from([("v".to_string(), v.map(f32::from).to_vec().into())])
                        })
                        .unwrap_or_default(),
                    payload: obj(json!({"g": g, "tag": if tag { "a" } else { "b" }})),
                })
                .collect(),
            update_mode: [
                None,
                Some(UpdateMode::InsertOnly),
                Some(UpdateMode::UpdateOnly),
            ][*mode as usize],
            update_filter: g.map(g_is),
        },
        Step::Delete(i) => UpdateOp::Delete { ids: ids(i) },
        Step::DeleteWhere(g) => UpdateOp::DeleteByFilter { filter: g_is(*g) },
        Step::Set(i, g) => UpdateOp::set_payload(ids(i), obj(json!({"g": g, "set": true}))),
        Step::Overwrite(i, g) => UpdateOp::overwrite_payload(ids(i), obj(json!({"g": g}))),
        Step::DeleteKey(i) => UpdateOp::delete_payload(ids(i), vec!["g".into()]),
        Step::Clear(i) => UpdateOp::clear_payload(ids(i)),
        Step::SetWhere(g, nested, v) => UpdateOp::SetPayload {
            ids: Vec::new(),
            filter: Some(g_is(*g)),
            payload: obj(json!({"s": v})),
            key: nested.then(|| "n.m".to_string()),
        },
        Step::ClearWhere(g) => UpdateOp::ClearPayload {
            ids: Vec::new(),
            filter: Some(g_is(*g)),
        },
        Step::Index(g) => UpdateOp::CreateFieldIndex {
            key: if *g { "g" } else { "tag" }.into(),
            schema: if *g {
                sextant_payload_index::FieldType::Integer
            } else {
                sextant_payload_index::FieldType::Keyword
            },
        },
        Step::Unindex => UpdateOp::DeleteFieldIndex { key: "g".into() },
        Step::Flush | Step::Reopen | Step::Optimize | Step::Reconfigure(..) => return None,
    })
}

/// Applies `op` to the model as Qdrant would; false when Qdrant refuses it (a payload
/// operation on a missing point), leaving the model unchanged.
fn apply(model: &mut Model, op: &UpdateOp, distance: Distance) -> bool {
    let id = |p: &PointId| match p {
        PointId::Num(n) => *n,
        PointId::Uuid(_) => unreachable!("numeric ids only"),
    };
    let known = |ids: &[PointId], m: &Model| ids.iter().all(|i| m.contains_key(&id(i)));
    match op {
        UpdateOp::Upsert {
            points,
            update_filter,
            update_mode,
        } => {
            // Point by point: an earlier point of the batch exists for a later one.
            for p in points {
                let write = match (model.get(&id(&p.id)), update_mode) {
                    (Some(_), Some(UpdateMode::InsertOnly)) => false,
                    (None, Some(UpdateMode::UpdateOnly)) => false,
                    (Some((_, payload)), _) => {
                        update_filter.as_ref().is_none_or(|f| passes(f, payload))
                    }
                    (None, _) => true,
                };
                if !write {
                    continue;
                }
                let v = p.vectors.get("v").map(|v| {
                    let sextant_shard::Vector::Dense(v) = v else {
                        unreachable!("dense only")
                    };
                    let mut v = v.clone();
                    distance.prepare(&mut v, DIM).unwrap();
                    v
                });
                model.insert(id(&p.id), (v, p.payload.clone()));
            }
        }
        UpdateOp::Delete { ids } => ids.iter().for_each(|i| {
            model.remove(&id(i));
        }),
        UpdateOp::DeleteByFilter { filter } => model.retain(|_, (_, p)| !passes(filter, p)),
        UpdateOp::SetPayload {
            filter: Some(f),
            payload,
            key,
            ..
        } => {
            let at = key.as_ref().map(|k| k.parse::<JsonPath>().unwrap());
            for (_, p) in model.values_mut().filter(|(_, p)| passes(f, p)) {
                match &at {
                    Some(path) => path.set(p, payload),
                    None => p.extend(payload.clone()),
                }
            }
        }
        UpdateOp::ClearPayload {
            filter: Some(f), ..
        } => model
            .values_mut()
            .filter(|(_, p)| passes(f, p))
            .for_each(|(_, p)| p.clear()),
        UpdateOp::SetPayload { ids, payload, .. } if known(ids, model) => {
            for i in ids {
                model.get_mut(&id(i)).unwrap().1.extend(payload.clone());
            }
        }
        UpdateOp::OverwritePayload { ids, payload, .. } if known(ids, model) => {
            for i in ids {
                model.get_mut(&id(i)).unwrap().1 = payload.clone();
            }
        }
        UpdateOp::DeletePayload { ids, keys, .. } if known(ids, model) => {
            for i in ids {
                for k in keys {
                    model.get_mut(&id(i)).unwrap().1.remove(k);
                }
            }
        }
        UpdateOp::ClearPayload { ids, .. } if known(ids, model) => {
            for i in ids {
                model.get_mut(&id(i)).unwrap().1.clear();
            }
        }
        UpdateOp::CreateFieldIndex { .. } | UpdateOp::DeleteFieldIndex { .. } => {}
        _ => return false,
    }
    true
}

fn check(shard: &Shard, model: &Model, distance: Distance, query: &[f32; DIM]) {
    let all: Vec<PointId> = (0u64..12).map(PointId::from).collect();
    let got = shard.retrieve(&all, true, true);
    assert_eq!(got.len(), model.len());
    for r in &got {
        let PointId::Num(n) = r.id else { panic!() };
        let (v, p) = &model[&n];
        assert_eq!(r.payload.as_ref().unwrap(), &Value::Object(p.clone()));
        let want = v.clone().map(sextant_shard::Vector::Dense);
        assert_eq!(r.vectors.as_ref().unwrap().get("v"), want.as_ref());
    }
    // Scroll in pages of 5: every point once, in id order, each page pointing at the next.
    let mut ids = Vec::new();
    let mut req = sextant_shard::ScrollRequest::new(5);
    loop {
        let page = shard.scroll(&req).unwrap();
        assert!(page.points.len() <= 5);
        ids.extend(page.points.iter().map(|r| r.id));
        match page.next_page_offset {
            Some(next) => req.offset = Some(next),
            None => break,
        }
    }
    let want: Vec<PointId> = model.keys().map(|&i| PointId::from(i)).collect();
    assert_eq!(ids, want);
    let filters = [
        r#"{"must": [{"key": "g", "match": {"value": 1}}]}"#,
        r#"{"must": [{"key": "g", "range": {"gte": 2}}], "must_not": [{"key": "tag", "match": {"value": "a"}}]}"#,
        r#"{"should": [{"is_empty": {"key": "g"}}, {"key": "set", "match": {"value": true}}]}"#,
    ];
    for f in filters {
        let filter = Filter::from_json(f).unwrap();
        let want: Vec<u64> = model
            .iter()
            .filter(|(_, (_, p))| {
                sextant_payload_index::check::check_filter(
                    &filter,
                    &Value::Object(p.clone()),
                    0,
                    &sextant_payload_index::check::NoContext,
                )
            })
            .map(|(&i, _)| i)
            .collect();
        assert_eq!(shard.count(Some(&filter)), want.len(), "{f}");
        // Exact query under the filter: brute force over the model.
        let mut q = query.to_vec();
        distance.prepare(&mut q, DIM).unwrap();
        let mut scored: Vec<(f32, u64)> = want
            .iter()
            .filter_map(|i| Some((distance.score_f32(&q, model[i].0.as_ref()?), *i)))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut req = QueryRequest::new("v", query.to_vec(), 4);
        req.filter = Some(filter);
        // Codes find 3 candidates per result: all 12 points, rescored, so results are exact.
        req.params.quantization.oversampling = 3.0;
        let found = shard.query(&req).unwrap();
        assert_eq!(found.len(), scored.len().min(4), "{f}");
        for (r, (s, _)) in found.iter().zip(&scored) {
            let internal = match distance {
                Distance::Euclid | Distance::Manhattan => distance.from_distance(r.score),
                _ => r.score,
            };
            assert!(
                (internal - s).abs() <= 1e-4 * s.abs().max(1.0),
                "{f}: {r:?} vs {s}"
            );
            let PointId::Num(n) = r.id else { panic!() };
            let own = distance.score_f32(&q, model[&n].0.as_ref().unwrap());
            assert_eq!(own, *s, "{f}: a point scored as the k-th best must be one");
        }
    }
}

fn run(steps: Vec<Step>, distance: Distance, codes: bool, query: [f32; DIM]) {
    let dir = tempfile::tempdir().unwrap();
    let mut params = VectorParams::new(DIM, distance);
    if codes && distance != Distance::Manhattan {
        params = params.with_quantization("sq8d".parse().unwrap());
    }
    let mut config = ShardConfig::new([("v".to_string(), params)]);
    // Every optimize builds a graph, every search walks it.
    config.optimizer.indexing_threshold = 1;
    config.optimizer.full_scan_threshold = 0;
    config.optimizer.threads = 1;
    let mut shard = Shard::create(dir.path(), config).unwrap();
    let mut model = Model::new();
    for s in &steps {
        match op_of(s) {
            None if matches!(s, Step::Flush) => shard.flush().unwrap(),
            None if matches!(s, Step::Optimize) => {
                shard.optimize().unwrap();
            }
            None if matches!(s, Step::Reconfigure(..)) => {
                let Step::Reconfigure(off, codes) = *s else {
                    unreachable!()
                };
                let mut next = shard.config();
                let v = next.vectors.get_mut("v").unwrap();
                v.hnsw = off.then(|| sextant_hnsw::HnswConfig {
                    m: 0,
                    m0: 0,
                    ..Default::default()
                });
                v.quantization =
                    (codes && distance != Distance::Manhattan).then(|| "sq8d".parse().unwrap());
                shard.reconfigure(next).unwrap();
            }
            None => {
                drop(shard);
                shard = Shard::open(dir.path()).unwrap();
            }
            Some(op) => {
                let before = shard.info().next_version;
                let accepted = apply(&mut model, &op, distance);
                let result = shard.update(op);
                assert_eq!(result.is_ok(), accepted, "{s:?}: {result:?}");
                if !accepted {
                    assert_eq!(
                        shard.info().next_version,
                        before,
                        "a refused op is not logged"
                    );
                }
            }
        }
        check(&shard, &model, distance, &query);
    }
    drop(shard);
    check(&Shard::open(dir.path()).unwrap(), &model, distance, &query);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn shard_equals_the_model(
        steps in prop::collection::vec(step(), 1..30),
        d in 0usize..4,
        codes in any::<bool>(),
        query in any::<[i8; DIM]>(),
    ) {
        let distance = [Distance::Cosine, Distance::Dot, Distance::Euclid, Distance::Manhattan][d];
        run(steps, distance, codes, query.map(f32::from));
    }
}
