//! Float kernels: dot product, squared L2 and L1 over f32, and over f16 summed in f32; the
//! sift of an f32 accumulator (the values reaching a cut listed, the others zeroed).
//!
//! Providers, chosen by the `kernels` bench: hand-written AVX-512 and AVX2 on x86_64 (1.6x
//! simsimd's f32 dot at 384 dims), simsimd's NEON dot and squared L2 on aarch64 with
//! lane-parallel L1, and the scalar reference everywhere.

use half::{bf16, f16};

use super::SimdLevel;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod lanes;
#[cfg(target_arch = "aarch64")]
mod neon;
mod scalar;
#[cfg(test)]
mod tests;

/// The float kernels of one SIMD level (slices of equal length; see the checked entry points).
#[derive(Debug, Clone, Copy)]
pub struct FloatKernels {
    /// Σ aᵢbᵢ over f32.
    pub dot_f32: fn(&[f32], &[f32]) -> f32,
    /// Σ (aᵢ−bᵢ)² over f32.
    pub l2sq_f32: fn(&[f32], &[f32]) -> f32,
    /// Σ |aᵢ−bᵢ| over f32.
    pub l1_f32: fn(&[f32], &[f32]) -> f32,
    /// Σ aᵢbᵢ over f16, in f32.
    pub dot_f16: fn(&[f16], &[f16]) -> f32,
    /// Σ (aᵢ−bᵢ)² over f16, in f32.
    pub l2sq_f16: fn(&[f16], &[f16]) -> f32,
    /// Σ |aᵢ−bᵢ| over f16, in f32.
    pub l1_f16: fn(&[f16], &[f16]) -> f32,
    /// Σ dᵢqₖᵢ for four rows `q` at once: one pass over `d` (a multivector's row against four
    /// query rows, as MaxSim scores them: a MaxSim scan of 16 × 16 vectors of 128 floats took
    /// 0.75x the time of four `dot_f32` calls on AVX-512, the shard's `multivector` bench).
    pub dot4_f32: fn(&[f32], [&[f32]; 4]) -> [f32; 4],
    /// Σ aᵢbᵢ over bf16, in f32: native (`vdpbf16ps`, 32 lanes per instruction) where the CPU
    /// has AVX-512 BF16 (see [`has_native_bf16`](super::has_native_bf16)), widened to f32
    /// elsewhere.
    pub dot_bf16: fn(&[bf16], &[bf16]) -> f32,
    /// [`dot4_f32`](Self::dot4_f32) over bf16: a graph build's neighbour selection on a bf16
    /// copy of the vectors (384 dims, four rows in L1: 40 ns in f32, 21 ns native bf16).
    pub dot4_bf16: fn(&[bf16], [&[bf16]; 4]) -> [f32; 4],
    /// Lists in `at`, in order, the positions of the values at least `cut` or NaN (left as
    /// they are), sets every other value to +0, and returns how many it listed (`at` at least
    /// as long as `values`): a sparse search's accumulator taken back after a window, whose
    /// few survivors it then reads.
    pub sift_f32: fn(&mut [f32], f32, &mut [u32]) -> usize,
}

/// The scalar reference table.
pub(super) const SCALAR: FloatKernels = scalar::TABLE;

/// The table of `level` (the caller checked the CPU has it; levels this family has no
/// kernels of fall back to the reference).
pub(super) fn table(level: SimdLevel) -> FloatKernels {
    match level {
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2 => avx2::TABLE,
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 if super::x86::has_avx512_bf16() => avx512::BF16_TABLE,
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => avx512::TABLE,
        #[cfg(target_arch = "aarch64")]
        SimdLevel::Neon => neon::TABLE,
        _ => SCALAR,
    }
}

super::checked!(float,
    /// Dot product of two f32 vectors.
    dot_f32, f32, f32
);

/// Dot products of `d` with four f32 vectors in one pass over `d`.
///
/// # Panics
/// When a row of `q` differs from `d` in length (a caller bug: validate dimensions at the edge).
#[inline]
pub fn dot4_f32(d: &[f32], q: [&[f32]; 4]) -> [f32; 4] {
    assert!(
        q.iter().all(|r| r.len() == d.len()),
        "dot4_f32: slices differ in length"
    );
    (super::Kernels::best().float.dot4_f32)(d, q)
}
super::checked!(float,
    /// Dot product of two bf16 vectors, accumulated in f32.
    dot_bf16, bf16, f32
);

/// Dot products of `d` with four bf16 vectors in one pass over `d`, accumulated in f32.
///
/// # Panics
/// When a row of `q` differs from `d` in length (a caller bug: validate dimensions at the edge).
#[inline]
pub fn dot4_bf16(d: &[bf16], q: [&[bf16]; 4]) -> [f32; 4] {
    assert!(
        q.iter().all(|r| r.len() == d.len()),
        "dot4_bf16: slices differ in length"
    );
    (super::Kernels::best().float.dot4_bf16)(d, q)
}
/// Lists in `at` the positions of the values of `values` at least `cut` or NaN, in order,
/// sets every other value to +0, and returns how many it listed.
///
/// # Panics
/// When `at` is shorter than `values` (a caller bug: it must have room for every position).
#[inline]
pub fn sift_f32(values: &mut [f32], cut: f32, at: &mut [u32]) -> usize {
    assert!(
        at.len() >= values.len(),
        "sift_f32: `at` is shorter than `values`"
    );
    (super::Kernels::best().float.sift_f32)(values, cut, at)
}
super::checked!(float,
    /// Squared Euclidean distance of two f32 vectors.
    l2sq_f32, f32, f32
);
super::checked!(float,
    /// Manhattan (L1) distance of two f32 vectors.
    l1_f32, f32, f32
);
super::checked!(float,
    /// Dot product of two f16 vectors, accumulated in f32.
    dot_f16, f16, f32
);
super::checked!(float,
    /// Squared Euclidean distance of two f16 vectors, accumulated in f32.
    l2sq_f16, f16, f32
);
super::checked!(float,
    /// Manhattan distance of two f16 vectors, accumulated in f32.
    l1_f16, f16, f32
);
