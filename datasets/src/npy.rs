//! NumPy `.npy` files holding a 2-D little-endian float array (`<f4` or `<f2`, C order).
//!
//! Layout: magic `\x93NUMPY`, major and minor version bytes, a header length (u16 in version
//! 1, u32 in versions 2 and 3), an ASCII Python-dict header with `descr`, `fortran_order` and
//! `shape`, padded so the data starts at a multiple of 64 bytes; then the raw values.

use crate::error::{Error, Result};
use crate::file_io::Bytes;
use half::f16;
use sextant_core::DenseVectors;
use std::io::Write;
use std::path::Path;

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Element type of an npy array this crate reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NpyDtype {
    /// `<f4`
    F32,
    /// `<f2`
    F16,
}

impl NpyDtype {
    fn descr(self) -> &'static str {
        match self {
            Self::F32 => "<f4",
            Self::F16 => "<f2",
        }
    }
    fn size(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::F16 => 2,
        }
    }
}

/// A 2-D float array read from an npy file.
#[derive(Debug, Clone, PartialEq)]
pub enum NpyMatrix {
    /// `<f4` values.
    F32(DenseVectors<f32>),
    /// `<f2` values.
    F16(DenseVectors<f16>),
}

/// Reads a 2-D `<f4` or `<f2` npy file.
pub fn read_npy(path: impl AsRef<Path>) -> Result<NpyMatrix> {
    let path = path.as_ref();
    parse_npy(&Bytes::map(path)?, path)
}

/// Parses the bytes of a 2-D `<f4` or `<f2` npy file. `path` only labels errors.
pub fn parse_npy(bytes: &[u8], path: &Path) -> Result<NpyMatrix> {
    let bad = |offset: usize, what: String| Error::BadHeader {
        path: path.into(),
        offset: offset as u64,
        what,
    };
    let truncated = |offset: usize, what: &str| Error::Truncated {
        path: path.into(),
        offset: offset as u64,
        what: what.into(),
    };
    if bytes.len() < 10 {
        return Err(truncated(bytes.len(), "the 10-byte npy preamble"));
    }
    if &bytes[..6] != MAGIC {
        return Err(bad(0, "not an npy file (magic \\x93NUMPY missing)".into()));
    }
    let (header_start, header_len) = match bytes[6] {
        1 => (10, u16::from_le_bytes([bytes[8], bytes[9]]) as usize),
        2 | 3 => {
            let b = bytes
                .get(8..12)
                .ok_or_else(|| truncated(8, "a 4-byte header length"))?;
            (
                12,
                u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize,
            )
        }
        v => return Err(bad(6, format!("unsupported npy version {v}"))),
    };
    let data_start = header_start + header_len;
    let header = bytes
        .get(header_start..data_start)
        .ok_or_else(|| truncated(header_start, "the header dict"))?;
    let header =
        std::str::from_utf8(header).map_err(|_| bad(header_start, "header is not text".into()))?;
    let dtype = match dict_value(header, "descr") {
        Some(d) if d.trim_matches(['\'', '"']) == "<f4" => NpyDtype::F32,
        Some(d) if d.trim_matches(['\'', '"']) == "<f2" => NpyDtype::F16,
        other => {
            return Err(bad(
                header_start,
                format!("descr {other:?}: only '<f4' and '<f2' are supported"),
            ));
        }
    };
    if dict_value(header, "fortran_order") != Some("False") {
        return Err(bad(
            header_start,
            "only C-order (fortran_order: False) arrays are supported".into(),
        ));
    }
    let shape = dict_value(header, "shape").ok_or_else(|| bad(header_start, "no shape".into()))?;
    let dims: Vec<usize> = shape
        .trim_matches(['(', ')'])
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| {
            bad(
                header_start,
                format!("shape {shape} is not a tuple of integers"),
            )
        })?;
    let [rows, cols] = dims[..] else {
        return Err(bad(
            header_start,
            format!("shape {shape}: only 2-D arrays are supported"),
        ));
    };
    if cols == 0 {
        return Err(bad(header_start, "zero columns".into()));
    }
    let expected = rows
        .checked_mul(cols)
        .and_then(|n| n.checked_mul(dtype.size()))
        .ok_or_else(|| bad(header_start, format!("shape {shape} overflows")))?;
    let data = &bytes[data_start..];
    if data.len() < expected {
        return Err(truncated(
            data_start + data.len(),
            &format!("{expected} bytes of data for shape {shape}"),
        ));
    }
    if data.len() > expected {
        return Err(Error::InvalidData {
            path: path.into(),
            location: format!("byte {}", data_start + expected),
            what: format!("{} bytes after the array", data.len() - expected),
        });
    }
    let invalid = |e: sextant_core::Error| bad(header_start, e.to_string());
    Ok(match dtype {
        NpyDtype::F32 => {
            let v = data
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4")))
                .collect();
            NpyMatrix::F32(DenseVectors::from_flat(cols, v).map_err(invalid)?)
        }
        NpyDtype::F16 => {
            let v = data
                .chunks_exact(2)
                .map(|c| f16::from_le_bytes([c[0], c[1]]))
                .collect();
            NpyMatrix::F16(DenseVectors::from_flat(cols, v).map_err(invalid)?)
        }
    })
}

/// The raw text of `key`'s value in a Python dict literal like
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let start = header.find(&format!("'{key}'"))? + key.len() + 2;
    let rest = header[start..].trim_start().strip_prefix(':')?.trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')')? + 1
    } else {
        rest.find([',', '}'])?
    };
    Some(rest[..end].trim())
}

fn write_npy_bytes(
    path: &Path,
    dtype: NpyDtype,
    rows: usize,
    cols: usize,
    data: &[u8],
) -> Result<()> {
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': ({rows}, {cols}), }}",
        dtype.descr()
    );
    // Pad with spaces so that the data starts at a multiple of 64 bytes; end with '\n'.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    let header_len = u16::try_from(header.len())
        .map_err(|_| Error::InvalidArgument("npy header longer than 65535 bytes".into()))?;
    let mut out = Vec::with_capacity(10 + header.len() + data.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&header_len.to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    let mut f = crate::file_io::create(path)?;
    f.write_all(&out).map_err(|e| Error::io(path, e))?;
    crate::file_io::finish(f, path)
}

/// Writes a 2-D `<f4` npy file.
pub fn write_npy_f32(path: impl AsRef<Path>, m: &DenseVectors<f32>) -> Result<()> {
    use sextant_core::DenseVectorSource;
    let data: Vec<u8> = m.as_flat().iter().flat_map(|x| x.to_le_bytes()).collect();
    write_npy_bytes(path.as_ref(), NpyDtype::F32, m.len(), m.dim(), &data)
}

/// Writes a 2-D `<f2` npy file.
pub fn write_npy_f16(path: impl AsRef<Path>, m: &DenseVectors<f16>) -> Result<()> {
    use sextant_core::DenseVectorSource;
    let data: Vec<u8> = m.as_flat().iter().flat_map(|x| x.to_le_bytes()).collect();
    write_npy_bytes(path.as_ref(), NpyDtype::F16, m.len(), m.dim(), &data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_f32_and_f16() {
        let dir = tempfile::tempdir().unwrap();
        let m = DenseVectors::from_flat(3, vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let p = dir.path().join("a.npy");
        write_npy_f32(&p, &m).unwrap();
        assert_eq!(read_npy(&p).unwrap(), NpyMatrix::F32(m.clone()));
        let bytes = std::fs::read(&p).unwrap();
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0, "data is 64-byte aligned");
        let h = DenseVectors::from_flat(2, vec![f16::from_f32(0.5), f16::from_f32(-2.0)]).unwrap();
        write_npy_f16(&p, &h).unwrap();
        assert_eq!(read_npy(&p).unwrap(), NpyMatrix::F16(h));
    }

    #[test]
    fn reads_the_header_numpy_writes() {
        // Byte-for-byte what numpy 2.x writes for np.zeros((2, 3), dtype='<f4') (header part).
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&[1, 0]);
        let padded = format!("{header:<117}\n");
        b.extend_from_slice(&(padded.len() as u16).to_le_bytes());
        b.extend_from_slice(padded.as_bytes());
        b.extend_from_slice(&[0u8; 24]);
        let NpyMatrix::F32(m) = parse_npy(&b, Path::new("z")).unwrap() else {
            panic!("f32")
        };
        assert_eq!(m.as_flat(), &[0.0; 6]);
        for cut in 0..b.len() {
            assert!(parse_npy(&b[..cut], Path::new("z")).is_err(), "cut {cut}");
        }
        let at = b.windows(5).position(|w| w == b"False").unwrap();
        let mut fortran = b.clone();
        fortran[at..at + 5].copy_from_slice(b"True ");
        let err = parse_npy(&fortran, Path::new("z")).unwrap_err();
        assert!(err.to_string().contains("fortran_order"), "{err}");
    }
}
