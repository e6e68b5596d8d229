//! One writer per directory, across processes: an exclusive `flock` on `dir/LOCK`.

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::{Error, Result};

/// Holds an exclusive `flock` on `dir/LOCK` until dropped. The OS releases it when the process
/// dies, so a crash never leaves the directory locked. (No-op lock off Unix.)
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

/// What [`DirLock::try_acquire`] found.
#[derive(Debug)]
pub enum LockOutcome {
    /// The lock is ours.
    Acquired(DirLock),
    /// Another handle (in this process or another) holds it.
    Busy,
}

impl DirLock {
    /// Takes the lock without waiting.
    pub fn try_acquire(dir: impl AsRef<Path>) -> Result<LockOutcome> {
        let path = dir.as_ref().join("LOCK");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, "open lock file", e))?;
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: flock only takes the descriptor, which `file` keeps open for the lock's life.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
                let err = std::io::Error::last_os_error();
                return if err.kind() == std::io::ErrorKind::WouldBlock {
                    Ok(LockOutcome::Busy)
                } else {
                    Err(Error::io(&path, "flock", err))
                };
            }
        }
        Ok(LockOutcome::Acquired(DirLock { _file: file }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_directory_is_busy_until_the_first_drops() {
        let dir = tempfile::tempdir().unwrap();
        let first = DirLock::try_acquire(dir.path()).unwrap();
        assert!(matches!(first, LockOutcome::Acquired(_)));
        assert!(matches!(
            DirLock::try_acquire(dir.path()).unwrap(),
            LockOutcome::Busy
        ));
        drop(first);
        assert!(matches!(
            DirLock::try_acquire(dir.path()).unwrap(),
            LockOutcome::Acquired(_)
        ));
    }
}
