//! # Sextant
//!
//! Kernels for building vector-search storage engines, as independent crates. This facade
//! re-exports them behind cargo features so that one dependency line brings what you need:
//!
//! | feature | crate | what it holds |
//! | --- | --- | --- |
//! | `core` (default) | `sextant-core` | ids, scores, `Distance`, SIMD kernels, shared traits |
//! | `datasets` | `sextant-datasets` | fvecs/ivecs/bvecs/npy/CSR readers, exact ground truth, recall |
//! | `hnsw` | `sextant-hnsw` | HNSW graph: parallel build, filtered search with a planner, graph files searched in place |
//! | `wal` | `sextant-wal` | segmented write-ahead log: checksums, group commit, crash recovery |
//! | `mmap-advice` | `sextant-mmap-advice` | typed mmap files, madvise / populate / evict, io_uring batch reads |
//! | `gridstore` | `sextant-gridstore` | paged value store keyed by point offset: checksums, crash-safe flushes |
//! | `quantization` | `sextant-quantization` | vector codecs behind the scorer traits (scalar, PCA, RaBitQ, TurboQuant, product, binary; `AnyCodes` from a config), rescoring |
//!
//! ```
//! use sextant::core::{Distance, kernels};
//!
//! let a = [1.0_f32, 2.0, 3.0];
//! let b = [4.0_f32, 5.0, 6.0];
//! assert_eq!(kernels::dot_f32(&a, &b), 32.0);
//! // Every metric scores "higher is better"; Euclid is the negative squared distance.
//! assert_eq!(Distance::Euclid.score_f32(&a, &b), -27.0);
//! ```

#[cfg(feature = "core")]
pub use sextant_core as core;
#[cfg(feature = "datasets")]
pub use sextant_datasets as datasets;
#[cfg(feature = "gridstore")]
pub use sextant_gridstore as gridstore;
#[cfg(feature = "hnsw")]
pub use sextant_hnsw as hnsw;
#[cfg(feature = "mmap-advice")]
pub use sextant_mmap_advice as mmap_advice;
#[cfg(feature = "quantization")]
pub use sextant_quantization as quantization;
#[cfg(feature = "wal")]
pub use sextant_wal as wal;
