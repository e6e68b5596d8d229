//! `sextant-bench wal-crash`: kill a writer process with SIGKILL at random moments and check
//! that every entry it acknowledged survives, byte for byte, and that nothing corrupted is read.
//!
//! The child (`wal-crash-child`, hidden) appends entries whose content is a pure function of
//! (seed, index) under `Durability::SyncEach`, printing each index once `append` has returned.
//! Small segments make it roll over, seal and (through `ack`) delete segments all the time.

use crate::scratch::{scratch_dir, splitmix};
use clap::Args;
use sextant_wal::{Durability, Wal, WalConfig};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Crash test: SIGKILL a writer at random moments, then verify the log.
#[derive(Debug, Args)]
pub struct WalCrashArgs {
    /// Number of kill-and-reopen rounds.
    #[arg(long, default_value_t = 200)]
    kills: usize,
    /// Directory for the log (default: a fresh temp directory).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Seed of the entry contents and the kill timing.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Longest time a writer runs before it is killed, in milliseconds.
    #[arg(long, default_value_t = 60)]
    max_run_ms: u64,
}

/// The writer process (internal; started by `wal-crash`).
#[derive(Debug, Args)]
pub struct WalCrashChildArgs {
    #[arg(long)]
    dir: PathBuf,
    #[arg(long)]
    seed: u64,
}

fn options() -> WalConfig {
    WalConfig {
        segment_size: 64 << 10,
        durability: Durability::SyncEach,
        ..WalConfig::default()
    }
}

/// The content of entry `index`: 0..4000 bytes, a pure function of (seed, index).
fn content(seed: u64, index: u64) -> Vec<u8> {
    let h = splitmix(seed ^ splitmix(index));
    let len = (h % 4000) as usize;
    (0..len)
        .map(|j| splitmix(h.wrapping_add(j as u64 / 8)).to_le_bytes()[j % 8])
        .collect()
}

pub fn child(args: WalCrashChildArgs) -> Result<(), String> {
    let wal = Wal::open(&args.dir, options()).map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    let mut index = wal.next_index();
    loop {
        let got = wal
            .append(&content(args.seed, index))
            .map_err(|e| e.to_string())?;
        if got != index {
            return Err(format!("append returned index {got}, expected {index}"));
        }
        writeln!(out, "{index}")
            .and_then(|_| out.flush())
            .map_err(|e| e.to_string())?;
        if index % 64 == 0 && index >= 256 {
            // Let old segments go, as a database does after a checkpoint.
            wal.ack(index - 256).map_err(|e| e.to_string())?;
        }
        index += 1;
    }
}

/// Distinct indexes found missing or damaged at any check (each round rechecks everything).
#[derive(Default)]
struct Tally {
    checks: u64,
    lost: std::collections::BTreeSet<u64>,
    corrupted: std::collections::BTreeSet<u64>,
}

/// Opens the log after a kill and checks it against what was acknowledged.
fn verify(
    dir: &Path,
    seed: u64,
    acked_up_to: Option<u64>,
    tally: &mut Tally,
) -> Result<(), String> {
    let wal = Wal::open(dir, options()).map_err(|e| format!("reopen after kill: {e}"))?;
    let first = wal.first_index();
    if let Some(last_acked) = acked_up_to {
        // The child acknowledges indexes in order, so all of first..=last_acked must be there.
        for index in first..=last_acked {
            tally.checks += 1;
            match wal.entry(index) {
                Ok(bytes) if bytes == content(seed, index) => {}
                Ok(_) => _ = tally.corrupted.insert(index),
                Err(_) => _ = tally.lost.insert(index),
            }
        }
    }
    // Everything readable (acknowledged or not) must be exactly what was written.
    for (index, item) in (first..).zip(wal.iter_from(first).map_err(|e| e.to_string())?) {
        match item {
            Ok((i, bytes)) if i == index && bytes == content(seed, index) => {}
            _ => _ = tally.corrupted.insert(index),
        }
    }
    Ok(())
}

pub fn run(args: WalCrashArgs) -> Result<(), String> {
    let scratch = scratch_dir(&args.dir)?;
    let dir = scratch.path().join("wal");
    let mut tally = Tally::default();
    let mut last_acked: Option<u64> = None;
    let pb = crate::progress::bar(args.kills as u64, "kills");
    for round in 0..args.kills {
        let wait = 1 + splitmix(args.seed ^ round as u64) % args.max_run_ms.max(1);
        let seed = args.seed.to_string();
        let child_args: [&std::ffi::OsStr; 5] = [
            "wal-crash-child".as_ref(),
            "--dir".as_ref(),
            dir.as_os_str(),
            "--seed".as_ref(),
            seed.as_ref(),
        ];
        // The child prints each acknowledged index, in order: keep the last.
        let last = crate::kill_child::run_then_kill(
            &child_args,
            Duration::from_millis(wait),
            None,
            |last, line| line.parse::<u64>().ok().or(last),
        )?;
        if let Some(last) = last {
            last_acked = Some(last_acked.map_or(last, |l: u64| l.max(last)));
        }
        verify(&dir, args.seed, last_acked, &mut tally)?;
        pb.inc(1);
    }
    pb.finish_and_clear();
    // The children acknowledge indexes 0, 1, 2, ... in order: last + 1 distinct entries.
    let acknowledged = last_acked.map_or(0, |l| l + 1);
    println!(
        "({} acknowledged-entry checks over {} reopenings)",
        tally.checks, args.kills
    );
    println!(
        "wal-crash: kills={} acknowledged={acknowledged} lost={} corrupted={}",
        args.kills,
        tally.lost.len(),
        tally.corrupted.len()
    );
    if !tally.lost.is_empty() || !tally.corrupted.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_counts_lost_and_corrupted_entries() {
        let dir = tempfile::tempdir().unwrap();
        {
            let wal = Wal::open(dir.path(), options()).unwrap();
            for i in 0..10 {
                let body = if i == 4 {
                    b"not the content".to_vec()
                } else {
                    content(9, i)
                };
                wal.append(&body).unwrap();
            }
        }
        let mut tally = Tally::default();
        verify(dir.path(), 9, Some(11), &mut tally).unwrap();
        assert_eq!(tally.lost.into_iter().collect::<Vec<_>>(), vec![10, 11]);
        assert_eq!(tally.corrupted.into_iter().collect::<Vec<_>>(), vec![4]);
        assert_eq!(tally.checks, 12);
    }

    #[test]
    fn content_is_deterministic_and_varied() {
        assert_eq!(content(1, 5), content(1, 5));
        assert_ne!(content(1, 5), content(2, 5));
        assert!((0..50).map(|i| content(3, i).len()).max().unwrap() > 1000);
    }
}
