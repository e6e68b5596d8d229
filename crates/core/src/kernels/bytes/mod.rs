//! Byte kernels: dot, squared L2 and L1 over u8 and over i8 (exact), the dot of an i16 query
//! with i8 codes, and the Hamming distance of packed bits.
//!
//! Providers, chosen by the `kernels` bench: hand-written AVX-512BW and AVX2 for u8 / i8 dot
//! and squared L2 (5x the auto-vectorized u8 dot and 6x simsimd's i8 dot at 384 dims), the
//! i16 × i8 dot by hand on AVX-512; lane-parallel Rust compiled per level for L1 and Hamming;
//! simsimd's NEON i8 kernels on aarch64. Integer kernels are exact as long as the result fits
//! in 32 bits: up to 66,051 dimensions (255² · 66,051 < 2³²).

use super::SimdLevel;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
pub(super) mod avx512;
mod lanes;
#[cfg(target_arch = "aarch64")]
mod neon;
mod scalar;
#[cfg(test)]
mod tests;

/// The byte kernels of one SIMD level (slices of equal length; see the checked entry points).
#[derive(Debug, Clone, Copy)]
pub struct ByteKernels {
    /// Σ aᵢbᵢ over i8, exact.
    pub dot_i8: fn(&[i8], &[i8]) -> i32,
    /// Σ aᵢbᵢ of an i16 query with i8 codes, exact while it fits in an i32 (keep
    /// `len · max|aᵢ| · 128 < 2³¹`).
    pub dot_i16_i8: fn(&[i16], &[i8]) -> i32,
    /// Σ (aᵢ−bᵢ)² over i8, exact.
    pub l2sq_i8: fn(&[i8], &[i8]) -> u32,
    /// Σ |aᵢ−bᵢ| over i8, exact.
    pub l1_i8: fn(&[i8], &[i8]) -> u32,
    /// Σ aᵢbᵢ over u8, exact.
    pub dot_u8: fn(&[u8], &[u8]) -> u32,
    /// Σ (aᵢ−bᵢ)² over u8, exact.
    pub l2sq_u8: fn(&[u8], &[u8]) -> u32,
    /// Σ |aᵢ−bᵢ| over u8, exact.
    pub l1_u8: fn(&[u8], &[u8]) -> u32,
    /// Number of differing bits of two bit vectors packed in u64 words.
    pub hamming: fn(&[u64], &[u64]) -> u32,
}

/// The scalar reference table.
pub(super) const SCALAR: ByteKernels = scalar::TABLE;

/// The table of `level` (the caller checked the CPU has it).
pub(super) fn table(level: SimdLevel) -> ByteKernels {
    match level {
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2 => avx2::TABLE,
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => avx512::TABLE,
        #[cfg(target_arch = "aarch64")]
        SimdLevel::Neon => neon::TABLE,
        _ => SCALAR,
    }
}

super::checked!(bytes,
    /// Dot product of two i8 vectors (exact).
    dot_i8, i8, i32
);
super::checked!(bytes,
    /// Squared Euclidean distance of two i8 vectors (exact).
    l2sq_i8, i8, u32
);
super::checked!(bytes,
    /// Manhattan distance of two i8 vectors (exact).
    l1_i8, i8, u32
);
super::checked!(bytes,
    /// Dot product of two u8 vectors (exact).
    dot_u8, u8, u32
);
super::checked!(bytes,
    /// Squared Euclidean distance of two u8 vectors (exact).
    l2sq_u8, u8, u32
);
super::checked!(bytes,
    /// Manhattan distance of two u8 vectors (exact).
    l1_u8, u8, u32
);
super::checked!(bytes,
    /// Hamming distance of two bit vectors packed in u64 words.
    hamming, u64, u32
);

/// Dot product of an i16 query with i8 codes (exact while `len · max|aᵢ| · 128 < 2³¹`): a
/// query kept on a 16-bit grid against 8-bit codes, where an i8 query would lose precision.
///
/// # Panics
/// When `a` and `b` differ in length (a caller bug: validate dimensions at the edge).
#[inline]
pub fn dot_i16_i8(a: &[i16], b: &[i8]) -> i32 {
    assert_eq!(a.len(), b.len(), "dot_i16_i8: slices differ in length");
    (super::Kernels::best().bytes.dot_i16_i8)(a, b)
}
