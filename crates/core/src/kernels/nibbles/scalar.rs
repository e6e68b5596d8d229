//! The scalar reference of the nibble kernels.

use super::NibbleKernels;

/// The reference table (NEON uses it too: no NEON kernel was written).
pub(super) const TABLE: NibbleKernels = NibbleKernels {
    nibbles_dot_i8,
    nibbles_dot_i8_x4,
};

/// `Σ_b lo(codes[b])·query[b] + hi(codes[b])·query[h + b]` with `h = codes.len()`: the inner
/// product of an i8 query with 4-bit unsigned codes packed two per byte, coordinate `b` in the
/// low nibble of byte `b` and coordinate `h + b` in its high nibble (so each half of the query
/// lines up with one nibble of a contiguous run of bytes). Reads `query[..2h]`.
pub fn nibbles_dot_i8(codes: &[u8], query: &[i8]) -> i32 {
    let (low, high) = query.split_at(codes.len().min(query.len()));
    nibble_halves_dot(codes, low, high)
}

/// [`nibbles_dot_i8`] of four records (of equal length) with one query.
pub fn nibbles_dot_i8_x4(codes: [&[u8]; 4], query: &[i8]) -> [i32; 4] {
    codes.map(|c| nibbles_dot_i8(c, query))
}

/// `Σ_b lo(codes[b])·low[b] + hi(codes[b])·high[b]`: [`nibbles_dot_i8`] with the two halves of
/// the query given apart (SIMD kernels finish their tails with it).
pub(super) fn nibble_halves_dot(codes: &[u8], low: &[i8], high: &[i8]) -> i32 {
    codes
        .iter()
        .zip(low)
        .zip(high)
        .map(|((&c, &l), &h)| i32::from(c & 0x0f) * i32::from(l) + i32::from(c >> 4) * i32::from(h))
        .sum()
}
