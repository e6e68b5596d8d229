//! # sextant-wal
//!
//! A segmented write-ahead log: opaque byte entries with dense, increasing u64 indexes,
//! checksummed, crash-recoverable, usable by any Rust database (it depends on no other Sextant
//! crate).
//!
//! - **Format**: segment files preallocated to a fixed size; every record carries its index and
//!   a CRC32C started from a random per-segment seed, so stale bytes of an earlier use never
//!   validate, and how far behind it the synced entries were, so recovery can tell a torn
//!   write from damage to synced data. Byte tables in [`mod@format`].
//! - **Durability** ([`Durability`]): `SyncEach` (fdatasync per call), `GroupCommit` (concurrent
//!   appenders share one fdatasync; each returns once its entry is durable) or `Async`
//!   (background sync every interval). Entries are written to the OS by `append` itself, so
//!   there is no separate "flush" step: a crash of the process loses nothing that `append`
//!   returned, under every policy.
//! - **Recovery** ([`Wal::open`]): a torn final write is cut off and reported in
//!   [`RecoveryReport`] (and a `log` warning); damage to entries that had been synced (or a
//!   truncated segment) is an [`Error::Corrupt`] naming the segment and offset, unless
//!   [`Recovery::TruncateAtCorruption`]. The rules, and the damages they cannot tell from a
//!   torn write, are in [`mod@format`].
//! - **Single writer**: an exclusive `flock` on `dir/LOCK`; a second open fails with
//!   [`Error::Locked`].
//!
//! ```
//! use sextant_wal::{Durability, Wal, WalConfig};
//!
//! let dir = tempfile::tempdir()?;
//! let options = WalConfig { durability: Durability::SyncEach, ..WalConfig::default() };
//! {
//!     let wal = Wal::open(dir.path(), options.clone())?;
//!     assert_eq!(wal.append(b"first")?, 0);
//!     assert_eq!(wal.append_batch(&[b"second", b"third"])?, 1..3);
//!     wal.truncate(2)?; // roll back "third"
//! }
//! let wal = Wal::open(dir.path(), options)?; // replay after a restart
//! let entries: Vec<(u64, Vec<u8>)> = wal.iter_from(0)?.collect::<Result<_, _>>()?;
//! assert_eq!(entries, vec![(0, b"first".to_vec()), (1, b"second".to_vec())]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod format;
#[doc(hidden)]
pub mod fuzzing;

mod config;
mod damage;
mod error;
mod group;
mod iter;
mod legacy;
mod lock;
mod recovery;
mod scan;
mod segment;
mod wal;

pub use config::{Durability, MAX_SEGMENT_SIZE, MIN_SEGMENT_SIZE, Recovery, WalConfig};
pub use error::{Error, Result};
pub use iter::WalIter;
pub use recovery::{DropReason, Dropped, RecoveryReport};
pub use wal::Wal;
