//! The `meta` file: magic, format version and the store's geometry (64 bytes).
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

use std::path::Path;

use crate::{Compression, Error, GridstoreConfig, Result};

/// File name of the meta file inside a store directory.
pub const META_FILE: &str = "meta";
const MAGIC: &[u8; 8] = b"SXTGRID\0";
/// Version of the on-disk format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
const LEN: usize = 64;

pub(crate) fn encode(config: &GridstoreConfig) -> [u8; LEN] {
    let mut out = [0u8; LEN];
    out[0..8].copy_from_slice(MAGIC);
    out[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    out[12..16].copy_from_slice(&config.block_size.to_le_bytes());
    out[16..24].copy_from_slice(&config.page_size.to_le_bytes());
    out[24..28].copy_from_slice(&config.region_blocks.to_le_bytes());
    out[28] = match config.compression {
        Compression::None => 0,
        Compression::Lz4 => 1,
    };
    let crc = crc32c::crc32c(&out[..60]);
    out[60..64].copy_from_slice(&crc.to_le_bytes());
    out
}

pub(crate) fn decode(path: &Path, bytes: &[u8]) -> Result<GridstoreConfig> {
    let bad = |reason: String| Err(Error::format(path, reason));
    if bytes.len() != LEN {
        return bad(format!(
            "meta file is {} bytes, expected {LEN}",
            bytes.len()
        ));
    }
    if &bytes[0..8] != MAGIC {
        return bad("not a gridstore meta file (bad magic)".into());
    }
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    let stored_crc = u32_at(60);
    if crc32c::crc32c(&bytes[..60]) != stored_crc {
        return bad("meta file checksum mismatch".into());
    }
    let version = u32_at(8);
    if version != FORMAT_VERSION {
        return bad(format!(
            "format version {version}, this build reads {FORMAT_VERSION}"
        ));
    }
    let compression = match bytes[28] {
        0 => Compression::None,
        1 => Compression::Lz4,
        other => return bad(format!("unknown compression code {other}")),
    };
    let config = GridstoreConfig {
        block_size: u32_at(12),
        page_size: u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes")),
        region_blocks: u32_at(24),
        compression,
    };
    config
        .validate()
        .map_err(|e| Error::format(path, e.to_string()))?;
    Ok(config)
}

pub(crate) fn write(dir: &Path, config: &GridstoreConfig) -> Result<()> {
    Ok(sextant_mmap_advice::atomic_write(
        dir.join(META_FILE),
        &encode(config),
    )?)
}

pub(crate) fn read(dir: &Path) -> Result<GridstoreConfig> {
    let path = dir.join(META_FILE);
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, "read", e))?;
    decode(&path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_every_flipped_bit() {
        let config = GridstoreConfig::for_payloads();
        let bytes = encode(&config);
        assert_eq!(decode(Path::new("m"), &bytes).unwrap(), config);
        for bit in 0..LEN * 8 {
            let mut flipped = bytes;
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(decode(Path::new("m"), &flipped).is_err(), "bit {bit}");
        }
        assert!(decode(Path::new("m"), &bytes[..63]).is_err());
    }
}
