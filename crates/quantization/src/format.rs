//! The codec file format. Little endian; format version 2. One layout for every codec: a 64-byte
//! header, a codec-specific body, and a CRC32C of everything before it.
//!
//! Version 2 changed only the order of the vectors inside a product fast-scan block (see
//! [`ProductFastScan`](crate::ProductFastScan)). Version 1 files are still read: their fast-scan blocks are
//! rewritten in the new order in RAM (so a mapped version 1 fast-scan file is not read in
//! place), and every other codec's body is the same in both versions.
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 8 | magic `SXTQUANT` |
//! | 8 | 4 | version (2; 1 is read) |
//! | 12 | 4 | codec: 1 = scalar int8, 2 = RaBitQ, 3 = TurboQuant, 4 = product, 5 = binary, 6 = scalar int8 per dimension, 7 = product fast scan, 8 = scalar int4 per dimension, 9 = PCA scalar |
//! | 16 | 4 | distance: 0 Cosine, 1 Dot, 2 Euclid, 3 Manhattan |
//! | 20 | 4 | dimension `d` |
//! | 24 | 8 | number of vectors `n` |
//! | 32 | 32 | codec parameters (below), zero-padded |
//! | 64 | … | body (below) |
//! | end − 4 | 4 | CRC32C of every byte before it |
//!
//! Scalar int8: parameters `lo` (f32 at 32) and `step` (f32 at 36); body `n` records of
//! `d` codes (u8) and the correction term (f32).
//!
//! RaBitQ: parameters `bits` (u32 at 32) and the rotation seed (u64 at 40); body the centroid
//! (`d` f32), then `n` records as laid out in the RaBitQ module docs
//! (`bits·⌈d/64⌉·8 + 12` bytes each).
//!
//! TurboQuant: parameters `bits` (u32 at 32), calibrated (u32 at 36: 0 or 1) and the rotation
//! seed (u64 at 40); body the per-coordinate means and deviations (`d` f32 each), then `n`
//! records as laid out in the TurboQuant module docs. The codebook is recomputed from `bits`.
//!
//! Product: parameter `m` (u32 at 32); body the `m` codebooks (`256 × d/m` f32 each, sub-space
//! by sub-space), then `n` records of `m` bytes.
//!
//! Binary: parameters the encoding in tenths of a bit (u32 at 32: 10, 15 or 20) and the query
//! bits (u32 at 36: 4 or 8); body the per-coordinate means and deviations (`d` f32 each), then
//! `n` records as laid out in the binary module docs.
//!
//! Product fast scan: parameter `m` (u32 at 32); body the `m` codebooks (`16 × d/m` f32 each),
//! then `⌈n/32⌉` blocks of `16·m` bytes as laid out in the fast-scan module docs (the last
//! one zero-padded).
//!
//! Scalar int8 per dimension: no parameters; body the per-dimension low ends and bin widths
//! (`d` f32 each), then `n` records of `d` codes shifted to i8 (and for Euclid the decoded squared
//! norm, f32).
//!
//! Scalar int4 per dimension: no parameters; body the per-dimension low ends and bin widths
//! (`d` f32 each), then `n` records of `⌈d/2⌉` bytes of packed codes as laid out in the
//! `scalar_int4` module docs (and for Euclid the decoded squared norm, f32).
//!
//! PCA scalar: parameters the bits per dimension trained for (u32 at 32) and the numbers of
//! components kept on 8 and on 4 bits, `n8` (u32 at 36) and `n4` (u32 at 40), `k = n8 + n4 ≤
//! d`; body the mean (`d` f32), the kept components (`k` rows of `d` f32), their grids' low
//! ends and bin widths (`k` f32 each), then `n` records as laid out in the `scalar_pca` module
//! docs.

use crate::{Error, Result};

/// The first bytes of every codec file.
pub const MAGIC: [u8; 8] = *b"SXTQUANT";
/// The version this build writes.
pub const VERSION: u32 = 2;
/// The oldest version this build reads.
pub const OLDEST_VERSION: u32 = 1;
/// Bytes of the header before a codec's body.
pub const HEADER_BYTES: usize = 64;

/// The codec field of the header (offset 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
#[non_exhaustive]
pub enum CodecId {
    /// [`ScalarInt8`](crate::ScalarInt8).
    ScalarInt8 = 1,
    /// [`RaBitQ`](crate::RaBitQ).
    RaBitQ = 2,
    /// [`TurboQuant`](crate::TurboQuant).
    TurboQuant = 3,
    /// [`ProductQuantizer`](crate::ProductQuantizer).
    Product = 4,
    /// [`Binary`](crate::Binary).
    Binary = 5,
    /// [`ScalarInt8PerDim`](crate::ScalarInt8PerDim).
    ScalarInt8PerDim = 6,
    /// [`ProductFastScan`](crate::ProductFastScan).
    ProductFastScan = 7,
    /// [`ScalarInt4PerDim`](crate::ScalarInt4PerDim).
    ScalarInt4PerDim = 8,
    /// [`ScalarPca`](crate::ScalarPca).
    ScalarPca = 9,
}

impl CodecId {
    /// The id stored at offset 12, if it names a codec.
    pub fn from_u32(id: u32) -> Option<Self> {
        Some(match id {
            1 => Self::ScalarInt8,
            2 => Self::RaBitQ,
            3 => Self::TurboQuant,
            4 => Self::Product,
            5 => Self::Binary,
            6 => Self::ScalarInt8PerDim,
            7 => Self::ProductFastScan,
            8 => Self::ScalarInt4PerDim,
            9 => Self::ScalarPca,
            _ => return None,
        })
    }
}

/// Which codec a file's header names, after checking its magic and version (the rest of
/// the file is checked by that codec's reader).
pub fn codec_of(b: &[u8]) -> Result<CodecId> {
    let corrupt = |offset: u64, what: String| Error::Corrupt {
        path: None,
        offset,
        what,
    };
    if b.len() < 16 {
        return Err(corrupt(
            0,
            format!("{} bytes is too short for a codec header", b.len()),
        ));
    }
    if b[..8] != MAGIC {
        return Err(corrupt(0, "not a codec file (bad magic)".into()));
    }
    let word = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
    let version = word(8);
    if !(OLDEST_VERSION..=VERSION).contains(&version) {
        return Err(corrupt(
            8,
            format!("version {version}, this build reads {OLDEST_VERSION} to {VERSION}"),
        ));
    }
    CodecId::from_u32(word(12)).ok_or_else(|| corrupt(12, format!("unknown codec id {}", word(12))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_name_their_codec() {
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&VERSION.to_le_bytes());
        b.extend_from_slice(&8u32.to_le_bytes());
        assert_eq!(codec_of(&b).unwrap(), CodecId::ScalarInt4PerDim);
        for id in 1..=9 {
            assert_eq!(CodecId::from_u32(id).map(|c| c as u32), Some(id));
        }
        b[12] = 10;
        assert!(codec_of(&b).is_err());
        b[12] = 8;
        b[8] = 3;
        assert!(codec_of(&b).is_err());
        assert!(codec_of(&b[..10]).is_err());
        assert!(codec_of(b"NOTQUANT\x02\0\0\0\x01\0\0\0").is_err());
    }
}
