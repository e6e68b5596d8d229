//! Errors of the shard.

use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong. An operation refused with an error was neither logged nor applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `create` on a folder that already holds a shard.
    #[error("{path}: a shard already exists here (open it instead)")]
    Exists {
        /// The shard's folder.
        path: PathBuf,
    },
    /// `open` on a folder without a shard.
    #[error("{path}: no shard here (no config.json; create one first)")]
    Missing {
        /// The shard's folder.
        path: PathBuf,
    },
    /// Another process (or handle) has the shard open.
    #[error("{path}: the shard is open in another process or handle")]
    Locked {
        /// The shard's folder.
        path: PathBuf,
    },
    /// `optimize` could not build an index (a graph or codec refused its input).
    #[error("optimize: {0}")]
    Build(String),
    /// A config that does not parse or is not valid.
    #[error("{path}: config: {what}")]
    Config {
        /// The config file (or the shard's folder for a config given in code).
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// An operation or query that does not fit the shard (wrong dimension, unknown vector
    /// name, NaN, a payload that is not an object...).
    #[error("{0}")]
    BadInput(String),
    /// A logged operation that does not decode (the log is damaged).
    #[error("operation {index} in the log does not decode: {what}")]
    BadLogEntry {
        /// The operation's index in the log.
        index: u64,
        /// What is wrong.
        what: String,
    },
    /// A file of the shard is damaged (what names the byte or the record).
    #[error("{path}: damaged: {what}")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// The write-ahead log failed (I/O, damage).
    #[error(transparent)]
    Wal(sextant_wal::Error),
    /// The payload index refused a payload or filter.
    #[error(transparent)]
    Payload(#[from] sextant_payload_index::Error),
    /// A file of the shard could not be written atomically.
    #[error(transparent)]
    File(#[from] sextant_mmap_advice::Error),
    /// A file of the shard could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl Error {
    /// A bad-input error with this message.
    pub(crate) fn bad(what: impl Into<String>) -> Self {
        Error::BadInput(what.into())
    }
}
