//! The texmex formats: `.fvecs` (f32), `.ivecs` (i32) and `.bvecs` (u8).
//!
//! Each vector is stored as a little-endian `i32` dimension followed by `dim` values. Every
//! row must have the same dimension. Files are memory-mapped and rows are read in place.

use crate::error::{Error, Result};
use crate::file_io::Bytes;
use bytemuck::Pod;
use sextant_core::{DenseVectorSource, DenseVectors, PointOffset};
use std::io::Write;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

/// Largest dimension accepted in a header (guards against reading garbage as a size).
pub const MAX_DIM: usize = 1 << 20;

/// A value type of a texmex file.
pub trait VecsElement: Pod + Send + Sync + 'static {
    /// The usual file extension (`fvecs`, `ivecs`, `bvecs`).
    const EXTENSION: &'static str;
}
impl VecsElement for f32 {
    const EXTENSION: &'static str = "fvecs";
}
impl VecsElement for i32 {
    const EXTENSION: &'static str = "ivecs";
}
impl VecsElement for u8 {
    const EXTENSION: &'static str = "bvecs";
}

/// Shape of a validated texmex file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VecsShape {
    /// Values per row (0 for an empty file).
    pub dim: usize,
    /// Number of rows.
    pub len: usize,
}

/// Validates the bytes of a texmex file of `T` values and returns its shape.
/// `path` only labels errors.
pub fn parse_vecs<T: VecsElement>(bytes: &[u8], path: &Path) -> Result<VecsShape> {
    if bytes.is_empty() {
        return Ok(VecsShape { dim: 0, len: 0 });
    }
    let header = |offset: usize| -> Result<i32> {
        match bytes.get(offset..offset + 4) {
            Some(b) => Ok(i32::from_le_bytes(b.try_into().expect("4 bytes"))),
            None => Err(Error::Truncated {
                path: path.into(),
                offset: offset as u64,
                what: "a 4-byte dimension header".into(),
            }),
        }
    };
    let first = header(0)?;
    if first <= 0 || first as usize > MAX_DIM {
        return Err(Error::BadHeader {
            path: path.into(),
            offset: 0,
            what: format!("dimension {first} is outside 1..={MAX_DIM}"),
        });
    }
    let dim = first as usize;
    let row_bytes = 4 + dim * size_of::<T>();
    let len = bytes.len() / row_bytes;
    for row in 0..len {
        let found = header(row * row_bytes)?;
        if found != first {
            return Err(Error::InconsistentDim {
                path: path.into(),
                row,
                expected: dim,
                found: found.max(0) as usize,
            });
        }
    }
    if !bytes.len().is_multiple_of(row_bytes) {
        return Err(Error::Truncated {
            path: path.into(),
            offset: (len * row_bytes) as u64,
            what: format!(
                "row {len} needs {row_bytes} bytes, {} remain",
                bytes.len() - len * row_bytes
            ),
        });
    }
    Ok(VecsShape { dim, len })
}

/// A validated texmex file, memory-mapped; rows are slices into the map.
#[derive(Debug)]
pub struct VecsFile<T> {
    bytes: Bytes,
    shape: VecsShape,
    path: PathBuf,
    _values: PhantomData<T>,
}

impl<T: VecsElement> VecsFile<T> {
    /// Maps and validates `path` (every row header is checked).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        Self::from_bytes(Bytes::map(path)?, path)
    }

    /// Validates in-memory bytes (tests, fuzzing).
    pub fn from_vec(bytes: Vec<u8>, label: impl AsRef<Path>) -> Result<Self> {
        Self::from_bytes(Bytes::Owned(bytes), label.as_ref())
    }

    fn from_bytes(bytes: Bytes, path: &Path) -> Result<Self> {
        let shape = parse_vecs::<T>(&bytes, path)?;
        let file = Self {
            bytes,
            shape,
            path: path.into(),
            _values: PhantomData,
        };
        // Owned buffers (unlike page-aligned maps) may be misaligned for T: check once here so
        // that `row` can never fail.
        if file.shape.len > 0 && bytemuck::try_cast_slice::<u8, T>(file.row_bytes(0)).is_err() {
            return Ok(file.realigned());
        }
        Ok(file)
    }

    /// Copies the rows into a 4-byte aligned buffer when the input was misaligned.
    fn realigned(self) -> Self {
        let words: Vec<u32> = self
            .bytes
            .chunks(4)
            .map(|c| {
                let mut w = [0u8; 4];
                w[..c.len()].copy_from_slice(c);
                u32::from_le_bytes(w)
            })
            .collect();
        let mut aligned: Vec<u8> = bytemuck::allocation::cast_vec(words);
        aligned.truncate(self.bytes.len());
        Self {
            bytes: Bytes::Owned(aligned),
            ..self
        }
    }

    fn row_bytes(&self, i: usize) -> &[u8] {
        let row = 4 + self.shape.dim * size_of::<T>();
        &self.bytes[i * row + 4..(i + 1) * row]
    }

    /// Values per row (0 for an empty file).
    pub fn dim(&self) -> usize {
        self.shape.dim
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.shape.len
    }

    /// True when the file holds no rows.
    pub fn is_empty(&self) -> bool {
        self.shape.len == 0
    }

    /// The file this was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Row `i`, in place. Panics when `i >= len()`.
    pub fn row(&self, i: usize) -> &[T] {
        assert!(
            i < self.shape.len,
            "row {i} out of range ({} rows)",
            self.shape.len
        );
        bytemuck::cast_slice(self.row_bytes(i))
    }

    /// Iterates over the rows.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &[T]> + '_ {
        (0..self.shape.len).map(|i| self.row(i))
    }

    /// Copies the rows into one contiguous buffer (what the kernels scan fastest).
    pub fn to_dense(&self) -> Result<DenseVectors<T>> {
        let mut data = sextant_mmap_advice::huge_page_vec(self.shape.dim * self.shape.len);
        self.rows().for_each(|r| data.extend_from_slice(r));
        DenseVectors::from_flat(self.shape.dim.max(1), data)
            .map_err(|e| Error::InvalidArgument(format!("{}: {e}", self.path.display())))
    }
}

impl<T: VecsElement> DenseVectorSource for VecsFile<T> {
    type Element = T;
    fn dim(&self) -> usize {
        self.shape.dim
    }
    fn len(&self) -> usize {
        self.shape.len
    }
    fn vector(&self, offset: PointOffset) -> &[T] {
        self.row(offset as usize)
    }
}

/// Writes rows of `dim` values as a texmex file (rows of another length are an error).
pub fn write_vecs<'a, T: VecsElement>(
    path: impl AsRef<Path>,
    dim: usize,
    rows: impl IntoIterator<Item = &'a [T]>,
) -> Result<()> {
    let path = path.as_ref();
    if dim == 0 || dim > MAX_DIM {
        return Err(Error::InvalidArgument(format!(
            "dimension {dim} is outside 1..={MAX_DIM}"
        )));
    }
    let mut out = crate::file_io::create(path)?;
    for (i, row) in rows.into_iter().enumerate() {
        if row.len() != dim {
            return Err(Error::InconsistentDim {
                path: path.into(),
                row: i,
                expected: dim,
                found: row.len(),
            });
        }
        out.write_all(&(dim as i32).to_le_bytes())
            .map_err(|e| Error::io(path, e))?;
        out.write_all(bytemuck::cast_slice(row))
            .map_err(|e| Error::io(path, e))?;
    }
    crate::file_io::finish(out, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fvecs_bytes(rows: &[&[f32]]) -> Vec<u8> {
        let mut b = Vec::new();
        for r in rows {
            b.extend_from_slice(&(r.len() as i32).to_le_bytes());
            r.iter().for_each(|x| b.extend_from_slice(&x.to_le_bytes()));
        }
        b
    }

    #[test]
    fn round_trip_through_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.fvecs");
        let rows: Vec<Vec<f32>> = vec![vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]];
        write_vecs(&p, 3, rows.iter().map(|r| r.as_slice())).unwrap();
        let f = VecsFile::<f32>::open(&p).unwrap();
        assert_eq!((f.dim(), f.len()), (3, 2));
        assert_eq!(f.row(1), &[4.0, 5.0, 6.0]);
        assert_eq!(
            f.to_dense().unwrap().as_flat(),
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        );
        let b = dir.path().join("x.bvecs");
        write_vecs::<u8>(&b, 2, [[1u8, 2].as_slice(), &[3, 4]]).unwrap();
        assert_eq!(VecsFile::<u8>::open(&b).unwrap().row(1), &[3, 4]);
        assert!(write_vecs::<i32>(dir.path().join("bad"), 2, [[1].as_slice()]).is_err());
    }

    #[test]
    fn malformed_files_are_errors_not_panics() {
        let good = fvecs_bytes(&[&[1.0, 2.0], &[3.0, 4.0]]);
        assert!(VecsFile::<f32>::from_vec(good.clone(), "g").is_ok());
        assert!(
            VecsFile::<f32>::from_vec(Vec::new(), "e")
                .unwrap()
                .is_empty()
        );
        for cut in 1..good.len() {
            let r = VecsFile::<f32>::from_vec(good[..cut].to_vec(), "t");
            if cut == 12 {
                assert_eq!(r.unwrap().len(), 1, "a whole first row is a valid file");
            } else {
                assert!(
                    matches!(r, Err(Error::Truncated { .. })),
                    "cut at {cut}: {r:?}"
                );
            }
        }
        let mixed = fvecs_bytes(&[&[1.0, 2.0], &[3.0]]);
        assert!(matches!(
            VecsFile::<f32>::from_vec(mixed, "m"),
            Err(Error::InconsistentDim { .. } | Error::Truncated { .. })
        ));
        let mut negative = good.clone();
        negative[..4].copy_from_slice(&(-3i32).to_le_bytes());
        assert!(matches!(
            VecsFile::<f32>::from_vec(negative, "n"),
            Err(Error::BadHeader { .. })
        ));
        let mut second = good;
        second[12..16].copy_from_slice(&7i32.to_le_bytes());
        assert!(matches!(
            VecsFile::<f32>::from_vec(second, "s"),
            Err(Error::InconsistentDim {
                row: 1,
                expected: 2,
                found: 7,
                ..
            })
        ));
    }

    #[test]
    fn misaligned_owned_bytes_are_realigned() {
        let good = fvecs_bytes(&[&[1.5, 2.5]]);
        let mut shifted = vec![0u8];
        shifted.extend_from_slice(&good);
        let f = VecsFile::<f32>::from_vec(shifted[1..].to_vec(), "a").unwrap();
        assert_eq!(f.row(0), &[1.5, 2.5]);
    }
}
