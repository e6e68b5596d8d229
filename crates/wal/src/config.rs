//! How a WAL is configured: segment size, durability policy, recovery mode. A serde struct with
//! stable field names, validated on open. It is not persisted with the log: the durability
//! and recovery policies belong to the run that opens the log (as a thread count does), and
//! an existing segment keeps at least the length of its file whatever `segment_size` says.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// When an appended entry is durable (survives a power cut), and when `append` returns.
/// Serialized as `{"kind": "sync_each"}`, `{"kind": "group_commit"}` or
/// `{"kind": "async", "interval_ms": 100}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
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
        #[serde(rename = "interval_ms", with = "millis")]
        interval: Duration,
    },
}

/// What `Wal::open` does with a damaged entry that valid entries follow (corruption of data
/// that had been complete, as opposed to a torn final write, which is always dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recovery {
    /// Refuse to open, with an error naming the segment and offset (the default: nothing is
    /// dropped without someone deciding it).
    #[default]
    Strict,
    /// Keep the entries before the damage and drop everything from it on (reported in
    /// `RecoveryReport`).
    TruncateAtCorruption,
}

/// The configuration of [`Wal::open`](crate::Wal::open). Serialized as
/// `{"segment_size": 33554432, "durability": {"kind": "group_commit"}, "recovery": "strict",
/// "first_index": 0}`; missing fields take their defaults, unknown ones are refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WalConfig {
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
    /// For golden-file tests only: random seeds are what keeps stale bytes from validating
    /// (never read from or written to a config file).
    #[serde(skip)]
    pub fixed_seed: Option<u32>,
}

impl Default for WalConfig {
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

impl WalConfig {
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

/// A `Duration` as whole milliseconds (the `interval_ms` of [`Durability::Async`]).
mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis().try_into().unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_stable() {
        let config = WalConfig::default();
        let json = serde_json::to_string(&config).unwrap();
        assert_eq!(
            json,
            r#"{"segment_size":33554432,"durability":{"kind":"group_commit"},"recovery":"strict","first_index":0}"#
        );
        assert_eq!(serde_json::from_str::<WalConfig>("{}").unwrap(), config);
        let fast: WalConfig = serde_json::from_str(
            r#"{"durability":{"kind":"async","interval_ms":250},"recovery":"truncate_at_corruption"}"#,
        )
        .unwrap();
        assert_eq!(
            fast.durability,
            Durability::Async {
                interval: Duration::from_millis(250)
            }
        );
        assert_eq!(fast.recovery, Recovery::TruncateAtCorruption);
        assert!(serde_json::from_str::<WalConfig>(r#"{"segment":1}"#).is_err());
        assert!(serde_json::from_str::<WalConfig>(r#"{"durability":{"kind":"never"}}"#).is_err());
    }
}
