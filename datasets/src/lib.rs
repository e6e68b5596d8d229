//! # sextant-datasets
//!
//! The measuring side of Sextant: read and write the dataset formats of ANN benchmarking,
//! compute exact ground truth, score recall, and generate seeded synthetic data.
//!
//! | module | formats / job |
//! | --- | --- |
//! | [`VecsFile`], [`write_vecs`] | texmex `.fvecs` / `.ivecs` / `.bvecs`, memory-mapped |
//! | [`read_npy`], [`write_npy_f32`], [`write_npy_f16`] | NumPy `.npy`, 2-D `<f4` / `<f2` |
//! | [`SparseMatrix`] | big-ann-benchmarks CSR sparse vectors |
//! | [`Dataset`] | a folder: `meta.json`, base, queries, ground truth |
//! | [`exact_search`], [`ground_truth`] | brute force on the core SIMD kernels |
//! | [`recall_at_k`], [`mean_recall`] | recall@k = \|returned ∩ truth\[:k\]\| / k |
//! | [`gaussian`], [`clustered`] | seeded synthetic vectors |
//!
//! Every reader validates what it reads: a truncated file, a wrong header, or inconsistent
//! dimensions is an [`Error`] naming the file and offset, never a panic. Files are read through
//! `mmap`; a file truncated by another process *while* it is mapped faults (SIGBUS), the usual
//! price of zero-copy reading. Files are little-endian; so must the host be.
//!
//! ```
//! use sextant_core::{DenseVectorSource, Distance};
//! use sextant_datasets::{GroundTruth, exact_search, gaussian, ground_truth, mean_recall};
//!
//! let mut base = gaussian(2_000, 32, 1)?;
//! let mut queries = gaussian(10, 32, 2)?;
//! base.prepare(Distance::Cosine)?;
//! queries.prepare(Distance::Cosine)?;
//!
//! // Exact top-10 of every query on 2 threads, then recall of a single-query scan against it.
//! let truth = GroundTruth::from_results(&ground_truth(&base, &queries, 10, Distance::Cosine, 2, &|_| {})?, 10)?;
//! let found: Vec<Vec<u32>> = (0..queries.len() as u32)
//!     .map(|q| exact_search(&base, queries.vector(q), 10, Distance::Cosine).iter().map(|p| p.offset).collect())
//!     .collect();
//! assert_eq!(mean_recall(&found, &truth, 10), 1.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(target_endian = "big")]
compile_error!(
    "sextant-datasets reads little-endian files in place and supports little-endian hosts only"
);

mod csr;
mod dataset;
mod error;
mod exact;
mod file_io;
#[doc(hidden)]
pub mod fuzzing;
mod groundtruth;
mod npy;
mod recall;
mod synthetic;
mod vecs;

pub use csr::SparseMatrix;
pub use dataset::{Dataset, Meta};
pub use error::{Error, Result};
pub use exact::{exact_search, exact_search_into, ground_truth};
pub use groundtruth::GroundTruth;
pub use npy::{NpyDtype, NpyMatrix, parse_npy, read_npy, write_npy_f16, write_npy_f32};
pub use recall::{mean_recall, recall_at_k, recall_at_k_with_ties};
pub use synthetic::{clustered, gaussian};
pub use vecs::{MAX_DIM, VecsElement, VecsFile, VecsShape, parse_vecs, write_vecs};
