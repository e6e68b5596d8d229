//! `sextant-bench wal`: append throughput per durability policy, entry size and number of
//! concurrent appenders, replay throughput, and the disk's own limits measured in the same run.

use crate::report::{Report, Table};
use crate::scratch::scratch_dir;
use clap::Args;
use serde_json::json;
use sextant_wal::{Durability, Wal, WalConfig};
use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// WAL throughput under each durability policy, next to the disk's limits.
#[derive(Debug, Args)]
pub struct WalArgs {
    /// Directory to benchmark in (its file system is what gets measured). Default: a fresh
    /// directory under the system temp dir.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Entry sizes in bytes.
    #[arg(long, value_delimiter = ',', default_value = "128,1024,16384")]
    sizes: Vec<usize>,
    /// Numbers of concurrent appending threads.
    #[arg(long, value_delimiter = ',', default_value = "1,8,64")]
    appenders: Vec<usize>,
    /// Policies: sync-each, group-commit, async (async = background sync every 100 ms).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "sync-each,group-commit,async"
    )]
    policies: Vec<String>,
    /// Seconds of appending per configuration.
    #[arg(long, default_value_t = 1.0)]
    seconds: f64,
    /// MiB of 1 KiB entries written, then reopened and read back, for the replay figure.
    #[arg(long, default_value_t = 256)]
    replay_mib: usize,
    /// Also write the records (BENCH.md format) to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn policy(name: &str) -> Result<Durability, String> {
    match name {
        "sync-each" => Ok(Durability::SyncEach),
        "group-commit" => Ok(Durability::GroupCommit),
        "async" => Ok(Durability::Async {
            interval: Duration::from_millis(100),
        }),
        other => Err(format!(
            "unknown policy {other:?} (sync-each, group-commit, async)"
        )),
    }
}

/// Sequential write bandwidth (256 MiB in 1 MiB writes, then fdatasync) and the rate of
/// 4 KiB write + fdatasync, on the benchmark's file system.
fn measure_limits(dir: &Path) -> Result<(f64, f64), String> {
    let path = dir.join("limits.bin");
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let io = |e: std::io::Error| format!("{}: {e}", path.display());
    let block = vec![0xA5u8; 1 << 20];
    let t = Instant::now();
    for i in 0..256u64 {
        file.write_all_at(&block, i << 20).map_err(io)?;
    }
    file.sync_data().map_err(io)?;
    let seq_mb_s = 256.0 * 1.048576 / t.elapsed().as_secs_f64();
    let page = vec![0x5Au8; 4096];
    let (t, mut n) = (Instant::now(), 0u64);
    while t.elapsed() < Duration::from_secs(2) {
        file.write_all_at(&page, (n % 256) * 4096).map_err(io)?;
        file.sync_data().map_err(io)?;
        n += 1;
    }
    let fsync_s = n as f64 / t.elapsed().as_secs_f64();
    drop(file);
    std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((seq_mb_s, fsync_s))
}

/// Appends `size`-byte entries from `appenders` threads for `seconds`; returns entries/s.
fn append_run(
    dir: &Path,
    durability: Durability,
    appenders: usize,
    size: usize,
    seconds: f64,
) -> Result<f64, String> {
    let wal = Arc::new(
        Wal::open(
            dir,
            WalConfig {
                durability,
                ..WalConfig::default()
            },
        )
        .map_err(|e| e.to_string())?,
    );
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..appenders)
        .map(|t| {
            let (wal, stop, count) = (wal.clone(), stop.clone(), count.clone());
            std::thread::spawn(move || -> Result<(), String> {
                let body = vec![t as u8; size];
                while !stop.load(Ordering::Relaxed) {
                    wal.append(&body).map_err(|e| e.to_string())?;
                    count.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join()
            .map_err(|_| "appender thread panicked".to_string())??;
    }
    let elapsed = start.elapsed().as_secs_f64();
    drop(wal);
    Ok(count.load(Ordering::Relaxed) as f64 / elapsed)
}

/// Writes `mib` MiB of 1 KiB entries, then times reopening (recovery scan) and reading back.
fn replay_run(dir: &Path, mib: usize) -> Result<(u64, f64, f64), String> {
    let opts = WalConfig {
        durability: Durability::Async {
            interval: Duration::from_secs(1),
        },
        ..WalConfig::default()
    };
    let entry = vec![7u8; 1024];
    let n = mib * 1024;
    {
        let wal = Wal::open(dir, opts.clone()).map_err(|e| e.to_string())?;
        for chunk in (0..n).collect::<Vec<_>>().chunks(256) {
            let batch: Vec<&[u8]> = chunk.iter().map(|_| entry.as_slice()).collect();
            wal.append_batch(&batch).map_err(|e| e.to_string())?;
        }
        wal.sync().map_err(|e| e.to_string())?;
    }
    let t = Instant::now();
    let wal = Wal::open(dir, opts).map_err(|e| e.to_string())?;
    let open_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut bytes = 0u64;
    for item in wal
        .iter_from(wal.first_index())
        .map_err(|e| e.to_string())?
    {
        bytes += item.map_err(|e| e.to_string())?.1.len() as u64;
    }
    Ok((bytes, open_s, t.elapsed().as_secs_f64()))
}

pub fn run(args: WalArgs) -> Result<(), String> {
    let scratch = scratch_dir(&args.dir)?;
    let root = scratch.path();
    let policies: Vec<(String, Durability)> = args
        .policies
        .iter()
        .map(|p| policy(p).map(|d| (p.clone(), d)))
        .collect::<Result<_, _>>()?;
    eprintln!("wal: measuring the disk's limits in {}", root.display());
    let (seq_mb_s, fsync_s) = measure_limits(root)?;
    let mut report = Report::new(
        json!({"name": "wal", "dir": root.display().to_string()}),
        json!({
        "sizes": args.sizes, "appenders": args.appenders, "policies": args.policies,
        "seconds": args.seconds, "replay_mib": args.replay_mib}),
    );
    report.push(json!({"lib": "sextant-wal", "kind": "limit", "seq_write_mb_per_s": seq_mb_s, "fsync_per_s": fsync_s,
        "loadavg": crate::host::loadavg()}));

    let total = policies.len() * args.sizes.len() * args.appenders.len();
    let pb = crate::progress::bar(total as u64, "append runs");
    let mut table = Table::new(&[
        "policy",
        "appenders",
        "entry B",
        "entries/s",
        "MB/s",
        "% of seq write",
        "entries/s ÷ fsync/s",
    ]);
    for (name, durability) in &policies {
        for &size in &args.sizes {
            for &appenders in &args.appenders {
                let dir = root.join(format!("{name}-{size}-{appenders}"));
                let eps = append_run(&dir, *durability, appenders, size, args.seconds)?;
                std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                let mb_s = eps * size as f64 / 1e6;
                table.row(vec![
                    name.clone(),
                    appenders.to_string(),
                    size.to_string(),
                    format!("{eps:.0}"),
                    format!("{mb_s:.1}"),
                    format!("{:.1}%", 100.0 * mb_s / seq_mb_s),
                    format!("{:.2}", eps / fsync_s),
                ]);
                report.push(json!({"lib": "sextant-wal", "kind": "wal", "policy": name, "appenders": appenders,
                    "entry_bytes": size, "entries_per_s": eps, "mb_per_s": mb_s, "seconds": args.seconds,
                    "loadavg": crate::host::loadavg()}));
                pb.inc(1);
            }
        }
    }
    pb.finish_and_clear();

    eprintln!("wal: replay of {} MiB", args.replay_mib);
    let (bytes, open_s, iter_s) = replay_run(&root.join("replay"), args.replay_mib)?;
    let gb_s = bytes as f64 / 1e9 / (open_s + iter_s);
    report.push(
        json!({"lib": "sextant-wal", "kind": "wal-replay", "entry_bytes": 1024, "bytes": bytes,
        "open_s": open_s, "iter_s": iter_s, "gb_per_s": gb_s}),
    );

    println!(
        "## sextant-wal: appends ({} s per row) in {}\n",
        args.seconds,
        root.display()
    );
    println!(
        "disk limits measured in this run: sequential write {seq_mb_s:.0} MB/s (with fdatasync), {fsync_s:.0} fsync/s (4 KiB)\n"
    );
    print!("{}", table.render());
    println!(
        "\nreplay from page cache: {:.0} MiB of 1 KiB entries, open (recovery scan) {open_s:.3} s + read {iter_s:.3} s = {gb_s:.2} GB/s",
        bytes as f64 / (1 << 20) as f64
    );
    if let Some(path) = args.json {
        report.write(&path)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
