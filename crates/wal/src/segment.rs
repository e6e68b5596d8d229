//! One segment file: creation (write header, preallocate, sync, rename), appends at the tail,
//! sealing, tail truncation, and checked reads of entries.

use crate::error::{Error, Result};
use crate::format::{
    ENTRY_HEADER_LEN, HEADER_LEN, SEAL_RECORD_LEN, SegmentHeader, encode_entry, encode_seal, lag,
    segment_file_name, v1,
};
use crate::scan::{EntryMeta, Layout, Scan};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A segment in use: its file and the position of every entry in it.
#[derive(Debug)]
pub(crate) struct Segment {
    pub path: PathBuf,
    pub file: Arc<File>,
    pub first_index: u64,
    pub entries: Vec<EntryMeta>,
    /// Where the next record goes.
    pub write_pos: u64,
    /// Record layout (new segments are version 2; a version 1 segment is only read, and sealed).
    pub layout: Layout,
    /// What the next entry's checksum starts from (see [`EntryMeta::seed`]).
    pub next_seed: u32,
    /// File size the segment was preallocated to.
    pub capacity: u64,
    pub sealed: bool,
}

/// Syncs a directory, so that file creations, renames and removals in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, "sync directory", e))
}

/// Reserves `len` bytes of disk for `file` so that appends never fail for lack of space and
/// fdatasync has no file-size metadata to write. Falls back on a sparse `set_len` where the
/// file system cannot preallocate.
fn preallocate(file: &File, len: u64, path: &Path) -> Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: posix_fallocate only reads the descriptor and sizes; `file` is open for writing.
    let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len as libc::off_t) };
    if rc == 0 {
        return Ok(());
    }
    if rc == libc::EOPNOTSUPP || rc == libc::EINVAL {
        return file.set_len(len).map_err(|e| Error::io(path, "set_len", e));
    }
    Err(Error::io(
        path,
        "posix_fallocate",
        std::io::Error::from_raw_os_error(rc),
    ))
}

impl Segment {
    /// Creates `{first_index}.wal` in `dir`, fully written and synced before it gets its name,
    /// so a segment file with a valid name always has a valid header.
    pub fn create(dir: &Path, first_index: u64, seed: u32, capacity: u64) -> Result<Segment> {
        let path = dir.join(segment_file_name(first_index));
        let tmp = path.with_extension("wal.tmp");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| Error::io(&tmp, "create segment", e))?;
        preallocate(&file, capacity, &tmp)?;
        let header = SegmentHeader::new(first_index, seed, capacity).encode();
        file.write_all_at(&header, 0)
            .map_err(|e| Error::io(&tmp, "write header", e))?;
        file.sync_all()
            .map_err(|e| Error::io(&tmp, "sync segment", e))?;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, "rename segment", e))?;
        sync_dir(dir)?;
        Ok(Segment {
            path,
            file: Arc::new(file),
            first_index,
            entries: Vec::new(),
            write_pos: HEADER_LEN as u64,
            layout: Layout::V2,
            next_seed: seed,
            capacity,
            sealed: false,
        })
    }

    /// A segment from its scanned contents.
    pub fn from_scan(
        path: PathBuf,
        file: File,
        scan: &Scan,
        capacity: u64,
        sealed: bool,
    ) -> Segment {
        Segment {
            path,
            file: Arc::new(file),
            first_index: scan.header.first_index,
            entries: scan.entries.clone(),
            write_pos: scan.end_offset as u64,
            layout: scan.layout,
            next_seed: scan.next_seed,
            capacity,
            sealed,
        }
    }

    /// Index after the last entry.
    pub fn next_index(&self) -> u64 {
        self.first_index + self.entries.len() as u64
    }

    /// True when an entry of `len` bytes fits at the tail, keeping room for the seal.
    pub fn fits(&self, len: usize) -> bool {
        self.fits_at(self.write_pos, len)
    }

    /// True when an entry of `len` bytes fits at offset `pos`, keeping room for the seal.
    /// Nothing fits in a version 1 segment: it is sealed and a version 2 one follows.
    pub fn fits_at(&self, pos: u64, len: usize) -> bool {
        self.layout == Layout::V2
            && pos + (ENTRY_HEADER_LEN + len + SEAL_RECORD_LEN) as u64 <= self.capacity
    }

    /// Encodes entries at the tail into `staged` (the bytes for offsets `write_pos` on, not yet
    /// written to the file) and indexes them; entries below `durable` are synced. The caller
    /// has checked they fit, and writes `staged` with [`write_staged`](Self::write_staged)
    /// before anything reads them.
    pub fn stage(&mut self, bodies: &[&[u8]], durable: u64, staged: &mut Vec<u8>) {
        debug_assert_eq!(
            self.layout,
            Layout::V2,
            "only version 2 segments are written"
        );
        for body in bodies {
            let index = self.next_index();
            self.entries.push(EntryMeta {
                offset: self.write_pos as u32,
                len: body.len() as u32,
                seed: self.next_seed,
            });
            encode_entry(self.next_seed, index, lag(index, durable), body, staged);
            self.write_pos += (ENTRY_HEADER_LEN + body.len()) as u64;
        }
    }

    /// Writes staged bytes (which start at offset `at`) to the file.
    pub fn write_staged(&self, staged: &[u8], at: u64) -> Result<()> {
        self.file
            .write_all_at(staged, at)
            .map_err(|e| Error::io(&self.path, "append", e))
    }

    /// Ends the segment with a seal announcing `next_index()` and syncs it; entries below
    /// `durable` were synced before.
    pub fn seal(&mut self, durable: u64) -> Result<()> {
        let next = self.next_index();
        let seal = match self.layout {
            Layout::V2 => encode_seal(self.next_seed, next, lag(next, durable)).to_vec(),
            Layout::V1 => v1::encode_seal(self.next_seed, next).to_vec(),
        };
        self.file
            .write_all_at(&seal, self.write_pos)
            .map_err(|e| Error::io(&self.path, "write seal", e))?;
        self.file
            .sync_data()
            .map_err(|e| Error::io(&self.path, "sync segment", e))?;
        self.sealed = true;
        Ok(())
    }

    /// Drops every entry from position `keep` on, and whatever follows them (a seal, a torn
    /// write): the bytes are cut from the file (so they can never be read back), the space is
    /// preallocated again, and the file is synced.
    pub fn truncate(&mut self, keep: usize) -> Result<()> {
        let (offset, seed) = match self.entries.get(keep) {
            Some(e) => (e.offset as u64, e.seed),
            None => (self.write_pos, self.next_seed),
        };
        self.file
            .set_len(offset)
            .map_err(|e| Error::io(&self.path, "truncate", e))?;
        preallocate(&self.file, self.capacity, &self.path)?;
        self.file
            .sync_all()
            .map_err(|e| Error::io(&self.path, "sync segment", e))?;
        self.entries.truncate(keep);
        self.write_pos = offset;
        self.next_seed = seed;
        self.sealed = false;
        Ok(())
    }
}

/// Where a segment's entries are read from: what `Wal::entry` and the iterator need.
#[derive(Debug, Clone)]
pub(crate) struct EntrySource {
    pub file: Arc<File>,
    pub path: PathBuf,
    pub layout: Layout,
}

impl Segment {
    /// The file, path and layout entries of this segment are read with.
    pub fn source(&self) -> EntrySource {
        EntrySource {
            file: self.file.clone(),
            path: self.path.clone(),
            layout: self.layout,
        }
    }
}

impl EntrySource {
    /// Reads entry `index` (described by `meta`) and checks its checksum.
    pub fn read(&self, index: u64, meta: EntryMeta) -> Result<Vec<u8>> {
        let head = self.layout.entry_header_len();
        let mut buf = vec![0u8; head + meta.len as usize];
        self.file
            .read_exact_at(&mut buf, meta.offset as u64)
            .map_err(|e| Error::io(&self.path, "read entry", e))?;
        self.check(&buf, index, meta)?;
        buf.drain(..head);
        Ok(buf)
    }

    /// Checks an encoded record (header + body) against what the index recorded for it.
    pub fn check(&self, record: &[u8], index: u64, meta: EntryMeta) -> Result<()> {
        if !self.layout.entry_is_intact(record, meta, index) {
            return Err(Error::Corrupt {
                segment: self.path.clone(),
                offset: meta.offset as u64,
                what: format!(
                    "entry {index} changed on disk since the log was opened (checksum mismatch)"
                ),
            });
        }
        Ok(())
    }
}
