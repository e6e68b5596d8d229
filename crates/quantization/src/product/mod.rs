//! The product family: the vector cut into `m` sub-vectors, each replaced by the index of
//! the nearest of a sub-space's k-means centroids, scored through a per-query table.
//!
//! | codec | centroids per sub-space | bytes per vector | scan |
//! | --- | --- | --- | --- |
//! | [`ProductQuantizer`] | 256 | `m` | table lookups, unrolled per `m` |
//! | [`ProductFastScan`] | 16 | `m / 2` | blocks of 32 vectors, 6-bit tables in SIMD registers |

mod codebooks;
mod fast_scan;
mod pq;

pub use fast_scan::{FastScanPairScorer, FastScanQueryScorer, ProductFastScan};
pub use pq::{ProductQuantizer, ProductQueryScorer};
