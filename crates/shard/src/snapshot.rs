//! Snapshots: one file holding a shard's files as of a flush (`config.json`, `points.bin`,
//! `indexes.bin` and the build folders they name), taken while updates go on, restored into a
//! new folder with every checksum verified.
//!
//! A sealed file (integers little-endian):
//!
//! | size | field |
//! | --- | --- |
//! | 8 | magic `SXSHSNP1` |
//! | 4 | format version (1) |
//! | 8 | `covers`: the log index of the first operation the snapshot does not hold |
//! | 4 | files F |
//! | F × … | per file: its path in the shard's folder (u32 length + UTF-8, `/`-separated, relative, no `..`), its length (u64), the CRC32C of its bytes (u32), the bytes |
//! | 4 | CRC32C of every byte before it |

use std::io::{BufWriter, Write};
use std::path::{Component, Path, PathBuf};

use sextant_mmap_advice::header;

use crate::error::{Error, Result};
use crate::reader::Reader;

/// The file's magic.
const MAGIC: &[u8; 8] = b"SXSHSNP1";
/// The format version written.
const VERSION: u32 = 1;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes the snapshot of the files `names` (relative to `shard`) as of log index `covers` to
/// `target`, through a temporary file renamed over it once synced.
pub(crate) fn write(shard: &Path, names: &[String], covers: u64, target: &Path) -> Result<()> {
    let tmp = target.with_extension("partial");
    let file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    let mut out = Crc(BufWriter::new(file), 0);
    let mut head = header::start_file(MAGIC, VERSION, 64);
    head.extend_from_slice(&covers.to_le_bytes());
    head.extend_from_slice(&(names.len() as u32).to_le_bytes());
    out.put(&head).map_err(io(&tmp))?;
    for name in names {
        let path = shard.join(name);
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        let mut entry = Vec::with_capacity(name.len() + 16);
        entry.extend_from_slice(&(name.len() as u32).to_le_bytes());
        entry.extend_from_slice(name.as_bytes());
        entry.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        entry.extend_from_slice(&crc32c::crc32c(&bytes).to_le_bytes());
        out.put(&entry).map_err(io(&tmp))?;
        out.put(&bytes).map_err(io(&tmp))?;
    }
    let crc = out.1;
    let mut file = out.0.into_inner().map_err(|e| io(&tmp)(e.into_error()))?;
    file.write_all(&crc.to_le_bytes()).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, target).map_err(io(target))?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        sextant_mmap_advice::sync_dir(dir)?;
    }
    Ok(())
}

/// A writer that keeps the CRC32C of what went through it.
struct Crc<W: Write>(W, u32);

impl<W: Write> Crc<W> {
    fn put(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.1 = crc32c::crc32c_append(self.1, b);
        self.0.write_all(b)
    }
}

/// A snapshot's files, checked: (path, bytes), and the log index it covers to.
pub(crate) struct Files<'a> {
    pub covers: u64,
    pub files: Vec<(PathBuf, &'a [u8])>,
}

/// Checks a snapshot's bytes: the layout, each file's checksum (a damaged file is named),
/// paths inside the shard's folder, then the whole file's checksum.
pub(crate) fn parse(bytes: &[u8]) -> std::result::Result<Files<'_>, String> {
    header::check_start(bytes, 28, MAGIC, "shard snapshot", VERSION..=VERSION)
        .map_err(|e| e.to_string())?;
    let body = &bytes[..bytes.len() - 4];
    let mut r = Reader {
        bytes: body,
        at: 12,
    };
    let covers = r.u64("the covered log index")?;
    let n = r.u32("the file count")? as usize;
    // A file entry takes at least 16 bytes.
    if n > body.len() / 16 {
        return Err(format!("{n} files do not fit"));
    }
    let mut files = Vec::with_capacity(n);
    for _ in 0..n {
        let name = r.text("a file's path")?.to_string();
        let path = PathBuf::from(&name);
        if name.is_empty() || !path.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(format!(
                "file path {name:?} is not inside the shard's folder"
            ));
        }
        let len = r.u64("a file's length")?;
        let crc = r.u32("a file's checksum")?;
        let data = r.take(
            usize::try_from(len).map_err(|_| "a file's length overflows")?,
            &name,
        )?;
        if crc32c::crc32c(data) != crc {
            return Err(format!("file {name} is damaged (its checksum differs)"));
        }
        files.push((path, data));
    }
    if r.at != body.len() {
        return Err(format!("byte {}: bytes after the last file", r.at));
    }
    header::check_seal(bytes).map_err(|e| e.to_string())?;
    Ok(Files { covers, files })
}

/// Writes the files of the snapshot at `snapshot` into `dir` (which must hold no shard) and
/// returns the log index it covers to.
pub(crate) fn unpack(snapshot: &Path, dir: &Path) -> Result<u64> {
    let bytes = std::fs::read(snapshot).map_err(io(snapshot))?;
    let files = parse(&bytes).map_err(|what| Error::Damaged {
        path: snapshot.to_path_buf(),
        what,
    })?;
    for (path, data) in &files.files {
        let to = dir.join(path);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        sextant_mmap_advice::atomic_write(&to, data)?;
    }
    Ok(files.covers)
}
