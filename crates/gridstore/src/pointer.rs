//! Where a value lives: the 16-byte tracker entry.
//!
//! | bytes  | field                                                      |
//! |--------|------------------------------------------------------------|
//! | 0..4   | page + 1, u32 LE (0 = no value at this offset)             |
//! | 4..8   | first block inside the page, u32 LE                        |
//! | 8..12  | stored length in bytes (after compression), u32 LE         |
//! | 12..16 | CRC32C of the offset (u32 LE) followed by the stored bytes |
//!
//! A value occupies `ceil(len / block_size)` consecutive blocks; a value longer than the rest
//! of its page continues at block 0 of the next page. Seeding the checksum with the offset
//! means a pointer that lands on another offset's intact value still fails.

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

/// Checksum of a stored value: CRC32C over the offset (LE) and the stored bytes.
pub(crate) fn value_crc(offset: PointOffset, stored: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(&offset.to_le_bytes()), stored)
}
