//! `sextant-bench sparse`: exact sparse top-k on a sparse dataset folder (`base.csr`,
//! `query.csr`, `groundtruth.ivecs` + `groundtruth.scores.fvecs`): build time and bytes, then
//! one query at a time on one thread: QPS, p50 / p99, recall@k (tie-aware), postings read,
//! points scored and points rescored on their vectors (coded weights) per query; with `--filters`, Qdrant filters over `payload.jsonl` (evaluated
//! per query by sextant-payload-index), against exact filtered truth. The peer is
//! `benches/peers/sparse_peers.py` (Qdrant Edge and an exhaustive baseline).

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use serde_json::{Value, json};
use sextant_core::{PointOffset, ScoredPoint, SparseVector};
use sextant_datasets::{SparseMatrix, VecsFile, recall_at_k_with_ties};
use sextant_payload_index::Filter;
use sextant_sparse_index::{SparseIndex, SparseRequest, WeightType};

use crate::host::loadavg;
use crate::report::{Report, Table};
use crate::stats::PassStats;

/// Exact sparse search: build, QPS, latency, recall, postings read per query.
#[derive(Debug, Args)]
pub struct SparseArgs {
    /// Sparse dataset folder.
    #[arg(long)]
    dataset: PathBuf,
    /// Results per query.
    #[arg(long, default_value_t = 10, value_parser = crate::query_args::at_least_one())]
    k: usize,
    /// Where the index lives: ram (the growing form as built), mmap (saved to a file and
    /// opened in place; save and open are timed, the file's bytes reported; f32 weights),
    /// mmap-f16 and mmap-u8 (the same with coded weights; results stay exact).
    #[arg(long, value_delimiter = ',', default_value = "ram")]
    storage: Vec<String>,
    /// Long queries: hold out the last N documents of the base (not indexed) and search with
    /// their vectors (BM25 documents: ~12 terms each), their exact truth computed here by
    /// scoring every indexed document. 0: the dataset's own queries and ground truth.
    #[arg(long, default_value_t = 0)]
    long_queries: usize,
    /// Approximation factors to sweep (`SparseRequest::approximate`; 1 is the exact search).
    #[arg(long, value_delimiter = ',', default_value = "1")]
    approximate: Vec<f32>,
    /// Query terms kept to sweep (`SparseRequest::max_terms`, the heaviest; 0: every term).
    #[arg(long, value_delimiter = ',', default_value = "0")]
    max_terms: Vec<usize>,
    /// Filters, one Qdrant filter JSON object per line, over the dataset's payload.jsonl.
    #[arg(long)]
    filters: Option<PathBuf>,
    /// Use at most this many queries.
    #[arg(long)]
    max_queries: Option<usize>,
    /// Timed passes over the queries (the fastest is reported).
    #[arg(long, default_value_t = 3, value_parser = crate::query_args::at_least_one())]
    repeats: usize,
    /// Also write the records to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn row(m: &SparseMatrix, r: usize) -> Result<SparseVector, String> {
    let (i, v) = m.row(r);
    SparseVector::new(i.to_vec(), v.to_vec()).map_err(|e| format!("row {r}: {e}"))
}

/// The weight type a saved storage's name asks for (`None`: not a saved storage).
fn weight_type(storage: &str) -> Option<WeightType> {
    match storage {
        "mmap" | "mmap-f32" => Some(WeightType::F32),
        "mmap-f16" => Some(WeightType::F16),
        "mmap-u8" => Some(WeightType::U8),
        _ => None,
    }
}

pub fn run(args: SparseArgs) -> Result<(), String> {
    if let Some(s) = args
        .storage
        .iter()
        .find(|s| s.as_str() != "ram" && weight_type(s).is_none())
    {
        return Err(format!(
            "unknown storage {s:?} (ram, mmap, mmap-f16, mmap-u8)"
        ));
    }
    let dir = &args.dataset;
    let base = SparseMatrix::read(dir.join("base.csr")).map_err(|e| e.to_string())?;
    let long = args.long_queries;
    if long >= base.n_rows() {
        return Err(format!(
            "--long-queries {long}: the base has {} documents",
            base.n_rows()
        ));
    }
    let n_index = base.n_rows() - long;
    let query_file = match long {
        0 => Some(SparseMatrix::read(dir.join("query.csr")).map_err(|e| e.to_string())?),
        _ => None,
    };
    let (queries, first) = query_file.as_ref().map_or((&base, n_index), |q| (q, 0));
    let available = queries.n_rows() - first;
    let n_q = args.max_queries.unwrap_or(available).min(available);
    let queries: Vec<SparseVector> = (first..first + n_q)
        .map(|q| row(queries, q))
        .collect::<Result<_, _>>()?;
    let gt = VecsFile::<i32>::open(dir.join("groundtruth.ivecs")).map_err(|e| e.to_string())?;
    let gt_scores =
        VecsFile::<f32>::open(dir.join("groundtruth.scores.fvecs")).map_err(|e| e.to_string())?;

    let t = Instant::now();
    let rows = (0..n_index)
        .map(|r| Ok((r as PointOffset, row(&base, r)?)))
        .collect::<Result<Vec<_>, String>>()?;
    let index = SparseIndex::build(rows).map_err(|e| e.to_string())?;
    let build_s = t.elapsed().as_secs_f64();
    let name = dir.file_name().map(|s| s.to_string_lossy().to_string());
    let mut report = Report::new(
        json!({"name": name, "n_base": n_index, "n_query": n_q, "nnz": index.postings(),
            "queries": if long > 0 { "held-out documents" } else { "dataset" }}),
        json!({"k": args.k, "repeats": args.repeats, "storage": args.storage,
            "long_queries": long, "approximate": args.approximate}),
    );
    report.push(
        json!({"lib": "sextant-sparse-index", "kind": "build", "storage": "ram",
        "build_s": build_s, "bytes": index.bytes(), "postings": index.postings(),
        "bytes_per_posting": index.bytes() as f64 / index.postings().max(1) as f64}),
    );
    println!(
        "sparse: {} documents, {} postings, built in {build_s:.3} s, {} bytes ({:.1} per posting)\n",
        n_index,
        index.postings(),
        index.bytes(),
        index.bytes() as f64 / index.postings().max(1) as f64
    );

    // The same index saved and opened in place, when asked for.
    let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut storages: Vec<(&str, SparseIndex)> = Vec::new();
    for name in &args.storage {
        if let Some(ty) = weight_type(name) {
            let path = scratch.path().join(format!("{name}.idx"));
            let t = Instant::now();
            index.save(&path, ty).map_err(|e| e.to_string())?;
            let save_s = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let opened = SparseIndex::open_mapped(&path).map_err(|e| e.to_string())?;
            let open_s = t.elapsed().as_secs_f64();
            let file = std::fs::metadata(&path).map_err(|e| e.to_string())?.len();
            let per = file as f64 / index.postings().max(1) as f64;
            println!(
                "{name}: saved in {save_s:.3} s, opened (every structure checked) in {open_s:.3} s, {file} bytes on disk ({per:.1} per posting, vectors included), {} bytes of RAM",
                opened.bytes()
            );
            report.push(
                json!({"lib": "sextant-sparse-index", "kind": "build", "storage": name,
                "save_s": save_s, "open_s": open_s, "disk_bytes": file, "bytes": opened.bytes(),
                "disk_bytes_per_posting": per}),
            );
            storages.push((name, opened));
        }
    }

    // Filters: each with its exact truth (every passing document scored).
    let mut filters: Vec<(Value, Option<Filter>)> = vec![(Value::Null, None)];
    let payloads = match &args.filters {
        Some(path) => {
            for f in crate::payloads::read_filters(path)? {
                let parsed = Filter::from_value(&f).map_err(|e| e.to_string())?;
                filters.push((f, Some(parsed)));
            }
            let p = crate::payloads::load(dir)?;
            let types = crate::payloads::infer_types(&p.0);
            let idx = crate::payloads::index_all(&p, &types)?;
            Some((p, idx))
        }
        None => None,
    };
    let mut table = Table::new(&[
        "storage",
        "factor",
        "terms",
        "filter",
        "passing",
        "recall@k",
        "QPS",
        "p50 µs",
        "p99 µs",
        "postings/query",
        "scored/query",
        "rescored/query",
    ]);
    let ram = args
        .storage
        .iter()
        .any(|s| s == "ram")
        .then_some(("ram", &index));
    let searched: Vec<(&str, &SparseIndex)> = ram
        .into_iter()
        .chain(storages.iter().map(|(n, i)| (*n, i)))
        .collect();
    for (fjson, filter) in &filters {
        let allowed = match (filter, &payloads) {
            (Some(f), Some((p, idx))) => Some(idx.filter(f, p)),
            // Held-out queries: their truth is every indexed document scored.
            _ if long > 0 => Some(sextant_core::BitSet::full(n_index)),
            _ => None,
        };
        let passing = allowed.as_ref().map_or(n_index, |a| a.count());
        // Truth, once per filter: the dataset's for no filter; scoring every passing point
        // otherwise.
        let truth: Vec<(Vec<PointOffset>, Vec<f32>)> = (0..n_q)
            .map(|q| match &allowed {
                None => (
                    gt.row(q).iter().map(|&i| i as PointOffset).collect(),
                    gt_scores.row(q).to_vec(),
                ),
                Some(a) => {
                    let mut all: Vec<(PointOffset, f32)> = a
                        .iter()
                        .filter_map(|o| Some((o, queries[q].dot_if_shared(&index.vector(o)?)?)))
                        .collect();
                    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                    all.into_iter().take(args.k).unzip()
                }
            })
            .collect();
        let modes: Vec<(f32, usize)> = args
            .approximate
            .iter()
            .flat_map(|&f| args.max_terms.iter().map(move |&t| (f, t)))
            .collect();
        for (&(storage, index), &(factor, max_terms)) in searched
            .iter()
            .flat_map(|s| modes.iter().map(move |m| (s, m)))
        {
            let mut exact = SparseRequest::new(args.k)
                .approximate(factor)
                .map_err(|e| e.to_string())?;
            if max_terms > 0 {
                exact = exact.max_terms(max_terms).map_err(|e| e.to_string())?;
            }
            let run = |q: usize| -> (Vec<ScoredPoint>, sextant_sparse_index::SearchStats) {
                match (filter, &payloads) {
                    (Some(f), Some((p, idx))) => {
                        // Per query, as a store does: the filter's bit set and its count.
                        let bits = idx.filter(f, p);
                        let n = bits.count();
                        let req = exact.filter(&bits).passing(n);
                        index.search_counted(&queries[q], &req)
                    }
                    _ => index.search_counted(&queries[q], &exact),
                }
            };
            let (mut recall, mut postings, mut scored, mut rescored) =
                (0.0, 0usize, 0usize, 0usize);
            for (q, (ids, scores)) in truth.iter().enumerate() {
                let (found, stats) = run(q);
                let k = args.k.min(ids.len());
                recall += if k == 0 {
                    1.0
                } else {
                    recall_at_k_with_ties(&found, ids, scores, k, 1e-4)
                };
                postings += stats.postings;
                scored += stats.scored;
                rescored += stats.rescored;
            }
            let recall = recall / n_q.max(1) as f64;
            let mut best: Option<PassStats> = None;
            for _ in 0..args.repeats {
                let mut lat = Vec::with_capacity(n_q);
                for q in 0..n_q {
                    let t = Instant::now();
                    std::hint::black_box(run(q));
                    lat.push(t.elapsed());
                }
                let st = PassStats::from_latencies(&lat).ok_or("no queries")?;
                if best.as_ref().is_none_or(|b| st.qps > b.qps) {
                    best = Some(st);
                }
            }
            let st = best.ok_or("--repeats must be at least 1")?;
            let per_q = |x: usize| x as f64 / n_q.max(1) as f64;
            table.row(vec![
                storage.to_string(),
                factor.to_string(),
                if max_terms == 0 {
                    "all".into()
                } else {
                    max_terms.to_string()
                },
                if fjson.is_null() {
                    "-".into()
                } else {
                    fjson.to_string()
                },
                passing.to_string(),
                format!("{recall:.4}"),
                format!("{:.0}", st.qps),
                format!("{:.1}", st.p50_us),
                format!("{:.1}", st.p99_us),
                format!("{:.0}", per_q(postings)),
                format!("{:.0}", per_q(scored)),
                format!("{:.0}", per_q(rescored)),
            ]);
            report.push(
                json!({"lib": "sextant-sparse-index", "kind": "search", "mode": "single",
                "storage": storage, "approximate": factor, "max_terms": (max_terms > 0).then_some(max_terms), "filter": fjson, "passing": passing, "k": args.k, "recall": recall,
                "qps": st.qps, "p50_us": st.p50_us, "p99_us": st.p99_us,
                "postings_per_query": per_q(postings), "scored_per_query": per_q(scored), "rescored_per_query": per_q(rescored),
                "loadavg": loadavg()}),
            );
        }
    }
    println!("{}", table.render());
    if let Some(path) = &args.json {
        report.write(path)?;
    }
    Ok(())
}
