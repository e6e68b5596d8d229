//! Small geometry so tests cross pages and regions with small values.

#![allow(dead_code)]

use sextant_gridstore::{Compression, GridstoreConfig};

/// 8 KiB pages of 64-byte blocks, regions of 64 blocks: 2 regions per page.
pub fn tiny(compression: Compression) -> GridstoreConfig {
    GridstoreConfig {
        page_size: 8192,
        block_size: 64,
        region_blocks: 64,
        compression,
    }
}

/// Deterministic bytes for (offset, version), `len` long; compressible when `text`.
pub fn value(offset: u32, version: u32, len: usize, text: bool) -> Vec<u8> {
    let mut x = (offset as u64) << 32 | version as u64 | 1;
    (0..len)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            const TEXT: &[u8] = b"{\"key\": \"value\", 0123456789}";
            if text {
                TEXT[(x % TEXT.len() as u64) as usize]
            } else {
                (x >> 11) as u8 ^ i as u8
            }
        })
        .collect()
}
