//! `sextant-bench quant`: every codec by brute force over its codes: bytes per vector, encode
//! throughput (on `--threads` threads), scoring speed (ns per code, one query against all
//! codes, its scorer's preparation included; the fastest of `--repeats` passes), and recall@k
//! raw and after rescoring the top R·k with the float vectors.

use std::time::Instant;

use clap::Args;
use serde_json::json;
use sextant_core::{
    DenseQueryScorer, DenseVectorSource, PointOffset, QueryScorer, ScoredPoint, TopK,
};
use sextant_datasets::{Dataset, mean_recall};
use sextant_quantization::{
    AnyCodes, CodecConfig, EncodedVectors, ProductFastScan, QuantizationConfig, RaBitQ, rescore,
    rescore_with_bounds,
};

use crate::query_args::QueryArgs;
use crate::report::{Report, Table, dataset_header};

/// Codecs by brute force: size, encode speed, scan speed, recall raw and rescored.
#[derive(Debug, Args)]
pub struct QuantArgs {
    #[command(flatten)]
    q: QueryArgs,
    /// Codecs: sq8 (scalar int8), sq8d (scalar int8, a grid per dimension), sq4d (its 4-bit variant), bin1, bin1.5, bin2 (binary codes, 8-bit query; a `q4`
    /// suffix for a 4-bit query), rabitq1 .. rabitq8
    /// (RaBitQ with that many bits per coordinate; also measures bound-driven rescoring),
    /// tq1 .. tq4 (TurboQuant, calibrated), tq1u .. tq4u (TurboQuant, not calibrated), pqM
    /// (product quantization, M sub-spaces of 256 centroids), pqMx4 (M sub-spaces of 16
    /// centroids in the fast-scan layout), pca1 .. pca8 (scalar codes on principal
    /// components, 8, 4 or 0 bits each, that many bits per dimension on average).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "sq8,sq8d,sq4d,bin1,bin1.5,bin2,rabitq1,rabitq2,rabitq4,rabitq8,tq1,tq2,tq4,pq48,pq96"
    )]
    codecs: Vec<String>,
    /// Rescoring factors R: the top R·k on codes are rescored to the top k.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4,10", value_parser = crate::query_args::at_least_one())]
    rescore: Vec<usize>,
    /// Threads for encoding.
    #[arg(long, default_value_t = 2, value_parser = crate::query_args::at_least_one())]
    threads: usize,
    /// Clipping quantile of the sq8 / sq8d / sq4d grids (default: the library's, 0.99 for
    /// sq8, 1.0 for sq8d, 0.995 for sq4d).
    #[arg(long)]
    quantile: Option<f32>,
    /// Scan the codes in place from a saved file (`open_mapped`, page cache warm) instead of
    /// from RAM.
    #[arg(long)]
    mapped: bool,
}

/// The codes themselves, or (with a scratch directory) the same codes saved and mapped.
fn placed<C: EncodedVectors>(
    codes: sextant_quantization::Result<C>,
    scratch: Option<&std::path::Path>,
) -> sextant_quantization::Result<C> {
    match scratch {
        None => codes,
        Some(dir) => {
            let path = dir.join("codes.sxq");
            codes?.save(&path)?;
            C::open_mapped(&path)
        }
    }
}

/// What one codec measured.
struct Evaluated {
    bytes: usize,
    /// Vectors encoded per second (training included).
    encode: f64,
    ns_per_code: f64,
    /// Top `keep` per query, best first.
    found: Vec<Vec<ScoredPoint>>,
    /// Codecs with error bounds: (recall@k, originals fetched per query) of bound-driven
    /// rescoring over every code.
    bounded: Option<(f64, f64)>,
}

/// The timed scans: which queries, how many results each keeps, and how many timed passes
/// (after one warm-up pass; the fastest is reported).
struct ScanPlan<'a> {
    queries: &'a sextant_core::DenseVectors<f32>,
    n_q: usize,
    keep: usize,
    repeats: usize,
}

impl ScanPlan<'_> {
    /// Runs `one_query` (prepare the scorer of query `q`, scan every one of `n` codes, keep the
    /// top) over the queries: (ns per code of the fastest pass, the top lists).
    fn time<F>(&self, n: usize, mut one_query: F) -> Result<(f64, Vec<Vec<ScoredPoint>>), String>
    where
        F: FnMut(&[f32]) -> Result<Vec<ScoredPoint>, String>,
    {
        let mut best = f64::INFINITY;
        let mut found = Vec::new();
        for pass in 0..=self.repeats.max(1) {
            let t = Instant::now();
            found = (0..self.n_q as PointOffset)
                .map(|q| one_query(self.queries.vector(q)))
                .collect::<Result<_, _>>()?;
            // Pass 0 warms the caches.
            if pass > 0 {
                best = best.min(t.elapsed().as_secs_f64() * 1e9 / (n * self.n_q).max(1) as f64);
            }
        }
        Ok((best, found))
    }
}

/// Measures codes trained (or failed to) since `t`, scanned from RAM or, with `scratch`,
/// from a mapped file.
fn evaluate<C: EncodedVectors>(
    codes: sextant_quantization::Result<C>,
    t: Instant,
    scratch: Option<&std::path::Path>,
    plan: &ScanPlan,
) -> Result<(Evaluated, C), String> {
    let encode = codes.as_ref().map_or(0.0, |c| c.len() as f64) / t.elapsed().as_secs_f64();
    let codes = placed(codes, scratch).map_err(|e| e.to_string())?;
    let (ns_per_code, found) = scan(&codes, plan)?;
    let evaluated = Evaluated {
        bytes: codes.bytes_per_vector(),
        encode,
        ns_per_code,
        found,
        bounded: None,
    };
    Ok((evaluated, codes))
}

/// Bound-driven rescoring over every RaBitQ code: (recall@k, originals fetched per query).
fn bounded_rescoring(
    codes: &RaBitQ,
    base: &sextant_core::DenseVectors<f32>,
    queries: &sextant_core::DenseVectors<f32>,
    n_q: usize,
    k: usize,
    gt: &sextant_datasets::GroundTruth,
) -> Result<(f64, f64), String> {
    let (mut fetched, mut ids) = (0usize, Vec::with_capacity(n_q));
    let mut best = Vec::new();
    for q in 0..n_q as PointOffset {
        let scorer = codes
            .query_scorer(queries.vector(q))
            .map_err(|e| e.to_string())?;
        let candidates: Vec<_> = (0..codes.len() as PointOffset)
            .map(|p| (p, scorer.estimate(p)))
            .collect();
        let exact = DenseQueryScorer::new(base, codes.distance(), queries.vector(q))
            .map_err(|e| e.to_string())?;
        fetched += rescore_with_bounds(&candidates, &exact, k, &mut best);
        ids.push(best.iter().map(|p| p.offset).collect::<Vec<_>>());
    }
    Ok((mean_recall(&ids, gt, k), fetched as f64 / n_q.max(1) as f64))
}

/// Scores every code against each query (one thread, the query's scorer prepared inside the
/// timed loop, as a peer's search call prepares its tables): (ns per code, top `keep` per
/// query).
fn scan<C: EncodedVectors>(
    codes: &C,
    plan: &ScanPlan,
) -> Result<(f64, Vec<Vec<ScoredPoint>>), String> {
    let n = codes.len();
    let points: Vec<PointOffset> = (0..n as PointOffset).collect();
    let mut scores = vec![0.0; n];
    let mut top = TopK::new(plan.keep);
    plan.time(n, |query| {
        let s = codes.query_scorer(query).map_err(|e| e.to_string())?;
        // In batches of 64: scorers prefetch a whole batch before scoring it.
        for (ps, ss) in points.chunks(64).zip(scores.chunks_mut(64)) {
            s.score_points(ps, ss);
        }
        for (&p, &sc) in points.iter().zip(&scores) {
            top.push(p, sc);
        }
        Ok(top.drain_sorted())
    })
}

/// The fast-scan codec's own top-k scan (sums filtered in u16 before they become scores),
/// timed as [`scan`]: (ns per code, top `keep` per query).
fn fast_scan_top_k(
    codes: &ProductFastScan,
    plan: &ScanPlan,
) -> Result<(f64, Vec<Vec<ScoredPoint>>), String> {
    plan.time(codes.len(), |query| {
        let s = codes.query_scorer(query).map_err(|e| e.to_string())?;
        Ok(s.top_k(plan.keep))
    })
}

/// Codes of `base` for the codec `name` (`none`: no codes), trained on `threads` threads: what
/// `--quantization` means in every bench.
pub fn train_codes(
    name: &str,
    quantile: Option<f32>,
    base: &sextant_core::DenseVectors<f32>,
    distance: sextant_core::Distance,
    threads: usize,
) -> Result<Option<sextant_quantization::AnyCodes>, String> {
    if name == "none" {
        return Ok(None);
    }
    let config = codec_config(name, quantile)?;
    sextant_quantization::AnyCodes::train(base, distance, &config, threads)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Refuses an `--oversampling` below 1 (the rescored candidates must cover k).
pub fn check_oversampling(oversampling: f64) -> Result<(), String> {
    if oversampling.is_nan() || oversampling < 1.0 {
        return Err("--oversampling must be at least 1".into());
    }
    Ok(())
}

/// The codec a short name (`sq8d`, `pca4`, `pq96x4`...: the library's `QuantizationConfig`
/// parser) names, with the bench's seed and, for the scalar codecs, `quantile` when given: the
/// one place the benches turn a codec name into a codec.
pub fn codec_config(name: &str, quantile: Option<f32>) -> Result<CodecConfig, String> {
    let codec: QuantizationConfig = name
        .parse()
        .map_err(|e: sextant_quantization::Error| e.to_string())?;
    let codec = quantile.map_or(codec, |q| codec.with_quantile(q));
    Ok(CodecConfig::new(codec))
}

pub fn run(args: QuantArgs) -> Result<(), String> {
    let configs = args
        .codecs
        .iter()
        .map(|c| codec_config(c, args.quantile))
        .collect::<Result<Vec<_>, _>>()?;
    crate::query_args::check_json(args.q.json.as_deref())?;
    let ds = Dataset::open(&args.q.dataset).map_err(|e| e.to_string())?;
    let gt = ds
        .ground_truth()
        .map_err(|e| e.to_string())?
        .ok_or("the dataset has no groundtruth.ivecs")?;
    let (base, queries, distance) = (
        ds.base_prepared().map_err(|e| e.to_string())?,
        ds.queries_prepared().map_err(|e| e.to_string())?,
        ds.distance(),
    );
    let (n, n_q, k) = (base.len(), args.q.n_queries(queries.len()), args.q.k);
    let widest = k * args.rescore.iter().copied().max().unwrap_or(1).max(1);
    let name = ds.meta().name.clone();
    let float_bytes = 4 * base.dim();
    let mut head = vec![
        "codec".to_string(),
        "bytes/vector".into(),
        "compression".into(),
        "encode vec/s".into(),
        "ns/code".into(),
    ];
    head.extend(args.rescore.iter().map(|r| format!("recall@{k} R={r}")));
    head.push(format!("recall@{k} bound-driven"));
    let mut table = Table::new(&head.iter().map(String::as_str).collect::<Vec<_>>());
    let mut report = Report::new(
        dataset_header(&ds, n_q),
        json!({"k": k, "rescore": args.rescore, "threads": args.threads, "codecs": args.codecs, "quantile": args.quantile, "mapped": args.mapped}),
    );
    let dir = if args.mapped {
        Some(tempfile::tempdir().map_err(|e| e.to_string())?)
    } else {
        None
    };
    let scratch = dir.as_ref().map(|d| d.path());
    let plan = ScanPlan {
        queries: &queries,
        n_q,
        keep: widest,
        repeats: args.q.repeats,
    };
    for (codec, config) in args.codecs.iter().zip(configs) {
        let t = Instant::now();
        let (mut evaluated, codes) = evaluate(
            AnyCodes::train(&base, distance, &config, args.threads),
            t,
            scratch,
            &plan,
        )?;
        match &codes {
            AnyCodes::RaBitQ(c) => {
                evaluated.bounded = Some(bounded_rescoring(c, &base, &queries, n_q, k, &gt)?);
            }
            AnyCodes::ProductFastScan(c) => {
                // The codec's own filtered scan replaces the generic one in the timing (the
                // same top lists: checked here).
                let (ns_per_code, found) = fast_scan_top_k(c, &plan)?;
                if found != evaluated.found {
                    return Err(format!(
                        "{codec}: the filtered scan disagrees with score_points"
                    ));
                }
                evaluated.ns_per_code = ns_per_code;
            }
            _ => {}
        }
        let Evaluated {
            bytes,
            encode,
            ns_per_code,
            found,
            bounded,
        } = evaluated;
        let mut row = vec![
            codec.clone(),
            bytes.to_string(),
            format!("{:.2}x", float_bytes as f64 / bytes as f64),
            format!("{encode:.0}"),
            format!("{ns_per_code:.2}"),
        ];
        let mut recalls = Vec::new();
        for &r in &args.rescore {
            let mut best = Vec::new();
            let ids: Vec<Vec<PointOffset>> = found
                .iter()
                .enumerate()
                .map(|(q, cands)| {
                    let exact =
                        DenseQueryScorer::new(&base, distance, queries.vector(q as PointOffset))
                            .expect("prepared query");
                    rescore(&cands[..(r * k).min(cands.len())], &exact, k, &mut best);
                    best.iter().map(|p| p.offset).collect()
                })
                .collect();
            let recall = mean_recall(&ids, &gt, k);
            row.push(format!("{recall:.4}"));
            recalls.push(json!({"rescore": r, "recall": recall}));
        }
        row.push(match bounded {
            Some((recall, fetched)) => format!("{recall:.4} ({fetched:.1} fetched)"),
            None => "-".into(),
        });
        table.row(row);
        report.push(json!({"lib": "sextant-quantization", "dataset": name, "kind": "quant", "codec": codec,
            "bytes_per_vector": bytes, "compression": float_bytes as f64 / bytes as f64, "encode_vectors_per_s": encode,
            "encode_threads": args.threads, "mapped": args.mapped, "ns_per_code": ns_per_code, "k": k, "recall": recalls,
            "bounded_rescoring": bounded.map(|(recall, fetched)| json!({"recall": recall, "fetched_per_query": fetched}))}));
    }
    println!(
        "## sextant-quantization: {name} ({n} x {}, {distance}), brute force over the codes, k={k}\n",
        base.dim()
    );
    print!("{}", table.render());
    println!(
        "\nns/code: one query scored against all codes (one thread, query preparation included, \
         fastest of {} passes); R=1 is the raw top k; bound-driven: exact top k fetching only \
         candidates whose error bound can still enter it.",
        args.q.repeats.max(1)
    );
    if let Some(path) = &args.q.json {
        report.write(path)?;
    }
    Ok(())
}
