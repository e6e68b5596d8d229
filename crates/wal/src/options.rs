//! How a WAL is configured: segment size, durability policy, recovery mode.

use std::time::Duration;

/// When an appended entry is durable (survives a power cut), and when `append` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Every `append` / `append_batch` call writes and then `fdatasync`s before it returns:
    /// once it returns, the entries are durable. Appenders are serialized by the sync
    /// (throughput ≈ the disk's fsync rate, in calls per second).
    SyncEach,
    /// Many threads append concurrently; the first one to need a sync syncs everything written
    /// so far, and the others wait for it. Every call still returns only once its entries are
    /// durable, but one `fdatasync` covers a whole batch of callers.
    GroupCommit,
    /// `append` returns as soon as the entry is written to the OS (it survives a crash of this
    /// process, not a power cut). A background thread syncs every `interval`, so at most about
    /// one interval of acknowledged entries can be lost to a power cut; `Wal::sync` syncs on
    /// demand.
    Async {
        /// Time between background syncs.
        interval: Duration,
    },
}

/// What `Wal::open` does with a damaged entry that valid entries follow (corruption of data
/// that had been complete, as opposed to a torn final write, which is always dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Recovery {
    /// Refuse to open, with an error naming the segment and offset (the default: nothing is
    /// dropped without someone deciding it).
    #[default]
    Strict,
    /// Keep the entries before the damage and drop everything from it on (reported in
    /// `RecoveryReport`).
    TruncateAtCorruption,
}

/// Options of [`Wal::open`](crate::Wal::open).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalOptions {
    /// Size segment files are preallocated to (default 32 MiB). Entries never span segments, so
    /// this bounds the entry size.
    pub segment_size: u64,
    /// Durability policy (default [`Durability::GroupCommit`]).
    pub durability: Durability,
    /// What to do with mid-log corruption (default [`Recovery::Strict`]).
    pub recovery: Recovery,
    /// Index of the first entry of a new, empty log (default 0).
    pub first_index: u64,
    /// Derive segment checksum seeds from this value instead of the OS random generator.
    /// For golden-file tests only: random seeds are what keeps stale bytes from validating.
    pub fixed_seed: Option<u32>,
}

impl Default for WalOptions {
    fn default() -> Self {
        Self {
            segment_size: 32 << 20,
            durability: Durability::GroupCommit,
            recovery: Recovery::Strict,
            first_index: 0,
            fixed_seed: None,
        }
    }
}

/// Smallest accepted segment size: room for the header, a seal and some entries.
pub const MIN_SEGMENT_SIZE: u64 = 4096;
/// Largest accepted segment size (entry offsets are stored as u32).
pub const MAX_SEGMENT_SIZE: u64 = 1 << 31;

impl WalOptions {
    pub(crate) fn validate(&self) -> Result<(), String> {
        if !(MIN_SEGMENT_SIZE..=MAX_SEGMENT_SIZE).contains(&self.segment_size) {
            return Err(format!(
                "segment_size {} is outside {MIN_SEGMENT_SIZE}..={MAX_SEGMENT_SIZE}",
                self.segment_size
            ));
        }
        if let Durability::Async { interval } = self.durability
            && interval.is_zero()
        {
            return Err("Durability::Async needs a non-zero interval".into());
        }
        Ok(())
    }
}
