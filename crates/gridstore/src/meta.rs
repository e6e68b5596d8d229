//! The `meta` file: magic, format version and the store's geometry; the layout is in
//! [`format`](mod@crate::format).

use std::path::Path;

use sextant_mmap_advice::header;

use crate::{Compression, Error, GridstoreConfig, Result};

/// File name of the meta file inside a store directory.
pub const META_FILE: &str = "meta";
const MAGIC: &[u8; 8] = b"SXTGRID\0";
/// Version of the on-disk format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
const LEN: usize = header::BLOCK_LEN;

pub(crate) fn encode(config: &GridstoreConfig) -> [u8; LEN] {
    let mut out = header::new_block(MAGIC, FORMAT_VERSION);
    out[12..16].copy_from_slice(&config.block_size.to_le_bytes());
    out[16..24].copy_from_slice(&config.page_size.to_le_bytes());
    out[24..28].copy_from_slice(&config.region_blocks.to_le_bytes());
    out[28] = match config.compression {
        Compression::None => 0,
        Compression::Lz4 => 1,
    };
    header::seal_block(&mut out);
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
    let (block, _) = header::check_block(
        bytes,
        MAGIC,
        "gridstore meta",
        FORMAT_VERSION..=FORMAT_VERSION,
    )
    .map_err(|e| Error::format(path, format!("meta file: {e}")))?;
    let u32_at = |at: usize| header::le_u32(block, at).unwrap_or(0);
    let compression = match bytes[28] {
        0 => Compression::None,
        1 => Compression::Lz4,
        other => return bad(format!("unknown compression code {other}")),
    };
    let config = GridstoreConfig {
        block_size: u32_at(12),
        page_size: header::le_u64(block, 16).unwrap_or(0),
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
