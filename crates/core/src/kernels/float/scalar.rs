//! The scalar reference of the float kernels: the simplest correct loop, summed in f32 in
//! order as a naive loop would. The fallback on CPUs without SIMD and what the tests compare
//! every level against.

use half::{bf16, f16};

use super::FloatKernels;

/// The reference table.
pub(super) const TABLE: FloatKernels = FloatKernels {
    dot_f32,
    l2sq_f32,
    l1_f32,
    dot_f16,
    l2sq_f16,
    l1_f16,
    dot4_f32,
    dot_bf16,
    dot4_bf16,
    sift_f32,
};

/// The sift as the reference (the lane body, which is plain Rust).
fn sift_f32(values: &mut [f32], cut: f32, at: &mut [u32]) -> usize {
    super::lanes::sift_f32(values, cut, at)
}

/// Dot products of `d` with four f32 slices.
pub fn dot4_f32(d: &[f32], q: [&[f32]; 4]) -> [f32; 4] {
    q.map(|q| dot_f32(d, q))
}

/// Dot product of two bf16 slices, computed in f32.
pub fn dot_bf16(a: &[bf16], b: &[bf16]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x.to_f32() * y.to_f32()).sum()
}

/// Dot products of `d` with four bf16 slices, computed in f32.
pub fn dot4_bf16(d: &[bf16], q: [&[bf16]; 4]) -> [f32; 4] {
    q.map(|q| dot_bf16(d, q))
}

/// Dot product of two f32 slices.
pub fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Squared Euclidean distance of two f32 slices.
pub fn l2sq_f32(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Manhattan (L1) distance of two f32 slices.
pub fn l1_f32(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum()
}

/// Dot product of two f16 slices, computed in f32.
pub fn dot_f16(a: &[f16], b: &[f16]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x.to_f32() * y.to_f32()).sum()
}

/// Squared Euclidean distance of two f16 slices, computed in f32.
pub fn l2sq_f16(a: &[f16], b: &[f16]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let d = x.to_f32() - y.to_f32();
            d * d
        })
        .sum()
}

/// Manhattan distance of two f16 slices, computed in f32.
pub fn l1_f16(a: &[f16], b: &[f16]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x.to_f32() - y.to_f32()).abs())
        .sum()
}
