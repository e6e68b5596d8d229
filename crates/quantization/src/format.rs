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
//! (`d` f32 each), then `n` records of `h = ⌈d/2⌉` bytes of packed codes, byte `b` holding
//! code `b` in its low nibble and code `h + b` in its high one (and for Euclid the decoded
//! squared norm, f32).
//!
//! PCA scalar: parameters the bits per dimension trained for (u32 at 32) and the numbers of
//! components kept on 8 and on 4 bits, `n8` (u32 at 36) and `n4` (u32 at 40), `k = n8 + n4 ≤
//! d`; body the mean (`d` f32), the kept components (`k` rows of `d` f32), their grids' low
//! ends and bin widths (`k` f32 each), then `n` records as laid out in the `scalar_pca` module
//! docs.

use sextant_core::Distance;
use sextant_mmap_advice::header;

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
    header::check_start(
        b,
        16,
        &MAGIC,
        "sextant-quantization codec",
        OLDEST_VERSION..=VERSION,
    )
    .map_err(damaged)?;
    let id = u32_at(b, 12);
    CodecId::from_u32(id).ok_or_else(|| corrupt(12, format!("unknown codec id {id}")))
}

/// A header error as this crate's error.
fn damaged(e: header::HeaderError) -> Error {
    corrupt(e.offset(), e.to_string())
}

/// The version field of a file whose header was checked.
pub(crate) fn version_of(b: &[u8]) -> u32 {
    u32_at(b, 8)
}

// The header reader and writer every codec's file parts use.

pub(crate) fn corrupt(offset: usize, what: impl Into<String>) -> Error {
    Error::Corrupt {
        path: None,
        offset: offset as u64,
        what: what.into(),
    }
}

fn distance_code(d: Distance) -> u32 {
    match d {
        Distance::Cosine => 0,
        Distance::Dot => 1,
        Distance::Euclid => 2,
        Distance::Manhattan => 3,
    }
}

/// The fields every codec file starts with.
pub(crate) struct Header {
    pub codec: u32,
    pub distance: Distance,
    pub dim: usize,
    pub n: u64,
}

impl Header {
    pub(crate) fn of(codec: CodecId, distance: Distance, dim: usize, len: usize) -> Self {
        Self {
            codec: codec as u32,
            distance,
            dim,
            n: len as u64,
        }
    }
}

/// Writes the header, `params` (at most 32 bytes) and `body`, then the checksum.
pub(crate) fn write_file(header: &Header, params: &[u8], body: &[&[u8]]) -> Vec<u8> {
    let size = HEADER_BYTES + body.iter().map(|b| b.len()).sum::<usize>() + 4;
    let mut b = header::start_file(&MAGIC, VERSION, size);
    for v in [
        header.codec,
        distance_code(header.distance),
        header.dim as u32,
    ] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&header.n.to_le_bytes());
    b.extend_from_slice(params);
    b.resize(HEADER_BYTES, 0);
    body.iter().for_each(|part| b.extend_from_slice(part));
    header::seal(&mut b);
    b
}

/// The u32 at `o` of a file whose header was checked (`o` lies inside it).
pub(crate) fn u32_at(b: &[u8], o: usize) -> u32 {
    header::le_u32(b, o).expect("inside the checked header")
}

/// Checks magic, version, codec and checksum; returns the header and the body.
pub(crate) fn read_file<'a>(b: &'a [u8], id: CodecId, name: &str) -> Result<(Header, &'a [u8])> {
    if b.len() < HEADER_BYTES + 4 {
        return Err(corrupt(
            b.len(),
            format!("{} bytes is shorter than the header", b.len()),
        ));
    }
    let found = codec_of(b)?;
    if found != id {
        return Err(corrupt(
            12,
            format!("codec {} is not {name} ({})", found as u32, id as u32),
        ));
    }
    let crc_at = header::check_seal(b).map_err(damaged)?.len();
    let distance = match u32_at(b, 16) {
        0 => Distance::Cosine,
        1 => Distance::Dot,
        2 => Distance::Euclid,
        3 => Distance::Manhattan,
        other => return Err(corrupt(16, format!("unknown distance code {other}"))),
    };
    let dim = u32_at(b, 20) as usize;
    if dim == 0 {
        return Err(corrupt(20, "dimension 0"));
    }
    let n = u64::from_le_bytes(b[24..32].try_into().expect("8 bytes"));
    Ok((
        Header {
            codec: id as u32,
            distance,
            dim,
            n,
        },
        &b[HEADER_BYTES..crc_at],
    ))
}

/// The two per-dimension arrays that open a codec body (at `HEADER_BYTES`): `d` finite offsets,
/// then `d` finite, positive scales. `names`: the first array, the second, one of its items.
pub(crate) fn offsets_and_scales(
    body: &[u8],
    d: usize,
    names: [&str; 3],
) -> Result<(Vec<f32>, Vec<f32>)> {
    let offsets = finite_f32s(body, d, HEADER_BYTES, names[0])?;
    let scales = finite_f32s(&body[4 * d..], d, HEADER_BYTES + 4 * d, names[1])?;
    match scales.iter().position(|&s| s <= 0.0) {
        Some(i) => Err(corrupt(
            HEADER_BYTES + 4 * (d + i),
            format!("a {} is not positive", names[2]),
        )),
        None => Ok((offsets, scales)),
    }
}

/// Checks that `n` records of `stride` bytes fill `records` exactly.
pub(crate) fn check_records(n: u64, stride: usize, records: &[u8], dim: usize) -> Result<()> {
    let size = usize::try_from(n).ok().and_then(|n| n.checked_mul(stride));
    if size != Some(records.len()) {
        return Err(corrupt(
            24,
            format!(
                "{n} vectors of {dim} dims ({stride} bytes each) do not fill the {} bytes of codes",
                records.len()
            ),
        ));
    }
    Ok(())
}

/// The first of `n` records (of `stride` bytes from byte `at`) whose factors are not finite,
/// as an error.
pub(crate) fn records_finite(
    n: usize,
    stride: usize,
    at: usize,
    finite: impl Fn(u32) -> bool,
) -> Result<()> {
    match (0..n).find(|&p| !finite(p as u32)) {
        Some(p) => Err(corrupt(at + p * stride, "non-finite factors in a record")),
        None => Ok(()),
    }
}

pub(crate) fn f32s_to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// `count` finite f32 at the start of `body` (which sits at `offset` in the file).
pub(crate) fn finite_f32s(
    body: &[u8],
    count: usize,
    offset: usize,
    what: &str,
) -> Result<Vec<f32>> {
    if body.len() < 4 * count {
        return Err(corrupt(offset, format!("the file ends inside the {what}")));
    }
    let v: Vec<f32> = body[..4 * count]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect();
    match v.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(corrupt(
            offset + 4 * i,
            format!("non-finite value in the {what}"),
        )),
        None => Ok(v),
    }
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
