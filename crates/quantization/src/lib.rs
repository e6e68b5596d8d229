//! Vector codecs behind the `sextant-core` scorer traits: an index (the HNSW crate, a flat
//! scan, yours) traverses on codes through [`QueryScorer`](sextant_core::QueryScorer) /
//! [`PairScorer`](sextant_core::PairScorer) and rescoring with the original vectors restores
//! exact order, without the index knowing which codec it runs on.
//!
//! Built so far:
//! - [`ScalarInt8`]: quantile-clipped uniform grid, `u8` SIMD kernels, per-vector correction
//!   terms for Dot/Cosine, Euclid and Manhattan;
//! - [`ScalarInt8PerDim`]: a grid per dimension (by default each dimension's min/max over all
//!   vectors) folded into an i16 query, no per-vector term for Dot/Cosine (`d` bytes per
//!   vector);
//! - [`ScalarInt4PerDim`]: the same per-dimension grids with 16 levels, two codes per byte
//!   (`⌈d/2⌉` bytes), scored by core's nibble kernel: the cheapest codes to traverse a graph
//!   on before a float rescoring;
//! - [`ScalarPca`]: the vectors centred and rotated onto the principal components of a
//!   sample, each component on 8 bits, 4 bits or none where the scores queries see need them
//!   most (one byte kernel and one nibble kernel per score): at 4 and 2 bits per dimension
//!   the best raw recall of the crate's codecs on minilm-pypi-20k;
//! - [`RaBitQ`]: RaBitQ and extended RaBitQ, 1 to 8 bits per coordinate, on a seeded
//!   O(d log d) [`Rotation`], scored with an i8 query through the core bit-plane kernel, with
//!   a per-candidate error bound ([`Estimate`]);
//! - [`TurboQuant`]: the MSE variant, Lloyd-Max codebooks of the normal (1 to 4 bits) on the
//!   same rotation, per-vector length renormalization, optional per-coordinate calibration
//!   folded into the query, scored through the core bit-plane table kernel;
//! - [`ProductQuantizer`]: `m` sub-spaces of 256 k-means++ / Lloyd centroids, one byte each,
//!   scored through a per-query table (ADC);
//! - [`ProductFastScan`]: 16 centroids per sub-space (4 bits), codes interleaved in blocks of
//!   32 vectors and scanned with the 16-entry 6-bit tables in SIMD registers (core's
//!   `fast_scan_table`, `fast_scan_grid` and `fast_scan_candidates`), with its own filtered
//!   top-k scan ([`FastScanQueryScorer::top_k`]);
//! - [`Binary`]: 1, 1.5 or 2-bit codes around the mean (no rotation) against a 4- or 8-bit
//!   query, through the same table kernel;
//! - [`rescore`] (exact top k of codec candidates) and [`rescore_with_bounds`] (fetches only
//!   the originals whose bounds can still enter the top k);
//! - [`BoundedExact`]: exact float scores behind per-dimension int8 codes; a search that
//!   passes a floor (core's `QueryScorer::score_points_above`) reads the float vector only of
//!   points whose guaranteed code bound reaches it, with the results of the float search;
//! - a checksummed file format for every codec
//!   (the [`format`](mod@format) module), loaded into RAM (`load`) or opened through a read-only map and
//!   scored in place (`open_mapped`).
//!
//! [`AnyCodes`] holds any of them, trained from a [`CodecConfig`] (the codec's
//! [`QuantizationConfig`], which also parses the short names `sq8d`, `sq4d`, `pca4`, `pq48`,
//! `pq96x4`, `rabitq4`, `tq4`, `bin1.5`..., and a seed) or opened from any codec file by its
//! header, with one query scorer and one pair scorer.
//!
//! Every codec implements [`EncodedVectors`]: length, dimension, bytes per vector, `push`,
//! a query scorer, a pair scorer (stored code against stored code, for graph builds on codes)
//! and the file operations. Pair scorers: [`ScalarInt8`] on integer kernels; RaBitQ through
//! its estimator with the other record as the query (bit-plane popcounts); the others through
//! their reconstructions (`decode` on each).
//!
//! Not built yet: TurboQuant's inner-product variant.
//!
//! ```
//! use sextant_core::{DenseQueryScorer, DenseVectors, Distance, QueryScorer, ScoredPoint, TopK};
//! use sextant_quantization::{EncodedVectors, ScalarInt8, rescore};
//!
//! let mut data = DenseVectors::from_flat(3, (0..300).map(|i| ((i * 37) % 101) as f32 / 10.0).collect())?;
//! data.prepare(Distance::Euclid)?;
//! let codes = ScalarInt8::train(&data, Distance::Euclid, 0.99, 42, 2)?;
//! assert_eq!(codes.bytes_per_vector(), 3 + 4);
//!
//! // Top 4 on codes, then exact order among them.
//! let query = [5.0, 2.0, 7.5];
//! let on_codes = codes.query_scorer(&query)?;
//! let mut top = TopK::new(4);
//! for p in 0..100 {
//!     top.push(p, on_codes.score_point(p));
//! }
//! let candidates: Vec<ScoredPoint> = top.into_sorted_vec();
//! let exact = DenseQueryScorer::new(&data, Distance::Euclid, &query)?;
//! let mut best = Vec::new();
//! rescore(&candidates, &exact, 2, &mut best);
//! assert_eq!(best.len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod any;
mod binary;
mod bounded_exact;
mod codec;
mod config;
mod encoded;
mod error;
pub mod format;
mod pairs;
mod planes;
mod product;
mod records;
mod rescore;
mod rotated;
mod scalar;
mod scoring;
mod training;

pub use any::{AnyCodes, AnyPairScorer, AnyQueryScorer, CodecConfig};
pub use binary::{Binary, BinaryEncoding, BinaryQueryScorer};
pub use bounded_exact::{BoundedExact, BoundedExactScorer, residual_norm, residual_norms};
pub use config::QuantizationConfig;
pub use encoded::EncodedVectors;
pub use error::{Error, Result};
pub use pairs::{
    BinaryPairScorer, ProductPairScorer, ReconstructionPairScorer, ScalarInt4PairScorer,
    ScalarPerDimPairScorer,
};
pub use product::{
    FastScanPairScorer, FastScanQueryScorer, ProductFastScan, ProductQuantizer, ProductQueryScorer,
};
pub use rescore::{rescore, rescore_with_bounds};
pub use rotated::{
    Estimate, RaBitQ, RaBitQPairScorer, RaBitQQueryScorer, Rotation, TurboQuant,
    TurboQuantPairScorer, TurboQuantQueryScorer,
};
pub use scalar::{
    ScalarInt4PerDim, ScalarInt4QueryScorer, ScalarInt8, ScalarInt8PerDim, ScalarPairScorer,
    ScalarPca, ScalarPcaPairScorer, ScalarPcaQueryScorer, ScalarPerDimQueryScorer,
    ScalarQueryScorer,
};

/// Entry point of the `quant_file` fuzz target (and its corpus replay test).
#[doc(hidden)]
pub mod fuzzing {
    use sextant_core::{PairScorer, QueryScorer};

    use crate::{
        Binary, EncodedVectors, ProductFastScan, ProductQuantizer, RaBitQ, ScalarInt4PerDim,
        ScalarInt8, ScalarInt8PerDim, ScalarPca, TurboQuant,
    };

    /// Parses `data` as each codec's file; whatever parses must write itself back to a file
    /// that parses to the same codes, score a query against its vectors, score pairs, and (fast
    /// scan) run its top-k scan.
    pub fn load(data: &[u8]) {
        fn check<C: EncodedVectors + PartialEq + std::fmt::Debug>(
            data: &[u8],
            to_bytes: fn(&C) -> Vec<u8>,
            from_bytes: fn(&[u8]) -> crate::Result<C>,
        ) {
            let Ok(codes) = from_bytes(data) else { return };
            let again = from_bytes(&to_bytes(&codes)).expect("our own encoding parses");
            assert_eq!(again, codes);
            let query = vec![0.5f32; codes.dim()];
            if let Ok(scorer) = codes.query_scorer(&query) {
                for p in 0..codes.len().min(1000) as u32 {
                    scorer.score_point(p);
                }
            }
            let pairs = codes.pair_scorer();
            for p in 0..codes.len().min(100) as u32 {
                pairs.score_pair(0, p);
            }
        }
        check(data, ScalarInt8::to_bytes, ScalarInt8::from_bytes);
        check(data, RaBitQ::to_bytes, RaBitQ::from_bytes);
        check(data, TurboQuant::to_bytes, TurboQuant::from_bytes);
        check(data, Binary::to_bytes, Binary::from_bytes);
        check(
            data,
            ProductQuantizer::to_bytes,
            ProductQuantizer::from_bytes,
        );
        check(
            data,
            ScalarInt8PerDim::to_bytes,
            ScalarInt8PerDim::from_bytes,
        );
        check(data, ProductFastScan::to_bytes, ProductFastScan::from_bytes);
        if let Ok(codes) = ProductFastScan::from_bytes(data)
            && let Ok(scorer) = codes.query_scorer(&vec![0.5f32; codes.dim()])
        {
            scorer.top_k(10);
        }
        check(
            data,
            ScalarInt4PerDim::to_bytes,
            ScalarInt4PerDim::from_bytes,
        );
        check(data, ScalarPca::to_bytes, ScalarPca::from_bytes);
        // The dynamic reader picks the codec by the header and must agree with the concrete
        // reader of that codec.
        if let Ok(any) = crate::AnyCodes::from_bytes(data) {
            let again =
                crate::AnyCodes::from_bytes(&any.to_bytes()).expect("our own encoding parses");
            assert_eq!(again.to_bytes(), any.to_bytes());
            if let Ok(scorer) = any.query_scorer(&vec![0.5f32; any.dim()]) {
                let points: Vec<u32> = (0..any.len().min(100) as u32).collect();
                let mut scores = vec![0.0; points.len()];
                scorer.score_points(&points, &mut scores);
            }
        }
    }
}
