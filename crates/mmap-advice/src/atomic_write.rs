//! Replacing a small file atomically: readers see the old bytes or the new, never a mix.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use crate::{Error, Result};

/// Writes `bytes` to `path` atomically and durably: write a temporary file beside it, fsync it,
/// rename it over `path`, fsync the directory (so the rename itself survives a power loss).
pub fn atomic_write(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    let path = path.as_ref();
    let name = path.file_name().ok_or_else(|| {
        Error::io(
            path,
            "atomic write",
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "path has no file name"),
        )
    })?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    let mut file = File::create(&tmp).map_err(|e| Error::io(&tmp, "create", e))?;
    file.write_all(bytes)
        .map_err(|e| Error::io(&tmp, "write", e))?;
    file.sync_all().map_err(|e| Error::io(&tmp, "fsync", e))?;
    drop(file);
    fs::rename(&tmp, path).map_err(|e| Error::io(path, "rename", e))?;
    sync_dir(parent_dir(path))
}

/// Fsyncs a directory so that file creations, renames and removals in it are durable.
/// A no-op where directories cannot be opened as files (Windows).
pub fn sync_dir(dir: impl AsRef<Path>) -> Result<()> {
    let dir = dir.as_ref();
    #[cfg(unix)]
    {
        let handle = File::open(dir).map_err(|e| Error::io(dir, "open dir", e))?;
        handle
            .sync_all()
            .map_err(|e| Error::io(dir, "fsync dir", e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("meta");
        atomic_write(&path, b"first").unwrap();
        atomic_write(&path, b"second, longer").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second, longer");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("meta")]);
    }

    #[test]
    fn missing_directory_is_an_error_naming_the_file() {
        let err = atomic_write("/nonexistent-dir-sextant/meta", b"x").unwrap_err();
        assert!(err.to_string().contains("nonexistent-dir-sextant"), "{err}");
    }
}
