//! The segment file format (version 2; version 1 segments are still read). All integers are
//! little endian.
//!
//! A WAL directory holds a `LOCK` file and segment files named `{first_index:020}.wal`.
//!
//! **Segment header** (64 bytes, a header block of `sextant_mmap_advice::header`):
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 8 | magic `SXTWAL\r\n` |
//! | 8 | 4 | format version (2; 1 for segments written before it) |
//! | 12 | 4 | flags (0) |
//! | 16 | 8 | index of the first entry in this segment |
//! | 24 | 4 | seed: random per segment, every record checksum starts from it |
//! | 28 | 8 | capacity: the file size the segment was preallocated to (version 2; 0 in version 1) |
//! | 36 | 24 | reserved (0) |
//! | 60 | 4 | CRC32C of bytes 0..60 |
//!
//! **Records** (version 2) follow back to back from byte 64; the rest of the file is zero:
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 8 | `index` of the entry (for the seal: the next segment's first index) |
//! | 8 | 4 | `lag`: every entry below `index − lag` had been synced when this record was written (saturates at `u32::MAX`) |
//! | 12 | 4 | body length `len` (`0xFFFF_FFFF` marks the seal, which has no body) |
//! | 16 | 4 | CRC32C of bytes 0..16 ‖ body, started from the segment's seed |
//! | 20 | len | body |
//!
//! A record validates on its own (its checksum, its index), so recovery can find intact
//! records *after* a damaged one. The seed keeps bytes of another segment (or of an earlier
//! use of the file) from validating; the index keeps records in order.
//!
//! **Seal**: when the writer moves to a new segment it ends the old one with a seal record and
//! syncs it. A segment that is not the last must end in a seal, so damage there is corruption,
//! never a torn write.
//!
//! ## Torn writes and damage
//!
//! A crash can only tear what had not been synced, and what it leaves is the intended bytes
//! with some 512-byte sectors never written, which read as zero (segments are preallocated
//! with zeros and a cut tail is zeroed again). Recovery therefore calls the first invalid
//! record at offset `p` of the last segment a **torn write** (dropped, reported as
//! `TornWrite`) only when all of these hold, and **corruption** (`Error::Corrupt` under
//! `Recovery::Strict`) otherwise:
//!
//! 1. the file still has the capacity its header states (a preallocated segment never
//!    shrinks, so a shorter file was truncated after the fact);
//! 2. no intact record after `p` has `index − lag` above the damaged entry's index (such a
//!    record was written after the damaged entry had been synced);
//! 3. the damaged record could be missing a sector: some 512-byte sector it spans is zero
//!    over the part of the record it holds (its header's sectors, or, when the header is
//!    whole, the sectors of header and body).
//!
//! Damage that stays indistinguishable from a torn write, and is dropped as one: damage that
//! only zeroes, in the last record(s) of the last segment with no synced record after them,
//! every byte a record has in some sector (for instance a zeroed sector, or a zeroed record
//! that ends its segment's data). The lag makes entries written in one unsynced batch
//! (group commit, async) droppable together, and makes anything written after a sync proof
//! that what came before it was acknowledged.
//!
//! **Version 1** records were `len (4) ‖ crc (4) ‖ body`, the crc chained from the previous
//! record's (the seed for the first), with an 8-byte seal body holding the next index
//! ([`v1`]). They are read and replayed; a version 1 segment found last is sealed on open and
//! new entries go to a version 2 segment. In version 1 segments only the old rule applies:
//! damage counts as corruption when the next record visibly continues the chain.

use sextant_mmap_advice::header;

/// The 8 magic bytes at the start of every segment.
pub const MAGIC: [u8; 8] = *b"SXTWAL\r\n";
/// Format version written by this build.
pub const VERSION: u32 = 2;
/// Oldest format version this build reads.
pub const OLDEST_VERSION: u32 = 1;
/// Bytes of the segment header (a header block of `sextant_mmap_advice::header`).
pub const HEADER_LEN: usize = header::BLOCK_LEN;
/// Bytes of a record header (index, lag, length, crc).
pub const ENTRY_HEADER_LEN: usize = 20;
/// Length value of the seal record.
pub const SEAL_LEN: u32 = u32::MAX;
/// Bytes a seal takes (a record header without body).
pub const SEAL_RECORD_LEN: usize = ENTRY_HEADER_LEN;
/// The unit a crash tears writes in: the smallest sector disks write atomically.
pub const SECTOR: usize = 512;

/// The decoded segment header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentHeader {
    /// Format version of the segment (1 or 2).
    pub version: u32,
    /// Index of the segment's first entry.
    pub first_index: u64,
    /// Seed of the segment's checksums.
    pub seed: u32,
    /// File size the segment was preallocated to (0: not recorded, version 1).
    pub capacity: u64,
}

impl SegmentHeader {
    /// The header of a new (current version) segment.
    pub fn new(first_index: u64, seed: u32, capacity: u64) -> Self {
        Self {
            version: VERSION,
            first_index,
            seed,
            capacity,
        }
    }

    /// The 64 header bytes.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut h = header::new_block(&MAGIC, self.version);
        h[16..24].copy_from_slice(&self.first_index.to_le_bytes());
        h[24..28].copy_from_slice(&self.seed.to_le_bytes());
        h[28..36].copy_from_slice(&self.capacity.to_le_bytes());
        header::seal_block(&mut h);
        h
    }

    /// Decodes and checks a header; the error says what is wrong.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        let (h, version) = header::check_block(
            bytes,
            &MAGIC,
            "sextant-wal segment",
            OLDEST_VERSION..=VERSION,
        )
        .map_err(|e| e.to_string())?;
        Ok(Self {
            version,
            first_index: header::le_u64(h, 16).unwrap_or(0),
            seed: header::le_u32(h, 24).unwrap_or(0),
            capacity: if version >= 2 {
                header::le_u64(h, 28).unwrap_or(0)
            } else {
                0
            },
        })
    }
}

/// The `lag` field of a record with `index` written while entries below `durable` were
/// synced.
pub fn lag(index: u64, durable: u64) -> u32 {
    index.saturating_sub(durable).min(u32::MAX as u64) as u32
}

/// The checksum of a record: its first 16 bytes and its body, from the segment's seed.
pub fn record_crc(seed: u32, head: &[u8], body: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c_append(seed, &head[..16]), body)
}

fn record_header(seed: u32, index: u64, lag: u32, len: u32, body: &[u8]) -> [u8; ENTRY_HEADER_LEN] {
    let mut h = [0u8; ENTRY_HEADER_LEN];
    h[0..8].copy_from_slice(&index.to_le_bytes());
    h[8..12].copy_from_slice(&lag.to_le_bytes());
    h[12..16].copy_from_slice(&len.to_le_bytes());
    let crc = record_crc(seed, &h, body);
    h[16..20].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Appends the encoded entry record to `out`.
pub fn encode_entry(seed: u32, index: u64, lag: u32, body: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&record_header(seed, index, lag, body.len() as u32, body));
    out.extend_from_slice(body);
}

/// The encoded seal record announcing `next_index`.
pub fn encode_seal(seed: u32, next_index: u64, lag: u32) -> [u8; SEAL_RECORD_LEN] {
    record_header(seed, next_index, lag, SEAL_LEN, &[])
}

/// File name of the segment whose first entry is `first_index`.
pub fn segment_file_name(first_index: u64) -> String {
    format!("{first_index:020}.wal")
}

/// The first index a segment file name announces, if it is one.
pub fn parse_segment_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".wal")?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())?
}

/// Version 1 records, read (and, to close a version 1 segment, sealed) by this build.
pub mod v1 {
    /// Bytes of a version 1 entry header (length + chained crc).
    pub const ENTRY_HEADER_LEN: usize = 8;
    /// Bytes of a version 1 seal (header + the next first index).
    pub const SEAL_RECORD_LEN: usize = ENTRY_HEADER_LEN + 8;

    /// The chained checksum of an entry.
    pub fn entry_crc(prev: u32, body: &[u8]) -> u32 {
        let len = (body.len() as u32).to_le_bytes();
        crc32c::crc32c_append(crc32c::crc32c_append(prev, &len), body)
    }

    /// The chained checksum of a seal announcing `next_index`.
    pub fn seal_crc(prev: u32, next_index: u64) -> u32 {
        crc32c::crc32c_append(
            crc32c::crc32c_append(prev, &super::SEAL_LEN.to_le_bytes()),
            &next_index.to_le_bytes(),
        )
    }

    /// Appends the encoded entry to `out`; returns its crc (the next entry's `prev`).
    pub fn encode_entry(prev: u32, body: &[u8], out: &mut Vec<u8>) -> u32 {
        let crc = entry_crc(prev, body);
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(body);
        crc
    }

    /// The encoded seal record.
    pub fn encode_seal(prev: u32, next_index: u64) -> [u8; SEAL_RECORD_LEN] {
        let mut s = [0u8; SEAL_RECORD_LEN];
        s[0..4].copy_from_slice(&super::SEAL_LEN.to_le_bytes());
        s[4..8].copy_from_slice(&seal_crc(prev, next_index).to_le_bytes());
        s[8..16].copy_from_slice(&next_index.to_le_bytes());
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_rejections() {
        let h = SegmentHeader::new(42, 0xDEAD_BEEF, 1 << 20);
        let bytes = h.encode();
        assert_eq!(SegmentHeader::decode(&bytes), Ok(h));
        assert!(SegmentHeader::decode(&bytes[..63]).is_err());
        for i in 0..HEADER_LEN {
            let mut b = bytes;
            b[i] ^= 0x10;
            assert!(
                SegmentHeader::decode(&b).is_err(),
                "flip in byte {i} must be detected"
            );
        }
        let old = SegmentHeader {
            version: 1,
            capacity: 0,
            ..h
        };
        assert_eq!(SegmentHeader::decode(&old.encode()), Ok(old));
    }

    #[test]
    fn records_depend_on_seed_index_and_body() {
        let mut a = Vec::new();
        encode_entry(1, 5, 0, b"x", &mut a);
        let mut b = Vec::new();
        encode_entry(2, 5, 0, b"x", &mut b);
        assert_ne!(a, b);
        let mut c = Vec::new();
        encode_entry(1, 6, 0, b"x", &mut c);
        assert_ne!(a[16..20], c[16..20]);
        assert_eq!(a.len(), ENTRY_HEADER_LEN + 1);
        assert_eq!(lag(10, 3), 7);
        assert_eq!(lag(3, 10), 0);
        assert_eq!(lag(u64::MAX, 0), u32::MAX);
        assert_ne!(v1::entry_crc(1, b""), v1::entry_crc(1, b"\0"));
        assert_eq!(parse_segment_file_name(&segment_file_name(7)), Some(7));
        assert_eq!(parse_segment_file_name("7.wal"), None);
        assert_eq!(parse_segment_file_name("LOCK"), None);
    }
}
