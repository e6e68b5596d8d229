//! A paged store of variable-size values keyed by dense point offsets, built for payloads and
//! vectors of a vector database: checksummed values, crash-consistent flushes, block reuse.
//!
//! Layout of a store directory (all formats little-endian, versioned, documented per module):
//!
//! - `meta`: magic, version and geometry ([`GridstoreConfig`]), written once atomically.
//! - `tracker`: one 16-byte entry per offset: page, block, stored length, CRC32C; a deleted
//!   value's entry carries its own check, and the header counts the entries written, so a
//!   zeroed entry or a cut tracker is damage, never a missing value.
//! - `page_NNNNNN.dat`: page files (default 32 MiB) of blocks (default 128 B). A value takes
//!   consecutive blocks; free space is tracked by an in-memory bitmask with per-region
//!   summaries (default 8192 blocks), rebuilt from the tracker on open.
//!
//! The rules that keep data safe:
//!
//! - a put writes new blocks and never overwrites a live value in place;
//! - the [`Flusher`] makes pages durable, then the tracker, and only then frees replaced
//!   blocks, so after a crash every offset holds its last flushed value or a newer complete
//!   one;
//! - every value carries a CRC32C seeded with its offset: a torn or misdirected value (or a
//!   damaged tracker entry) is an [`Error::Corrupt`] naming the file, offset, page and block,
//!   never wrong bytes. [`Gridstore::verify`] lists every bad value and
//!   [`Gridstore::open_repair`] drops them, reporting each.
//!
//! ```
//! use sextant_gridstore::{Gridstore, GridstoreConfig, GridstoreReader};
//!
//! let dir = tempfile::tempdir()?;
//! let mut store = Gridstore::create(dir.path(), GridstoreConfig::for_payloads())?;
//! store.put(0, br#"{"city":"Lisbon"}"#)?;
//! store.put(7, &[])?;
//! assert_eq!(store.get(0)?.as_deref(), Some(&br#"{"city":"Lisbon"}"#[..]));
//!
//! let flush = store.flusher(); // may run on another thread
//! flush()?;
//!
//! let reader = GridstoreReader::open(dir.path())?;
//! assert_eq!(reader.get(7)?, Some(vec![]));
//! assert!(store.delete(0)?);
//! assert_eq!(store.len(), 1);
//! assert!(store.verify()?.is_clean());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod allocator;
mod config;
mod error;
pub mod format;
mod lock;
mod meta;
mod open;
mod pages;
mod pointer;
mod reader;
mod shared;
mod stats;
mod store;
mod tracker;
mod value;
mod verify;

#[doc(hidden)]
pub mod fuzzing;

pub use config::{Compression, GridstoreConfig};
pub use error::{Error, Result};
pub use format::{FORMAT_VERSION, META_FILE, TRACKER_FILE, TRACKER_VERSION};
pub use reader::GridstoreReader;
pub use stats::StorageStats;
pub use store::{Flusher, Gridstore};
pub use verify::{BadValue, VerifyReport};
