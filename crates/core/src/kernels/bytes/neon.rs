//! The byte kernels on aarch64: simsimd's NEON i8 dot and squared L2, the lane bodies (which
//! LLVM vectorizes to NEON) for the rest.

use simsimd::SpatialSimilarity;

use super::{ByteKernels, lanes};

/// The NEON table.
pub(super) const TABLE: ByteKernels = ByteKernels {
    dot_i8,
    dot_i16_i8: lanes::dot_i16_i8,
    l2sq_i8,
    l1_i8: lanes::l1_i8,
    dot_u8: lanes::dot_u8,
    l2sq_u8: lanes::l2sq_u8,
    l1_u8: lanes::l1_u8,
    hamming: lanes::hamming,
};

fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    // The C kernel accumulates in i32 and returns it as f64: the cast back is exact.
    i8::dot(a, b).map_or(0, |d| d as i32)
}

fn l2sq_i8(a: &[i8], b: &[i8]) -> u32 {
    i8::l2sq(a, b).map_or(0, |d| d as u32)
}
