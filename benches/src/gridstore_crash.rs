//! `sextant-bench gridstore-crash`: SIGKILL a gridstore writer at random moments, reopen, and
//! check every key against what was flushed.
//!
//! The child (`gridstore-crash-child`, hidden) applies a deterministic sequence of puts and
//! deletes on 2,000 keys (values 0..12 KiB on 256 KiB pages, so values span pages), runs
//! flushers on a second thread while it keeps writing, and prints `flushed J` once the flusher
//! created after op J has returned (and `at J` every 256 ops). After each kill the parent
//! reopens the store and checks, for every key, that it holds the last flushed version or a
//! newer one that was written (lost otherwise), with exactly the bytes written (torn otherwise).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::scratch::{scratch_dir, splitmix};
use clap::Args;
use sextant_gridstore::{Compression, Gridstore, GridstoreConfig};

/// Crash test: SIGKILL a gridstore writer, reopen, check every flushed value.
#[derive(Debug, Args)]
pub struct GridstoreCrashArgs {
    /// Number of kill-and-reopen rounds.
    #[arg(long, default_value_t = 200)]
    kills: usize,
    /// Directory for the store (default: a fresh temp directory).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Seed of the operations and the kill timing.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Longest time a writer runs before it is killed, in milliseconds.
    #[arg(long, default_value_t = 80)]
    max_run_ms: u64,
}

/// The writer process (internal; started by `gridstore-crash`).
#[derive(Debug, Args)]
pub struct GridstoreCrashChildArgs {
    #[arg(long)]
    dir: PathBuf,
    #[arg(long)]
    seed: u64,
    /// Index of this round's first operation.
    #[arg(long)]
    start: u64,
}

const KEYS: u64 = 2000;
/// Operation indexes of round r are r * ROUND_SPAN ..; a child stops before leaving its span.
const ROUND_SPAN: u64 = 100_000_000;

fn config() -> GridstoreConfig {
    GridstoreConfig {
        page_size: 256 << 10,
        block_size: 64,
        region_blocks: 512,
        compression: Compression::None,
    }
}

/// Operation `index`: (key, is_put).
fn op(seed: u64, index: u64) -> (u32, bool) {
    let h = splitmix(seed ^ splitmix(index));
    ((h % KEYS) as u32, !(h >> 32).is_multiple_of(10))
}

/// The value written by put operation `index`: key and index first, then pseudo-random bytes.
fn value(seed: u64, key: u32, index: u64) -> Vec<u8> {
    let h = splitmix(seed ^ index.rotate_left(17));
    let len = 12 + (h % 12_000) as usize;
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&key.to_le_bytes());
    out.extend_from_slice(&index.to_le_bytes());
    out.extend((12..len).map(|j| splitmix(h ^ (j as u64 / 8)).to_le_bytes()[j % 8]));
    out
}

pub fn child(args: GridstoreCrashChildArgs) -> Result<(), String> {
    let mut store = if args.dir.join(sextant_gridstore::META_FILE).exists() {
        Gridstore::open(&args.dir)
    } else {
        Gridstore::create(&args.dir, config())
    }
    .map_err(|e| e.to_string())?;
    let (send, recv) = std::sync::mpsc::channel::<(sextant_gridstore::Flusher, u64)>();
    let flusher = std::thread::spawn(move || -> Result<(), String> {
        for (flush, index) in recv {
            flush().map_err(|e| e.to_string())?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "flushed {index}")
                .and_then(|_| out.flush())
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    });
    let mut next_flush = args.start + 1 + splitmix(args.seed ^ args.start) % 200;
    for index in args.start..args.start + ROUND_SPAN {
        let (key, put) = op(args.seed, index);
        if put {
            store
                .put(key, &value(args.seed, key, index))
                .map_err(|e| e.to_string())?;
        } else {
            store.delete(key).map_err(|e| e.to_string())?;
        }
        if index % 256 == 0 {
            let mut out = std::io::stdout().lock();
            writeln!(out, "at {index}")
                .and_then(|_| out.flush())
                .map_err(|e| e.to_string())?;
        }
        if index == next_flush {
            send.send((store.flusher(), index))
                .map_err(|_| "flusher thread died".to_string())?;
            next_flush = index + 1 + splitmix(args.seed ^ index) % 200;
        }
    }
    drop(send);
    flusher.join().map_err(|_| "flusher panicked")??;
    Err("the round ran out of operation indexes before being killed".into())
}

/// What the parent knows of one key.
#[derive(Default)]
struct KeyState {
    /// The last operation known to be flushed: (index, is_put).
    flushed: Option<(u64, bool)>,
    /// Operations after it that may have run (their effect may or may not be durable).
    maybe: Vec<(u64, bool)>,
}

#[derive(Default)]
struct Tally {
    checked: u64,
    lost: u64,
    torn: u64,
}

/// Folds round operations `start..=flushed` (durable) and `flushed+1..=upper` (maybe) in.
fn record_round(
    keys: &mut HashMap<u32, KeyState>,
    seed: u64,
    start: u64,
    flushed: Option<u64>,
    upper: u64,
) {
    for index in start..=upper {
        let (key, put) = op(seed, index);
        let state = keys.entry(key).or_default();
        if flushed.is_some_and(|f| index <= f) {
            state.flushed = Some((index, put));
            state.maybe.clear();
        } else {
            state.maybe.push((index, put));
        }
    }
}

fn check(
    dir: &Path,
    seed: u64,
    keys: &HashMap<u32, KeyState>,
    tally: &mut Tally,
) -> Result<(), String> {
    let store = Gridstore::open(dir).map_err(|e| format!("reopen after kill: {e}"))?;
    for key in 0..KEYS as u32 {
        let state = keys.get(&key);
        let flushed = state.and_then(|s| s.flushed);
        let maybe = state.map_or(&[][..], |s| &s.maybe[..]);
        if flushed.is_some() {
            tally.checked += 1;
        }
        match store.get(key) {
            Err(_) => tally.torn += 1,
            Ok(None) => {
                let deleted_later = maybe.iter().any(|&(_, put)| !put);
                if matches!(flushed, Some((_, true))) && !deleted_later {
                    tally.lost += 1;
                }
            }
            Ok(Some(bytes)) => {
                let Some(index) = bytes
                    .get(4..12)
                    .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
                else {
                    tally.torn += 1;
                    continue;
                };
                if bytes != value(seed, key, index) {
                    tally.torn += 1;
                    continue;
                }
                let is_flushed = flushed == Some((index, true));
                let is_newer = maybe.contains(&(index, true));
                if !is_flushed && !is_newer {
                    tally.lost += 1; // an older version came back (or one never written here)
                }
            }
        }
    }
    if !store.verify().map_err(|e| e.to_string())?.is_clean() {
        tally.torn += 1;
    }
    store.abandon();
    Ok(())
}

pub fn run(args: GridstoreCrashArgs) -> Result<(), String> {
    let scratch = scratch_dir(&args.dir)?;
    let dir = scratch.path().join("store");
    let mut keys: HashMap<u32, KeyState> = HashMap::new();
    let mut tally = Tally::default();
    let pb = crate::progress::bar(args.kills as u64, "kills");
    for round in 0..args.kills as u64 {
        let start = round * ROUND_SPAN;
        let wait = 5 + splitmix(args.seed ^ round) % args.max_run_ms.max(1);
        let (seed, first) = (args.seed.to_string(), start.to_string());
        let child_args: [&std::ffi::OsStr; 7] = [
            "gridstore-crash-child".as_ref(),
            "--dir".as_ref(),
            dir.as_os_str(),
            "--seed".as_ref(),
            seed.as_ref(),
            "--start".as_ref(),
            first.as_ref(),
        ];
        let (flushed, at) = crate::kill_child::run_then_kill(
            &child_args,
            Duration::from_millis(wait),
            (None::<u64>, None::<u64>),
            |(flushed, at), line| {
                if let Some(j) = line
                    .strip_prefix("flushed ")
                    .and_then(|j| j.parse::<u64>().ok())
                {
                    (Some(flushed.map_or(j, |f| f.max(j))), at)
                } else if let Some(j) = line.strip_prefix("at ").and_then(|j| j.parse().ok()) {
                    (flushed, Some(j))
                } else {
                    (flushed, at)
                }
            },
        )?;
        // Ops up to the last `at` line + 256 may have run; a child killed before its first
        // line may still have run a few.
        let upper = at
            .map_or(start + 256, |a| a + 256)
            .max(flushed.unwrap_or(0));
        record_round(&mut keys, args.seed, start, flushed, upper);
        check(&dir, args.seed, &keys, &mut tally)?;
        pb.inc(1);
    }
    pb.finish_and_clear();
    println!(
        "gridstore-crash: kills={} checked={} lost={} torn={}",
        args.kills, tally.checked, tally.lost, tally.torn
    );
    if tally.lost > 0 || tally.torn > 0 {
        std::process::exit(1);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checker_counts_lost_and_torn_values() {
        let dir = tempfile::tempdir().unwrap();
        let seed = 3;
        let mut store = Gridstore::create(dir.path(), config()).unwrap();
        let mut keys: HashMap<u32, KeyState> = HashMap::new();
        // Key 1: flushed put at op 10, still there -> fine.
        // Key 2: flushed put at op 11, then the store holds an older value -> lost.
        // Key 3: flushed put at op 12, bytes damaged -> torn.
        store.put(1, &value(seed, 1, 10)).unwrap();
        store.put(2, &value(seed, 2, 5)).unwrap();
        let mut bad = value(seed, 3, 12);
        bad[20] ^= 1;
        store.put(3, &bad).unwrap();
        drop(store);
        keys.entry(1).or_default().flushed = Some((10, true));
        keys.entry(2).or_default().flushed = Some((11, true));
        keys.entry(3).or_default().flushed = Some((12, true));
        let mut tally = Tally::default();
        check(dir.path(), seed, &keys, &mut tally).unwrap();
        assert_eq!((tally.checked, tally.lost, tally.torn), (3, 1, 1));
    }
}
