//! The store's file formats, little endian, version 1 ([`FORMAT_VERSION`]). A store directory
//! holds three kinds of files.
//!
//! ## `meta` ([`META_FILE`]): magic, version and geometry, a header block of 64 bytes
//!
//! | bytes  | field                                   |
//! |--------|-----------------------------------------|
//! | 0..8   | magic `SXTGRID\0`                       |
//! | 8..12  | format version, u32 LE (1)              |
//! | 12..16 | block_size, u32 LE                      |
//! | 16..24 | page_size, u64 LE                       |
//! | 24..28 | region_blocks, u32 LE                   |
//! | 28     | compression: 0 none, 1 LZ4              |
//! | 29..60 | zero                                    |
//! | 60..64 | CRC32C of bytes 0..60, u32 LE           |
//!
//! Written once, atomically, when the store is created.
//!
//! ## `tracker` ([`TRACKER_FILE`]): one entry per point offset, behind a header block
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
//!
//! ### A tracker entry: where a value lives (16 bytes)
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
//!
//! ## `page_NNNNNN.dat`: page files of raw blocks
//!
//! No header (geometry and version are in `meta`): a page is `page_size` bytes of
//! `block_size` blocks, and a value is its stored bytes (LZ4 when the store compresses) from
//! the block its entry names. The two header blocks are those every Sextant format shares
//! (`sextant_mmap_advice::header`).

pub use crate::meta::{FORMAT_VERSION, META_FILE};
pub use crate::tracker::TRACKER_FILE;
