//! Nibble kernels: the inner product of an i8 query with 4-bit codes packed two per byte (the
//! per-dimension int4 and PCA scalar codecs), one record or four at a time.

use super::SimdLevel;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod scalar;
#[cfg(test)]
mod tests;

/// The nibble kernels of one SIMD level (see the checked entry points for the layout).
#[derive(Debug, Clone, Copy)]
pub struct NibbleKernels {
    /// Σ_b lo(cᵦ)·qᵦ + hi(cᵦ)·q₍ₕ₊ᵦ₎ over 4-bit codes packed two per byte (`h` bytes) and an
    /// i8 query of `2h` values (see [`nibbles_dot_i8`]).
    pub nibbles_dot_i8: fn(&[u8], &[i8]) -> i32,
    /// `nibbles_dot_i8` of four records of equal length with one query: a graph expansion
    /// scores its batch four at a time (see [`nibbles_dot_i8_x4`]).
    pub nibbles_dot_i8_x4: fn([&[u8]; 4], &[i8]) -> [i32; 4],
}

/// The bytes every one of four records and both halves of the query hold: how far the
/// SIMD `nibbles_dot_i8_x4` kernels step.
#[cfg(target_arch = "x86_64")]
fn common_half(codes: &[&[u8]; 4], query: &[i8]) -> usize {
    codes
        .iter()
        .map(|c| c.len())
        .fold(query.len() / 2, usize::min)
}

/// The scalar reference table.
pub(super) const SCALAR: NibbleKernels = scalar::TABLE;

/// The table of `level` (the caller checked the CPU has it).
pub(super) fn table(level: SimdLevel) -> NibbleKernels {
    match level {
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2 => avx2::TABLE,
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 if super::x86::has_avx512_vnni() => avx512::VNNI_TABLE,
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => avx512::TABLE,
        _ => SCALAR,
    }
}

/// Inner product of an i8 query with 4-bit unsigned codes packed two per byte: coordinate
/// `b < h` (with `h = codes.len()`) is the low nibble of `codes[b]` and coordinate `h + b` its
/// high nibble, so `query[..h]` meets the low nibbles and `query[h..]` the high ones. Exact
/// (at most 15 · 128 per coordinate).
///
/// # Panics
/// When `query.len() != 2 · codes.len()` (a caller bug: pad an odd dimension with a zero).
#[inline]
pub fn nibbles_dot_i8(codes: &[u8], query: &[i8]) -> i32 {
    assert_eq!(
        query.len(),
        2 * codes.len(),
        "nibbles_dot_i8: {} query values for {} code bytes (need twice as many)",
        query.len(),
        codes.len()
    );
    (super::Kernels::best().nibbles.nibbles_dot_i8)(codes, query)
}

/// [`nibbles_dot_i8`] of four records with one query, computed together: each step loads
/// the query once for all four and the four sums are reduced at once (a graph expansion on
/// 192-byte codes ran 12% faster, best of 20 passes, than scoring its points one by one).
///
/// # Panics
/// When the records differ in length or `query.len() != 2 · record length`.
#[inline]
pub fn nibbles_dot_i8_x4(codes: [&[u8]; 4], query: &[i8]) -> [i32; 4] {
    assert!(
        codes.iter().all(|c| 2 * c.len() == query.len()),
        "nibbles_dot_i8_x4: records of {:?} bytes for {} query values (need half as many each)",
        codes.map(<[u8]>::len),
        query.len()
    );
    (super::Kernels::best().nibbles.nibbles_dot_i8_x4)(codes, query)
}
