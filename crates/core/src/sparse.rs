//! `SparseVector`: the sparse-vector type every crate exchanges (BM25, SPLADE). Validated once,
//! on construction, so indexes and scorers can rely on sorted, unique indices and finite values.

use crate::error::{Error, Result};

/// A sparse vector: strictly increasing `u32` indices, each with a finite `f32` value.
///
/// ```
/// use sextant_core::SparseVector;
///
/// let v = SparseVector::new(vec![3, 17, 40], vec![0.5, 1.25, -0.75])?;
/// assert_eq!(v.len(), 3);
/// assert_eq!(v.dot(&SparseVector::new(vec![17, 41], vec![2.0, 1.0])?), 2.5);
/// // Unsorted input is an error here; `from_unsorted` sorts it (duplicates stay an error).
/// assert!(SparseVector::new(vec![5, 2], vec![1.0, 1.0]).is_err());
/// assert_eq!(SparseVector::from_unsorted(vec![5, 2], vec![1.0, 3.0])?.indices(), &[2, 5]);
/// # Ok::<(), sextant_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SparseVector {
    indices: Vec<u32>,
    values: Vec<f32>,
}

impl SparseVector {
    /// Validates and wraps `indices` (strictly increasing) and their `values` (finite, same
    /// length). An empty vector is valid: it matches nothing.
    pub fn new(indices: Vec<u32>, values: Vec<f32>) -> Result<Self> {
        if indices.len() != values.len() {
            return Err(Error::SparseLengthMismatch {
                indices: indices.len(),
                values: values.len(),
            });
        }
        for (position, w) in indices.windows(2).enumerate() {
            if w[0] >= w[1] {
                return Err(Error::SparseIndexOrder {
                    position: position + 1,
                    index: w[1],
                    previous: w[0],
                });
            }
        }
        if let Some((position, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::NonFinite { position, value });
        }
        Ok(Self { indices, values })
    }

    /// Sorts the pairs by index first (the order Qdrant accepts them in), then validates as
    /// [`new`](Self::new): a repeated index is still an error.
    pub fn from_unsorted(indices: Vec<u32>, values: Vec<f32>) -> Result<Self> {
        if indices.len() != values.len() {
            return Self::new(indices, values);
        }
        let mut pairs: Vec<(u32, f32)> = indices.into_iter().zip(values).collect();
        pairs.sort_by_key(|p| p.0);
        let (indices, values) = pairs.into_iter().unzip();
        Self::new(indices, values)
    }

    /// The indices, strictly increasing.
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }

    /// The values, one per index.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// Number of stored (index, value) pairs.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// True when no index is stored.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// Iterates over (index, value) pairs in index order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, f32)> + '_ {
        self.indices
            .iter()
            .copied()
            .zip(self.values.iter().copied())
    }

    /// Dot product with another sparse vector (a merge of the two sorted index lists).
    pub fn dot(&self, other: &SparseVector) -> f32 {
        self.dot_if_shared(other).unwrap_or(0.0)
    }

    /// The dot product when the two vectors share an index, `None` when they share none (a
    /// sparse search returns only points sharing a term with the query). The products are
    /// summed in increasing index order, from 0.
    pub fn dot_if_shared(&self, other: &SparseVector) -> Option<f32> {
        self.dot_parts_if_shared(&other.indices, &other.values)
    }

    /// [`dot_if_shared`](Self::dot_if_shared) with a vector given as its parts (sorted distinct
    /// `indices`, their `values`), as an index stores them.
    pub fn dot_parts_if_shared(&self, indices: &[u32], values: &[f32]) -> Option<f32> {
        let (q, qv) = (&self.indices[..], &self.values[..]);
        let n = indices.len().min(values.len());
        let (mut i, mut j, mut sum, mut shared) = (0, 0, 0.0f32, false);
        // Branch-free merge (the next index of each side is a coin flip to a predictor): both
        // sides step past the smaller index, a match adds its product. Adding +0.0 leaves the
        // sum's bits alone (the sum is never -0.0), so the result is the plain merge's.
        while i < q.len() && j < n {
            let (a, b) = (q[i], indices[j]);
            let hit = a == b;
            sum += if hit { qv[i] * values[j] } else { 0.0 };
            shared |= hit;
            i += usize::from(a <= b);
            j += usize::from(b <= a);
        }
        shared.then_some(sum)
    }

    /// Consumes the vector, returning its indices and values.
    pub fn into_parts(self) -> (Vec<u32>, Vec<f32>) {
        (self.indices, self.values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dot_tells_no_shared_index_from_a_zero_sum() {
        let q = SparseVector::new(vec![1, 4, 9], vec![0.5, -1.0, 2.0]).unwrap();
        let d = SparseVector::new(vec![0, 4, 9, 12], vec![3.0, 0.25, 0.125, 7.0]).unwrap();
        assert_eq!(q.dot_if_shared(&d), Some(-0.25 + 0.25));
        assert_eq!(q.dot(&d), 0.0);
        let far = SparseVector::new(vec![2, 3], vec![1.0, 1.0]).unwrap();
        assert_eq!(q.dot_if_shared(&far), None);
        assert_eq!(q.dot(&far), 0.0);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(matches!(
            SparseVector::new(vec![1, 2], vec![1.0]),
            Err(Error::SparseLengthMismatch {
                indices: 2,
                values: 1
            })
        ));
        assert!(matches!(
            SparseVector::new(vec![1, 1], vec![1.0, 2.0]),
            Err(Error::SparseIndexOrder {
                position: 1,
                index: 1,
                previous: 1
            })
        ));
        assert!(matches!(
            SparseVector::from_unsorted(vec![4, 2, 4], vec![1.0, 2.0, 3.0]),
            Err(Error::SparseIndexOrder { index: 4, .. })
        ));
        assert!(matches!(
            SparseVector::new(vec![1, 2], vec![1.0, f32::INFINITY]),
            Err(Error::NonFinite { position: 1, .. })
        ));
        assert!(SparseVector::new(vec![], vec![]).unwrap().is_empty());
    }

    proptest! {
        #[test]
        fn dot_matches_a_dense_model(
            a in proptest::collection::btree_map(0u32..64, -4.0f32..4.0, 0..20),
            b in proptest::collection::btree_map(0u32..64, -4.0f32..4.0, 0..20),
        ) {
            let va = SparseVector::new(a.keys().copied().collect(), a.values().copied().collect()).unwrap();
            let vb = SparseVector::from_unsorted(b.keys().rev().copied().collect(), b.values().rev().copied().collect()).unwrap();
            let mut dense = [0.0f32; 64];
            for (i, v) in vb.iter() {
                dense[i as usize] = v;
            }
            let model: f32 = va.iter().map(|(i, v)| v * dense[i as usize]).sum();
            prop_assert!((va.dot(&vb) - model).abs() <= 1e-4 * (1.0 + model.abs()));
        }
    }
}
