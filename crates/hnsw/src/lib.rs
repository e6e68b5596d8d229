//! # sextant-hnsw
//!
//! An HNSW graph index (Malkov & Yashunin) that stores only the graph: vectors are reached
//! through the `sextant-core` scorer traits, so the same index searches f32 vectors in RAM, an
//! mmap, or quantized codes.
//!
//! Status: construction (parallel, deterministic on one thread), growth by insertion, filtered
//! search with a planner (exact scan over the passing points when a cost model says it scores
//! fewer vectors than a filtered traversal, graph traversal otherwise), deletes with online repair and slot reuse, and graph diagnostics are
//! built, and so is saving to / loading from a checksummed file (format in the `persist` module
//! docs), and so is an ACORN-style filter-aware traversal (`search_acorn`). Opening through
//! mmap, compressed links and payload-aware extra links are not built yet.
//!
//! ```
//! use sextant_core::{DensePairScorer, DenseQueryScorer, DenseVectors, Distance, PointFilter};
//! use sextant_hnsw::{HnswIndex, HnswParams, SearchContext};
//!
//! let mut points = DenseVectors::from_flat(2, (0..200).flat_map(|i| [i as f32, (i % 7) as f32]).collect())?;
//! points.prepare(Distance::Euclid)?;
//! let index = HnswIndex::build(sextant_core::DenseVectorSource::len(&points), &DensePairScorer::new(&points, Distance::Euclid), HnswParams::default(), 2)?;
//!
//! let query = DenseQueryScorer::new(&points, Distance::Euclid, &[50.2, 1.0])?;
//! let (mut ctx, mut out) = (SearchContext::new(), Vec::new());
//! index.search(&query, 3, 32, None::<&dyn PointFilter>, &mut ctx, &mut out);
//! assert_eq!(out[0].offset, 50);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod acorn;
mod build;
mod delete;
mod error;
mod graph;
mod index;
mod params;
mod persist;
mod search;

pub use error::{Error, Result};
pub use index::{GraphStats, HnswIndex, SearchPlan, VISITS_PER_EF};
pub use params::HnswParams;
pub use search::SearchContext;

/// Entry point for the cargo-fuzz target and its corpus replay test: the graph loader on
/// arbitrary bytes must never panic.
#[doc(hidden)]
pub mod fuzzing {
    /// Loads `data` as a graph file; whatever loads must describe itself consistently.
    pub fn load(data: &[u8]) {
        if let Ok(index) = crate::HnswIndex::from_bytes(data) {
            let stats = index.stats();
            assert_eq!(stats.nodes.first().copied().unwrap_or(0), index.len());
            assert_eq!(index.to_bytes(), data);
        }
    }
}
