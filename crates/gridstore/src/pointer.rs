//! Where a value lives: the 16-byte tracker entry, and how an entry says "no value"; the
//! layout is in [`format`](mod@crate::format).

use bytemuck::{Pod, Zeroable};
use sextant_core::PointOffset;

/// Raw tracker entry, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub(crate) struct RawEntry {
    page_plus_one: u32,
    block: u32,
    len: u32,
    crc: u32,
}

/// The location and checksum of one stored value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ValuePointer {
    pub page: u32,
    pub block: u32,
    pub len: u32,
    pub crc: u32,
}

impl ValuePointer {
    /// First block in the store-wide numbering (`page * blocks_per_page + block`).
    pub fn global_block(&self, blocks_per_page: u64) -> u64 {
        u64::from(self.page) * blocks_per_page + u64::from(self.block)
    }
}

impl RawEntry {
    pub const EMPTY: RawEntry = RawEntry {
        page_plus_one: 0,
        block: 0,
        len: 0,
        crc: 0,
    };

    /// The entry of an offset whose value was deleted (tracker version 2): no page, and a
    /// check value only that offset's empty entry has, so a zeroed entry is told from it.
    pub fn empty_for(offset: PointOffset) -> RawEntry {
        RawEntry {
            crc: empty_check(offset).to_le(),
            ..RawEntry::EMPTY
        }
    }

    /// True for the 16 zero bytes of an entry never written.
    pub fn is_zero(&self) -> bool {
        *self == RawEntry::EMPTY
    }

    /// The pointer, if the entry has a page (version 1 and 2 alike).
    pub fn decode(self) -> Option<ValuePointer> {
        let page = u32::from_le(self.page_plus_one).checked_sub(1)?;
        Some(ValuePointer {
            page,
            block: u32::from_le(self.block),
            len: u32::from_le(self.len),
            crc: u32::from_le(self.crc),
        })
    }

    pub fn encode(ptr: Option<ValuePointer>) -> RawEntry {
        match ptr {
            None => RawEntry::EMPTY,
            Some(p) => RawEntry {
                page_plus_one: (p.page + 1).to_le(),
                block: p.block.to_le(),
                len: p.len.to_le(),
                crc: p.crc.to_le(),
            },
        }
    }
}

/// The check value of an empty (version 2) entry at `offset`: CRC32C of a fixed tag and the
/// offset, never 0 (so 16 zero bytes are never a valid empty entry).
pub(crate) fn empty_check(offset: PointOffset) -> u32 {
    crc32c::crc32c_append(
        crc32c::crc32c(b"sextant-gridstore empty"),
        &offset.to_le_bytes(),
    ) | 1
}

/// Checksum of a stored value: CRC32C over the offset (LE) and the stored bytes.
pub(crate) fn value_crc(offset: PointOffset, stored: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(&offset.to_le_bytes()), stored)
}
