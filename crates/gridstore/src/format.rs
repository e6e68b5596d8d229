//! The store's file formats, little endian: `meta` and pages version 1 ([`FORMAT_VERSION`]),
//! the tracker version 2 ([`TRACKER_VERSION`]; version 1 trackers are still read, and
//! upgraded in place by a writer). A store directory holds three kinds of files.
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
//! | bytes  | field                                                        |
//! |--------|--------------------------------------------------------------|
//! | 0..8   | magic `SXTGRTRK`                                             |
//! | 8..12  | format version, u32 LE (2)                                   |
//! | 12..16 | entry size, u32 LE (16)                                      |
//! | 16..24 | `written`, u64 LE: every offset below it has a written entry |
//! | 24..60 | zero                                                         |
//! | 60..64 | CRC32C of bytes 0..60, u32 LE                                |
//! | 64..   | entry for offset 0, 1, 2, ... (16 B each)                    |
//!
//! The file grows by doubling; it is written only by the flusher, after the pages the new
//! entries point to are durable, and `written` is raised only once the entries it counts are
//! durable (a second sync), so a crash never leaves a count ahead of its entries. A file
//! shorter than `written` entries was cut: an error (`open_repair` reports the offsets lost).
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
//! means a pointer that lands on another offset's intact value still fails, and a damaged
//! page, block or length field reads other bytes and fails too.
//!
//! **No value** is written as an *empty entry*: bytes 0..12 zero and bytes 12..16 the empty
//! check, CRC32C of `sextant-gridstore empty` followed by the offset (u32 LE), with bit 0 set
//! (never 0). So every written entry checks itself, against its value or its empty check, and
//! the states a damaged entry can take are told apart:
//!
//! | entry at offset `o`                      | `o < written`      | `o >= written`                 |
//! |------------------------------------------|--------------------|--------------------------------|
//! | 16 zero bytes                            | damaged (zeroed)   | no value (never written)       |
//! | empty entry with `o`'s check             | no value           | no value                       |
//! | page + 1 = 0, anything else              | damaged            | damaged                        |
//! | page + 1 > 0                             | value (its checksum is checked when read) | same    |
//!
//! Entries at or past `written` can hold values a flush wrote before a crash kept it from
//! raising the count: a 16-byte entry lies inside one 512-byte sector, so a crash leaves it old
//! or new, never torn.
//!
//! **Version 1** trackers had no `written` (bytes 16..24 zero) and wrote no empty entries (16
//! zero bytes meant no value). They are read that way; a writer opening one writes empty
//! entries below its last value, then a version 2 header, before anything else.
//!
//! ## `page_NNNNNN.dat`: page files of raw blocks
//!
//! No header (geometry and version are in `meta`): a page is `page_size` bytes of
//! `block_size` blocks, and a value is its stored bytes (LZ4 when the store compresses) from
//! the block its entry names. The two header blocks are those every Sextant format shares
//! (`sextant_mmap_advice::header`).

pub use crate::meta::{FORMAT_VERSION, META_FILE};
pub use crate::tracker::{TRACKER_FILE, TRACKER_VERSION};
