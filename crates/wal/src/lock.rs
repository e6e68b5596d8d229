//! The directory lock: one writer per WAL, across processes.

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::Path;

/// Holds an exclusive `flock` on `dir/LOCK` until dropped (the OS releases it when the process
/// dies, so a crash never leaves the WAL locked).
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    pub fn acquire(dir: &Path) -> Result<DirLock> {
        let path = dir.join("LOCK");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, "open lock file", e))?;
        // SAFETY: flock only takes the descriptor, which `file` keeps open for the lock's life.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            return Err(if err.kind() == std::io::ErrorKind::WouldBlock {
                Error::Locked { dir: dir.into() }
            } else {
                Error::io(&path, "flock", err)
            });
        }
        Ok(DirLock { _file: file })
    }
}
