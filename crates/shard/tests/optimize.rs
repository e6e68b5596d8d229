//! `optimize` on real data: the graph (on floats, and on sq4d codes rescored) reaches a recall
//! floor against the shard's own exact scan on the bundled `minilm-pypi-20k`; the sparse index
//! returns exactly what the scan returns on `bm25-pypi-10k`; points changed after the build
//! (deleted, moved, added) are found or left out as the scan says.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;
use sextant_core::{Distance, PointId};
use sextant_datasets::{SparseMatrix, VecsFile};
use sextant_payload_index::Filter;
use sextant_shard::{
    Point, QueryRequest, Record, Shard, ShardConfig, SparseVectorParams, UpdateOp, Vector,
    VectorParams,
};

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../datasets")
        .join(name)
}

fn ids(found: &[Record]) -> Vec<PointId> {
    found.iter().map(|r| r.id).collect()
}

/// Mean recall@10 of `query` (graph) against the exact scan, over `queries`.
fn recall(shard: &Shard, queries: &[Vec<f32>], tune: impl Fn(&mut QueryRequest)) -> f64 {
    let mut sum = 0.0;
    for q in queries {
        let mut req = QueryRequest::new("", q.clone(), 10);
        tune(&mut req);
        let mut exact = req.clone();
        exact.params.exact = true;
        let truth = ids(&shard.query(&exact).unwrap());
        let found = ids(&shard.query(&req).unwrap());
        sum += found.iter().filter(|i| truth.contains(i)).count() as f64 / 10.0;
    }
    sum / queries.len() as f64
}

const POINTS: usize = 5_000;

fn minilm_shard(dir: &Path, params: VectorParams) -> (Shard, Vec<Vec<f32>>) {
    let base = VecsFile::<f32>::open(data("minilm-pypi-20k/base.fvecs")).unwrap();
    let queries = VecsFile::<f32>::open(data("minilm-pypi-20k/query.fvecs")).unwrap();
    let mut config = ShardConfig::new([(String::new(), params)]);
    config.optimizer.indexing_threshold = 1_000;
    config.optimizer.full_scan_threshold = 100;
    config.optimizer.threads = 2;
    let shard = Shard::create(dir, config).unwrap();
    // Indexed: the optimize links each value's 2,500 points among themselves.
    shard
        .update(UpdateOp::CreateFieldIndex {
            key: "even".into(),
            schema: sextant_payload_index::FieldType::Bool,
        })
        .unwrap();
    for chunk in (0..POINTS).collect::<Vec<_>>().chunks(500) {
        let points = chunk
            .iter()
            .map(|&i| {
                Point::new(i as u64, "", base.row(i).to_vec())
                    .with_payload(json!({"even": i % 2 == 0}))
            })
            .collect();
        shard.update(UpdateOp::upsert(points)).unwrap();
    }
    let queries = (0..100).map(|q| queries.row(q).to_vec()).collect();
    (shard, queries)
}

#[test]
fn graph_recall_and_changes_after_the_build() {
    let dir = tempfile::tempdir().unwrap();
    let (shard, queries) = minilm_shard(dir.path(), VectorParams::new(384, Distance::Cosine));
    shard.optimize().unwrap();
    let r = recall(&shard, &queries, |_| {});
    assert!(r >= 0.95, "recall@10 {r} on floats");
    // Half the points filtered out: the graph walks through them.
    let even = Filter::from_json(r#"{"must": [{"key": "even", "match": {"value": true}}]}"#);
    let even = even.unwrap();
    let r = recall(&shard, &queries, |q| q.filter = Some(even.clone()));
    assert!(r >= 0.95, "recall@10 {r} under a filter passing half");

    // Changes after the build: each query's best point deleted, a far point moved onto the
    // query, a new point added at the query: the scan's answers, never the graph's stale ones.
    for (n, q) in queries.iter().take(20).enumerate() {
        let best = shard.query(&QueryRequest::new("", q.clone(), 1)).unwrap()[0].id;
        shard.update(UpdateOp::Delete { ids: vec![best] }).unwrap();
        let moved = PointId::from(4_000 + n as u64);
        let mut near = q.clone();
        near[0] += 0.01;
        shard
            .update(UpdateOp::upsert(vec![Point::new(moved, "", near)]))
            .unwrap();
        let found = ids(&shard.query(&QueryRequest::new("", q.clone(), 10)).unwrap());
        assert!(!found.contains(&best), "a deleted point was returned");
        assert_eq!(found[0], moved, "a moved point is found at its new place");
    }
    let added = PointId::from(1_000_000u64);
    let mut far = queries[50].clone();
    far.iter_mut().for_each(|x| *x = -*x);
    shard
        .update(UpdateOp::upsert(vec![Point::new(added, "", far.clone())]))
        .unwrap();
    let found = shard.query(&QueryRequest::new("", far, 1)).unwrap();
    assert_eq!(found[0].id, added, "a point added after the build is found");
    let r = recall(&shard, &queries, |_| {});
    assert!(r >= 0.95, "recall@10 {r} after the changes");
    // A second optimize takes the changes in.
    shard.optimize().unwrap();
    let r = recall(&shard, &queries, |_| {});
    assert!(r >= 0.95, "recall@10 {r} after a second optimize");
}

#[test]
fn grown_graph_answers_as_a_built_one() {
    let dir = tempfile::tempdir().unwrap();
    let base = VecsFile::<f32>::open(data("minilm-pypi-20k/base.fvecs")).unwrap();
    let queries = VecsFile::<f32>::open(data("minilm-pypi-20k/query.fvecs")).unwrap();
    let queries: Vec<Vec<f32>> = (0..100).map(|q| queries.row(q).to_vec()).collect();
    let params =
        VectorParams::new(384, Distance::Cosine).with_quantization("sq4d".parse().unwrap());
    let mut config = ShardConfig::new([(String::new(), params)]);
    config.optimizer.indexing_threshold = 1_000;
    config.optimizer.full_scan_threshold = 100;
    config.optimizer.threads = 2;
    let shard = Shard::create(dir.path(), config).unwrap();
    // Five values of ~20% each: every one gets a block of payload-aware links.
    shard
        .update(UpdateOp::CreateFieldIndex {
            key: "k".into(),
            schema: sextant_payload_index::FieldType::Keyword,
        })
        .unwrap();
    let point = |id: u64, row: usize| {
        Point::new(id, "", base.row(row).to_vec())
            .with_payload(json!({"k": format!("v{}", id % 5)}))
    };
    let upsert = |ids: std::ops::Range<u64>| {
        let points = ids.map(|i| point(i, i as usize)).collect();
        shard.update(UpdateOp::upsert(points)).unwrap();
    };
    let v3 = Filter::from_json(r#"{"must": [{"key": "k", "match": {"value": "v3"}}]}"#).unwrap();
    let check = |stage: &str| {
        let r = recall(&shard, &queries, |q| {
            q.params.quantization.oversampling = 2.0
        });
        assert!(
            r >= 0.9,
            "{stage}: recall@10 {r} on sq4d codes, 2x rescored"
        );
        let r = recall(&shard, &queries, |q| {
            q.params.quantization.oversampling = 2.0;
            q.filter = Some(v3.clone());
        });
        assert!(r >= 0.9, "{stage}: recall@10 {r} under a block's filter");
    };
    upsert(0..4_000);
    shard.optimize().unwrap();
    assert_eq!(shard.info().graph_nodes, 4_000);

    // 300 deleted, 300 moved: the graph is grown, the deleted points' nodes left empty.
    let deleted: Vec<PointId> = (0..300u64).map(|i| (i * 13).into()).collect();
    shard
        .update(UpdateOp::Delete {
            ids: deleted.clone(),
        })
        .unwrap();
    let moved: Vec<Point> = (0..300u64)
        .map(|i| point(i * 13 + 1, 10_000 + i as usize))
        .collect();
    shard.update(UpdateOp::upsert(moved)).unwrap();
    shard.optimize().unwrap();
    let info = shard.info();
    assert_eq!(
        (info.points, info.graph_nodes),
        (3_700, 4_000),
        "grown, not built"
    );
    assert_eq!((info.indexed_points, info.graphs_grown), (3_700, 1));
    check("after deletes and moves");
    for i in (0..300u64).step_by(10) {
        let q = QueryRequest::new("", base.row(10_000 + i as usize).to_vec(), 10);
        let found = ids(&shard.query(&q).unwrap());
        assert_eq!(
            found[0],
            PointId::from(i * 13 + 1),
            "a moved point at its new place"
        );
        assert!(!found.iter().any(|id| deleted.contains(id)));
    }

    // 2,000 added: 300 refill the empty nodes, 1,700 are appended.
    upsert(4_000..6_000);
    shard.optimize().unwrap();
    let info = shard.info();
    assert_eq!(
        (info.points, info.graph_nodes, info.graphs_grown),
        (5_700, 5_700, 1)
    );
    check("after adds");
    for i in (4_000..6_000).step_by(50) {
        let q = QueryRequest::new("", base.row(i).to_vec(), 1);
        assert_eq!(shard.query(&q).unwrap()[0].id, PointId::from(i as u64));
    }
    // Saved and loaded as grown.
    drop(shard);
    let shard = Shard::open(dir.path()).unwrap();
    assert_eq!(shard.info().graph_nodes, 5_700);
    let q = QueryRequest::new("", base.row(5_999).to_vec(), 1);
    assert_eq!(shard.query(&q).unwrap()[0].id, PointId::from(5_999u64));

    // More changes than the graph holds: built anew, without the empty nodes.
    let gone: Vec<PointId> = (0..100u64).map(|i| (4_000 + i * 7).into()).collect();
    shard.update(UpdateOp::Delete { ids: gone }).unwrap();
    let points = (6_000..12_000u64).map(|i| point(i, i as usize)).collect();
    shard.update(UpdateOp::upsert(points)).unwrap();
    shard.optimize().unwrap();
    let info = shard.info();
    assert_eq!(
        (info.points, info.graph_nodes, info.graphs_grown),
        (11_600, 11_600, 0)
    );
}

#[test]
fn graph_on_sq4d_codes_rescored() {
    let dir = tempfile::tempdir().unwrap();
    let params =
        VectorParams::new(384, Distance::Cosine).with_quantization("sq4d".parse().unwrap());
    let (shard, queries) = minilm_shard(dir.path(), params);
    shard.optimize().unwrap();
    let r = recall(&shard, &queries, |q| {
        q.params.quantization.oversampling = 2.0
    });
    assert!(r >= 0.9, "recall@10 {r} on sq4d codes, 2x rescored");
    // Without rescoring the scores are the codes' estimates: recall drops but stays useful.
    let plain = recall(&shard, &queries, |q| q.params.quantization.rescore = false);
    assert!(
        plain >= 0.5 && plain < r,
        "recall@10 {plain} unrescored vs {r}"
    );
    // Ignoring the codes walks the floats.
    let floats = recall(&shard, &queries, |q| q.params.quantization.ignore = true);
    assert!(floats >= 0.95, "recall@10 {floats} ignoring the codes");
}

#[test]
fn sparse_index_answers_as_the_scan() {
    let base = SparseMatrix::read(data("bm25-pypi-10k/base.csr")).unwrap();
    let queries = SparseMatrix::read(data("bm25-pypi-10k/query.csr")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = ShardConfig::new([]);
    config.sparse_vectors = BTreeMap::from([(
        "bm25".to_string(),
        SparseVectorParams {
            modifier: Some(sextant_shard::Modifier::Idf),
        },
    )]);
    let shard = Shard::create(dir.path(), config).unwrap();
    let sparse = |m: &SparseMatrix, r: usize| {
        let (indices, values) = m.row(r);
        Vector::Sparse {
            indices: indices.to_vec(),
            values: values.to_vec(),
        }
    };
    let n = 4_000;
    let points = (0..n)
        .map(|i| {
            Point::new(i as u64, "bm25", sparse(&base, i)).with_payload(json!({"third": i % 3}))
        })
        .collect();
    shard.update(UpdateOp::upsert(points)).unwrap();
    let third = Filter::from_json(r#"{"must": [{"key": "third", "match": {"value": 0}}]}"#);
    let third = third.unwrap();
    let compare = |shard: &Shard| {
        for q in 0..200 {
            for filter in [None, Some(third.clone())] {
                let mut req = QueryRequest::new("bm25", sparse(&queries, q), 10);
                req.filter = filter;
                req.params.exact = true;
                let scan = shard.query(&req).unwrap();
                req.params.exact = false;
                let index = shard.query(&req).unwrap();
                assert_eq!(scan.len(), index.len(), "query {q}");
                for (a, b) in scan.iter().zip(&index) {
                    // The same points; a tie may order two of them either way only when
                    // their sums round differently in the last bit.
                    assert!((a.score - b.score).abs() <= 1e-5 * a.score.abs().max(1.0));
                }
                let (mut a, mut b) = (ids(&scan), ids(&index));
                if a != b {
                    a.sort();
                    b.sort();
                    assert_eq!(a, b, "query {q}: different points");
                }
            }
        }
    };
    shard.optimize().unwrap();
    compare(&shard);
    // After the build: deletes, moved vectors, new points, all answered as the scan does.
    let gone: Vec<PointId> = (0..n as u64).step_by(7).map(PointId::from).collect();
    shard.update(UpdateOp::Delete { ids: gone }).unwrap();
    let moved = (1..400)
        .step_by(5)
        .map(|i| Point::new(i as u64, "bm25", sparse(&base, n + i)))
        .collect();
    shard.update(UpdateOp::upsert(moved)).unwrap();
    let added = (n..n + 300)
        .map(|i| Point::new(i as u64, "bm25", sparse(&base, i + 1_000)))
        .collect();
    shard.update(UpdateOp::upsert(added)).unwrap();
    compare(&shard);
}
