//! `sextant-bench exact`: brute-force top-k, one query at a time on one thread, then a labelled
//! multi-threaded throughput figure; recall checked against the dataset's ground truth.

use crate::host::{loadavg, process_cpu_time};
use crate::progress::bar;
use crate::query_args::QueryArgs;
use crate::report::{Report, Table, dataset_header};
use crate::stats::PassStats;
use clap::Args;
use rayon::prelude::*;
use serde_json::json;
use sextant_core::{DenseVectorSource, DenseVectors, Distance, PointOffset, ScoredPoint, TopK};
use sextant_datasets::{
    Dataset, GroundTruth, exact_search_into, mean_recall, recall_at_k_with_ties,
};
use std::time::{Duration, Instant};

/// Exact (brute-force) search: the recall-1.0 reference point of every recall/QPS plot.
#[derive(Debug, Args)]
pub struct ExactArgs {
    #[command(flatten)]
    q: QueryArgs,
    /// Threads for the separate multi-threaded throughput figure (single-query figures always
    /// use one thread).
    #[arg(long, default_value_t = 2, value_parser = crate::query_args::at_least_one())]
    threads: usize,
}

/// One pass of single queries on this thread: (per-query latencies, results, CPU time).
fn single_pass(
    base: &DenseVectors<f32>,
    queries: &DenseVectors<f32>,
    n: usize,
    distance: Distance,
    top: &mut TopK,
) -> (Vec<Duration>, Vec<Vec<ScoredPoint>>, Duration) {
    let mut latencies = Vec::with_capacity(n);
    let mut found = Vec::with_capacity(n);
    let cpu0 = process_cpu_time();
    for q in 0..n as PointOffset {
        let t = Instant::now();
        exact_search_into(base, queries.vector(q), distance, top);
        latencies.push(t.elapsed());
        found.push(top.drain_sorted());
    }
    (latencies, found, process_cpu_time() - cpu0)
}

/// (recall@k, recall@k counting ties with the k-th true score as hits).
fn recalls(found: &[Vec<ScoredPoint>], gt: &GroundTruth, k: usize) -> (f64, f64) {
    let ids: Vec<Vec<PointOffset>> = found
        .iter()
        .map(|r| r.iter().map(|p| p.offset).collect())
        .collect();
    let strict = mean_recall(&ids, gt, k);
    let tied = match (0..found.len())
        .map(|q| gt.scores(q))
        .collect::<Option<Vec<_>>>()
    {
        Some(scores) => {
            let sum: f64 = found
                .iter()
                .enumerate()
                .map(|(q, r)| recall_at_k_with_ties(r, gt.ids(q), scores[q], k, TIE_TOLERANCE))
                .sum();
            sum / found.len().max(1) as f64
        }
        None => strict,
    };
    (strict, tied)
}

/// Scores within this of the k-th true score count as ties: the shared ground truth is computed
/// in float64, our kernels accumulate in float32 (relative error ~1e-6 at 384 dims).
const TIE_TOLERANCE: f32 = 1e-5;

pub fn run(args: ExactArgs) -> Result<(), String> {
    crate::query_args::check_json(args.q.json.as_deref())?;
    let ds = Dataset::open(&args.q.dataset).map_err(|e| e.to_string())?;
    let gt: GroundTruth = ds.ground_truth().map_err(|e| e.to_string())?.ok_or_else(|| {
        format!(
            "{} has no groundtruth.ivecs; compute it first: sextant-bench groundtruth --dataset {}",
            args.q.dataset.display(),
            args.q.dataset.display()
        )
    })?;
    if gt.k() < args.q.k {
        return Err(format!(
            "ground truth holds {} neighbours per query, --k is {}",
            gt.k(),
            args.q.k
        ));
    }
    let distance = ds.distance();
    let base = ds.base_prepared().map_err(|e| e.to_string())?;
    let queries = ds.queries_prepared().map_err(|e| e.to_string())?;
    let n = args.q.n_queries(queries.len());
    let name = ds.meta().name.clone();
    eprintln!(
        "exact: {name}, {} x {} {distance}, {n} queries, k={}, kernels {}",
        base.len(),
        base.dim(),
        args.q.k,
        sextant_core::Kernels::best().level.name()
    );

    let mut top = TopK::new(args.q.k);
    let pb = bar((args.q.repeats + 1) as u64, "single-query passes");
    let (_, warm_found, _) = single_pass(&base, &queries, n, distance, &mut top);
    pb.inc(1);
    let (recall, recall_ties) = recalls(&warm_found, &gt, args.q.k);
    let mut passes = Vec::new();
    for _ in 0..args.q.repeats {
        let (lat, found, cpu) = single_pass(&base, &queries, n, distance, &mut top);
        let stats = PassStats::from_latencies(&lat).ok_or("no queries")?;
        let wall: Duration = lat.iter().sum();
        passes.push((stats, cpu, wall, recalls(&found, &gt, args.q.k).0));
        pb.inc(1);
    }
    pb.finish_and_clear();
    let load_single = loadavg();
    let runs_qps: Vec<f64> = passes
        .iter()
        .map(|p| (p.0.qps * 10.0).round() / 10.0)
        .collect();
    let (best, cpu, wall, best_recall) = passes
        .iter()
        .copied()
        .max_by(|a, b| a.0.qps.total_cmp(&b.0.qps))
        .expect("repeats >= 1");
    if (best_recall - recall).abs() > 1e-12 {
        return Err(format!(
            "recall changed between passes ({recall} vs {best_recall})"
        ));
    }

    // Throughput with queries spread over threads (a batch figure, labelled as such).
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
        .map_err(|e| e.to_string())?;
    let parallel_pass = || {
        pool.install(|| {
            (0..n as PointOffset)
                .into_par_iter()
                .map_init(
                    || TopK::new(args.q.k),
                    |top, q| {
                        exact_search_into(&base, queries.vector(q), distance, top);
                        top.drain_sorted()
                    },
                )
                .collect::<Vec<_>>()
        })
    };
    parallel_pass();
    let mut best_parallel = f64::MAX;
    let mut parallel_recall = 0.0;
    for _ in 0..args.q.repeats {
        let t = Instant::now();
        let found = parallel_pass();
        best_parallel = best_parallel.min(t.elapsed().as_secs_f64());
        parallel_recall = recalls(&found, &gt, args.q.k).0;
    }
    let parallel_qps = n as f64 / best_parallel;

    let single = json!({
        "lib": "sextant-exact", "dataset": name, "kind": "search", "mode": "single",
        "k": args.q.k, "query_threads": 1, "recall": recall, "recall_with_ties": recall_ties, "qps": best.qps,
        "p50_us": best.p50_us, "p99_us": best.p99_us, "mean_us": best.mean_us,
        "cpu_us_per_query": cpu.as_secs_f64() * 1e6 / n as f64,
        "cpu_util": cpu.as_secs_f64() / wall.as_secs_f64(),
        "loadavg": load_single, "runs_qps": runs_qps,
        "simd_level": sextant_core::Kernels::best().level.name(),
        "peak_rss_mib": crate::host::peak_rss_mib(),
    });
    let parallel = json!({
        "lib": "sextant-exact", "dataset": name, "kind": "search", "mode": format!("parallel-{}-threads", args.threads),
        "k": args.q.k, "query_threads": args.threads, "recall": parallel_recall, "qps": parallel_qps,
        "loadavg": loadavg(),
    });

    let mut table = Table::new(&[
        "lib",
        "mode",
        "threads",
        &format!("recall@{}", args.q.k),
        "QPS",
        "p50 us",
        "p99 us",
        "CPU us/query",
        "load1",
    ]);
    let load1 = |l: Option<[f64; 3]>| l.map_or("-".into(), |l| format!("{:.2}", l[0]));
    table.row(vec![
        "sextant-exact".into(),
        "single".into(),
        "1".into(),
        format!("{recall:.4}"),
        format!("{:.0}", best.qps),
        format!("{:.1}", best.p50_us),
        format!("{:.1}", best.p99_us),
        format!("{:.1}", cpu.as_secs_f64() * 1e6 / n as f64),
        load1(load_single),
    ]);
    table.row(vec![
        "sextant-exact".into(),
        format!("parallel ({} threads, throughput)", args.threads),
        args.threads.to_string(),
        format!("{parallel_recall:.4}"),
        format!("{parallel_qps:.0}"),
        "-".into(),
        "-".into(),
        "-".into(),
        load1(loadavg()),
    ]);
    println!(
        "## exact search: {name} ({} x {}, {distance}), {n} queries, k={}\n",
        base.len(),
        base.dim(),
        args.q.k
    );
    print!("{}", table.render());
    println!(
        "\nsingle: one query per call on one thread, fastest of {} passes after a warm-up.",
        args.q.repeats
    );

    if let Some(path) = args.q.json {
        let mut report = Report::new(
            dataset_header(&ds, n),
            json!({"k": args.q.k, "threads": args.threads, "repeats": args.q.repeats, "max_queries": args.q.max_queries}),
        );
        report.push(single);
        report.push(parallel);
        report.write(&path)?;
        eprintln!("wrote {}", path.display());
    }
    if recall < 1.0 {
        eprintln!(
            "note: recall@{} {recall:.4} strict, {recall_ties:.4} counting float ties with the k-th true score",
            args.q.k
        );
    }
    if recall_ties < 1.0 - 1e-9 {
        return Err(format!(
            "exact search missed true neighbours (recall@{} with ties {recall_ties:.4}): a kernel bug",
            args.q.k
        ));
    }
    Ok(())
}
