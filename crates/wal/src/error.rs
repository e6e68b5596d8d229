//! The error type of `sextant-wal`: every failure names the directory, segment and offset
//! involved.

use std::path::PathBuf;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O call failed.
    #[error("{path}: {op}: {source}")]
    Io {
        /// File or directory involved.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// Another process (or another `Wal` in this one) holds the directory's write lock.
    #[error("{dir}: the WAL is already open for writing by another process or handle")]
    Locked {
        /// The WAL directory.
        dir: PathBuf,
    },
    /// A durable entry fails its checksum while valid entries follow it, or a sealed segment
    /// does not end in its seal: data the log had acknowledged is damaged. Nothing is dropped
    /// automatically; open with [`Recovery::TruncateAtCorruption`](crate::Recovery) to keep the
    /// prefix before `offset`.
    #[error("{segment}: corrupt log at byte {offset}: {what}")]
    Corrupt {
        /// The segment file.
        segment: PathBuf,
        /// Byte offset of the damaged entry.
        offset: u64,
        /// What is wrong.
        what: String,
    },
    /// An index outside `first_index..next_index` was asked for.
    #[error("index {index} is not in the log (it holds {first}..{next})")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// First index held.
        first: u64,
        /// Next index to be written.
        next: u64,
    },
    /// An entry larger than a segment can hold.
    #[error("entry of {len} bytes exceeds the maximum of {max} bytes for this segment size")]
    EntryTooLarge {
        /// Size of the entry.
        len: usize,
        /// Largest entry the configured segment size holds.
        max: usize,
    },
    /// Bad options.
    #[error("invalid options: {0}")]
    InvalidOptions(String),
    /// An fsync failed earlier. After a failed fsync the kernel may have dropped the dirty pages,
    /// so nothing written since can be promised durable: the handle refuses further work.
    /// Reopen the WAL to recover what is on disk.
    #[error("the WAL is unusable after an earlier sync failure: {0}")]
    Poisoned(String),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, op: &'static str, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            op,
            source,
        }
    }
}
