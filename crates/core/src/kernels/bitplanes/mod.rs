//! Bit-plane kernels: the inner product of an i8 query with multi-bit codes stored as bit
//! planes (RaBitQ), directly or through a 16-entry table of levels (TurboQuant, binary).

use super::SimdLevel;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod lanes;
mod scalar;
#[cfg(test)]
mod tests;

/// The bit-plane kernels of one SIMD level (see the checked entry points for the layout).
#[derive(Debug, Clone, Copy)]
pub struct BitplaneKernels {
    /// Σⱼ 2ʲ · Σᵢ bitⱼᵢ · vᵢ over bit planes of `values.len()` bits each (LSB first per
    /// byte) and i8 values whose length is a multiple of 64 (see [`bitplanes_dot_i8`]).
    pub bitplanes_dot_i8: fn(&[u8], &[i8]) -> i32,
    /// Σᵢ vᵢ · lut(cᵢ) over codes of at most 4 bits assembled from bit planes (laid out as for
    /// `bitplanes_dot_i8`; see [`bitplanes_lut_dot_i8`]).
    pub bitplanes_lut_dot_i8: fn(&[u8], &[i8; 16], &[i8]) -> i32,
}

/// The scalar reference table.
pub(super) const SCALAR: BitplaneKernels = scalar::TABLE;

/// The table of `level` (the caller checked the CPU has it).
pub(super) fn table(level: SimdLevel) -> BitplaneKernels {
    match level {
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2 => avx2::TABLE,
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => avx512::TABLE,
        #[cfg(target_arch = "aarch64")]
        SimdLevel::Neon => lanes::NEON,
        _ => SCALAR,
    }
}

/// Σⱼ 2ʲ · Σᵢ bitⱼᵢ · vᵢ: the inner product of codes stored as bit planes (plane `j` holds
/// bit `j` of every coordinate's code, `values.len()` bits per plane, LSB first in each byte)
/// with i8 values. Exact while the result fits in an i32.
///
/// # Panics
/// When `values.len()` is not a multiple of 64 or `planes.len()` not a multiple of
/// `values.len() / 8` (a caller bug: pad the query with zeros).
#[inline]
pub fn bitplanes_dot_i8(planes: &[u8], values: &[i8]) -> i32 {
    assert!(
        values.len().is_multiple_of(64)
            && (values.is_empty() || planes.len().is_multiple_of(values.len() / 8)),
        "bitplanes_dot_i8: {} values (need a multiple of 64) and {} plane bytes",
        values.len(),
        planes.len()
    );
    (super::Kernels::best().bitplanes.bitplanes_dot_i8)(planes, values)
}

/// Σᵢ vᵢ · lut(cᵢ) over codes of at most 4 bits stored as bit planes (as for
/// [`bitplanes_dot_i8`]; planes past the fourth are ignored): the inner product of an i8 query
/// with codes whose levels are not evenly spaced.
///
/// # Panics
/// As [`bitplanes_dot_i8`].
#[inline]
pub fn bitplanes_lut_dot_i8(planes: &[u8], lut: &[i8; 16], values: &[i8]) -> i32 {
    assert!(
        values.len().is_multiple_of(64)
            && (values.is_empty() || planes.len().is_multiple_of(values.len() / 8)),
        "bitplanes_lut_dot_i8: {} values (need a multiple of 64) and {} plane bytes",
        values.len(),
        planes.len()
    );
    (super::Kernels::best().bitplanes.bitplanes_lut_dot_i8)(planes, lut, values)
}
