//! Criterion bench `query`: one query at a time through `Shard::query` on the bundled
//! `minilm-pypi-20k` (20,000 MiniLM vectors, cosine, 384 dimensions), optimized into a graph
//! searched on sq4d codes (rescored, 2x oversampling): unfiltered at ef 32, under a filter
//! passing 1% (scanned), by a point's id, a best-score recommendation (an exact scan of
//! every point against two examples), and, with the bundled `bm25-pypi-10k` vectors on the
//! first 10,000 points, an exact sparse top-10 and a hybrid query (RRF of a dense and a
//! sparse prefetch of 20 points each, as `sextant-bench shard`). The graph query's time
//! beside `sextant-hnsw`'s own bench shows what the shard adds per query.
//!
//! Run: `cargo bench -p sextant-shard --bench query`.

// criterion_group! generates public functions without docs.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use sextant_core::{Distance, PointId};
use sextant_datasets::{SparseMatrix, VecsFile};
use sextant_payload_index::{FieldType, Filter};
use sextant_shard::{
    Fusion, Point, Prefetch, Query, QueryRequest, Recommend, RecommendStrategy, Shard, ShardConfig,
    SparseVectorParams, UpdateOp, Vector, VectorInput, VectorParams,
};

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../datasets/minilm-pypi-20k")
        .join(name)
}

fn bm25(name: &str) -> SparseMatrix {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/bm25-pypi-10k");
    SparseMatrix::read(path.join(name)).expect("bundled dataset")
}

fn sparse_row(m: &SparseMatrix, r: usize) -> Vector {
    let (indices, values) = m.row(r);
    Vector::Sparse {
        indices: indices.to_vec(),
        values: values.to_vec(),
    }
}

fn query(c: &mut Criterion) {
    let base = VecsFile::<f32>::open(data("base.fvecs")).expect("bundled dataset");
    let queries = VecsFile::<f32>::open(data("query.fvecs")).expect("bundled dataset");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let codec = "sq4d".parse().expect("a codec name");
    let params = VectorParams::new(base.dim(), Distance::Cosine).with_quantization(codec);
    let mut config = ShardConfig::new([(String::new(), params)]);
    config
        .sparse_vectors
        .insert("bm25".into(), SparseVectorParams::default());
    config.optimizer.threads = 2;
    let (sparse_base, sparse_queries) = (bm25("base.csr"), bm25("query.csr"));
    let shard = Shard::create(dir.path(), config).expect("create");
    let g = UpdateOp::CreateFieldIndex {
        key: "g".into(),
        schema: FieldType::Integer,
    };
    shard.update(g).expect("index");
    let ids: Vec<u64> = (0..base.len() as u64).collect();
    for chunk in ids.chunks(1000) {
        let points = chunk
            .iter()
            .map(|&i| {
                let p = Point::new(i, "", base.row(i as usize).to_vec())
                    .with_payload(json!({"g": i % 100}));
                if (i as usize) < sparse_base.n_rows() {
                    p.with_vector("bm25", sparse_row(&sparse_base, i as usize))
                } else {
                    p
                }
            })
            .collect();
        shard.update(UpdateOp::upsert(points)).expect("upsert");
    }
    shard.optimize().expect("optimize");
    let n_q = queries.len().min(200);
    let request = |q: Query| {
        let mut r = QueryRequest::new("", q, 10);
        r.params.hnsw_ef = Some(32);
        r.params.quantization.oversampling = 2.0;
        r
    };
    let dense: Vec<QueryRequest> = (0..n_q)
        .map(|i| request(queries.row(i).to_vec().into()))
        .collect();
    let one_percent = Filter::from_value(&json!({"must": [{"key": "g", "match": {"value": 7}}]}))
        .expect("a filter");
    let filtered: Vec<QueryRequest> = dense
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.filter = Some(one_percent.clone());
            r
        })
        .collect();
    let by_id: Vec<QueryRequest> = (0..n_q as u64)
        .map(|i| request(PointId::from(i * 97).into()))
        .collect();
    let recommend: Vec<QueryRequest> = (0..n_q)
        .map(|i| {
            request(Query::Recommend(Recommend {
                positive: vec![queries.row(i).to_vec().into()],
                negative: vec![VectorInput::Id(PointId::from(i as u64))],
                strategy: RecommendStrategy::BestScore,
            }))
        })
        .collect();
    let sparse: Vec<QueryRequest> = (0..n_q.min(sparse_queries.n_rows()))
        .map(|i| QueryRequest::new("bm25", sparse_row(&sparse_queries, i), 10))
        .collect();
    let hybrid: Vec<QueryRequest> = sparse
        .iter()
        .zip(&dense)
        .map(|(s, d)| {
            let mut dense_part = Prefetch::new("", d.query.clone().expect("a query"), 20);
            dense_part.params = d.params;
            let sparse_part = Prefetch::new("bm25", s.query.clone().expect("a query"), 20);
            let rrf = Query::Fusion(Fusion::Rrf {
                k: Some(60),
                weights: None,
            });
            let mut r = QueryRequest::new("", rrf, 10);
            r.prefetch = vec![dense_part, sparse_part];
            r
        })
        .collect();
    let mut group = c.benchmark_group("query");
    for (name, reqs) in [
        ("dense_ef32", &dense),
        ("filter_1pct", &filtered),
        ("by_id_ef32", &by_id),
        ("recommend_best_score", &recommend),
        ("sparse", &sparse),
        ("hybrid_rrf_ef32", &hybrid),
    ] {
        let mut i = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % reqs.len();
                black_box(shard.query(&reqs[i]).map(|r| r.len()))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, query);
criterion_main!(benches);
