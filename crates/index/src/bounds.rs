//! Float search behind int8 code bounds (`IndexConfig::bounds`): per-dimension int8 codes
//! (a quarter of the floats' bytes) kept next to the floats, the graph built by searching
//! them, and a search that reads a point's floats only where its code bound can still enter
//! the results. The scores and results are those of the float search of the same graph.

use sextant_core::{DenseVectorSource, DenseVectors, Distance, PointOffset};
use sextant_quantization::{
    BoundedExact, EncodedVectors, ScalarInt8PerDim, residual_norm, residual_norms,
};

use crate::error::{Error, Result};

/// The codes' grid keeps each dimension's whole range (quantile 1.0): the bounds stay
/// valid for any value, and a clipped one only loosens them.
const QUANTILE: f32 = 1.0;

/// The bound codes of every point and their residual norms, by offset.
#[derive(Debug)]
pub(crate) struct Bounds {
    pub(crate) codes: ScalarInt8PerDim,
    residuals: Vec<f32>,
}

impl Bounds {
    /// Codes trained on `vectors` (prepared for `distance`) with the graph's seed.
    pub(crate) fn train(
        vectors: &DenseVectors<f32>,
        distance: Distance,
        seed: u64,
        threads: usize,
    ) -> Result<Self> {
        let codes = ScalarInt8PerDim::train(vectors, distance, QUANTILE, seed, threads)?;
        Self::with_codes(codes, vectors)
    }

    /// Codes read from a file, checked against the floats they bound.
    pub(crate) fn with_codes(codes: ScalarInt8PerDim, vectors: &DenseVectors<f32>) -> Result<Self> {
        if codes.len() != vectors.len() || codes.dim() != vectors.dim() {
            return Err(Error::bad(format!(
                "{} bound codes of dimension {} for {} vectors of dimension {}",
                codes.len(),
                codes.dim(),
                vectors.len(),
                vectors.dim()
            )));
        }
        let residuals = residual_norms(&codes, vectors, 0);
        Ok(Self { codes, residuals })
    }

    /// Encodes the vectors appended to `vectors` since the last call.
    pub(crate) fn extend(&mut self, vectors: &DenseVectors<f32>) -> Result<()> {
        let from = self.codes.len() as PointOffset;
        for o in from..vectors.len() as PointOffset {
            self.codes.push(vectors.vector(o))?;
        }
        self.residuals
            .extend(residual_norms(&self.codes, vectors, from));
        Ok(())
    }

    /// Encodes point `o` again from `vectors` (its vector was replaced).
    pub(crate) fn set(&mut self, o: PointOffset, vectors: &DenseVectors<f32>) -> Result<()> {
        self.codes.set(o, vectors.vector(o))?;
        self.residuals[o as usize] = residual_norm(&self.codes, o, vectors.vector(o));
        Ok(())
    }

    /// The bounded source over `vectors` (cheap: nothing is recomputed).
    pub(crate) fn source<'a>(
        &'a self,
        vectors: &'a DenseVectors<f32>,
    ) -> Result<BoundedExact<'a, &'a DenseVectors<f32>>> {
        Ok(BoundedExact::with_residuals(
            &self.codes,
            vectors,
            &self.residuals,
        )?)
    }
}
