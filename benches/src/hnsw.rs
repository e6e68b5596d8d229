//! `sextant-bench hnsw`: build an HNSW graph over a dataset, then sweep `ef` with single queries
//! on one thread; records in the peers' format (`"lib": "sextant-hnsw"`).

use crate::float_scorer;
use crate::host::{loadavg, peak_rss_mib, process_cpu_time, reset_peak_rss, rss_mib};
use crate::query_args::{GraphArgs, QueryArgs};
use crate::report::{Report, Table, dataset_header};
use crate::stats::PassStats;
use clap::Args;
use serde_json::json;
use sextant_core::kernels::has_native_bf16;
use sextant_core::{
    Bf16PairScorer, DensePairScorer, DenseVectorSource, DenseVectors, Distance, PairScorer,
};
use sextant_datasets::{Dataset, mean_recall};
use sextant_hnsw::{HnswIndex, HnswMapped, SearchContext, SearchRequest};
use sextant_quantization::{AnyCodes, EncodedVectors, rescore};
use std::time::{Duration, Instant};

/// HNSW build time and memory, then recall@k / QPS / latency over an ef sweep.
#[derive(Debug, Args)]
pub struct HnswArgs {
    #[command(flatten)]
    q: QueryArgs,
    #[command(flatten)]
    g: GraphArgs,
    /// Search list sizes to sweep.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "10,16,24,32,48,64,96,128,192,256",
        value_parser = crate::query_args::at_least_one()
    )]
    ef: Vec<usize>,
    /// Graph storages to sweep: ram (the built index), mmap (plain file searched in place),
    /// mmap-compressed (compressed file searched in place).
    #[arg(long, value_delimiter = ',', default_value = "ram")]
    storage: Vec<String>,
    /// Traverse on codes, then rescore with the float vectors: none, sq8 (scalar int8), sq8d
    /// (scalar int8, a grid per dimension), sq4d (scalar int4, a grid per dimension), bin1,
    /// bin1.5, bin2 (binary codes, 8-bit query; `q4` appended: 4-bit), rabitq1 .. rabitq8
    /// (RaBitQ with that many bits), tq1 .. tq4 / tq1u .. tq4u (TurboQuant, calibrated or not),
    /// pca1 .. pca8 (scalar codes on principal components, that many bits per dimension on
    /// average), pqM (product, M sub-spaces), pqMx4 (product fast scan).
    #[arg(long, default_value = "none")]
    quantization: String,
    /// With a codec: the search on codes returns ceil(R·k) candidates, rescored to the top k.
    #[arg(long, default_value_t = 2.0)]
    oversampling: f64,
    /// Clipping quantile of the sq8 / sq8d / sq4d grids (default: the library's, 0.99 for
    /// sq8, 1.0 for sq8d, 0.995 for sq4d).
    #[arg(long)]
    quantile: Option<f32>,
    /// Float search pruned on code bounds: none, or sq8d (per-dimension int8 codes give each
    /// point an upper bound on its float score; floats are read only where the bound reaches
    /// the search's floor, so results are those of the float search).
    #[arg(long, default_value = "none")]
    bounds: String,
    /// What inserts search with while building: none (what neighbours are selected on, as
    /// --select-on says), a codec of the base by the names of --quantization, trained inside
    /// the timed build (sq8d: per-dimension int8 codes), or auto (as the shard: none where
    /// the selection's bf16 copy fits the cache, see `Bf16PairScorer::fits_search`, else
    /// sq8d; the JSON's `build_codes` records which).
    #[arg(long, default_value = "none")]
    build_codes: String,
    /// What a build selects neighbours on: f32 (the float vectors), bf16 (a bf16 copy made
    /// inside the timed build; Cosine and Dot only), or auto (bf16 where the CPU has native
    /// bf16 dot products and the metric is a dot one, as the shard does; f32 otherwise).
    #[arg(long, default_value = "auto")]
    select_on: String,
    /// A graph file: loaded when it exists (the build is skipped and reported as loaded; the
    /// file must cover the dataset), otherwise built and saved there. Lets two binaries or two
    /// search settings be compared on the very same graph.
    #[arg(long)]
    graph: Option<std::path::PathBuf>,
}

/// Builds the graph selecting neighbours with `pair`; inserts search on the codes
/// `--build-codes` names (trained inside the timed build, with the codec's default grid), or
/// on `pair`.
fn build_graph<P: PairScorer + Sync>(
    base: &DenseVectors<f32>,
    distance: Distance,
    pair: &P,
    build_codes: &str,
    args: &HnswArgs,
) -> Result<HnswIndex, String> {
    let (params, threads) = (args.g.params(), args.g.threads);
    if build_codes == "none" {
        return HnswIndex::build(base.len(), pair, params, threads).map_err(|e| e.to_string());
    }
    let config = crate::quant::codec_config(build_codes, None)?;
    let codes = AnyCodes::train(base, distance, &config, threads).map_err(|e| e.to_string())?;
    let search = |p| codes.query_scorer(base.vector(p));
    HnswIndex::build_with_search(base.len(), pair, search, params, threads)
        .map_err(|e| e.to_string())
}

/// What `--build-codes` names, `auto` resolved as the shard does: none (search on the pair
/// scorer) where it is a bf16 copy that [fits](Bf16PairScorer::fits_search), else sq8d.
fn resolve_build_codes(named: &str, bf16_fits: bool) -> &str {
    match named {
        "auto" if bf16_fits => "none",
        "auto" => "sq8d",
        other => other,
    }
}

/// The graph a sweep searches.
enum Storage<'a> {
    Ram(&'a HnswIndex),
    Mapped(Box<HnswMapped>),
}

impl Storage<'_> {
    fn search<S: sextant_core::QueryScorer>(
        &self,
        s: &S,
        k: usize,
        ef: usize,
        ctx: &mut SearchContext,
        out: &mut Vec<sextant_core::ScoredPoint>,
    ) {
        let request = SearchRequest::new(k).ef(ef);
        let found = match self {
            Storage::Ram(i) => i.search(s, &request, ctx),
            Storage::Mapped(m) => m.search(s, &request, ctx),
        };
        out.clear();
        out.extend_from_slice(&found.expect("every scorer covers the whole base"));
    }
}

pub fn run(args: HnswArgs) -> Result<(), String> {
    // Every name is checked before the build: a typo fails now, not after minutes of work.
    for storage in &args.storage {
        if !["ram", "mmap", "mmap-compressed"].contains(&storage.as_str()) {
            return Err(format!(
                "unknown --storage {storage:?} (ram, mmap, mmap-compressed)"
            ));
        }
    }
    for codes in [&args.quantization, &args.build_codes] {
        if codes != "none" && codes != "auto" {
            crate::quant::codec_config(codes, args.quantile)?;
        }
    }
    crate::float_scorer::check_bounds(&args.bounds)?;
    crate::query_args::check_json(args.q.json.as_deref())?;
    let ds = Dataset::open(&args.q.dataset).map_err(|e| e.to_string())?;
    let gt = ds
        .ground_truth()
        .map_err(|e| e.to_string())?
        .ok_or("the dataset has no groundtruth.ivecs")?;
    let distance = ds.distance();
    let base = ds.base_prepared().map_err(|e| e.to_string())?;
    let queries = ds.queries_prepared().map_err(|e| e.to_string())?;
    let n_q = args.q.n_queries(queries.len());
    let name = ds.meta().name.clone();

    eprintln!(
        "hnsw: building {name} ({} x {}, {distance}) m={} ef_construction={} alpha={} on {} threads",
        base.len(),
        base.dim(),
        args.g.m,
        args.g.ef_construction,
        args.g.alpha,
        args.g.threads
    );
    let load_before = loadavg();
    let peak_method = if reset_peak_rss() {
        "VmHWM after clear_refs"
    } else {
        "VmHWM (not reset)"
    };
    let rss_before = rss_mib().unwrap_or(0.0);
    let (cpu0, t0) = (process_cpu_time(), Instant::now());
    // Curve names (the peers' `variant` field): how the graph was built, how it is searched.

    let select_on = match args.select_on.as_str() {
        "auto" if has_native_bf16() && Bf16PairScorer::supports(distance) => "bf16",
        "auto" | "f32" => "f32",
        "bf16" => "bf16",
        other => return Err(format!("--select-on {other}: expected auto, f32 or bf16")),
    };
    let saved = args.graph.as_ref().filter(|p| p.exists());
    // The graph, and what its inserts searched on (`--build-codes` resolved).
    let (index, build_codes) = match saved {
        Some(path) => {
            let g = HnswIndex::load(path).map_err(|e| e.to_string())?;
            if g.len() != base.len() {
                return Err(format!(
                    "{}: a graph of {} points for a dataset of {}",
                    path.display(),
                    g.len(),
                    base.len()
                ));
            }
            (g, resolve_build_codes(&args.build_codes, false))
        }
        None if select_on == "bf16" => {
            let pair = Bf16PairScorer::new(&base, distance).ok_or_else(|| {
                format!("--select-on bf16: not for {distance} (a dot metric only)")
            })?;
            let codes = resolve_build_codes(&args.build_codes, pair.fits_search());
            (build_graph(&base, distance, &pair, codes, &args)?, codes)
        }
        None => {
            let codes = resolve_build_codes(&args.build_codes, false);
            let pair = DensePairScorer::new(&base, distance);
            (build_graph(&base, distance, &pair, codes, &args)?, codes)
        }
    };
    let build_s = t0.elapsed().as_secs_f64();
    let build_variant = (build_codes != "none").then(|| format!("build={build_codes}"));
    if let Some(path) = &args.graph {
        if saved.is_some() {
            eprintln!(
                "hnsw: graph loaded from {} (not built: build figures are the load's)",
                path.display()
            );
        } else {
            index.save(path).map_err(|e| e.to_string())?;
        }
    }
    let build_cpu_s = (process_cpu_time() - cpu0).as_secs_f64();
    let peak_delta = peak_rss_mib().map(|p| p - rss_before);
    let stats = index.stats();
    let links: usize = stats
        .degrees
        .iter()
        .map(|d| d.iter().enumerate().map(|(k, c)| k * c).sum::<usize>())
        .sum();
    // The saved graph (links only; vectors live elsewhere), for the peers' "disk_bytes".
    let graph_bytes = index.to_bytes().len();
    let compressed_bytes = index.to_bytes_compressed().len();
    let build = json!({"lib": "sextant-hnsw", "dataset": name, "kind": "build", "m": args.g.m,
        "ef_construction": args.g.ef_construction, "alpha": args.g.alpha, "build_threads": args.g.threads, "build_codes": build_codes,
        "select_on": select_on,
        "variant": build_variant, "loaded": saved.is_some(), "build_s": build_s,
        "build_cpu_s": build_cpu_s, "cpu_util": build_cpu_s / build_s, "peak_rss_delta_mib": peak_delta,
        "peak_method": peak_method, "loadavg_before": load_before, "loadavg_after": loadavg(),
        "disk_bytes": graph_bytes, "disk_bytes_compressed": compressed_bytes,
        "disk_note": "graph file only (vectors are stored by the caller)",
        "graph": {"levels": stats.nodes, "links": links, "unreachable": stats.unreachable}});
    eprintln!(
        "hnsw: built in {build_s:.2} s ({build_cpu_s:.2} CPU s), {} unreachable",
        stats.unreachable
    );

    let t = Instant::now();
    let codes = crate::quant::train_codes(
        &args.quantization,
        args.quantile,
        &base,
        distance,
        args.g.threads,
    )?;
    if let Some(bytes) = codes.as_ref().map(AnyCodes::bytes_per_vector) {
        eprintln!(
            "hnsw: {} codes in {:.2} s, {bytes} bytes per vector (float: {})",
            args.quantization,
            t.elapsed().as_secs_f64(),
            4 * base.dim()
        );
    }
    let quantized = codes.is_some();
    let bound_codes = float_scorer::bound_codes(&args.bounds, &base, distance, args.g.threads)?;
    let bounded = float_scorer::bounded(bound_codes.as_ref(), &base)?;
    let search_variant: Vec<String> = [
        build_variant.clone(),
        bounded.is_some().then(|| format!("bounds={}", args.bounds)),
        quantized.then(|| format!("oversampling={}", args.oversampling)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let search_variant = (!search_variant.is_empty()).then(|| search_variant.join("/"));
    let candidates_k = if quantized {
        (args.q.k as f64 * args.oversampling).ceil() as usize
    } else {
        args.q.k
    };
    crate::quant::check_oversampling(args.oversampling)?;
    let mut candidates: Vec<sextant_core::ScoredPoint> = Vec::new();
    let factory =
        float_scorer::ScorerFactory::new(&base, distance, bounded.as_ref(), codes.as_ref());
    factory.check(&queries, n_q)?;
    let (mut ctx, mut out) = (SearchContext::new(), Vec::new());
    let mut records = Vec::new();
    let mut table = Table::new(&[
        "storage",
        "ef",
        &format!("recall@{}", args.q.k),
        "QPS",
        "p50 us",
        "p99 us",
        "CPU us/query",
        "load1",
    ]);
    let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
    let pb = crate::progress::bar((args.ef.len() * args.storage.len()) as u64, "ef sweep");
    for storage_name in &args.storage {
        let storage = match storage_name.as_str() {
            "ram" => Storage::Ram(&index),
            "mmap" | "mmap-compressed" => {
                let path = scratch.path().join(storage_name);
                if storage_name == "mmap" {
                    index.save(&path)
                } else {
                    index.save_compressed(&path)
                }
                .map_err(|e| e.to_string())?;
                let mapped = HnswIndex::open_mapped(&path).map_err(|e| e.to_string())?;
                mapped.populate().map_err(|e| e.to_string())?;
                Storage::Mapped(Box::new(mapped))
            }
            other => {
                return Err(format!(
                    "unknown storage {other:?} (ram, mmap, mmap-compressed)"
                ));
            }
        };
        let lib = if storage_name == "ram" {
            "sextant-hnsw".to_string()
        } else {
            format!("sextant-hnsw-{storage_name}")
        };
        for &ef in &args.ef {
            let mut pass = |record: bool| {
                let mut lat = Vec::with_capacity(n_q);
                let mut found = Vec::with_capacity(if record { n_q } else { 0 });
                let cpu0 = process_cpu_time();
                for q in 0..n_q as sextant_core::PointOffset {
                    let t = Instant::now();
                    let s = factory
                        .make(queries.vector(q))
                        .expect("checked before timing");
                    match &s.codes {
                        Some(cs) => {
                            let wide = ef.max(candidates_k);
                            storage.search(cs, candidates_k, wide, &mut ctx, &mut candidates);
                            rescore(&candidates, &s.floats, args.q.k, &mut out);
                        }
                        None => storage.search(&s.floats, args.q.k, ef, &mut ctx, &mut out),
                    }
                    lat.push(t.elapsed());
                    if record {
                        found.push(out.iter().map(|p| p.offset).collect::<Vec<_>>());
                    }
                }
                (lat, found, process_cpu_time() - cpu0)
            };
            let (_, found, _) = pass(true);
            let recall = mean_recall(&found, &gt, args.q.k);
            let mut best: Option<(PassStats, Duration, Duration)> = None;
            let mut runs = Vec::new();
            for _ in 0..args.q.repeats {
                let (lat, _, cpu) = pass(false);
                let st = PassStats::from_latencies(&lat).ok_or("no queries")?;
                runs.push((st.qps * 10.0).round() / 10.0);
                if best.is_none_or(|b| st.qps > b.0.qps) {
                    best = Some((st, cpu, lat.iter().sum()));
                }
            }
            let (st, cpu, wall) = best.expect("repeats >= 1");
            let load = loadavg();
            table.row(vec![
                storage_name.clone(),
                ef.to_string(),
                format!("{recall:.4}"),
                format!("{:.0}", st.qps),
                format!("{:.1}", st.p50_us),
                format!("{:.1}", st.p99_us),
                format!("{:.1}", cpu.as_secs_f64() * 1e6 / n_q as f64),
                load.map_or("-".into(), |l| format!("{:.2}", l[0])),
            ]);
            records.push(json!({"lib": lib, "storage": storage_name, "dataset": name, "kind": "search", "mode": "single",
            "quantization": args.quantization, "bounds": args.bounds, "oversampling": quantized.then_some(args.oversampling),
            "variant": search_variant, "m": args.g.m, "ef_construction": args.g.ef_construction, "ef": ef, "k": args.q.k,
            "recall": recall, "qps": st.qps, "p50_us": st.p50_us, "p99_us": st.p99_us, "mean_us": st.mean_us,
            "cpu_us_per_query": cpu.as_secs_f64() * 1e6 / n_q as f64, "cpu_util": cpu.as_secs_f64() / wall.as_secs_f64(),
            "loadavg": load, "runs_qps": runs}));
            pb.inc(1);
        }
    }
    pb.finish_and_clear();
    println!(
        "## sextant-hnsw: {name} ({} x {}, {distance}), m={} ef_construction={}, k={}\n",
        base.len(),
        base.dim(),
        args.g.m,
        args.g.ef_construction,
        args.q.k
    );
    println!(
        "build: {build_s:.2} s on {} threads ({build_cpu_s:.2} CPU s), peak RSS +{} MiB, {} links, {} unreachable, graph file {:.2} MiB ({:.2} MiB compressed)\n",
        args.g.threads,
        peak_delta.map_or("?".into(), |p| format!("{p:.1}")),
        links,
        stats.unreachable,
        graph_bytes as f64 / (1 << 20) as f64,
        compressed_bytes as f64 / (1 << 20) as f64
    );
    print!("{}", table.render());
    println!(
        "\nsearch: one query per call on one thread, fastest of {} passes after a warm-up.",
        args.q.repeats
    );
    if let Some(path) = args.q.json {
        let mut report = Report::new(
            dataset_header(&ds, n_q),
            json!({"m": args.g.m, "ef_construction": args.g.ef_construction, "ef": args.ef, "k": args.q.k,
                "build_threads": args.g.threads, "query_threads": 1, "repeats": args.q.repeats}),
        );
        report.push(build);
        records.into_iter().for_each(|r| report.push(r));
        report.write(&path)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
