//! The rotated family: vectors turned by a seeded block-Hadamard [`Rotation`] (which spreads
//! every direction's energy evenly over the coordinates), then coded on few bits per
//! coordinate as bit planes.
//!
//! | codec | codes | scored with |
//! | --- | --- | --- |
//! | [`RaBitQ`] | 1 to 8 bits, with per-vector error bounds | an i8 query through the bit-plane kernel |
//! | [`TurboQuant`] | 1 to 4 bits, Lloyd-Max levels of the normal | an i8 query through the bit-plane table kernel |

mod rabitq;
mod rotation;
mod turboquant;

pub use rabitq::{Estimate, RaBitQ, RaBitQPairScorer, RaBitQQueryScorer};
pub use rotation::Rotation;
pub use turboquant::{TurboQuant, TurboQuantPairScorer, TurboQuantQueryScorer};
