//! The directory lock: one writer per WAL, across processes (the shared
//! `sextant-mmap-advice` lock).

use crate::error::{Error, Result};
use sextant_mmap_advice::{DirLock, LockOutcome};
use std::path::Path;

/// Takes the WAL's writer lock, or says another handle holds it.
pub(crate) fn acquire(dir: &Path) -> Result<DirLock> {
    match DirLock::try_acquire(dir) {
        Ok(LockOutcome::Acquired(lock)) => Ok(lock),
        Ok(LockOutcome::Busy) => Err(Error::Locked { dir: dir.into() }),
        Err(sextant_mmap_advice::Error::Io { path, source, .. }) => {
            Err(Error::io(&path, "lock", source))
        }
        Err(other) => Err(Error::io(
            dir.join("LOCK"),
            "lock",
            std::io::Error::other(other),
        )),
    }
}
