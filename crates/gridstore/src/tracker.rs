//! The tracker file: one [`pointer`](crate::pointer) entry per point offset, behind a header
//! that counts the entries written; the layout is in [`format`](mod@crate::format).
//!
//! Version 2 makes every written entry checkable on its own: a value's entry by the value's
//! checksum, a deleted value's entry by its empty-entry check, and an offset below the
//! header's count can never read as 16 zero bytes. Version 1 trackers (zero = no value, no
//! count) are read as they are, and upgraded in place when a writer opens them.

use std::fs::File;
use std::path::{Path, PathBuf};

use sextant_core::PointOffset;
use sextant_mmap_advice::{MmapFile, MmapFileMut, header};

use crate::pointer::{RawEntry, ValuePointer, empty_check};
use crate::{Error, Result};

/// File name of the tracker inside a store directory.
pub const TRACKER_FILE: &str = "tracker";
/// Tracker format version written by this build (version 1 is still read).
pub const TRACKER_VERSION: u32 = 2;
const MAGIC: &[u8; 8] = b"SXTGRTRK";
const HEADER: usize = header::BLOCK_LEN;
const ENTRY: usize = size_of::<RawEntry>();
const INITIAL_ENTRIES: usize = 1024;

/// What one tracker entry says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Slot {
    /// No value at this offset.
    Empty,
    /// The value's location and checksum.
    Value(ValuePointer),
    /// The entry cannot be what the writer wrote; why.
    Damaged(String),
}

/// The checked tracker header.
#[derive(Debug, Clone, Copy)]
struct Header {
    version: u32,
    /// Every offset below this has a written entry (version 2; 0 in version 1).
    written: u64,
}

fn encode_header(written: u64) -> [u8; HEADER] {
    let mut out = header::new_block(MAGIC, TRACKER_VERSION);
    out[12..16].copy_from_slice(&(ENTRY as u32).to_le_bytes());
    out[16..24].copy_from_slice(&written.to_le_bytes());
    header::seal_block(&mut out);
    out
}

fn check(path: &Path, bytes: &[u8]) -> Result<Header> {
    let (block, version) =
        header::check_block(bytes, MAGIC, "gridstore tracker", 1..=TRACKER_VERSION)
            .map_err(|e| Error::format(path, format!("tracker: {e}")))?;
    if header::le_u32(block, 12) != Some(ENTRY as u32) {
        return Err(Error::format(path, "tracker entries are not 16 bytes"));
    }
    let written = if version >= 2 {
        header::le_u64(block, 16).unwrap_or(0)
    } else {
        0
    };
    Ok(Header { version, written })
}

/// The entry of `offset` as the format version reads it.
fn slot_at(bytes: &[u8], h: Header, offset: PointOffset) -> Slot {
    let start = HEADER + offset as usize * ENTRY;
    let Some(raw) = bytes.get(start..start + ENTRY) else {
        return if u64::from(offset) < h.written {
            Slot::Damaged(format!(
                "the tracker ends before this entry (it counts {} entries): truncated",
                h.written
            ))
        } else {
            Slot::Empty
        };
    };
    let raw: RawEntry = bytemuck::pod_read_unaligned(raw);
    if let Some(ptr) = raw.decode() {
        return Slot::Value(ptr);
    }
    if h.version == 1 || (raw.is_zero() && u64::from(offset) >= h.written) {
        return Slot::Empty;
    }
    if raw.is_zero() {
        return Slot::Damaged("its tracker entry was zeroed".into());
    }
    if raw == RawEntry::empty_for(offset) {
        Slot::Empty
    } else {
        Slot::Damaged(format!(
            "its tracker entry has no page but is not an empty entry (check {:#010x} instead of {:#010x})",
            u32::from_le(bytemuck::cast::<RawEntry, [u32; 4]>(raw)[3]),
            empty_check(offset)
        ))
    }
}

/// The pointer of `offset`, a damaged entry as an error naming the tracker at `path`.
fn pointer_at(
    path: &Path,
    bytes: &[u8],
    h: Header,
    offset: PointOffset,
) -> Result<Option<ValuePointer>> {
    match slot_at(bytes, h, offset) {
        Slot::Empty => Ok(None),
        Slot::Value(p) => Ok(Some(p)),
        Slot::Damaged(reason) => Err(damaged(path, offset, reason)),
    }
}

/// Offsets the file has room for.
fn capacity_of(bytes: &[u8]) -> usize {
    bytes.len().saturating_sub(HEADER) / ENTRY
}

/// Offsets the tracker knows about: the file's room, or the header's count when a truncated
/// file holds fewer.
fn end_of(bytes: &[u8], h: Header) -> usize {
    capacity_of(bytes).max(h.written.min(u32::MAX as u64 + 1) as usize)
}

/// The writer's tracker.
#[derive(Debug)]
pub(crate) struct Tracker {
    map: MmapFileMut,
    header: Header,
    /// One past the highest offset with an entry written (what the header will count).
    high: u64,
}

impl Tracker {
    pub fn create(dir: &Path) -> Result<Self> {
        let mut map =
            MmapFileMut::create(dir.join(TRACKER_FILE), HEADER + INITIAL_ENTRIES * ENTRY)?;
        map.bytes_mut()[..HEADER].copy_from_slice(&encode_header(0));
        map.flush()?;
        Ok(Self {
            map,
            header: Header {
                version: TRACKER_VERSION,
                written: 0,
            },
            high: 0,
        })
    }

    /// Opens the tracker for writing. A version 1 tracker is upgraded in place (durably); a
    /// tracker shorter than its count is an error, or with `repair` is extended with empty
    /// entries, the offsets it lost returned.
    pub fn open(dir: &Path, repair: bool) -> Result<(Self, Vec<PointOffset>)> {
        let mut map = MmapFileMut::open(dir.join(TRACKER_FILE))?;
        let header = check(map.path(), map.bytes())?;
        let ragged = !(map.bytes().len() - HEADER).is_multiple_of(ENTRY);
        let short = (capacity_of(map.bytes()) as u64) < header.written;
        if (ragged || short) && !repair {
            return Err(Error::format(
                map.path(),
                format!(
                    "tracker is {} bytes: a 64-byte header and 16-byte entries, counting {}, do not fit (truncated?)",
                    map.bytes().len(),
                    header.written
                ),
            ));
        }
        let lost: Vec<PointOffset> = (capacity_of(map.bytes()) as u64..header.written)
            .map(|o| o as PointOffset)
            .collect();
        if ragged || short {
            let entries = (header.written as usize)
                .max(capacity_of(map.bytes()) + usize::from(ragged))
                .next_multiple_of(INITIAL_ENTRIES);
            map.grow(HEADER + entries * ENTRY)?;
        }
        let mut tracker = Self {
            high: header.written,
            map,
            header,
        };
        for &offset in &lost {
            tracker.write_raw(offset, RawEntry::empty_for(offset));
        }
        if header.version == 1 {
            tracker.upgrade()?;
        }
        Ok((tracker, lost))
    }

    /// Version 1 → 2: the zero entries below the last value become empty entries, and the
    /// header counts them.
    fn upgrade(&mut self) -> Result<()> {
        let last = (0..self.capacity() as PointOffset)
            .rev()
            .find(|&o| matches!(self.get(o), Slot::Value(_)))
            .map_or(0, |o| u64::from(o) + 1);
        for offset in 0..last as PointOffset {
            if self.get(offset) == Slot::Empty {
                self.write_raw(offset, RawEntry::empty_for(offset));
            }
        }
        // Entries durable first, then the header that counts them.
        self.map.flush()?;
        self.map.bytes_mut()[..HEADER].copy_from_slice(&encode_header(last));
        self.map.flush()?;
        self.high = last;
        self.header = Header {
            version: TRACKER_VERSION,
            written: last,
        };
        Ok(())
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

    /// Number of offsets the tracker has (or should have) entries for.
    pub fn capacity(&self) -> usize {
        end_of(self.map.bytes(), self.header)
    }

    pub fn get(&self, offset: PointOffset) -> Slot {
        slot_at(self.map.bytes(), self.header, offset)
    }

    /// The entry of `offset`, damage as an error naming the tracker.
    pub fn pointer(&self, offset: PointOffset) -> Result<Option<ValuePointer>> {
        pointer_at(self.map.path(), self.map.bytes(), self.header, offset)
    }

    /// Stores `ptr` for `offset`, growing the file if needed; returns the previous pointer.
    /// The header's count follows at [`commit_count`](Self::commit_count), once the entries
    /// are durable.
    pub fn set(
        &mut self,
        offset: PointOffset,
        ptr: Option<ValuePointer>,
    ) -> Result<Option<ValuePointer>> {
        let index = offset as usize;
        if index >= capacity_of(self.map.bytes()) {
            if ptr.is_none() {
                return Ok(None);
            }
            let entries = (index + 1)
                .max(capacity_of(self.map.bytes()) * 2)
                .next_multiple_of(INITIAL_ENTRIES);
            self.map.grow(HEADER + entries * ENTRY)?;
        }
        let previous = match self.get(offset) {
            Slot::Value(p) => Some(p),
            _ => None,
        };
        let raw = match ptr {
            Some(_) => RawEntry::encode(ptr),
            None => RawEntry::empty_for(offset),
        };
        // Offsets skipped below this one get empty entries: below the count, zero is damage.
        for gap in self.high..u64::from(offset) {
            let gap = gap as PointOffset;
            if self.raw(gap).is_zero() {
                self.write_raw(gap, RawEntry::empty_for(gap));
            }
        }
        self.write_raw(offset, raw);
        self.high = self.high.max(u64::from(offset) + 1);
        Ok(previous)
    }

    fn raw(&self, offset: PointOffset) -> RawEntry {
        let start = HEADER + offset as usize * ENTRY;
        bytemuck::pod_read_unaligned(&self.map.bytes()[start..start + ENTRY])
    }

    fn write_raw(&mut self, offset: PointOffset, raw: RawEntry) {
        let start = HEADER + offset as usize * ENTRY;
        self.map.bytes_mut()[start..start + ENTRY].copy_from_slice(bytemuck::bytes_of(&raw));
    }

    /// Raises the header's count to every entry written so far. Call only once those entries
    /// are durable (a count ahead of its entries would read a crash as damage); returns true
    /// when the header changed and needs its own sync.
    pub fn commit_count(&mut self) -> bool {
        if self.high <= self.header.written {
            return false;
        }
        self.map.bytes_mut()[..HEADER].copy_from_slice(&encode_header(self.high));
        self.header.written = self.high;
        true
    }
}

/// The error for a damaged entry.
pub(crate) fn damaged(path: &Path, offset: PointOffset, reason: String) -> Error {
    Error::Corrupt {
        path: path.to_path_buf(),
        offset,
        page: 0,
        block: 0,
        reason,
    }
}

/// The error for an entry whose pointer cannot be right (past its page, past the last page,
/// over another value): the tracker is what is damaged.
pub(crate) fn bad_pointer(
    path: &Path,
    offset: PointOffset,
    ptr: &ValuePointer,
    reason: String,
) -> Error {
    Error::Corrupt {
        path: path.to_path_buf(),
        offset,
        page: ptr.page,
        block: ptr.block,
        reason,
    }
}

/// A reader's read-only view of the tracker.
#[derive(Debug)]
pub(crate) struct TrackerView {
    map: MmapFile,
    header: Header,
}

impl TrackerView {
    pub fn open(dir: &Path) -> Result<Self> {
        let map = MmapFile::open(dir.join(TRACKER_FILE))?;
        let header = check(map.path(), map.bytes())?;
        Ok(Self { map, header })
    }

    pub fn capacity(&self) -> usize {
        end_of(self.map.bytes(), self.header)
    }

    /// The entry of `offset`, damage as an error naming the tracker.
    pub fn pointer(&self, offset: PointOffset) -> Result<Option<ValuePointer>> {
        pointer_at(self.map.path(), self.map.bytes(), self.header, offset)
    }

    /// Follows growth by the writer (and the count it committed).
    pub fn reload(&mut self) -> Result<()> {
        self.map.reload()?;
        self.header = check(self.map.path(), self.map.bytes())?;
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
