//! The scalar family: coordinates on uniform grids, one byte or half a byte each, scored
//! with integer kernels against a query put on the same grid (or folded into it).
//!
//! | codec | grid | bytes per vector (d dims) |
//! | --- | --- | --- |
//! | [`ScalarInt8`] | one for all dimensions, between two quantiles | `d + 4` |
//! | [`ScalarInt8PerDim`] | one per dimension | `d` (+4 for Euclid) |
//! | [`ScalarInt4PerDim`] | one per dimension, 16 levels | `⌈d/2⌉` (+4 for Euclid) |
//! | [`ScalarPca`] | one per principal component, 8, 4 or 0 bits each | `n8 + ⌈n4/2⌉` (+4 for Euclid) |

mod grid;
mod int4_per_dim;
mod int8;
mod int8_per_dim;
mod nibbles;
mod pca;
mod pca_plan;

pub use int4_per_dim::{ScalarInt4PerDim, ScalarInt4QueryScorer};
pub use int8::{ScalarInt8, ScalarPairScorer, ScalarQueryScorer};
pub use int8_per_dim::{ScalarInt8PerDim, ScalarPerDimQueryScorer};
pub use pca::{ScalarPca, ScalarPcaPairScorer, ScalarPcaQueryScorer};
