//! Lifecycle and bad input: create / open errors, the lock, a damaged config, refused
//! operations that change nothing.

use serde_json::{Map, json};
use sextant_core::{Distance, PointId};
use sextant_shard::{
    Error, Point, QueryRequest, Shard, ShardConfig, UpdateOp, Vector, VectorParams,
};

fn config() -> ShardConfig {
    ShardConfig::new([("".to_string(), VectorParams::new(2, Distance::Dot))])
}

#[test]
fn create_open_lock_and_config_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s");
    assert!(matches!(Shard::open(&path), Err(Error::Missing { .. })));
    let shard = Shard::create(&path, config()).unwrap();
    assert!(matches!(
        Shard::create(&path, config()),
        Err(Error::Exists { .. })
    ));
    assert!(matches!(Shard::open(&path), Err(Error::Locked { .. })));
    assert_eq!(shard.config(), config());
    drop(shard);
    let reopened = Shard::open(&path).unwrap();
    assert_eq!(
        reopened.config(),
        config(),
        "the config is echoed as created"
    );
    drop(reopened);
    std::fs::write(path.join("config.json"), b"{\"vectors\": {").unwrap();
    let e = Shard::open(&path).unwrap_err();
    assert!(
        matches!(e, Error::Config { .. }) && e.to_string().contains("config.json"),
        "{e}"
    );
    let empty = ShardConfig::new([]);
    assert!(matches!(
        Shard::create(dir.path().join("t"), empty),
        Err(Error::Config { .. })
    ));
}

#[test]
fn refused_operations_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let shard = Shard::create(dir.path(), config()).unwrap();
    shard
        .update(UpdateOp::upsert(vec![
            Point::new(1u64, "", vec![1.0, 2.0]).with_payload(json!({"a": 1})),
        ]))
        .unwrap();
    let before = shard.info();
    let refused = [
        UpdateOp::upsert(vec![
            Point::new(2u64, "", vec![1.0, 2.0]),
            Point::new(3u64, "", vec![1.0]),
        ]),
        UpdateOp::upsert(vec![Point::new(2u64, "x", vec![1.0, 2.0])]),
        UpdateOp::upsert(vec![Point::new(2u64, "", vec![f32::INFINITY, 2.0])]),
        UpdateOp::set_payload(
            vec![PointId::from(1u64), PointId::from(9u64)],
            json!({"b": 2}).as_object().unwrap().clone(),
        ),
        // Ids and a filter together.
        UpdateOp::ClearPayload {
            ids: vec![1u64.into()],
            filter: Some(json!({"must": [{"has_id": [1]}]})),
        },
        UpdateOp::SetPayload {
            ids: vec![1u64.into()],
            filter: None,
            payload: Map::new(),
            key: Some("a..b".into()),
        },
        UpdateOp::UpdateVectors {
            points: vec![sextant_shard::PointVectors {
                id: 9u64.into(),
                vectors: [("".to_string(), Vector::Dense(vec![1.0, 1.0]))].into(),
            }],
            update_filter: None,
        },
        UpdateOp::UpdateVectors {
            points: vec![sextant_shard::PointVectors {
                id: 1u64.into(),
                vectors: [("".to_string(), Vector::Dense(vec![1.0]))].into(),
            }],
            update_filter: None,
        },
        UpdateOp::delete_vectors(vec![1u64.into()], vec!["nope".into()]),
        UpdateOp::DeleteByFilter {
            filter: json!({"must": [{"key": "a", "match": {"valu": 1}}]}),
        },
    ];
    for op in refused {
        let e = shard.update(op.clone()).unwrap_err();
        assert!(matches!(e, Error::BadInput(_)), "{op:?}: {e}");
    }
    assert_eq!(shard.info(), before, "nothing logged");
    let all = shard.retrieve(&[1u64.into(), 2u64.into()], true, false);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].payload, Some(json!({"a": 1})), "nothing applied");
    let e = shard
        .query(&QueryRequest::new("nope", vec![1.0, 0.0], 3))
        .unwrap_err();
    assert!(e.to_string().contains("Not existing vector name"), "{e}");
    let e = shard
        .query(&QueryRequest::new("", vec![1.0, 0.0, 3.0], 3))
        .unwrap_err();
    assert!(matches!(e, Error::BadInput(_)), "{e}");
    let e = shard
        .query(&QueryRequest::new("", vec![f32::NAN, 0.0], 3))
        .unwrap_err();
    assert!(matches!(e, Error::BadInput(_)), "{e}");
}

#[test]
fn euclid_scores_are_distances_and_thresholds_bound_them() {
    let dir = tempfile::tempdir().unwrap();
    let config = ShardConfig::new([("v".to_string(), VectorParams::new(2, Distance::Euclid))]);
    let shard = Shard::create(dir.path(), config).unwrap();
    let points = (0..5u64)
        .map(|i| Point::new(i, "v", vec![i as f32, 0.0]))
        .collect();
    shard.update(UpdateOp::upsert(points)).unwrap();
    let mut req = QueryRequest::new("v", vec![0.0, 0.0], 10);
    req.score_threshold = Some(2.5);
    req.offset = 1;
    let found = shard.query(&req).unwrap();
    let got: Vec<(PointId, f32)> = found.iter().map(|r| (r.id, r.score)).collect();
    assert_eq!(got, vec![(1u64.into(), 1.0), (2u64.into(), 2.0)]);
}

#[test]
fn sparse_vectors_are_sorted_checked_and_scored_by_dot_product() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config();
    config
        .sparse_vectors
        .insert("s".into(), sextant_shard::SparseVectorParams::default());
    let shard = Shard::create(dir.path(), config).unwrap();
    let sparse = |indices: Vec<u32>, values: Vec<f32>| Vector::Sparse { indices, values };
    shard
        .update(UpdateOp::upsert(vec![
            Point::new(1u64, "s", sparse(vec![7, 2], vec![1.0, 3.0])),
            Point::new(2u64, "s", sparse(vec![5], vec![4.0])),
            Point::new(3u64, "", vec![1.0, 1.0]),
        ]))
        .unwrap();
    let before = shard.info();
    for bad in [
        sparse(vec![1, 1], vec![1.0, 2.0]),
        sparse(vec![1, 2], vec![1.0]),
        sparse(vec![1], vec![f32::NAN]),
    ] {
        let op = UpdateOp::upsert(vec![Point::new(4u64, "s", bad)]);
        assert!(matches!(shard.update(op), Err(Error::BadInput(_))));
    }
    let dense_as_sparse = UpdateOp::upsert(vec![Point::new(4u64, "", sparse(vec![1], vec![1.0]))]);
    assert!(matches!(
        shard.update(dense_as_sparse),
        Err(Error::BadInput(_))
    ));
    assert_eq!(shard.info(), before);
    let got = shard.retrieve(&[1u64.into()], false, true);
    assert_eq!(
        got[0].vectors.as_ref().unwrap()["s"],
        sparse(vec![2, 7], vec![3.0, 1.0]),
        "stored sorted by index"
    );
    // Only points sharing a term are returned; the score is the dot product.
    let hits = shard
        .query(&QueryRequest::new(
            "s",
            sparse(vec![7, 2, 9], vec![2.0, 0.5, 1.0]),
            10,
        ))
        .unwrap();
    let got: Vec<(PointId, f32)> = hits.iter().map(|r| (r.id, r.score)).collect();
    assert_eq!(got, vec![(1u64.into(), 3.5)]);
}
