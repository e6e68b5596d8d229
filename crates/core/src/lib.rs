//! # sextant-core
//!
//! The shared vocabulary of the Sextant crates: point ids and scores, [`Distance`], SIMD
//! distance [`kernels`], and the small traits the kernel crates (HNSW, quantization, sparse and
//! payload indexes) meet through, plus the helpers every search needs: [`TopK`], a
//! [`VisitedPool`] and a [`BitSet`], and the vocabulary the indexes exchange: a filter's
//! [`Cardinality`] estimate and a validated [`SparseVector`].
//!
//! Scores are **higher is better** for every metric; [`Distance::to_distance`] converts to the
//! natural distance once, at the edge.
//!
//! ```
//! use sextant_core::{AllowAll, DenseQueryScorer, DenseVectors, Distance, PointFilter, QueryScorer, TopK};
//!
//! // Three 2-d points, prepared for cosine (normalized once, at insert time).
//! let points = DenseVectors::prepared(2, vec![1.0, 0.0, 0.6, 0.8, -1.0, 0.0], Distance::Cosine)?;
//!
//! // Brute-force top-2 for a query, through the core traits (the metric comes from the set).
//! let scorer = DenseQueryScorer::for_source(&points, &[1.0, 1.0])?;
//! let mut top = TopK::new(2);
//! for offset in 0..3 {
//!     if AllowAll.allows(offset) {
//!         top.push(offset, scorer.score_point(offset));
//!     }
//! }
//! let best: Vec<u32> = top.into_sorted_vec().iter().map(|p| p.offset).collect();
//! assert_eq!(best, [1, 0]);
//! # Ok::<(), sextant_core::Error>(())
//! ```

mod bf16_pairs;
mod bitset;
mod cardinality;
mod distance;
mod error;
mod ids;
pub mod kernels;
mod point_id;
mod scorer;
mod sparse;
mod top_k;
mod traits;
mod vectors;
mod visited;

pub use bf16_pairs::Bf16PairScorer;
pub use bitset::BitSet;
pub use cardinality::Cardinality;
pub use distance::{Distance, validate};
pub use error::{Error, Result};
pub use ids::{PointOffset, ScoreType, ScoredPoint};
pub use kernels::{Kernels, SimdLevel};
pub use point_id::{NotAUuid, PointId};
pub use scorer::{DensePairScorer, DenseQueryScorer};
pub use sparse::SparseVector;
pub use top_k::TopK;
pub use traits::{AllowAll, DenseVectorSource, PairScorer, PointFilter, QueryScorer};
pub use vectors::{DenseVectors, ScoreKernel, ScoreKernel4, VectorElement};
pub use visited::{PooledVisited, VisitedPool, VisitedSet};
