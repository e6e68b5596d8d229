//! Kernels provided by `simsimd` (which dispatches to the CPU's best level inside), used on
//! aarch64. On x86_64 the hand-written kernels (`x86_float.rs`, `x86_int.rs`) measured faster:
//! simsimd pays an FFI call and its own dispatch per pair.
//!
//! simsimd returns `None` only when lengths differ; the public wrappers in `kernels` check
//! lengths first, so NaN here only shows up when a table entry is misused directly.

use half::f16;
use simsimd::SpatialSimilarity;

fn as_simsimd_f16(v: &[f16]) -> &[simsimd::f16] {
    // SAFETY: both `half::f16` and `simsimd::f16` are `#[repr(transparent)]` over `u16`, so the
    // slices have identical layout, alignment and validity (every bit pattern is valid).
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<simsimd::f16>(), v.len()) }
}

pub(super) fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    f32::dot(a, b).map_or(f32::NAN, |d| d as f32)
}

pub(super) fn l2sq_f32(a: &[f32], b: &[f32]) -> f32 {
    f32::l2sq(a, b).map_or(f32::NAN, |d| d as f32)
}

pub(super) fn dot_f16(a: &[f16], b: &[f16]) -> f32 {
    simsimd::f16::dot(as_simsimd_f16(a), as_simsimd_f16(b)).map_or(f32::NAN, |d| d as f32)
}

pub(super) fn l2sq_f16(a: &[f16], b: &[f16]) -> f32 {
    simsimd::f16::l2sq(as_simsimd_f16(a), as_simsimd_f16(b)).map_or(f32::NAN, |d| d as f32)
}

pub(super) fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    // The C kernel accumulates in i32 and returns it as f64: the cast back is exact.
    i8::dot(a, b).map_or(0, |d| d as i32)
}

pub(super) fn l2sq_i8(a: &[i8], b: &[i8]) -> u32 {
    i8::l2sq(a, b).map_or(0, |d| d as u32)
}
