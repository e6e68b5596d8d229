//! `sextant-bench gridstore`: a payload-store workload on sextant-gridstore and on redb (an
//! embedded B-tree KV store) in the same run, with the same durability: one flush/commit per
//! `--commit-every` values.
//!
//! Phases per store: bulk put of `--values` JSON-like values (100 B..4 KiB), random gets,
//! a full scan, churn (overwrite half the values at random with new sizes), deletes. After the
//! churn the space amplification is the allocated disk bytes of the store's files over the
//! bytes of the live values.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::scratch::{scratch_dir, splitmix};
use clap::Args;
use redb::{Database, ReadableTable, TableDefinition};
use serde_json::json;
use sextant_gridstore::{Compression, Gridstore, GridstoreConfig};

use crate::report::{Report, Table};

/// Payload-store workload on sextant-gridstore and redb.
#[derive(Debug, Args)]
pub struct GridstoreArgs {
    /// Number of values.
    #[arg(long, default_value_t = 1_000_000)]
    values: u32,
    /// Smallest value in bytes.
    #[arg(long, default_value_t = 100)]
    min_size: usize,
    /// Largest value in bytes.
    #[arg(long, default_value_t = 4096)]
    max_size: usize,
    /// Values per flush (gridstore) or commit (redb), for puts, churn and deletes.
    #[arg(long, default_value_t = 10_000)]
    commit_every: usize,
    /// Random gets timed.
    #[arg(long, default_value_t = 500_000)]
    gets: usize,
    /// Stores to run: gridstore (no compression), gridstore-lz4, redb.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "gridstore,gridstore-lz4,redb"
    )]
    stores: Vec<String>,
    /// Directory to run in (default: a fresh temp directory).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Seed of the values and access order.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Also write the records (`"kind": "kv"`) to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// The operations the workload needs, for both stores.
trait Kv {
    fn put_batch(&mut self, items: &[(u32, Vec<u8>)]) -> Result<(), String>;
    fn delete_batch(&mut self, keys: &[u32]) -> Result<(), String>;
    /// Length of the value at `key`, read without copying where the store allows.
    fn get_len(&self, key: u32) -> Result<Option<usize>, String>;
    /// Total bytes of the values at `keys`, read one at a time in order.
    fn gets(&self, keys: &[u32]) -> Result<u64, String>;
    /// (values, bytes) of a full scan in key order.
    fn scan(&self) -> Result<(u64, u64), String>;
}

struct Grid(Gridstore);

impl Kv for Grid {
    fn put_batch(&mut self, items: &[(u32, Vec<u8>)]) -> Result<(), String> {
        for (k, v) in items {
            self.0.put(*k, v).map_err(|e| e.to_string())?;
        }
        self.0.flush().map_err(|e| e.to_string())
    }

    fn delete_batch(&mut self, keys: &[u32]) -> Result<(), String> {
        for &k in keys {
            self.0.delete(k).map_err(|e| e.to_string())?;
        }
        self.0.flush().map_err(|e| e.to_string())
    }

    fn get_len(&self, key: u32) -> Result<Option<usize>, String> {
        self.0.get_with(key, |v| v.len()).map_err(|e| e.to_string())
    }

    fn gets(&self, keys: &[u32]) -> Result<u64, String> {
        keys.iter()
            .map(|&k| Ok(self.get_len(k)?.unwrap_or(0) as u64))
            .sum()
    }

    fn scan(&self) -> Result<(u64, u64), String> {
        let (mut n, mut bytes) = (0, 0);
        for item in self.0.iter() {
            let (_, v) = item.map_err(|e| e.to_string())?;
            n += 1;
            bytes += v.len() as u64;
        }
        Ok((n, bytes))
    }
}

const TABLE: TableDefinition<u32, &[u8]> = TableDefinition::new("values");

struct Redb(Database);

fn redb_err(e: impl std::fmt::Display) -> String {
    format!("redb: {e}")
}

impl Kv for Redb {
    fn put_batch(&mut self, items: &[(u32, Vec<u8>)]) -> Result<(), String> {
        let txn = self.0.begin_write().map_err(redb_err)?;
        {
            let mut table = txn.open_table(TABLE).map_err(redb_err)?;
            for (k, v) in items {
                table.insert(*k, v.as_slice()).map_err(redb_err)?;
            }
        }
        txn.commit().map_err(redb_err)
    }

    fn delete_batch(&mut self, keys: &[u32]) -> Result<(), String> {
        let txn = self.0.begin_write().map_err(redb_err)?;
        {
            let mut table = txn.open_table(TABLE).map_err(redb_err)?;
            for &k in keys {
                table.remove(k).map_err(redb_err)?;
            }
        }
        txn.commit().map_err(redb_err)
    }

    fn get_len(&self, key: u32) -> Result<Option<usize>, String> {
        let txn = self.0.begin_read().map_err(redb_err)?;
        let table = txn.open_table(TABLE).map_err(redb_err)?;
        Ok(table.get(key).map_err(redb_err)?.map(|v| v.value().len()))
    }

    fn gets(&self, keys: &[u32]) -> Result<u64, String> {
        // One read transaction for the whole pass: a transaction per get would charge redb
        // for MVCC setup that a reader serving many gets does not pay.
        let txn = self.0.begin_read().map_err(redb_err)?;
        let table = txn.open_table(TABLE).map_err(redb_err)?;
        let mut bytes = 0;
        for &k in keys {
            bytes += table
                .get(k)
                .map_err(redb_err)?
                .map_or(0, |v| v.value().len() as u64);
        }
        Ok(bytes)
    }

    fn scan(&self) -> Result<(u64, u64), String> {
        let txn = self.0.begin_read().map_err(redb_err)?;
        let table = txn.open_table(TABLE).map_err(redb_err)?;
        let (mut n, mut bytes) = (0, 0);
        for item in table.iter().map_err(redb_err)? {
            let (_, v) = item.map_err(redb_err)?;
            n += 1;
            bytes += v.value().len() as u64;
        }
        Ok((n, bytes))
    }
}

const WORDS: [&str; 16] = [
    "vector",
    "search",
    "payload",
    "rust",
    "index",
    "graph",
    "store",
    "query",
    "filter",
    "score",
    "shard",
    "segment",
    "lisbon",
    "berlin",
    "tokyo",
    "quantized",
];

/// A JSON-like payload of `min..=max` bytes, a pure function of (seed, key, version).
fn payload(seed: u64, key: u32, version: u32, min: usize, max: usize) -> Vec<u8> {
    let mut h = splitmix(seed ^ splitmix(u64::from(key) << 20 ^ u64::from(version)));
    let len = min + (h % (max - min + 1) as u64) as usize;
    let mut out = format!(
        r#"{{"id":{key},"v":{version},"price":{},"text":""#,
        h % 100_000
    )
    .into_bytes();
    while out.len() + 2 < len {
        h = splitmix(h);
        out.extend_from_slice(WORDS[(h % 16) as usize].as_bytes());
        out.push(if h & 0x30 == 0 { b',' } else { b' ' });
    }
    out.truncate(len.saturating_sub(2));
    out.extend_from_slice(br#""}"#);
    out.truncate(len);
    out
}

/// Allocated bytes (not apparent size: page files are sparse) of every file under `dir`.
fn disk_bytes(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.blocks() * 512)
                .sum()
        })
        .unwrap_or(0)
}

struct Phase {
    op: &'static str,
    values: u64,
    bytes: u64,
    seconds: f64,
}

fn timed(
    op: &'static str,
    f: impl FnOnce() -> Result<(u64, u64), String>,
) -> Result<Phase, String> {
    let t = Instant::now();
    let (values, bytes) = f()?;
    Ok(Phase {
        op,
        values,
        bytes,
        seconds: t.elapsed().as_secs_f64(),
    })
}

/// Puts `keys` in batches of `per_commit` (one flush/commit each), the value of key `k` in
/// batch `b` being `value(k, b)`; records value sizes. Values are generated outside the timed
/// part: only the store's work is measured.
fn timed_puts(
    kv: &mut dyn Kv,
    op: &'static str,
    keys: &[u32],
    per_commit: usize,
    sizes: &mut [u64],
    value: impl Fn(u32, usize) -> Vec<u8>,
) -> Result<Phase, String> {
    let pb = crate::progress::bar(keys.len() as u64, op);
    let (mut bytes, mut spent) = (0u64, Duration::ZERO);
    for (batch, chunk) in keys.chunks(per_commit).enumerate() {
        let items: Vec<(u32, Vec<u8>)> = chunk.iter().map(|&k| (k, value(k, batch))).collect();
        for (k, v) in &items {
            sizes[*k as usize] = v.len() as u64;
            bytes += v.len() as u64;
        }
        let t = Instant::now();
        kv.put_batch(&items)?;
        spent += t.elapsed();
        pb.inc(chunk.len() as u64);
    }
    pb.finish_and_clear();
    Ok(Phase {
        op,
        values: keys.len() as u64,
        bytes,
        seconds: spent.as_secs_f64(),
    })
}

/// Runs every phase on one store; returns the phases and the space amplification after churn.
fn workload(
    kv: &mut dyn Kv,
    args: &GridstoreArgs,
    dir: &Path,
) -> Result<(Vec<Phase>, f64), String> {
    let n = args.values;
    let (min, max, seed) = (args.min_size, args.max_size, args.seed);
    let mut sizes: Vec<u64> = Vec::with_capacity(n as usize);
    let mut phases = Vec::new();
    sizes.resize(n as usize, 0);
    let all: Vec<u32> = (0..n).collect();
    phases.push(timed_puts(
        kv,
        "put",
        &all,
        args.commit_every,
        &mut sizes,
        |k, _| payload(seed, k, 0, min, max),
    )?);

    let keys: Vec<u32> = (0..args.gets as u64)
        .map(|i| (splitmix(seed ^ 0xABCD ^ i) % u64::from(n)) as u32)
        .collect();
    phases.push(timed("get", || Ok((keys.len() as u64, kv.gets(&keys)?)))?);
    // Spot check: the gets read real values of the right length.
    for &k in keys.iter().take(100) {
        if kv.get_len(k)? != Some(sizes[k as usize] as usize) {
            return Err(format!("value {k} has the wrong length"));
        }
    }
    phases.push(timed("scan", || kv.scan())?);

    let churn: Vec<u32> = (0..u64::from(n) / 2)
        .map(|i| (splitmix(seed ^ 0xC4C4 ^ i) % u64::from(n)) as u32)
        .collect();
    let churned = timed_puts(
        kv,
        "churn",
        &churn,
        args.commit_every,
        &mut sizes,
        |k, batch| payload(seed, k, 1 + batch as u32, min, max),
    )?;
    phases.push(churned);
    let live: u64 = sizes.iter().sum();
    let amplification = disk_bytes(dir) as f64 / live as f64;

    let mut doomed: Vec<u32> = (0..n)
        .filter(|k| splitmix(seed ^ 0xDE1 ^ u64::from(*k)).is_multiple_of(10))
        .collect();
    doomed.sort_unstable_by_key(|&k| splitmix(u64::from(k)));
    phases.push(timed("delete", || {
        for chunk in doomed.chunks(args.commit_every) {
            kv.delete_batch(chunk)?;
        }
        Ok((doomed.len() as u64, 0))
    })?);
    Ok((phases, amplification))
}

pub fn run(args: GridstoreArgs) -> Result<(), String> {
    if args.min_size < 2
        || args.max_size < args.min_size
        || args.values == 0
        || args.commit_every == 0
    {
        return Err("need 2 <= min-size <= max-size, values > 0, commit-every > 0".into());
    }
    let scratch = scratch_dir(&args.dir)?;
    let mut report = Report::new(
        json!({"name": "synthetic-json", "n_values": args.values, "min_size": args.min_size, "max_size": args.max_size}),
        json!({"commit_every": args.commit_every, "gets": args.gets, "seed": args.seed}),
    );
    let mut table = Table::new(&[
        "store",
        "op",
        "values",
        "ops/s",
        "MB/s",
        "space amp.",
        "peak RSS MiB",
    ]);
    for name in &args.stores {
        let dir = scratch.path().join(name);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        crate::host::reset_peak_rss();
        let (lib, compression, result) = match name.as_str() {
            "gridstore" | "gridstore-lz4" => {
                let compression = if name == "gridstore" {
                    Compression::None
                } else {
                    Compression::Lz4
                };
                let config = GridstoreConfig {
                    compression,
                    ..GridstoreConfig::default()
                };
                let store = Gridstore::create(&dir, config).map_err(|e| e.to_string())?;
                let result = workload(&mut Grid(store), &args, &dir);
                (
                    "sextant-gridstore",
                    if compression == Compression::None {
                        "none"
                    } else {
                        "lz4"
                    },
                    result,
                )
            }
            "redb" => {
                let db = Database::create(dir.join("redb")).map_err(redb_err)?;
                let result = workload(&mut Redb(db), &args, &dir);
                ("redb", "none", result)
            }
            other => {
                return Err(format!(
                    "unknown store {other:?} (gridstore, gridstore-lz4, redb)"
                ));
            }
        };
        let (phases, amplification) = result?;
        let peak = crate::host::peak_rss_mib();
        for p in &phases {
            let ops = p.values as f64 / p.seconds;
            let mb = p.bytes as f64 / 1e6 / p.seconds;
            let amp = (p.op == "churn").then_some(amplification);
            table.row(vec![
                name.clone(),
                p.op.to_string(),
                p.values.to_string(),
                format!("{ops:.0}"),
                if p.bytes > 0 {
                    format!("{mb:.1}")
                } else {
                    "-".into()
                },
                amp.map_or("-".into(), |a| format!("{a:.3}")),
                peak.map_or("-".into(), |m| format!("{m:.0}")),
            ]);
            let mut record = json!({"kind": "kv", "lib": lib, "compression": compression, "op": p.op,
                "values": p.values, "ops_per_s": ops, "mb_per_s": mb, "seconds": p.seconds,
                "peak_rss_mib": peak});
            if let Some(a) = amp {
                record["space_amplification"] = json!(a);
            }
            report.push(record);
        }
        std::fs::remove_dir_all(&dir).map_err(|e| e.to_string())?;
    }
    println!("{}", table.render());
    if let Some(path) = &args.json {
        report.write(path)?;
    }
    Ok(())
}
