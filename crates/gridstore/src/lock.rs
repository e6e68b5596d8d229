//! One writer per store directory: an exclusive `flock` on `LOCK`, released when dropped
//! (and by the kernel if the process dies).

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::{Error, Result};

/// Holds the writer lock of a store directory.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    pub fn acquire(dir: &Path) -> Result<Self> {
        let path = dir.join("LOCK");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, "open", e))?;
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: flock on a descriptor we own; no memory is involved.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
                let err = std::io::Error::last_os_error();
                return Err(if err.kind() == std::io::ErrorKind::WouldBlock {
                    Error::Locked(dir.to_path_buf())
                } else {
                    Error::io(&path, "flock", err)
                });
            }
        }
        Ok(Self { _file: file })
    }
}
