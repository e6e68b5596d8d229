//! The float kernels on aarch64: simsimd's NEON dot and squared L2 (it dispatches inside),
//! and lane-parallel L1 bodies that LLVM vectorizes to NEON as they are (NEON is part of the
//! aarch64 baseline).
//!
//! simsimd returns `None` only when lengths differ; the checked entry points test lengths
//! first, so NaN here only shows up when a table entry is misused directly.

use half::f16;
use half::slice::HalfFloatSliceExt;
use simsimd::SpatialSimilarity;

use super::FloatKernels;

/// The NEON table.
pub(super) const TABLE: FloatKernels = FloatKernels {
    dot_f32,
    l2sq_f32,
    l1_f32,
    dot_f16,
    l2sq_f16,
    l1_f16,
    dot4_f32,
    dot_bf16: super::scalar::dot_bf16,
    dot4_bf16: super::scalar::dot4_bf16,
    sift_f32: super::scalar::TABLE.sift_f32,
};

/// Four NEON dots (no fused kernel on aarch64 yet).
fn dot4_f32(d: &[f32], q: [&[f32]; 4]) -> [f32; 4] {
    q.map(|q| dot_f32(d, q))
}

fn as_simsimd_f16(v: &[f16]) -> &[simsimd::f16] {
    // SAFETY: both `half::f16` and `simsimd::f16` are `#[repr(transparent)]` over `u16`, so the
    // slices have identical layout, alignment and validity (every bit pattern is valid).
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<simsimd::f16>(), v.len()) }
}

fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    f32::dot(a, b).map_or(f32::NAN, |d| d as f32)
}

fn l2sq_f32(a: &[f32], b: &[f32]) -> f32 {
    f32::l2sq(a, b).map_or(f32::NAN, |d| d as f32)
}

fn dot_f16(a: &[f16], b: &[f16]) -> f32 {
    simsimd::f16::dot(as_simsimd_f16(a), as_simsimd_f16(b)).map_or(f32::NAN, |d| d as f32)
}

fn l2sq_f16(a: &[f16], b: &[f16]) -> f32 {
    simsimd::f16::l2sq(as_simsimd_f16(a), as_simsimd_f16(b)).map_or(f32::NAN, |d| d as f32)
}

/// 64 f32 lanes of accumulators (16 NEON registers), then 8, then one.
const F32_LANES: usize = 64;
const TAIL_LANES: usize = 8;

#[inline(always)]
fn reduce<const N: usize>(acc: [f32; N]) -> f32 {
    acc.iter().sum()
}

/// Folds `f(x, y)` over f32 pairs into a sum, 64 lanes at a time, then 8, then one.
#[inline(always)]
fn fold_f32(a: &[f32], b: &[f32], f: impl Fn(f32, f32, f32) -> f32) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let (a_wide, a_rest) = a.as_chunks::<F32_LANES>();
    let (b_wide, b_rest) = b.as_chunks::<F32_LANES>();
    let mut acc = [0.0f32; F32_LANES];
    for (x, y) in a_wide.iter().zip(b_wide) {
        for i in 0..F32_LANES {
            acc[i] = f(x[i], y[i], acc[i]);
        }
    }
    let (a_mid, a_tail) = a_rest.as_chunks::<TAIL_LANES>();
    let (b_mid, b_tail) = b_rest.as_chunks::<TAIL_LANES>();
    let mut acc8 = [0.0f32; TAIL_LANES];
    for (x, y) in a_mid.iter().zip(b_mid) {
        for i in 0..TAIL_LANES {
            acc8[i] = f(x[i], y[i], acc8[i]);
        }
    }
    let mut tail = 0.0f32;
    for (&x, &y) in a_tail.iter().zip(b_tail) {
        tail = f(x, y, tail);
    }
    reduce(acc) + reduce(acc8) + tail
}

fn l1_f32(a: &[f32], b: &[f32]) -> f32 {
    fold_f32(a, b, |x, y, acc| acc + (x - y).abs())
}

/// f16 bodies convert blocks to f32 on the stack (F16C does it in one instruction per
/// 8 or 16 values), then reuse the f32 body.
#[inline(always)]
fn fold_f16(a: &[f16], b: &[f16], body: impl Fn(&[f32], &[f32]) -> f32) -> f32 {
    const BLOCK: usize = 256;
    let mut xa = [0.0f32; BLOCK];
    let mut xb = [0.0f32; BLOCK];
    let mut total = 0.0f32;
    for (ca, cb) in a.chunks(BLOCK).zip(b.chunks(BLOCK)) {
        let n = ca.len().min(cb.len());
        ca[..n].convert_to_f32_slice(&mut xa[..n]);
        cb[..n].convert_to_f32_slice(&mut xb[..n]);
        total += body(&xa[..n], &xb[..n]);
    }
    total
}

fn l1_f16(a: &[f16], b: &[f16]) -> f32 {
    fold_f16(a, b, l1_f32)
}
