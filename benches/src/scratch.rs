//! What the storage benchmarks and crash tests share: a scratch directory and the seeded hash
//! their workloads (values, key choices, kill timings) are derived from.

use std::path::PathBuf;

use tempfile::TempDir;

/// A fresh directory for one run, inside `under` when given (its file system is then the one
/// measured), else under the system temp dir. Removed when dropped.
pub fn scratch_dir(under: &Option<PathBuf>) -> Result<TempDir, String> {
    match under {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .map_err(|e| format!("scratch directory: {e}"))
}

/// SplitMix64: a well-mixed 64-bit hash, so workloads are pure functions of (seed, index).
pub fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}
