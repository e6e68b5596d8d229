//! # sextant-index
//!
//! An hnswlib-style index for programs that want one object: vectors under u64 labels, an
//! HNSW graph over them (`sextant-hnsw`; searched on the floats, or on codes from
//! `sextant-quantization` with the candidates rescored), deletes as marks, searches filtered
//! to a set of labels, one checksummed file to save and load. The Python `sextant.Index` is
//! this crate behind hnswlib's method names.
//!
//! - [`LabeledIndex`], [`IndexConfig`], [`Neighbours`]: `new`, `add` (the first call builds the
//!   graph in parallel, later calls insert; a label held is updated in place, as in hnswlib),
//!   `add_replacing_deleted` (hnswlib's `replace_deleted`), `search` / `search_batch` / `search_where` (a function of the label as the filter), `set_deleted`,
//!   `vector`, `allow_labels` / `allow_mask`, `resize`, `save` / `load` (the byte table is in
//!   the `file` module's docs).
//! - [`Error`], [`Result`].
//!
//! ```
//! use sextant_core::Distance;
//! use sextant_index::{IndexConfig, LabeledIndex};
//!
//! let mut index = LabeledIndex::new(IndexConfig::new(Distance::Euclid, 2, 100))?;
//! let rows: Vec<f32> = (0..50).flat_map(|i| [i as f32, 0.0]).collect();
//! let labels: Vec<u64> = (0..50).map(|i| 1000 + i).collect();
//! index.add(&rows, &labels, 2)?;
//! index.set_deleted(1010, true)?;
//! let found = index.search(&[10.2, 0.0], 2, 32, None)?;
//! assert_eq!(found[0].0, 1011); // 1010 is deleted; distances are squared L2
//! # Ok::<(), sextant_index::Error>(())
//! ```

mod add;
mod bounds;
mod error;
mod file;
#[doc(hidden)]
pub mod fuzzing;
mod labeled;

pub use error::{Error, Result};
pub use labeled::{IndexConfig, LabeledIndex, Neighbours};
