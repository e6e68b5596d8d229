//! Vector codecs behind the `sextant-core` scorer traits: an index (the HNSW crate, a flat
//! scan, yours) traverses on codes through [`QueryScorer`](sextant_core::QueryScorer) /
//! [`PairScorer`](sextant_core::PairScorer) and rescoring with the original vectors restores
//! exact order, without the index knowing which codec it runs on.
//!
//! Built so far: scalar int8 ([`ScalarInt8`]: quantile-clipped uniform grid, `u8` SIMD
//! kernels, per-vector correction terms for Dot/Cosine, Euclid and Manhattan, checksummed file
//! format), 1-bit binary codes scored against a 4-bit query in bit planes ([`Binary1`]), and
//! [`rescore`]. Not built yet: 1.5 and 2-bit binary, product quantization, TurboQuant /
//! RaBitQ, bound-driven rescoring, mmap open, a file format for binary codes.
//!
//! ```
//! use sextant_core::{DenseQueryScorer, DenseVectors, Distance, QueryScorer, ScoredPoint, TopK};
//! use sextant_quantization::{ScalarInt8, rescore};
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

mod binary;
mod config;
mod encoded;
mod error;
mod persist;
mod rescore;
mod scalar;

pub use binary::{Binary1, BinaryQueryScorer};
pub use config::QuantizationConfig;
pub use encoded::EncodedVectors;
pub use error::{Error, Result};
pub use rescore::rescore;
pub use scalar::{ScalarInt8, ScalarPairScorer, ScalarQueryScorer, TRAINING_SAMPLE};
