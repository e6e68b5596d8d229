//! `sextant-bench groundtruth`: exact top-k of every query of a dataset folder, written as
//! `groundtruth.ivecs` + `groundtruth.scores.fvecs`.

use crate::progress::bar;
use clap::Args;
use sextant_core::DenseVectorSource;
use sextant_datasets::{Dataset, GroundTruth, ground_truth, recall_at_k_with_ties};
use std::path::PathBuf;
use std::time::Instant;

/// Compute exact ground truth for a dataset folder.
#[derive(Debug, Args)]
pub struct GroundTruthArgs {
    /// Dataset folder (meta.json, base.fvecs, query.fvecs).
    #[arg(long)]
    dataset: PathBuf,
    /// Neighbours to keep per query.
    #[arg(long, default_value_t = 100, value_parser = crate::query_args::at_least_one())]
    k: usize,
    /// Threads for the brute-force scan.
    #[arg(long, default_value_t = 2, value_parser = crate::query_args::at_least_one())]
    threads: usize,
    /// Folder to write into (default: the dataset folder).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Overwrite existing ground-truth files (otherwise the new result is only compared with them).
    #[arg(long)]
    force: bool,
}

pub fn run(args: GroundTruthArgs) -> Result<(), String> {
    let ds = Dataset::open(&args.dataset).map_err(|e| e.to_string())?;
    let distance = ds.distance();
    let base = ds.base_prepared().map_err(|e| e.to_string())?;
    let queries = ds.queries_prepared().map_err(|e| e.to_string())?;
    eprintln!(
        "groundtruth: {} x {} base, {} queries, {distance}, k={}, {} threads",
        base.len(),
        base.dim(),
        queries.len(),
        args.k,
        args.threads
    );
    let pb = bar(queries.len() as u64, "queries");
    let t = Instant::now();
    let results = ground_truth(&base, &queries, args.k, distance, args.threads, &|done| {
        pb.set_position(done as u64)
    })
    .map_err(|e| e.to_string())?;
    pb.finish_and_clear();
    let secs = t.elapsed().as_secs_f64();
    let computed = GroundTruth::from_results(&results, args.k).map_err(|e| e.to_string())?;
    println!(
        "computed exact top-{} of {} queries in {secs:.2} s ({:.0} queries/s on {} threads)",
        args.k,
        queries.len(),
        queries.len() as f64 / secs,
        args.threads
    );

    let out = args.out.clone().unwrap_or_else(|| args.dataset.clone());
    let existing = out.join("groundtruth.ivecs");
    if existing.exists() && !args.force {
        if out == args.dataset
            && let Some(old) = ds.ground_truth().map_err(|e| e.to_string())?
        {
            let k = old.k().min(args.k);
            let agree: f64 = (0..results.len())
                .map(|q| match old.scores(q) {
                    Some(s) => recall_at_k_with_ties(&results[q], old.ids(q), s, k, 1e-5),
                    None => sextant_datasets::recall_at_k(&computed.ids(q)[..k], old.ids(q), k),
                })
                .sum::<f64>()
                / results.len().max(1) as f64;
            println!(
                "existing ground truth agrees with this one: recall@{k} = {agree:.4} (ties counted)"
            );
        }
        return Err(format!(
            "{} exists; pass --force to overwrite it (nothing was written)",
            existing.display()
        ));
    }
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    computed.write(&out, distance).map_err(|e| e.to_string())?;
    println!(
        "wrote {}/groundtruth.ivecs and groundtruth.scores.fvecs",
        out.display()
    );
    Ok(())
}
