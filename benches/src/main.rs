//! `sextant-bench`: the measuring instrument of Sextant. Every figure in the README and in issue
//! notes comes from here, in the record format of the peers harness (`benches/peers/`), so one
//! tool compares any mix of result files.

mod exact;
mod filtered;
mod float_scorer;
mod gridstore;
mod gridstore_crash;
mod groundtruth;
mod hnsw;
mod host;
mod kill_child;
mod payload;
mod payloads;
mod plot;
mod progress;
mod quant;
mod query_args;
mod report;
mod scratch;
mod server;
mod shard;
mod shard_crash;
mod sparse;
mod stats;
mod wal;
mod wal_crash;

use clap::{Parser, Subcommand};

/// Benchmarks for Sextant, comparable with hnswlib, FAISS, usearch and Qdrant measured by
/// `benches/peers/peers.py` on the same machine.
///
/// Datasets are folders in the texmex layout: base.fvecs, query.fvecs, groundtruth.ivecs
/// (+ groundtruth.scores.fvecs) and meta.json with {"name", "metric": cosine|l2|dot, "dim",
/// "n_base", "n_query"}. Single-query figures run one query per call on one thread after a
/// warm-up pass, and report the fastest of --repeats passes. recall@k = |returned ∩ true top-k| / k.
/// Speed figures are only meaningful as ratios against a peer measured in the same run.
#[derive(Debug, Parser)]
#[command(name = "sextant-bench", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Brute-force top-k search: recall (must be 1.0), QPS and latency, one query at a time on
    /// one thread; plus a separate, labelled multi-threaded throughput row.
    Exact(exact::ExactArgs),
    /// Build an HNSW graph (build time, CPU, peak RSS), then sweep ef: recall@k, QPS and
    /// latency with one query per call on one thread.
    Hnsw(hnsw::HnswArgs),
    /// Filtered HNSW search at several selectivities (filters over payload.jsonl fields):
    /// the planner vs plain filtered traversal vs exact scan, against exact filtered truth.
    Filtered(filtered::FilteredArgs),
    /// Compute the exact top-k of every query and write groundtruth.ivecs and
    /// groundtruth.scores.fvecs (refuses to overwrite existing files without --force).
    Groundtruth(groundtruth::GroundTruthArgs),
    /// Draw recall@k vs QPS (log scale) for every curve in result files, ours and the peers',
    /// to OUT.svg and OUT.png.
    Plot(plot::PlotArgs),
    /// Codecs by brute force over their codes: bytes per vector, encode speed, ns per code,
    /// recall@k raw and after rescoring the top R·k.
    Quant(quant::QuantArgs),
    /// Write-ahead log throughput per durability policy, entry size and appender count, replay
    /// speed, and the disk's sequential-write and fsync limits measured in the same run.
    Wal(wal::WalArgs),
    /// Exact sparse top-k on a sparse dataset (optionally filtered over payload.jsonl): build,
    /// QPS, latency, recall, postings per query (peer: benches/peers/sparse_peers.py).
    Sparse(sparse::SparseArgs),
    /// The shard end to end: ingest per WAL policy, optimize, dense / filtered / sparse /
    /// hybrid queries, count, facet, reopen, RSS, disk (peer: benches/peers/edge_shard.py).
    Shard(shard::ShardArgs),
    /// The reopen of `shard`, in a fresh process so its RSS is the shard's (internal).
    #[command(hide = true)]
    ShardReopenChild(shard::ReopenArgs),
    /// The REST layer's cost: upsert throughput and query QPS through `sextant-server`'s
    /// router on loopback (1 and `--clients` clients) against the same queries in-process.
    Server(server::ServerArgs),
    /// Crash test of the shard: SIGKILL a writer running every update kind, flushes and
    /// optimizes; count acknowledged operations lost and inconsistent states (both must be 0).
    ShardCrash(shard_crash::ShardCrashArgs),
    /// The writer process of `shard-crash` (internal).
    #[command(hide = true)]
    ShardCrashChild(shard_crash::ShardCrashChildArgs),
    /// Payload-store workload on sextant-gridstore and redb.
    Gridstore(gridstore::GridstoreArgs),
    /// Payload indexes over payload.jsonl: build, exact counts, materialized filters,
    /// estimates and facets (peer: benches/peers/edge_payload.py).
    Payload(payload::PayloadArgs),
    /// Crash test of sextant-gridstore: SIGKILL a writer, check every flushed value.
    GridstoreCrash(gridstore_crash::GridstoreCrashArgs),
    /// The writer process of `gridstore-crash` (internal).
    #[command(hide = true)]
    GridstoreCrashChild(gridstore_crash::GridstoreCrashChildArgs),
    /// Crash test of the write-ahead log: SIGKILL a writer at random moments, reopen, and count
    /// acknowledged entries lost and corrupted entries read (both must be 0).
    WalCrash(wal_crash::WalCrashArgs),
    /// The writer process of `wal-crash` (internal).
    #[command(hide = true)]
    WalCrashChild(wal_crash::WalCrashChildArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Exact(a) => exact::run(a),
        Command::Hnsw(a) => hnsw::run(a),
        Command::Filtered(a) => filtered::run(a),
        Command::Groundtruth(a) => groundtruth::run(a),
        Command::Plot(a) => plot::run(a),
        Command::Quant(a) => quant::run(a),
        Command::Wal(a) => wal::run(a),
        Command::Gridstore(a) => gridstore::run(a),
        Command::Payload(a) => payload::run(a),
        Command::Sparse(a) => sparse::run(a),
        Command::Shard(a) => shard::run(a),
        Command::ShardReopenChild(a) => shard::reopen_child(a),
        Command::ShardCrash(a) => shard_crash::run(a),
        Command::Server(a) => server::run(a),
        Command::ShardCrashChild(a) => shard_crash::child(a),
        Command::GridstoreCrash(a) => gridstore_crash::run(a),
        Command::GridstoreCrashChild(a) => gridstore_crash::child(a),
        Command::WalCrash(a) => wal_crash::run(a),
        Command::WalCrashChild(a) => wal_crash::child(a),
    };
    if let Err(e) = result {
        eprintln!("sextant-bench: error: {e}");
        std::process::exit(1);
    }
}
