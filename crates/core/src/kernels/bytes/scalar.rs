//! The scalar reference of the byte kernels: the simplest correct loop, exact.

use super::ByteKernels;

/// The reference table.
pub(super) const TABLE: ByteKernels = ByteKernels {
    dot_i8,
    dot_i16_i8,
    l2sq_i8,
    l1_i8,
    dot_u8,
    l2sq_u8,
    l1_u8,
    hamming,
};

/// Dot product of two i8 slices (exact).
pub fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    a.iter().zip(b).map(|(&x, &y)| x as i32 * y as i32).sum()
}

/// Dot product of an i16 query with i8 codes (exact while it fits in an i32).
pub fn dot_i16_i8(a: &[i16], b: &[i8]) -> i32 {
    a.iter().zip(b).map(|(&x, &y)| x as i32 * y as i32).sum()
}

/// Squared Euclidean distance of two i8 slices (exact).
pub fn l2sq_i8(a: &[i8], b: &[i8]) -> u32 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = x as i32 - y as i32;
            (d * d) as u32
        })
        .sum()
}

/// Manhattan distance of two i8 slices (exact).
pub fn l1_i8(a: &[i8], b: &[i8]) -> u32 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (x as i32 - y as i32).unsigned_abs())
        .sum()
}

/// Dot product of two u8 slices (exact).
pub fn dot_u8(a: &[u8], b: &[u8]) -> u32 {
    a.iter().zip(b).map(|(&x, &y)| x as u32 * y as u32).sum()
}

/// Squared Euclidean distance of two u8 slices (exact).
pub fn l2sq_u8(a: &[u8], b: &[u8]) -> u32 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = x as i32 - y as i32;
            (d * d) as u32
        })
        .sum()
}

/// Manhattan distance of two u8 slices (exact).
pub fn l1_u8(a: &[u8], b: &[u8]) -> u32 {
    a.iter().zip(b).map(|(&x, &y)| x.abs_diff(y) as u32).sum()
}

/// Hamming distance of two bit vectors packed in u64 words.
pub fn hamming(a: &[u64], b: &[u64]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}
