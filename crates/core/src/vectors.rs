//! `DenseVectors`: the plain in-RAM vector source (one contiguous buffer, row-major).

use crate::distance::Distance;
use crate::error::{Error, Result};
use crate::ids::PointOffset;
use crate::traits::DenseVectorSource;
use half::f16;

/// A kernel and the sign that turns its result into a score (`+1` for similarities, `−1` for
/// distances): a score is `sign * kernel(a, b)`.
pub type ScoreKernel<E> = (fn(&[E], &[E]) -> f32, f32);

/// Element types a [`DenseVectors`] can hold and score with a [`Distance`].
pub trait VectorElement: Copy + Send + Sync + 'static {
    /// Converts a prepared f32 vector to this element type.
    fn from_f32_slice(v: &[f32]) -> Vec<Self>;
    /// Score of two vectors under `distance` with kernel table `k` (equal lengths).
    fn score(distance: Distance, k: &crate::Kernels, a: &[Self], b: &[Self]) -> f32 {
        let (kernel, sign) = Self::kernel(distance, k);
        sign * kernel(a, b)
    }
    /// The kernel behind `distance` and the sign that turns its result into a score
    /// (+1 for similarities, −1 for distances): resolved once per scorer, not per pair.
    fn kernel(distance: Distance, k: &crate::Kernels) -> ScoreKernel<Self>;
    /// The kernel scoring one vector against four in one pass (each lane of the first read
    /// once), where there is one for `distance`: f32 dot products. Its results are scores
    /// as they are (sign +1).
    fn kernel4(_distance: Distance, _k: &crate::Kernels) -> Option<ScoreKernel4<Self>> {
        None
    }
}

/// One vector against four: see [`VectorElement::kernel4`].
pub type ScoreKernel4<E> = fn(&[E], [&[E]; 4]) -> [f32; 4];

impl VectorElement for f32 {
    fn from_f32_slice(v: &[f32]) -> Vec<Self> {
        v.to_vec()
    }
    fn kernel(distance: Distance, k: &crate::Kernels) -> ScoreKernel<Self> {
        match distance {
            Distance::Cosine | Distance::Dot => (k.float.dot_f32, 1.0),
            Distance::Euclid => (k.float.l2sq_f32, -1.0),
            Distance::Manhattan => (k.float.l1_f32, -1.0),
        }
    }
    fn kernel4(distance: Distance, k: &crate::Kernels) -> Option<ScoreKernel4<Self>> {
        matches!(distance, Distance::Cosine | Distance::Dot).then_some(k.float.dot4_f32)
    }
}

impl VectorElement for f16 {
    fn from_f32_slice(v: &[f32]) -> Vec<Self> {
        v.iter().map(|&x| f16::from_f32(x)).collect()
    }
    fn kernel(distance: Distance, k: &crate::Kernels) -> ScoreKernel<Self> {
        match distance {
            Distance::Cosine | Distance::Dot => (k.float.dot_f16, 1.0),
            Distance::Euclid => (k.float.l2sq_f16, -1.0),
            Distance::Manhattan => (k.float.l1_f16, -1.0),
        }
    }
}

/// Vectors of one dimension in one contiguous row-major buffer.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseVectors<E> {
    dim: usize,
    data: Vec<E>,
    /// The metric `prepare` prepared every row for; rows pushed later are prepared the same way.
    prepared: Option<Distance>,
}

impl<E: Copy> DenseVectors<E> {
    /// An empty set of `dim`-dimensional vectors.
    pub fn new(dim: usize) -> Result<Self> {
        if dim == 0 {
            return Err(Error::ZeroDimension);
        }
        Ok(Self {
            dim,
            data: Vec::new(),
            prepared: None,
        })
    }

    /// Wraps a row-major buffer of `data.len() / dim` vectors.
    pub fn from_flat(dim: usize, data: Vec<E>) -> Result<Self> {
        if dim == 0 {
            return Err(Error::ZeroDimension);
        }
        if !data.len().is_multiple_of(dim) {
            return Err(Error::RaggedBuffer {
                len: data.len(),
                dim,
            });
        }
        Ok(Self {
            dim,
            data,
            prepared: None,
        })
    }

    /// Appends a vector as it is and returns its offset. On a set [`prepare`d](Self::prepare)
    /// for a metric, use [`push_prepared`](DenseVectors::push_prepared) so the new row is
    /// prepared too.
    pub fn push(&mut self, vector: &[E]) -> Result<PointOffset> {
        if vector.len() != self.dim {
            return Err(Error::DimensionMismatch {
                expected: self.dim,
                got: vector.len(),
            });
        }
        let offset = PointOffset::try_from(self.len()).map_err(|_| Error::OffsetOutOfRange {
            offset: u32::MAX,
            len: self.len(),
        })?;
        self.data.extend_from_slice(vector);
        Ok(offset)
    }

    /// Replaces the vector at `offset` as it is (the counterpart of [`push`](Self::push);
    /// on a prepared set use [`set_prepared`](DenseVectors::set_prepared)). A vector of
    /// another dimension or an offset past the end is an error and changes nothing.
    pub fn set(&mut self, offset: PointOffset, vector: &[E]) -> Result<()> {
        if vector.len() != self.dim {
            return Err(Error::DimensionMismatch {
                expected: self.dim,
                got: vector.len(),
            });
        }
        let at = offset as usize;
        if at >= self.len() {
            return Err(Error::OffsetOutOfRange {
                offset,
                len: self.len(),
            });
        }
        self.data[at * self.dim..(at + 1) * self.dim].copy_from_slice(vector);
        Ok(())
    }

    /// The whole row-major buffer.
    pub fn as_flat(&self) -> &[E] {
        &self.data
    }

    /// Consumes the set, returning the row-major buffer.
    pub fn into_flat(self) -> Vec<E> {
        self.data
    }

    /// Iterates over the vectors in offset order.
    pub fn iter(&self) -> std::slice::ChunksExact<'_, E> {
        self.data.chunks_exact(self.dim)
    }
}

impl DenseVectors<f32> {
    /// Validates every row for `distance` and prepares it in place (see [`Distance::prepare`]);
    /// the set then remembers the metric ([`DenseVectorSource::prepared_for`]), so scorers
    /// can take it from here and refuse another.
    pub fn prepare(&mut self, distance: Distance) -> Result<()> {
        let dim = self.dim;
        self.data
            .chunks_exact_mut(dim)
            .try_for_each(|row| distance.prepare(row, dim))?;
        self.prepared = Some(distance);
        Ok(())
    }

    /// Validates `data` (whole rows, finite values) and prepares every row for `distance`:
    /// [`from_flat`](Self::from_flat) then [`prepare`](Self::prepare).
    pub fn prepared(dim: usize, data: Vec<f32>, distance: Distance) -> Result<Self> {
        let mut v = Self::from_flat(dim, data)?;
        v.prepare(distance)?;
        Ok(v)
    }

    /// Rows already prepared for `distance` (read back from a file written from a prepared
    /// set): checked (whole rows, finite values, cosine rows of norm 1 or 0 within 1e-3), not
    /// rescaled, so they keep their exact bits.
    pub fn from_prepared(dim: usize, data: Vec<f32>, distance: Distance) -> Result<Self> {
        let mut v = Self::from_flat(dim, data)?;
        for row in v.data.chunks_exact(dim) {
            crate::distance::validate(row, dim)?;
            let norm2: f32 = row.iter().map(|x| x * x).sum();
            if distance == Distance::Cosine && norm2 != 0.0 && (norm2 - 1.0).abs() > 1e-3 {
                return Err(crate::Error::NotPrepared { norm2 });
            }
        }
        v.prepared = Some(distance);
        Ok(v)
    }

    /// Replaces the vector at `offset`, validated and prepared as
    /// [`push_prepared`](Self::push_prepared) prepares; an error changes nothing.
    pub fn set_prepared(&mut self, offset: PointOffset, vector: &[f32]) -> Result<()> {
        let mut row = vector.to_vec();
        match self.prepared {
            Some(distance) => distance.prepare(&mut row, self.dim)?,
            None => crate::distance::validate(&row, self.dim)?,
        }
        self.set(offset, &row)
    }

    /// Appends a vector, validated and prepared for the metric the set was prepared for (as
    /// is when it never was), and returns its offset.
    pub fn push_prepared(&mut self, vector: &[f32]) -> Result<PointOffset> {
        let Some(distance) = self.prepared else {
            crate::distance::validate(vector, self.dim)?;
            return self.push(vector);
        };
        let mut row = vector.to_vec();
        distance.prepare(&mut row, self.dim)?;
        self.push(&row)
    }
}

impl<E: Copy> DenseVectorSource for DenseVectors<E> {
    type Element = E;
    fn dim(&self) -> usize {
        self.dim
    }
    fn len(&self) -> usize {
        self.data.len() / self.dim
    }
    #[inline]
    fn vector(&self, offset: PointOffset) -> &[E] {
        let start = offset as usize * self.dim;
        &self.data[start..start + self.dim]
    }
    fn prepared_for(&self) -> Option<Distance> {
        self.prepared
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_prepared_replaces_one_row_prepared_or_nothing() {
        let mut v = DenseVectors::prepared(2, vec![3.0, 4.0, 1.0, 0.0], Distance::Cosine).unwrap();
        v.set_prepared(0, &[0.0, 2.0]).unwrap();
        assert_eq!(v.vector(0), &[0.0, 1.0]);
        assert_eq!(v.vector(1), &[1.0, 0.0]);
        assert!(v.set_prepared(1, &[f32::NAN, 1.0]).is_err());
        assert!(v.set_prepared(1, &[1.0]).is_err());
        assert_eq!(
            v.set_prepared(2, &[1.0, 1.0]),
            Err(Error::OffsetOutOfRange { offset: 2, len: 2 })
        );
        assert_eq!(v.vector(1), &[1.0, 0.0]);
    }

    #[test]
    fn push_checks_dimension_and_rows_come_back() {
        let mut v = DenseVectors::new(2).unwrap();
        assert_eq!(v.push(&[1.0f32, 2.0]).unwrap(), 0);
        assert_eq!(v.push(&[3.0, 4.0]).unwrap(), 1);
        assert_eq!(
            v.push(&[5.0]),
            Err(Error::DimensionMismatch {
                expected: 2,
                got: 1
            })
        );
        assert_eq!(v.len(), 2);
        assert_eq!(v.vector(1), &[3.0, 4.0]);
        assert_eq!(v.iter().count(), 2);
        let ragged = DenseVectors::<f32>::from_flat(3, vec![0.0; 4]).unwrap_err();
        assert_eq!(ragged, Error::RaggedBuffer { len: 4, dim: 3 });
        assert_eq!(
            ragged.to_string(),
            "a flat buffer of 4 values is not whole vectors of 3 dimensions (1 left over)"
        );
        assert_eq!(DenseVectors::<f32>::new(0), Err(Error::ZeroDimension));
    }

    #[test]
    fn from_prepared_keeps_bits_and_checks_rows() {
        let set = DenseVectors::prepared(2, vec![3.0, 4.0, 0.0, 0.0], Distance::Cosine).unwrap();
        let again =
            DenseVectors::from_prepared(2, set.as_flat().to_vec(), Distance::Cosine).unwrap();
        assert_eq!(again.as_flat(), set.as_flat());
        assert_eq!(again.prepared_for(), Some(Distance::Cosine));
        let raw = vec![3.0, 4.0];
        assert!(matches!(
            DenseVectors::from_prepared(2, raw.clone(), Distance::Cosine),
            Err(crate::Error::NotPrepared { .. })
        ));
        assert!(DenseVectors::from_prepared(2, raw, Distance::Euclid).is_ok());
        assert!(DenseVectors::from_prepared(2, vec![f32::NAN, 0.0], Distance::Dot).is_err());
    }

    #[test]
    fn prepare_normalizes_rows_for_cosine_and_rejects_nan() {
        let mut v = DenseVectors::from_flat(2, vec![3.0f32, 4.0, 0.0, 2.0]).unwrap();
        v.prepare(Distance::Cosine).unwrap();
        assert!((v.vector(0)[0] - 0.6).abs() < 1e-6);
        assert_eq!(v.vector(1), &[0.0, 1.0]);
        let mut bad = DenseVectors::from_flat(2, vec![1.0f32, f32::INFINITY]).unwrap();
        assert!(bad.prepare(Distance::Dot).is_err());
    }
}
