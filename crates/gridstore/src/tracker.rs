//! The tracker file: one [`pointer`](crate::pointer) entry per point offset, behind a header.
//!
//! | bytes  | field                                     |
//! |--------|-------------------------------------------|
//! | 0..8   | magic `SXTGRTRK`                          |
//! | 8..12  | format version, u32 LE (1)                |
//! | 12..16 | entry size, u32 LE (16)                   |
//! | 16..60 | zero                                      |
//! | 60..64 | CRC32C of bytes 0..60, u32 LE             |
//! | 64..   | entry for offset 0, 1, 2, ... (16 B each) |
//!
//! Offsets past the last entry have no value. The file grows by doubling; it is written only
//! by the flusher, after the pages the new entries point to are durable.

use std::fs::File;
use std::path::{Path, PathBuf};

use sextant_core::PointOffset;
use sextant_mmap_advice::{MmapFile, MmapFileMut};

use crate::meta::FORMAT_VERSION;
use crate::pointer::{RawEntry, ValuePointer};
use crate::{Error, Result};

/// File name of the tracker inside a store directory.
pub const TRACKER_FILE: &str = "tracker";
const MAGIC: &[u8; 8] = b"SXTGRTRK";
const HEADER: usize = 64;
const ENTRY: usize = size_of::<RawEntry>();
const INITIAL_ENTRIES: usize = 1024;

fn header() -> [u8; HEADER] {
    let mut out = [0u8; HEADER];
    out[0..8].copy_from_slice(MAGIC);
    out[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    out[12..16].copy_from_slice(&(ENTRY as u32).to_le_bytes());
    let crc = crc32c::crc32c(&out[..60]);
    out[60..64].copy_from_slice(&crc.to_le_bytes());
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
    if bytes[..HEADER] != header() {
        return Err(Error::format(
            path,
            "tracker header is not magic SXTGRTRK, version 1, entry size 16 (or its checksum is wrong)",
        ));
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
