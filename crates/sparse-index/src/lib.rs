//! # sextant-sparse-index
//!
//! An inverted index over sparse vectors (BM25, SPLADE) with exact dot-product top-k, for
//! hybrid search next to dense vectors.
//!
//! - [`SparseIndex`]: the growing form: offsets appended in increasing order, deletes as a bit
//!   set honoured at once, the live document counts Qdrant's IDF modifier needs
//!   ([`SparseIndex::build`] makes one from all its points at once, twice as fast);
//!   [`SparseIndex::save`] writes the live points to one sealed file (byte table in the
//!   `store` module's source docs) and [`SparseIndex::open_mapped`] checks it and searches it
//!   in place, with the same results, still taking inserts and deletes.
//! - [`SparseRequest`]: `k`, the IDF modifier, a filter (any core `PointFilter`; a bit set is
//!   AND-ed per window) with the caller's count of passing points, and two approximate modes,
//!   off by default: `max_terms(n)` walks only the `n` heaviest query terms and scores
//!   [`MAX_TERMS_POOL`]` · k` candidates on the whole query (long queries: recall 0.96 at
//!   1.5x the exact QPS, `benches/results/sparse-s16.md`), and an approximation factor on
//!   the k-th score (on BM25 it trades recall badly, `sparse-s14.md`).
//! - [`idf()`]: Qdrant's `ln((N − df + 0.5) / (df + 0.5) + 1)`.
//! - Search (`search` module): MaxScore over windows of offsets into a dense accumulator,
//!   exact (the same points, scores and tie order as scoring every point), with a floor under
//!   the k-th score before any list is read, from each list's 32 largest weights (when no
//!   term can lower a score, as with BM25).
//!
//! The saved lists' offsets are packed (blocks of 128, delta-coded and bit-packed); their
//! weights are f32, or f16 / u8 codes with a per-term scale ([`WeightType`]): the codes only
//! steer the walk (bounds widened by each list's measured decoding error) and every returned
//! score is the exact one, from the point's vector.
//!
//! ```
//! use sextant_core::SparseVector;
//! use sextant_sparse_index::{SparseIndex, SparseRequest, WeightType};
//!
//! let mut index = SparseIndex::new();
//! index.insert(0, SparseVector::new(vec![3, 7], vec![1.0, 0.5])?)?;
//! index.insert(1, SparseVector::new(vec![7, 9], vec![2.0, 1.0])?)?;
//! index.insert(2, SparseVector::new(vec![1], vec![4.0])?)?;
//! let query = SparseVector::new(vec![7], vec![1.0])?;
//! let top = index.search(&query, &SparseRequest::new(10));
//! let ids: Vec<u32> = top.iter().map(|p| p.offset).collect();
//! assert_eq!(ids, [1, 0]); // point 2 shares no term
//! index.delete(1);
//! assert_eq!(index.search(&query, &SparseRequest::new(10))[0].offset, 0);
//!
//! // Saved (live points only) and searched in place.
//! let dir = tempfile::tempdir()?;
//! index.save(dir.path().join("sparse.idx"), WeightType::U8)?; // 1-byte weights, exact results
//! let opened = SparseIndex::open_mapped(dir.path().join("sparse.idx"))?;
//! assert_eq!(opened.search(&query, &SparseRequest::new(10))[0].offset, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod accumulator;
mod error;
mod idf;
mod index;
mod packed;
mod postings;
mod request;
mod search;
mod store;
mod weights;
mod window;

/// Entry point for the cargo-fuzz target and its corpus replay test.
#[doc(hidden)]
pub mod fuzzing;

pub use error::{Error, Result};
pub use idf::idf;
pub use index::SparseIndex;
pub use postings::BLOCK;
pub use request::SparseRequest;
pub use search::{MAX_TERMS_POOL, SearchStats};
pub use weights::WeightType;
