//! `sextant-bench shard`: the shard end to end on a dense dataset with payloads (MiniLM) and,
//! optionally, the sparse BM25 vectors of the same texts: ingest (points/s, per WAL policy),
//! optimize, queries one at a time on one thread (dense over an ef sweep, dense under filters,
//! sparse, hybrid RRF of the two) with recall against the shard's own exact answers, count,
//! facet, close and reopen times, the reopened shard's RSS growth and its bytes on disk. The
//! peer is `benches/peers/edge_shard.py` (Qdrant Edge with the same config and queries).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{Value, json};
use sextant_core::{Distance, PointId};
use sextant_datasets::{Dataset, SparseMatrix, VecsFile};
use sextant_payload_index::{FieldType, Filter};
use sextant_shard::{
    Fusion, Point, Prefetch, Query, QueryRequest, Record, Shard, ShardConfig, SparseVectorParams,
    UpdateOp, Vector, VectorParams,
};

use crate::host::{loadavg, rss_mib, status_mib};
use crate::report::{Report, Table, dataset_header};
use crate::stats::PassStats;

/// The shard end to end: ingest, optimize, queries, count, facet, reopen, RSS, disk.
#[derive(Debug, Args)]
pub struct ShardArgs {
    /// Dense dataset folder with `payload.jsonl` (minilm-pypi-*).
    #[arg(long)]
    dataset: PathBuf,
    /// Sparse dataset folder of the same texts (bm25-pypi-*: its document i is point i).
    #[arg(long)]
    sparse: Option<PathBuf>,
    /// Results per query.
    #[arg(long, default_value_t = 10, value_parser = crate::query_args::at_least_one())]
    k: usize,
    /// Queries of each kind.
    #[arg(long, default_value_t = 300)]
    max_queries: usize,
    /// Search list sizes of the dense sweeps. Dense where recall crosses 0.9–0.97: QPS at a
    /// recall is interpolated between neighbours, and a wide gap there (16 to 32) flattered
    /// the side whose curve bends less (at 20k: 2.97x Edge with 16, 32, 64, …; 2.16x with this
    /// list, `benches/results/shard-s34.md`).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "16,20,24,28,32,40,48,64,128"
    )]
    ef: Vec<usize>,
    /// Codes the graph is searched on (a codec name such as sq4d or sq8d; none: floats).
    #[arg(long, default_value = "sq4d")]
    quantization: String,
    /// Candidates found on codes per result, rescored with the floats.
    #[arg(long, default_value_t = 2.0)]
    oversampling: f64,
    /// The same for the hybrid query's dense prefetch: a fusion of two ranked lists needs
    /// less of each (at 1.0 and ef 16 on minilm-pypi-20k the hybrid's recall@10 is 0.959,
    /// at 2.0 0.985, for 31k against 21k QPS).
    #[arg(long, default_value_t = 1.0)]
    hybrid_oversampling: f64,
    /// How the dense vectors are stored: float32 or float16.
    #[arg(long, default_value = "float32")]
    datatype: String,
    /// Leave the dense rows on disk, paged in as searches touch them (Qdrant's `on_disk`;
    /// by default they are mapped into memory at open, as Qdrant keeps them in RAM).
    #[arg(long)]
    on_disk: bool,
    /// Links per node.
    #[arg(long, default_value_t = 16)]
    m: usize,
    /// Build list size.
    #[arg(long, default_value_t = 100)]
    ef_construction: usize,
    /// Threads of the optimize.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// WAL policies to ingest with, each into its own shard (sync_each, group_commit,
    /// async); the last one's shard is optimized and queried.
    #[arg(long, value_delimiter = ',', default_value = "group_commit")]
    durability: Vec<String>,
    /// Ingest only the first N points of the dataset (all by default).
    #[arg(long)]
    max_points: Option<usize>,
    /// Points per upsert.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Timed passes over the queries (the fastest is reported).
    #[arg(long, default_value_t = 3, value_parser = crate::query_args::at_least_one())]
    repeats: usize,
    /// Filters, one Qdrant filter JSON object per line (default: four passing about 50%,
    /// 10%, 1% and 0.1% of minilm-pypi-20k).
    #[arg(long)]
    filters: Option<PathBuf>,
    /// Folder the shards are made in (default: a temporary one).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Also write the records to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// After the queries: add this fraction of new points and time the optimize that grows
    /// the graph (0: skip).
    #[arg(long, default_value_t = 0.05)]
    grow: f64,
}

#[path = "shard_grow.rs"]
mod grow;

/// The reopen child's arguments.
#[derive(Debug, Args)]
pub struct ReopenArgs {
    /// The shard's folder.
    #[arg(long)]
    path: PathBuf,
    /// Its dense vector's dimension.
    #[arg(long)]
    dim: usize,
}

/// Queries the reopen child runs before reading its RSS (pages a search touches are counted).
const WARM_QUERIES: usize = 200;

/// In a fresh process: opens the shard, runs `WARM_QUERIES` dense queries, prints one JSON
/// line with the open's seconds and the process's RSS growth.
pub fn reopen_child(args: ReopenArgs) -> Result<(), String> {
    let (rss0, file0) = (rss_mib(), status_mib("RssFile"));
    let t = Instant::now();
    let shard = Shard::open(&args.path).map_err(|e| e.to_string())?;
    let reopen_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    // The same pseudo-random queries as the peer's child (any direction will do).
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..WARM_QUERIES {
        let v: Vec<f32> = (0..args.dim)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect();
        shard
            .query(&QueryRequest::new("dense", v, 10))
            .map_err(|e| e.to_string())?;
    }
    let first_queries_s = t.elapsed().as_secs_f64();
    let growth = rss_mib().zip(rss0).map(|(a, b)| a - b);
    // Of it, pages of files read in place (the rest is heap).
    let file = status_mib("RssFile").zip(file0).map(|(a, b)| a - b);
    println!(
        "{}",
        json!({"reopen_s": reopen_s, "first_queries_s": first_queries_s,
               "rss_growth_mib": growth, "file_rss_growth_mib": file})
    );
    Ok(())
}

/// The payload fields indexed (as the peer indexes them).
const FIELDS: [(&str, FieldType); 3] = [
    ("category", FieldType::Keyword),
    ("year", FieldType::Integer),
    ("name_len", FieldType::Integer),
];
/// Each prefetch of a hybrid query passes this many points to the fusion.
const HYBRID_PREFETCH: usize = 20;
/// The RRF ranking constant of the hybrid queries (Qdrant's server default).
const RRF_K: u32 = 60;
/// Repeats of a count or facet, the median reported.
const MICRO_REPEATS: usize = 201;

/// The inputs: dense base and queries, payloads, sparse base and queries (paired by text).
struct Data<'a> {
    base: &'a VecsFile<f32>,
    /// Points ingested: the first `n` of the base.
    n: usize,
    payloads: Vec<Value>,
    queries: Vec<Vec<f32>>,
    sparse: Option<SparseMatrix>,
    /// (dense query, sparse query) of the same text.
    sparse_queries: Vec<Vector>,
    hybrid: Vec<(Vec<f32>, Vector)>,
}

fn sparse_row(m: &SparseMatrix, r: usize) -> Vector {
    let (indices, values) = m.row(r);
    Vector::Sparse {
        indices: indices.to_vec(),
        values: values.to_vec(),
    }
}

fn load<'a>(args: &ShardArgs, ds: &'a Dataset) -> Result<Data<'a>, String> {
    let base = ds.base();
    let payloads = crate::payloads::load(&args.dataset)?.0;
    if payloads.len() != base.len() {
        return Err(format!(
            "{} payloads for {} vectors",
            payloads.len(),
            base.len()
        ));
    }
    let dense_q = ds.queries();
    let queries: Vec<Vec<f32>> = (0..dense_q.len().min(args.max_queries))
        .map(|q| dense_q.row(q).to_vec())
        .collect();
    let (mut sparse, mut sparse_queries, mut hybrid) = (None, Vec::new(), Vec::new());
    if let Some(dir) = &args.sparse {
        let m = SparseMatrix::read(dir.join("base.csr")).map_err(|e| e.to_string())?;
        let qm = SparseMatrix::read(dir.join("query.csr")).map_err(|e| e.to_string())?;
        let path = dir.join("queries.jsonl");
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        // A sparse query is the text at `source_pos` of the corpus; the dense queries are the
        // texts right after the dense base (which starts at the selection's offset). Where no
        // sparse query shares a dense query's text (the 120k sets), query i goes with query i.
        let offset = ds.meta().extra["selection"]["offset"].as_u64().unwrap_or(0) as usize;
        let n_base = offset + ds.meta().n_base;
        for (r, line) in text.lines().enumerate().take(qm.n_rows()) {
            let v: Value =
                serde_json::from_str(line).map_err(|e| format!("{}: {e}", path.display()))?;
            if sparse_queries.len() < args.max_queries {
                sparse_queries.push(sparse_row(&qm, r));
            }
            let pos = v["source_pos"].as_u64().unwrap_or(0) as usize;
            if let Some(d) = pos.checked_sub(n_base).filter(|&d| d < dense_q.len())
                && hybrid.len() < args.max_queries
            {
                hybrid.push((dense_q.row(d).to_vec(), sparse_row(&qm, r)));
            }
        }
        if hybrid.is_empty() {
            hybrid = (0..sparse_queries.len().min(dense_q.len()))
                .map(|i| (dense_q.row(i).to_vec(), sparse_queries[i].clone()))
                .collect();
        }
        sparse = Some(m);
    }
    Ok(Data {
        n: base.len().min(args.max_points.unwrap_or(usize::MAX)),
        base,
        payloads,
        queries,
        sparse,
        sparse_queries,
        hybrid,
    })
}

fn config(
    args: &ShardArgs,
    dim: usize,
    distance: Distance,
    durability: &str,
    sparse: bool,
) -> Result<ShardConfig, String> {
    let mut params = VectorParams::new(dim, distance);
    params.datatype = serde_json::from_value(json!(args.datatype))
        .map_err(|e| format!("--datatype {}: {e}", args.datatype))?;
    params.hnsw = Some(sextant_hnsw::HnswConfig {
        ef_construction: args.ef_construction,
        ..sextant_hnsw::HnswConfig::with_m(args.m)
    });
    if args.quantization != "none" {
        params.quantization = Some(crate::quant::codec_config(&args.quantization, None)?.codec);
    }
    if args.on_disk {
        params.on_disk = Some(true);
    }
    let mut c = ShardConfig::new([("dense".to_string(), params)]);
    if sparse {
        c.sparse_vectors
            .insert("bm25".into(), SparseVectorParams::default());
    }
    c.durability = serde_json::from_value(json!({"kind": durability}))
        .or_else(|_| serde_json::from_value(json!({"kind": durability, "interval_ms": 100})))
        .map_err(|e| format!("--durability {durability}: {e}"))?;
    c.optimizer.threads = args.threads;
    Ok(c)
}

/// Creates a shard in `path` and upserts every point; returns it and the seconds taken.
/// Point `id` with the dense vector `dense` and row `row`'s payload and sparse vector.
fn point(data: &Data<'_>, id: u64, row: usize, dense: Vec<f32>) -> Point {
    let mut p = Point::new(id, "dense", dense).with_payload(data.payloads[row].clone());
    if let Some(m) = data.sparse.as_ref().filter(|m| row < m.n_rows()) {
        p = p.with_vector("bm25", sparse_row(m, row));
    }
    p
}

fn ingest(
    path: &Path,
    config: ShardConfig,
    data: &Data<'_>,
    batch: usize,
) -> Result<(Shard, f64), String> {
    let shard = Shard::create(path, config).map_err(|e| e.to_string())?;
    let t = Instant::now();
    for (key, schema) in FIELDS {
        shard
            .update(UpdateOp::CreateFieldIndex {
                key: key.into(),
                schema,
            })
            .map_err(|e| e.to_string())?;
    }
    let n = data.n;
    for start in (0..n).step_by(batch.max(1)) {
        let points = (start..(start + batch).min(n))
            .map(|i| point(data, i as u64, i, data.base.row(i).to_vec()))
            .collect();
        shard
            .update(UpdateOp::upsert(points))
            .map_err(|e| e.to_string())?;
    }
    Ok((shard, t.elapsed().as_secs_f64()))
}

/// Times `reqs` one at a time (a warm-up pass, then the fastest of `repeats`); returns the
/// figures and the ids each query found.
fn timed(
    shard: &Shard,
    reqs: &[QueryRequest],
    repeats: usize,
) -> Result<(PassStats, Vec<Vec<PointId>>), String> {
    let ids = |r: Vec<Record>| r.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let found = reqs
        .iter()
        .map(|r| shard.query(r).map(ids).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut best: Option<PassStats> = None;
    for _ in 0..repeats {
        let mut lat = Vec::with_capacity(reqs.len());
        for r in reqs {
            let t = Instant::now();
            let out = shard.query(r).map_err(|e| e.to_string())?;
            lat.push(t.elapsed());
            drop(out);
        }
        let st = PassStats::from_latencies(&lat).ok_or("no queries")?;
        if best.is_none_or(|b| st.qps > b.qps) {
            best = Some(st);
        }
    }
    Ok((best.ok_or("no passes")?, found))
}

/// Mean recall@k of `found` against `truth`.
fn recall(found: &[Vec<PointId>], truth: &[Vec<PointId>], k: usize) -> f64 {
    let sum: f64 = found
        .iter()
        .zip(truth)
        .map(|(f, t)| {
            let hit = f.iter().filter(|i| t.contains(i)).count();
            hit as f64 / t.len().clamp(1, k) as f64
        })
        .sum();
    sum / found.len().max(1) as f64
}

/// Median time of `f` over `MICRO_REPEATS` calls, microseconds.
fn median_us(mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<Duration> = (0..MICRO_REPEATS)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    t[t.len() / 2].as_secs_f64() * 1e6
}

/// Bytes the files under `dir` take on disk (allocated blocks, as `du` counts them).
fn disk_bytes(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => disk_bytes(&e.path()),
            Ok(m) => m.blocks() * 512,
            Err(_) => 0,
        })
        .sum()
}

/// A nearest query on the dense vector with the sweep's parameters.
fn dense_req(args: &ShardArgs, v: &[f32], ef: usize, filter: Option<&Filter>) -> QueryRequest {
    let mut r = QueryRequest::new("dense", v.to_vec(), args.k);
    r.filter = filter.cloned();
    r.params.hnsw_ef = Some(ef);
    r.params.quantization.oversampling = args.oversampling;
    r
}

fn hybrid_req(
    args: &ShardArgs,
    dense: &[f32],
    sparse: &Vector,
    ef: usize,
    exact: bool,
) -> QueryRequest {
    let mut d = Prefetch::new("dense", dense.to_vec(), HYBRID_PREFETCH);
    d.params.hnsw_ef = Some(ef);
    d.params.quantization.oversampling = args.hybrid_oversampling;
    d.params.exact = exact;
    let mut s = Prefetch::new("bm25", sparse.clone(), HYBRID_PREFETCH);
    s.params.exact = exact;
    let mut r = QueryRequest::new(
        "",
        Query::Fusion(Fusion::Rrf {
            k: Some(RRF_K),
            weights: None,
        }),
        args.k,
    );
    r.prefetch = vec![d, s];
    r
}

pub fn run(args: ShardArgs) -> Result<(), String> {
    crate::query_args::check_json(args.json.as_deref())?;
    let ds = Dataset::open(&args.dataset).map_err(|e| e.to_string())?;
    let data = load(&args, &ds)?;
    let (dim, distance) = (ds.meta().dim, ds.distance());
    let filters = match &args.filters {
        Some(p) => crate::payloads::read_filters(p)?,
        None => crate::payloads::default_filters(),
    };
    let parsed: Vec<Filter> = filters
        .iter()
        .map(|f| Filter::from_value(f).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = args.dir.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    let mut report = Report::new(
        dataset_header(&ds, data.queries.len()),
        json!({"k": args.k, "m": args.m, "ef_construction": args.ef_construction, "ef": args.ef,
               "quantization": args.quantization, "oversampling": args.oversampling, "hybrid_oversampling": args.hybrid_oversampling, "datatype": args.datatype, "on_disk": args.on_disk, "threads": args.threads,
               "batch": args.batch, "durability": args.durability, "filters": filters,
               "max_points": args.max_points,
               "sparse": args.sparse.as_ref().map(|p| p.display().to_string()),
               "hybrid_prefetch": HYBRID_PREFETCH, "rrf_k": RRF_K, "fields": FIELDS.map(|(k, _)| k)}),
    );
    let n = data.n;
    let mut table = Table::new(&["what", "figure", "detail"]);
    let mut kept = None;
    for (i, policy) in args.durability.iter().enumerate() {
        let path = root.join(format!("shard-{policy}"));
        let _ = std::fs::remove_dir_all(&path);
        let config = config(&args, dim, distance, policy, data.sparse.is_some())?;
        let (shard, s) = ingest(&path, config, &data, args.batch)?;
        eprintln!("shard: ingested {n} points with {policy} in {s:.2} s");
        table.row(vec![
            format!("ingest ({policy})"),
            format!("{:.0} points/s", n as f64 / s),
            format!("{s:.2} s"),
        ]);
        report.push(json!({"kind": "ingest", "durability": policy, "points": n, "s": s, "points_per_s": n as f64 / s}));
        if i + 1 == args.durability.len() {
            kept = Some((shard, path));
        } else {
            drop(shard);
            let _ = std::fs::remove_dir_all(&path);
        }
    }
    let (shard, path) = kept.ok_or("--durability names no policy")?;
    let t = Instant::now();
    shard.optimize().map_err(|e| e.to_string())?;
    let optimize_s = t.elapsed().as_secs_f64();
    table.row(vec![
        "optimize".into(),
        format!("{optimize_s:.2} s"),
        format!("{} threads", args.threads),
    ]);
    report.push(json!({"kind": "optimize", "s": optimize_s}));
    let t = Instant::now();
    shard.close().map_err(|e| e.to_string())?;
    let close_s = t.elapsed().as_secs_f64();
    let disk = disk_bytes(&path);
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = std::process::Command::new(exe)
        .args(["shard-reopen-child", "--dim", &dim.to_string(), "--path"])
        .arg(&path)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "reopen child: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let child: Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("reopen child: {e}"))?;
    let reopen_s = child["reopen_s"].as_f64().ok_or("reopen child: no time")?;
    let first_queries_s = child["first_queries_s"].as_f64().unwrap_or(f64::NAN);
    let rss = child["rss_growth_mib"].as_f64();
    let file_rss = child["file_rss_growth_mib"].as_f64();
    let shard = Shard::open(&path).map_err(|e| e.to_string())?;
    table.row(vec![
        "close + reopen".into(),
        format!("{reopen_s:.3} s reopen"),
        format!("close (flush) {close_s:.3} s"),
    ]);
    table.row(vec![
        format!("first {WARM_QUERIES} queries after reopen"),
        format!("{:.0} us mean", first_queries_s * 1e6 / WARM_QUERIES as f64),
        "default ef, one thread".into(),
    ]);
    table.row(vec![
        "disk".into(),
        format!("{:.1} MiB", disk as f64 / (1 << 20) as f64),
        format!("{:.0} bytes/point", disk as f64 / n as f64),
    ]);
    report.push(
        json!({"kind": "reopen", "close_s": close_s, "reopen_s": reopen_s,
               "first_queries_s": first_queries_s, "disk_bytes": disk}),
    );
    if let Some(rss) = rss {
        table.row(vec![
            "RSS of the reopened shard".into(),
            format!("{rss:.1} MiB"),
            format!(
                "a fresh process: open + {WARM_QUERIES} queries; {:.1} MiB of it file pages",
                file_rss.unwrap_or(f64::NAN)
            ),
        ]);
    }
    report.push(json!({"kind": "memory", "rss_growth_mib": rss, "file_rss_growth_mib": file_rss}));
    eprintln!("shard: optimize {optimize_s:.2} s, close {close_s:.3} s, reopen {reopen_s:.3} s");

    let mut results = Table::new(&["query", "ef", "recall", "QPS", "p50 us", "p99 us"]);
    let mut run_sweep = |label: &str,
                         filter: Option<(&Value, &Filter)>,
                         report: &mut Report|
     -> Result<(), String> {
        let mut exact: Vec<QueryRequest> = data
            .queries
            .iter()
            .map(|v| dense_req(&args, v, 0, filter.map(|f| f.1)))
            .collect();
        exact.iter_mut().for_each(|r| r.params.exact = true);
        let (st, truth) = timed(&shard, &exact, 1)?;
        results.row(vec![
            format!("{label} exact"),
            "-".into(),
            "1.000".into(),
            format!("{:.0}", st.qps),
            format!("{:.0}", st.p50_us),
            format!("{:.0}", st.p99_us),
        ]);
        report.push(json!({"kind": "query", "query": label, "filter": filter.map(|f| f.0), "exact": true, "recall": 1.0, "qps": st.qps, "p50_us": st.p50_us, "p99_us": st.p99_us}));
        for &ef in &args.ef {
            let reqs: Vec<QueryRequest> = data
                .queries
                .iter()
                .map(|v| dense_req(&args, v, ef, filter.map(|f| f.1)))
                .collect();
            let (st, found) = timed(&shard, &reqs, args.repeats)?;
            let r = recall(&found, &truth, args.k);
            results.row(vec![
                label.into(),
                ef.to_string(),
                format!("{r:.3}"),
                format!("{:.0}", st.qps),
                format!("{:.0}", st.p50_us),
                format!("{:.0}", st.p99_us),
            ]);
            report.push(json!({"kind": "query", "query": label, "filter": filter.map(|f| f.0), "ef": ef, "recall": r, "qps": st.qps, "p50_us": st.p50_us, "p99_us": st.p99_us}));
        }
        Ok(())
    };
    run_sweep("dense", None, &mut report)?;
    for (f, p) in filters.iter().zip(&parsed) {
        let passing = shard.count(Some(p));
        run_sweep(
            &format!(
                "dense, filter passing {:.2}%",
                100.0 * passing as f64 / n as f64
            ),
            Some((f, p)),
            &mut report,
        )?;
    }
    if !data.sparse_queries.is_empty() {
        let reqs: Vec<QueryRequest> = data
            .sparse_queries
            .iter()
            .map(|v| QueryRequest::new("bm25", v.clone(), args.k))
            .collect();
        let mut exact = reqs.clone();
        exact.iter_mut().for_each(|r| r.params.exact = true);
        let (_, truth) = timed(&shard, &exact, 1)?;
        let (st, found) = timed(&shard, &reqs, args.repeats)?;
        let r = recall(&found, &truth, args.k);
        results.row(vec![
            "sparse".into(),
            "-".into(),
            format!("{r:.3}"),
            format!("{:.0}", st.qps),
            format!("{:.0}", st.p50_us),
            format!("{:.0}", st.p99_us),
        ]);
        report.push(json!({"kind": "query", "query": "sparse", "recall": r, "qps": st.qps, "p50_us": st.p50_us, "p99_us": st.p99_us}));
    }
    if !data.hybrid.is_empty() {
        let exact: Vec<QueryRequest> = data
            .hybrid
            .iter()
            .map(|(d, s)| hybrid_req(&args, d, s, 0, true))
            .collect();
        let (_, truth) = timed(&shard, &exact, 1)?;
        for &ef in &args.ef {
            let reqs: Vec<QueryRequest> = data
                .hybrid
                .iter()
                .map(|(d, s)| hybrid_req(&args, d, s, ef, false))
                .collect();
            let (st, found) = timed(&shard, &reqs, args.repeats)?;
            let r = recall(&found, &truth, args.k);
            results.row(vec![
                "hybrid RRF".into(),
                ef.to_string(),
                format!("{r:.3}"),
                format!("{:.0}", st.qps),
                format!("{:.0}", st.p50_us),
                format!("{:.0}", st.p99_us),
            ]);
            report.push(json!({"kind": "query", "query": "hybrid", "queries": reqs.len(), "ef": ef, "recall": r, "qps": st.qps, "p50_us": st.p50_us, "p99_us": st.p99_us}));
        }
    }
    for (f, p) in filters.iter().zip(&parsed) {
        let count = shard.count(Some(p));
        let us = median_us(|| {
            std::hint::black_box(shard.count(Some(p)));
        });
        table.row(vec![
            "count".into(),
            format!("{us:.2} us"),
            format!("{count} points: {f}"),
        ]);
        report.push(json!({"kind": "count", "filter": f, "count": count, "us": us}));
    }
    let facet_us = median_us(|| {
        std::hint::black_box(shard.facet("category", None, 10).ok());
    });
    table.row(vec![
        "facet category".into(),
        format!("{facet_us:.1} us"),
        "top 10, no filter".into(),
    ]);
    report.push(json!({"kind": "facet", "key": "category", "limit": 10, "us": facet_us}));
    grow::run(
        &args,
        &shard,
        &data,
        optimize_s,
        (&filters, &parsed),
        (&mut table, &mut results),
        &mut report,
    )?;
    println!("{}\n{}", table.render(), results.render());
    println!("load average at the end: {:?}", loadavg());
    drop(shard);
    if let Some(path) = &args.json {
        report.write(path)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
