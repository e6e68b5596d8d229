//! The checksummed headers Sextant's file formats start with, written and checked in one
//! place. Two shapes:
//!
//! - a **header block** of 64 bytes (WAL segments, the gridstore's `meta` and `tracker`):
//!
//!   | offset | size | field |
//!   | --- | --- | --- |
//!   | 0 | 8 | magic |
//!   | 8 | 4 | format version (u32 LE) |
//!   | 12 | 48 | the format's own fields |
//!   | 60 | 4 | CRC32C of bytes 0..60 (u32 LE) |
//!
//! - a **sealed file** (HNSW graphs, codec files): the magic and version at the start in the
//!   same places, the format's fields and body after them, and a CRC32C of every byte before
//!   it as the last 4 bytes.
//!
//! The checks return a [`HeaderError`] with the byte it concerns; each crate turns it into its
//! own "damaged file" error, which names the file.

use std::ops::RangeInclusive;

/// Bytes of a header block.
pub const BLOCK_LEN: usize = 64;

/// Where a header block's checksum sits.
const BLOCK_CRC_AT: usize = BLOCK_LEN - 4;

/// What is wrong with a header or a sealed file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// Fewer bytes than the header needs.
    #[error("{len} bytes, shorter than the {need}-byte header")]
    TooShort {
        /// Bytes there are.
        len: usize,
        /// Bytes the header needs.
        need: usize,
    },
    /// The first 8 bytes are not the format's magic: another kind of file.
    #[error("bad magic: not a {format} file")]
    Magic {
        /// The format expected.
        format: &'static str,
    },
    /// A version this build does not read.
    #[error("format version {found}, this build reads {}..={}", supported.start(), supported.end())]
    Version {
        /// The version in the file.
        found: u32,
        /// The versions this build reads.
        supported: RangeInclusive<u32>,
    },
    /// The stored checksum does not match the bytes: the file is damaged.
    #[error("checksum mismatch at byte {at} (the file is damaged)")]
    Checksum {
        /// Byte offset of the stored checksum.
        at: usize,
    },
}

impl HeaderError {
    /// The byte offset the error concerns.
    pub fn offset(&self) -> usize {
        match self {
            HeaderError::TooShort { len, .. } => *len,
            HeaderError::Magic { .. } => 0,
            HeaderError::Version { .. } => 8,
            HeaderError::Checksum { at } => *at,
        }
    }
}

/// A header block with `magic` and `version` in place, the rest zero: fill in the format's
/// fields (bytes 12..60), then [`seal_block`].
pub fn new_block(magic: &[u8; 8], version: u32) -> [u8; BLOCK_LEN] {
    let mut block = [0u8; BLOCK_LEN];
    block[..8].copy_from_slice(magic);
    block[8..12].copy_from_slice(&version.to_le_bytes());
    block
}

/// Writes the checksum of bytes 0..60 into bytes 60..64.
pub fn seal_block(block: &mut [u8; BLOCK_LEN]) {
    let crc = crc32c::crc32c(&block[..BLOCK_CRC_AT]);
    block[BLOCK_CRC_AT..].copy_from_slice(&crc.to_le_bytes());
}

/// Checks the header block at the start of `bytes` (length, magic, checksum, then version)
/// and returns it with its version.
pub fn check_block<'a>(
    bytes: &'a [u8],
    magic: &[u8; 8],
    format: &'static str,
    supported: RangeInclusive<u32>,
) -> Result<(&'a [u8; BLOCK_LEN], u32), HeaderError> {
    let block: &[u8; BLOCK_LEN] = bytes
        .get(..BLOCK_LEN)
        .and_then(|b| b.try_into().ok())
        .ok_or(HeaderError::TooShort {
            len: bytes.len(),
            need: BLOCK_LEN,
        })?;
    if &block[..8] != magic {
        return Err(HeaderError::Magic { format });
    }
    if crc32c::crc32c(&block[..BLOCK_CRC_AT]) != le_u32(block, BLOCK_CRC_AT).unwrap_or(0) {
        return Err(HeaderError::Checksum { at: BLOCK_CRC_AT });
    }
    let version = le_u32(block, 8).unwrap_or(0);
    if !supported.contains(&version) {
        return Err(HeaderError::Version {
            found: version,
            supported,
        });
    }
    Ok((block, version))
}

/// Starts a sealed file: `magic` and `version`; append the format's fields and body, then
/// [`seal`].
pub fn start_file(magic: &[u8; 8], version: u32, capacity: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(capacity);
    bytes.extend_from_slice(magic);
    bytes.extend_from_slice(&version.to_le_bytes());
    bytes
}

/// Appends the checksum of every byte so far.
pub fn seal(bytes: &mut Vec<u8>) {
    let crc = crc32c::crc32c(bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
}

/// Checks the start of a sealed file (at least `min_len` bytes, the magic, a supported
/// version) and returns its version. Cheap: the checksum is [`check_seal`]'s, which reads the
/// whole file.
pub fn check_start(
    bytes: &[u8],
    min_len: usize,
    magic: &[u8; 8],
    format: &'static str,
    supported: RangeInclusive<u32>,
) -> Result<u32, HeaderError> {
    if bytes.len() < min_len.max(12) {
        return Err(HeaderError::TooShort {
            len: bytes.len(),
            need: min_len.max(12),
        });
    }
    if &bytes[..8] != magic {
        return Err(HeaderError::Magic { format });
    }
    let version = le_u32(bytes, 8).unwrap_or(0);
    if !supported.contains(&version) {
        return Err(HeaderError::Version {
            found: version,
            supported,
        });
    }
    Ok(version)
}

/// Checks a sealed file's trailing checksum; returns the bytes before it.
pub fn check_seal(bytes: &[u8]) -> Result<&[u8], HeaderError> {
    let at = bytes.len().checked_sub(4).ok_or(HeaderError::TooShort {
        len: bytes.len(),
        need: 4,
    })?;
    if crc32c::crc32c(&bytes[..at]) != le_u32(bytes, at).unwrap_or(0) {
        return Err(HeaderError::Checksum { at });
    }
    Ok(&bytes[..at])
}

/// The little-endian u32 at byte `at`, if there are 4 bytes there.
#[inline]
pub fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        bytes.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// The little-endian u64 at byte `at`, if there are 8 bytes there.
#[inline]
pub fn le_u64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        bytes.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// The little-endian f32 at byte `at`, if there are 4 bytes there.
#[inline]
pub fn le_f32(bytes: &[u8], at: usize) -> Option<f32> {
    le_u32(bytes, at).map(f32::from_bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: &[u8; 8] = b"SXTTEST\0";

    #[test]
    fn blocks_round_trip_and_refuse_damage() {
        let mut block = new_block(MAGIC, 2);
        block[12..20].copy_from_slice(&7u64.to_le_bytes());
        seal_block(&mut block);
        let (read, version) = check_block(&block, MAGIC, "test", 1..=2).unwrap();
        assert_eq!((version, le_u64(read, 12)), (2, Some(7)));
        let mut damaged = block;
        damaged[13] ^= 1;
        assert_eq!(
            check_block(&damaged, MAGIC, "test", 1..=2),
            Err(HeaderError::Checksum { at: 60 })
        );
        assert!(matches!(
            check_block(&block, b"SXTOTHER", "test", 1..=2),
            Err(HeaderError::Magic { .. })
        ));
        assert!(matches!(
            check_block(&block, MAGIC, "test", 3..=3),
            Err(HeaderError::Version { found: 2, .. })
        ));
        assert_eq!(
            check_block(&block[..40], MAGIC, "test", 1..=2)
                .unwrap_err()
                .offset(),
            40
        );
    }

    #[test]
    fn sealed_files_round_trip_and_refuse_damage() {
        let mut file = start_file(MAGIC, 1, 32);
        file.extend_from_slice(b"body");
        seal(&mut file);
        assert_eq!(check_start(&file, 16, MAGIC, "test", 1..=1), Ok(1));
        assert_eq!(check_seal(&file).unwrap(), &file[..file.len() - 4]);
        let mut damaged = file.clone();
        damaged[13] ^= 0x80;
        assert_eq!(check_seal(&damaged), Err(HeaderError::Checksum { at: 16 }));
        assert!(matches!(
            check_start(&file[..10], 12, MAGIC, "test", 1..=1),
            Err(HeaderError::TooShort { len: 10, .. })
        ));
        assert_eq!(
            check_seal(&[1, 2]),
            Err(HeaderError::TooShort { len: 2, need: 4 })
        );
        assert_eq!(le_u32(&file, file.len() - 2), None);
        assert_eq!(le_f32(&1.5f32.to_le_bytes(), 0), Some(1.5));
    }
}
