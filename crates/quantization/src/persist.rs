//! Codec files. Little endian; format version 1.
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 8 | magic `SXTQUANT` |
//! | 8 | 4 | version (1) |
//! | 12 | 4 | codec: 1 = scalar int8 |
//! | 16 | 4 | distance: 0 Cosine, 1 Dot, 2 Euclid, 3 Manhattan |
//! | 20 | 4 | dimension `d` |
//! | 24 | 8 | number of vectors `n` |
//! | 32 | 4 | grid low end `lo` (f32) |
//! | 36 | 4 | grid step (f32) |
//! | 40 | 24 | reserved (0) |
//! | 64 | n · (d + 4) | per vector: `d` codes (u8), then the correction term (f32) |
//! | end − 4 | 4 | CRC32C of every byte before it |

use std::path::Path;

use sextant_core::Distance;

use crate::{Error, Result, ScalarInt8};

const MAGIC: [u8; 8] = *b"SXTQUANT";
const VERSION: u32 = 1;
const HEADER: usize = 64;
const CODEC_SCALAR_INT8: u32 = 1;

fn corrupt(offset: usize, what: impl Into<String>) -> Error {
    Error::Corrupt {
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

impl ScalarInt8 {
    /// The codes and grid as bytes (format above).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(HEADER + self.data.len() + 4);
        b.extend_from_slice(&MAGIC);
        for v in [
            VERSION,
            CODEC_SCALAR_INT8,
            distance_code(self.distance),
            self.dim as u32,
        ] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&(self.len() as u64).to_le_bytes());
        b.extend_from_slice(&self.lo.to_le_bytes());
        b.extend_from_slice(&self.step.to_le_bytes());
        b.resize(HEADER, 0);
        b.extend_from_slice(&self.data);
        let crc = crc32c::crc32c(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        b
    }

    /// Parses and validates a codec file.
    pub fn from_bytes(b: &[u8]) -> Result<Self> {
        if b.len() < HEADER + 4 {
            return Err(corrupt(
                b.len(),
                format!("{} bytes is shorter than the header", b.len()),
            ));
        }
        if b[..8] != MAGIC {
            return Err(corrupt(0, "not a sextant-quantization file (bad magic)"));
        }
        let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
        let f32_at = |o: usize| f32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
        if u32_at(8) != VERSION {
            return Err(corrupt(
                8,
                format!("version {}, this build reads {VERSION}", u32_at(8)),
            ));
        }
        if u32_at(12) != CODEC_SCALAR_INT8 {
            return Err(corrupt(
                12,
                format!("codec {} is not scalar int8 (1)", u32_at(12)),
            ));
        }
        let crc_at = b.len() - 4;
        if crc32c::crc32c(&b[..crc_at]) != u32_at(crc_at) {
            return Err(corrupt(crc_at, "checksum mismatch (the file is damaged)"));
        }
        let distance = match u32_at(16) {
            0 => Distance::Cosine,
            1 => Distance::Dot,
            2 => Distance::Euclid,
            3 => Distance::Manhattan,
            other => return Err(corrupt(16, format!("unknown distance code {other}"))),
        };
        let dim = u32_at(20) as usize;
        let n = u64::from_le_bytes(b[24..32].try_into().expect("8 bytes"));
        let (lo, step) = (f32_at(32), f32_at(36));
        if dim == 0 || !lo.is_finite() || !(step.is_finite() && step > 0.0) {
            return Err(corrupt(
                20,
                format!("dimension {dim}, grid ({lo}, step {step}) is not usable"),
            ));
        }
        let size = usize::try_from(n).ok().and_then(|n| n.checked_mul(dim + 4));
        if size != Some(crc_at - HEADER) {
            return Err(corrupt(
                24,
                format!(
                    "{n} vectors of {dim} dims do not fill the {} bytes of codes",
                    crc_at - HEADER
                ),
            ));
        }
        let codec = Self {
            dim,
            distance,
            lo,
            step,
            data: b[HEADER..crc_at].to_vec(),
        };
        if let Some(p) = (0..codec.len()).find(|&p| !codec.correction(p as u32).is_finite()) {
            return Err(corrupt(
                HEADER + p * (dim + 4) + dim,
                "non-finite correction term",
            ));
        }
        Ok(codec)
    }

    /// Saves to `path` atomically (temporary file, fsync, rename, fsync of the directory).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        sextant_mmap_advice::atomic_write(path, &self.to_bytes()).map_err(|e| Error::Io {
            path: path.into(),
            what: e.to_string(),
        })
    }

    /// Loads a file written by [`save`](Self::save).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::Io {
            path: path.into(),
            what: format!("read: {e}"),
        })?;
        Self::from_bytes(&bytes)
    }
}
