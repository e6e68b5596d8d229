//! The tracker file: one [`pointer`](crate::pointer) entry per point offset, behind a header;
//! the layout is in [`format`](mod@crate::format).

use std::fs::File;
use std::path::{Path, PathBuf};

use sextant_core::PointOffset;
use sextant_mmap_advice::{MmapFile, MmapFileMut, header};

use crate::meta::FORMAT_VERSION;
use crate::pointer::{RawEntry, ValuePointer};
use crate::{Error, Result};

/// File name of the tracker inside a store directory.
pub const TRACKER_FILE: &str = "tracker";
const MAGIC: &[u8; 8] = b"SXTGRTRK";
const HEADER: usize = header::BLOCK_LEN;
const ENTRY: usize = size_of::<RawEntry>();
const INITIAL_ENTRIES: usize = 1024;

fn header() -> [u8; HEADER] {
    let mut out = header::new_block(MAGIC, FORMAT_VERSION);
    out[12..16].copy_from_slice(&(ENTRY as u32).to_le_bytes());
    header::seal_block(&mut out);
    out
}

fn check(path: &Path, bytes: &[u8]) -> Result<()> {
    if bytes.len() < HEADER || !(bytes.len() - HEADER).is_multiple_of(ENTRY) {
        return Err(Error::format(
            path,
            format!(
                "tracker is {} bytes: not a 64-byte header plus 16-byte entries",
                bytes.len()
            ),
        ));
    }
    let (block, _) = header::check_block(
        bytes,
        MAGIC,
        "gridstore tracker",
        FORMAT_VERSION..=FORMAT_VERSION,
    )
    .map_err(|e| Error::format(path, format!("tracker: {e}")))?;
    if header::le_u32(block, 12) != Some(ENTRY as u32) {
        return Err(Error::format(path, "tracker entries are not 16 bytes"));
    }
    Ok(())
}

fn entry_at(bytes: &[u8], offset: PointOffset) -> Option<ValuePointer> {
    let start = HEADER.checked_add((offset as usize).checked_mul(ENTRY)?)?;
    let raw: RawEntry = bytemuck::pod_read_unaligned(bytes.get(start..start + ENTRY)?);
    raw.decode()
}

fn capacity_of(bytes: &[u8]) -> usize {
    (bytes.len() - HEADER) / ENTRY
}

/// The writer's tracker.
#[derive(Debug)]
pub(crate) struct Tracker {
    map: MmapFileMut,
}

impl Tracker {
    pub fn create(dir: &Path) -> Result<Self> {
        let mut map =
            MmapFileMut::create(dir.join(TRACKER_FILE), HEADER + INITIAL_ENTRIES * ENTRY)?;
        map.bytes_mut()[..HEADER].copy_from_slice(&header());
        map.flush()?;
        Ok(Self { map })
    }

    pub fn open(dir: &Path) -> Result<Self> {
        let map = MmapFileMut::open(dir.join(TRACKER_FILE))?;
        check(map.path(), map.bytes())?;
        Ok(Self { map })
    }

    pub fn path(&self) -> &Path {
        self.map.path()
    }

    /// A second handle on the file, so the flusher can fsync without holding the tracker.
    pub fn sync_handle(&self) -> Result<File> {
        self.map
            .file()
            .try_clone()
            .map_err(|e| Error::io(self.map.path(), "dup", e))
    }

    /// Number of offsets the file has entries for.
    pub fn capacity(&self) -> usize {
        capacity_of(self.map.bytes())
    }

    pub fn get(&self, offset: PointOffset) -> Option<ValuePointer> {
        entry_at(self.map.bytes(), offset)
    }

    /// Stores `ptr` for `offset`, growing the file if needed; returns the previous entry.
    pub fn set(
        &mut self,
        offset: PointOffset,
        ptr: Option<ValuePointer>,
    ) -> Result<Option<ValuePointer>> {
        let index = offset as usize;
        if index >= self.capacity() {
            if ptr.is_none() {
                return Ok(None);
            }
            let entries = (index + 1)
                .max(self.capacity() * 2)
                .next_multiple_of(INITIAL_ENTRIES);
            self.map.grow(HEADER + entries * ENTRY)?;
        }
        let previous = self.get(offset);
        let start = HEADER + index * ENTRY;
        self.map.bytes_mut()[start..start + ENTRY]
            .copy_from_slice(bytemuck::bytes_of(&RawEntry::encode(ptr)));
        Ok(previous)
    }
}

/// A reader's read-only view of the tracker.
#[derive(Debug)]
pub(crate) struct TrackerView {
    map: MmapFile,
}

impl TrackerView {
    pub fn open(dir: &Path) -> Result<Self> {
        let map = MmapFile::open(dir.join(TRACKER_FILE))?;
        check(map.path(), map.bytes())?;
        Ok(Self { map })
    }

    pub fn capacity(&self) -> usize {
        capacity_of(self.map.bytes())
    }

    pub fn get(&self, offset: PointOffset) -> Option<ValuePointer> {
        entry_at(self.map.bytes(), offset)
    }

    /// Follows growth by the writer.
    pub fn reload(&mut self) -> Result<()> {
        if self.map.reload()? {
            check(self.map.path(), self.map.bytes())?;
        }
        Ok(())
    }
}

/// Path of the tracker in `dir`.
pub(crate) fn path(dir: &Path) -> PathBuf {
    dir.join(TRACKER_FILE)
}

/// Size of a tracker file with `entries` entries.
pub(crate) fn file_len(entries: u64) -> u64 {
    HEADER as u64 + entries * ENTRY as u64
}
