//! The segment file format (version 1). All integers are little endian.
//!
//! A WAL directory holds a `LOCK` file and segment files named `{first_index:020}.wal`.
//!
//! **Segment header** (64 bytes):
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 8 | magic `SXTWAL\r\n` |
//! | 8 | 4 | format version (1) |
//! | 12 | 4 | flags (0) |
//! | 16 | 8 | index of the first entry in this segment |
//! | 24 | 4 | seed: random per segment, the CRC chain starts from it |
//! | 28 | 32 | reserved (0) |
//! | 60 | 4 | CRC32C of bytes 0..60 |
//!
//! **Entries** follow back to back from byte 64:
//!
//! | size | field |
//! | --- | --- |
//! | 4 | body length `len` (u32; `0xFFFF_FFFF` marks the seal, see below) |
//! | 4 | `crc` = CRC32C of (len bytes ‖ body), started from the previous entry's `crc` (the seed for the first entry) |
//! | len | body |
//!
//! Chaining every checksum to the one before and to a random seed means that bytes left over
//! from an earlier use of the file (a recycled or truncated segment, or a preallocated region)
//! never validate as entries: they were checksummed in another chain.
//!
//! **Seal**: when the writer moves to a new segment it ends the old one with a seal record
//! (length `0xFFFF_FFFF`, crc over the next segment's first index) and syncs it. A segment that
//! is not the last must end in a seal, so a damaged entry there is corruption, never a torn
//! write. The rest of a segment after its last record is zero (preallocated).

use sextant_mmap_advice::header;

/// The 8 magic bytes at the start of every segment.
pub const MAGIC: [u8; 8] = *b"SXTWAL\r\n";
/// Current format version.
pub const VERSION: u32 = 1;
/// Bytes of the segment header (a header block of `sextant_mmap_advice::header`).
pub const HEADER_LEN: usize = header::BLOCK_LEN;
/// Bytes of an entry header (length + crc).
pub const ENTRY_HEADER_LEN: usize = 8;
/// Length value of the seal record.
pub const SEAL_LEN: u32 = u32::MAX;
/// Bytes a seal takes (header + the next first index).
pub const SEAL_RECORD_LEN: usize = ENTRY_HEADER_LEN + 8;

/// The decoded segment header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentHeader {
    /// Index of the segment's first entry.
    pub first_index: u64,
    /// Start of the segment's CRC chain.
    pub seed: u32,
}

impl SegmentHeader {
    /// The 64 header bytes.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut h = header::new_block(&MAGIC, VERSION);
        h[16..24].copy_from_slice(&self.first_index.to_le_bytes());
        h[24..28].copy_from_slice(&self.seed.to_le_bytes());
        header::seal_block(&mut h);
        h
    }

    /// Decodes and checks a header; the error says what is wrong.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        let (h, _) = header::check_block(bytes, &MAGIC, "sextant-wal segment", VERSION..=VERSION)
            .map_err(|e| e.to_string())?;
        Ok(Self {
            first_index: header::le_u64(h, 16).unwrap_or(0),
            seed: header::le_u32(h, 24).unwrap_or(0),
        })
    }
}

/// The chained checksum of an entry.
pub fn entry_crc(prev: u32, body: &[u8]) -> u32 {
    let len = (body.len() as u32).to_le_bytes();
    crc32c::crc32c_append(crc32c::crc32c_append(prev, &len), body)
}

/// The chained checksum of a seal announcing `next_index`.
pub fn seal_crc(prev: u32, next_index: u64) -> u32 {
    crc32c::crc32c_append(
        crc32c::crc32c_append(prev, &SEAL_LEN.to_le_bytes()),
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
    s[0..4].copy_from_slice(&SEAL_LEN.to_le_bytes());
    s[4..8].copy_from_slice(&seal_crc(prev, next_index).to_le_bytes());
    s[8..16].copy_from_slice(&next_index.to_le_bytes());
    s
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_rejections() {
        let h = SegmentHeader {
            first_index: 42,
            seed: 0xDEAD_BEEF,
        };
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
    }

    #[test]
    fn chains_differ_by_seed_and_names_parse() {
        assert_ne!(entry_crc(1, b"x"), entry_crc(2, b"x"));
        assert_ne!(entry_crc(1, b""), entry_crc(1, b"\0"));
        assert_eq!(parse_segment_file_name(&segment_file_name(7)), Some(7));
        assert_eq!(parse_segment_file_name("7.wal"), None);
        assert_eq!(parse_segment_file_name("LOCK"), None);
    }
}
