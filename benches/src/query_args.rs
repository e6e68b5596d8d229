//! Command-line flags shared by the subcommands that time queries against a dataset.

use clap::Args;
use sextant_hnsw::HnswConfig;
use std::path::PathBuf;

/// The dataset, k, and how queries are timed.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Dataset folder (meta.json, base.fvecs, query.fvecs, groundtruth.ivecs).
    #[arg(long)]
    pub dataset: PathBuf,
    /// Neighbours to return per query (recall@k is measured at this k).
    #[arg(long, default_value_t = 10, value_parser = crate::query_args::at_least_one())]
    pub k: usize,
    /// Timed passes over the queries after one warm-up pass; the fastest pass is reported.
    #[arg(long, default_value_t = 3, value_parser = crate::query_args::at_least_one())]
    pub repeats: usize,
    /// Use only the first N queries (0 = all).
    #[arg(long, default_value_t = 0)]
    pub max_queries: usize,
    /// Also write the records (peers' JSON format) to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// A flag that must be at least 1 (k, ef, threads, repeats...): 0 is refused when the
/// command line is read, before any work starts.
pub fn at_least_one() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
}

/// Creates (empties) the `--json` file now, so a path that cannot be written is an error
/// before the benchmark runs rather than after.
pub fn check_json(path: Option<&std::path::Path>) -> Result<(), String> {
    match path {
        Some(p) => std::fs::File::create(p)
            .map(drop)
            .map_err(|e| format!("--json {}: {e}", p.display())),
        None => Ok(()),
    }
}

impl QueryArgs {
    /// How many of `available` queries to run.
    pub fn n_queries(&self, available: usize) -> usize {
        match self.max_queries {
            0 => available,
            m => m.min(available),
        }
    }
}

/// How the HNSW graph is built.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Links per node on upper levels (level 0 gets 2m).
    #[arg(long, default_value_t = 16)]
    pub m: usize,
    /// Candidate list size while building.
    #[arg(long, default_value_t = 100)]
    pub ef_construction: usize,
    /// Build threads (searches always run one query at a time on one thread).
    #[arg(long, default_value_t = 2, value_parser = crate::query_args::at_least_one())]
    pub threads: usize,
    /// Level-0 pruning factor α (1: hnswlib's heuristic; the library's default keeps some
    /// longer links, see `HnswConfig::alpha`).
    #[arg(long, default_value_t = HnswConfig::default().alpha)]
    pub alpha: f32,
}

impl GraphArgs {
    /// The construction parameters these flags describe.
    pub fn params(&self) -> HnswConfig {
        HnswConfig {
            ef_construction: self.ef_construction,
            alpha: self.alpha,
            ..HnswConfig::with_m(self.m)
        }
    }
}
