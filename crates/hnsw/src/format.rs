//! The graph file format. Little endian throughout; format version 1, two encodings of the
//! level-0 lists (flag bit 0). It starts and ends as every sealed Sextant file does (magic,
//! version, a trailing CRC32C: `sextant_mmap_advice::header`).
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 8 | magic `SXTHNSW\0` |
//! | 8 | 4 | version (1) |
//! | 12 | 4 | flags: bit 0 = compressed level-0 lists, bit 1 = 64-bit list offsets, bit 2 = extra links |
//! | 16 | 8 | `n`, number of point slots |
//! | 24 | 4 | `m` |
//! | 28 | 4 | `m0` |
//! | 32 | 4 | `ef_construction` |
//! | 36 | 4 | reserved (0) |
//! | 40 | 8 | level seed |
//! | 48 | 8 | entry point + 1 (0 = empty graph) |
//! | 56 | n | level of each node (u8) |
//! | … | 8 · ⌈n/64⌉ | deleted bitset (u64 words) |
//! | … | | level-0 lists, plain or compressed (below) |
//! | … | 4 · Σ level · (m + 1) | upper lists of each node with level ≥ 1, node order, level 1 first: count, then `m` slots |
//! | … | | with flag bit 2: payload-aware extra links, one compressed list per node, in node order |
//! | end − 4 | 4 | CRC32C of every byte before it |
//!
//! Plain level-0 lists: `n` slots of `4 · (m0 + 1)` bytes: count, then `m0` link slots.
//!
//! Compressed level-0 lists: `n + 1` offsets (u32, or u64 with flag bit 1) into the list data,
//! then the data: per node, u16 count; when non-empty, u8 bit width `w`, u32 smallest link,
//! then `count − 1` gaps (each link minus the previous minus one, links sorted) of `w` bits
//! packed least significant bit first, padded to a byte. Zero bytes pad the data to a
//! multiple of 4 before the upper lists. Upper levels hold few nodes and stay plain.
//!
//! Both loaders (into RAM with [`HnswIndex::load`](crate::HnswIndex::load), or in place with
//! [`HnswIndex::open_mapped`](crate::HnswIndex::open_mapped)) check the
//! magic, version, sizes (against the file length, before allocating), the checksum, and then
//! every count and link, so a damaged file is an error, never a panic or a graph that points
//! outside itself.

/// The first bytes of every graph file.
pub const MAGIC: [u8; 8] = *b"SXTHNSW\0";
/// The version this build reads and writes.
pub const VERSION: u32 = 1;
/// Bytes of the fixed header before the levels.
pub const HEADER_LEN: usize = 56;
/// Flag bit 0: level-0 lists are compressed (sorted, delta-encoded, bit-packed).
pub const FLAG_COMPRESSED: u32 = 1;
/// Flag bit 1 (compressed only): level-0 list offsets are u64 instead of u32.
pub const FLAG_WIDE_OFFSETS: u32 = 2;
/// Flag bit 2: payload-aware extra links follow the upper lists.
pub const FLAG_EXTRA: u32 = 4;
