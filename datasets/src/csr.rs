//! Sparse matrices in the big-ann-benchmarks CSR layout.
//!
//! | bytes | field |
//! | --- | --- |
//! | 8 | `n_rows`, i64 little endian |
//! | 8 | `n_cols`, i64 |
//! | 8 | `nnz`, i64 |
//! | 8 · (n_rows + 1) | `indptr`, i64: row `r` holds entries `indptr[r]..indptr[r + 1]` |
//! | 4 · nnz | `indices`, i32 column of each entry |
//! | 4 · nnz | `data`, f32 value of each entry |
//!
//! The file must be exactly that long; `indptr` starts at 0, never decreases and ends at `nnz`;
//! every column is below `n_cols`; every value is finite.

use crate::error::{Error, Result};
use crate::file_io::Bytes;
use std::io::Write;
use std::path::Path;

/// A sparse matrix in CSR form.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SparseMatrix {
    /// Number of columns (the vocabulary size for text).
    pub n_cols: usize,
    /// Row `r` holds entries `indptr[r]..indptr[r + 1]`; `indptr.len() == n_rows + 1`.
    pub indptr: Vec<u64>,
    /// Column of each entry.
    pub indices: Vec<u32>,
    /// Value of each entry.
    pub data: Vec<f32>,
}

impl SparseMatrix {
    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.indptr.len().saturating_sub(1)
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Columns and values of row `r`. Panics when `r >= n_rows()`.
    pub fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let (s, e) = (self.indptr[r] as usize, self.indptr[r + 1] as usize);
        (&self.indices[s..e], &self.data[s..e])
    }

    /// Reads and validates a CSR file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        Self::parse(&Bytes::map(path)?, path)
    }

    /// Parses and validates the bytes of a CSR file. `path` only labels errors.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self> {
        let header = |i: usize, name: &str| -> Result<u64> {
            let b = bytes
                .get(i * 8..i * 8 + 8)
                .ok_or_else(|| Error::Truncated {
                    path: path.into(),
                    offset: (i * 8) as u64,
                    what: format!("the 8-byte {name} header"),
                })?;
            let v = i64::from_le_bytes(b.try_into().expect("8 bytes"));
            u64::try_from(v).map_err(|_| Error::BadHeader {
                path: path.into(),
                offset: (i * 8) as u64,
                what: format!("{name} is negative ({v})"),
            })
        };
        let (n_rows, n_cols, nnz) = (
            header(0, "n_rows")?,
            header(1, "n_cols")?,
            header(2, "nnz")?,
        );
        let overflow = || Error::BadHeader {
            path: path.into(),
            offset: 0,
            what: format!("sizes overflow (n_rows {n_rows}, nnz {nnz})"),
        };
        let indptr_bytes = n_rows
            .checked_add(1)
            .and_then(|n| n.checked_mul(8))
            .ok_or_else(overflow)?;
        let expected = nnz
            .checked_mul(8)
            .and_then(|n| n.checked_add(indptr_bytes))
            .and_then(|n| n.checked_add(24))
            .ok_or_else(overflow)?;
        if (bytes.len() as u64) < expected {
            return Err(Error::Truncated {
                path: path.into(),
                offset: bytes.len() as u64,
                what: format!("{expected} bytes for {n_rows} rows and {nnz} entries"),
            });
        }
        if bytes.len() as u64 > expected {
            return Err(Error::InvalidData {
                path: path.into(),
                location: format!("byte {expected}"),
                what: format!("{} bytes after the matrix", bytes.len() as u64 - expected),
            });
        }
        let (n_rows, nnz, n_cols) = (n_rows as usize, nnz as usize, n_cols as usize);
        let invalid = |location: String, what: String| Error::InvalidData {
            path: path.into(),
            location,
            what,
        };
        let indptr_at = 24;
        let indices_at = indptr_at + 8 * (n_rows + 1);
        let data_at = indices_at + 4 * nnz;
        let mut indptr = Vec::with_capacity(n_rows + 1);
        for (r, c) in bytes[indptr_at..indices_at].chunks_exact(8).enumerate() {
            let v = i64::from_le_bytes(c.try_into().expect("8 bytes"));
            let prev = indptr.last().copied().unwrap_or(0);
            if v < prev as i64 || v as u64 > nnz as u64 || (r == 0 && v != 0) {
                return Err(invalid(
                    format!("indptr[{r}]"),
                    format!("{v} breaks 0 = indptr[0] <= ... <= indptr[n_rows] = nnz ({nnz})"),
                ));
            }
            indptr.push(v as u64);
        }
        if indptr.last().copied() != Some(nnz as u64) {
            return Err(invalid(
                format!("indptr[{n_rows}]"),
                format!("does not end at nnz ({nnz})"),
            ));
        }
        let mut indices = Vec::with_capacity(nnz);
        for (i, c) in bytes[indices_at..data_at].chunks_exact(4).enumerate() {
            let col = i32::from_le_bytes(c.try_into().expect("4 bytes"));
            if col < 0 || col as usize >= n_cols {
                return Err(invalid(
                    format!("entry {i}"),
                    format!("column {col} outside 0..{n_cols}"),
                ));
            }
            indices.push(col as u32);
        }
        let mut data = Vec::with_capacity(nnz);
        for (i, c) in bytes[data_at..].chunks_exact(4).enumerate() {
            let v = f32::from_le_bytes(c.try_into().expect("4 bytes"));
            if !v.is_finite() {
                return Err(invalid(
                    format!("entry {i}"),
                    format!("value {v} is not finite"),
                ));
            }
            data.push(v);
        }
        Ok(Self {
            n_cols,
            indptr,
            indices,
            data,
        })
    }

    /// Writes the matrix as a CSR file (after checking it is consistent).
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let consistent = self.indptr.first() == Some(&0)
            && self.indptr.windows(2).all(|w| w[0] <= w[1])
            && self.indptr.last().copied() == Some(self.nnz() as u64)
            && self.data.len() == self.nnz()
            && self.indices.iter().all(|&c| (c as usize) < self.n_cols);
        if !consistent {
            return Err(Error::InvalidArgument("inconsistent CSR matrix".into()));
        }
        let mut out = crate::file_io::create(path)?;
        let mut put = |b: &[u8]| out.write_all(b).map_err(|e| Error::io(path, e));
        for v in [self.n_rows(), self.n_cols, self.nnz()] {
            put(&(v as i64).to_le_bytes())?;
        }
        for &p in &self.indptr {
            put(&(p as i64).to_le_bytes())?;
        }
        for &c in &self.indices {
            put(&(c as i32).to_le_bytes())?;
        }
        for &v in &self.data {
            put(&v.to_le_bytes())?;
        }
        crate::file_io::finish(out, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SparseMatrix {
        SparseMatrix {
            n_cols: 10,
            indptr: vec![0, 2, 2, 3],
            indices: vec![1, 7, 9],
            data: vec![0.5, 1.5, -2.0],
        }
    }

    #[test]
    fn round_trip_and_rows() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.csr");
        sample().write(&p).unwrap();
        let m = SparseMatrix::read(&p).unwrap();
        assert_eq!(m, sample());
        assert_eq!(m.n_rows(), 3);
        assert_eq!(m.row(0), (&[1u32, 7][..], &[0.5f32, 1.5][..]));
        assert_eq!(m.row(1).0.len(), 0);
    }

    #[test]
    fn every_truncation_and_bad_field_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.csr");
        sample().write(&p).unwrap();
        let good = std::fs::read(&p).unwrap();
        for cut in 0..good.len() {
            assert!(SparseMatrix::parse(&good[..cut], &p).is_err(), "cut {cut}");
        }
        let mut extra = good.clone();
        extra.push(0);
        assert!(SparseMatrix::parse(&extra, &p).is_err());
        let patch = |at: usize, b: &[u8]| {
            let mut v = good.clone();
            v[at..at + b.len()].copy_from_slice(b);
            SparseMatrix::parse(&v, &p)
        };
        assert!(patch(0, &(-1i64).to_le_bytes()).is_err(), "negative n_rows");
        assert!(patch(16, &i64::MAX.to_le_bytes()).is_err(), "huge nnz");
        assert!(
            patch(24 + 8, &5i64.to_le_bytes()).is_err(),
            "indptr past nnz"
        );
        assert!(
            patch(24 + 32, &10i32.to_le_bytes()).is_err(),
            "column == n_cols"
        );
        assert!(
            patch(24 + 32 + 12, &f32::NAN.to_le_bytes()).is_err(),
            "NaN value"
        );
    }
}
