//! One writer per store directory, through the shared `sextant-mmap-advice` lock.

use std::path::Path;

use sextant_mmap_advice::{DirLock, LockOutcome};

use crate::{Error, Result};

/// Takes the store's writer lock, or says another handle holds it.
pub(crate) fn acquire(dir: &Path) -> Result<DirLock> {
    match DirLock::try_acquire(dir)? {
        LockOutcome::Acquired(lock) => Ok(lock),
        LockOutcome::Busy => Err(Error::Locked(dir.to_path_buf())),
    }
}
