//! Fast-scan kernels of product quantization, hand-written for AVX-512 and AVX2: a query's
//! float table from 16-centroid codebooks ([`fast_scan_table`]), its 6-bit grid
//! ([`fast_scan_grid`]), and the vectors of 32-vector code blocks whose table-lookup sums
//! reach a floor, found and packed in registers ([`fast_scan_candidates`], laid out by
//! [`fast_scan_slot`]).

use super::SimdLevel;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod scalar;
#[cfg(test)]
mod tests;

/// The fast-scan kernels of one SIMD level (see the checked entry points for the layout).
#[derive(Debug, Clone, Copy)]
pub struct FastScanKernels {
    /// The vectors whose sum of 4-bit table lookups reaches a floor, over consecutive
    /// blocks of 32 (see [`fast_scan_candidates`]).
    pub fast_scan_candidates: FastScanCandidates,
    /// A fast-scan query's float table from 16-centroid codebooks (see
    /// [`fast_scan_table`]).
    pub fast_scan_table: fn(&[f32], &[f32], bool, &mut [f32]),
    /// A fast-scan query's float table put on its 6-bit grid (see [`fast_scan_grid`]).
    pub fast_scan_grid: fn(&[f32], &mut [u8]) -> (f32, f32),
}

/// The signature of [`fast_scan_candidates`]: codes, table, floor and the keys' buffer; returns
/// how many keys were written. A table's kernel called directly checks nothing but memory
/// safety: an empty table finds nothing, and blocks `out` has no room for are skipped by the
/// AVX-512 kernel (which stores whole registers) and panic in the others.
pub type FastScanCandidates = fn(&[u8], &[u8], u16, &mut [u32]) -> usize;

/// The scalar reference table.
pub(super) const SCALAR: FastScanKernels = scalar::TABLE;

/// The table of `level` (the caller checked the CPU has it).
pub(super) fn table(level: SimdLevel) -> FastScanKernels {
    match level {
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2 => avx2::TABLE,
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => avx512::TABLE,
        _ => SCALAR,
    }
}

/// The largest fast-scan table entry [`fast_scan_candidates`] accepts.
pub const FAST_SCAN_MAX_ENTRY: u8 = 63;

/// Where vector `v` (`0..32`) of a fast-scan block keeps its code within each sub-space's 16
/// bytes: `(byte, shift)`, the code being `(byte >> shift) & 0xf`. Byte `2e + h` holds vector
/// `16h + e` in its low nibble and vector `16h + 8 + e` in its high nibble (`e < 8`). The
/// order makes the SIMD kernels' natural output (the low and the high byte of each u16 lane
/// summed apart) come out in vector order, with no reordering shuffles.
#[inline]
pub const fn fast_scan_slot(v: usize) -> (usize, u32) {
    let (h, n, e) = (v / 16 % 2, v / 8 % 2, v % 8);
    (2 * e + h, 4 * n as u32)
}

/// The vectors of a fast-scan scan whose sum of table lookups is at least `at_least`, as keys
/// `sum << 16 | index`.
///
/// `codes` holds consecutive blocks of 32 vectors with 4-bit codes, `lut.len()` bytes each.
/// For every sub-space `j`, bytes `16j..16j + 16` of a block hold the codes of its 32 vectors
/// at the places [`fast_scan_slot`] gives, and `lut[16j..16j + 16]` is that sub-space's table.
/// Vector `v` of block `b` has index `32b + v` and sum `Σⱼ lut[16j + codeⱼ]` (wrapping in u16).
/// The keys of the vectors whose sum is at least `at_least` are written to `out` in index
/// order; the count is returned. Keys at or past it are unspecified (the AVX-512 kernel
/// stores whole registers).
///
/// The floor is compared in SIMD registers and the keys packed there too (AVX-512
/// `vpcompressd`), so a top-k scan touches only the vectors that may enter, without a branch
/// per vector. Against the previous kernel (every block's sums and a mask, walked bit by bit
/// by the caller), a top-40 scan of minilm-pypi-20k's 20,000 codes went from 1.45–1.48 to
/// 1.39 ns per code at m = 48 and from 2.34–2.35 to 2.22–2.25 at m = 96 (queries prepared
/// beforehand, fastest of alternating runs).
///
/// Table entries must be at most 63 (6-bit tables): the SIMD kernels add four sub-spaces'
/// looked-up bytes as bytes before widening them (larger entries could carry; checked in
/// debug builds). On minilm-pypi-20k a 6-bit table costs at most 0.002 of recall@10 against
/// a 7-bit one (pq96x4: 0.6573 against 0.6593; pq48x4: 0.4693 against 0.4707).
///
/// # Panics
/// When `lut` is not whole sub-spaces of 16 bytes, `codes` is not whole blocks of
/// `lut.len()` bytes, there are more than 2,048 blocks (indices must fit 16 bits), or `out`
/// has fewer than 32 slots per block.
#[inline]
pub fn fast_scan_candidates(codes: &[u8], lut: &[u8], at_least: u16, out: &mut [u32]) -> usize {
    debug_assert!(
        lut.iter().all(|&t| t <= FAST_SCAN_MAX_ENTRY),
        "fast_scan_candidates: table entries must be at most {FAST_SCAN_MAX_ENTRY}"
    );
    let blocks = codes.len().checked_div(lut.len()).unwrap_or(0);
    assert!(
        !lut.is_empty()
            && lut.len().is_multiple_of(16)
            && codes.len().is_multiple_of(lut.len())
            && blocks <= FAST_SCAN_MAX_BLOCKS
            && out.len() >= 32 * blocks,
        "fast_scan_candidates: {} code bytes, {} table bytes and {} key slots (need whole \
         sub-spaces of 16 bytes, whole blocks of codes, at most {FAST_SCAN_MAX_BLOCKS} blocks \
         and 32 key slots per block)",
        codes.len(),
        lut.len(),
        out.len(),
    );
    (super::Kernels::best().fast_scan.fast_scan_candidates)(codes, lut, at_least, out)
}

/// The most blocks one [`fast_scan_candidates`] call takes: a key keeps the index in 16 bits.
pub const FAST_SCAN_MAX_BLOCKS: usize = 2048;

/// A fast-scan query's float table: for each of the `m = out.len() / 16` sub-spaces of
/// `s = query.len() / m` dimensions, with `books` holding each sub-space's 16 centroids
/// dimension-major (`books[16(j·s + d) + c]` is coordinate `d` of centroid `c` of sub-space
/// `j`), `out[16j + c] = Σ_d q[j·s + d] · books[16(j·s + d) + c]`, or with `squared`
/// `−Σ_d (q[j·s + d] − books[16(j·s + d) + c])²`, summed over `d` in order. Every level
/// gives the same bits (separate multiplies and adds, in the same order).
///
/// # Panics
/// When `out` is not whole rows of 16, the rows do not divide `query`, or `books` is not
/// 16 floats per query coordinate.
#[inline]
pub fn fast_scan_table(query: &[f32], books: &[f32], squared: bool, out: &mut [f32]) {
    let m = out.len() / 16;
    assert!(
        out.len().is_multiple_of(16)
            && (m == 0 || query.len().is_multiple_of(m))
            && books.len() == 16 * query.len(),
        "fast_scan_table: {} query values, {} codebook floats and {} table entries (need \
         16 floats of codebook per query value and whole rows of 16 dividing the query)",
        query.len(),
        books.len(),
        out.len()
    );
    (super::Kernels::best().fast_scan.fast_scan_table)(query, books, squared, out)
}

/// Puts a fast-scan query's float table (rows of 16 entries, one per sub-space; finite)
/// on the integer grid `0..=FAST_SCAN_MAX_ENTRY` the block kernels take: per row an offset
/// (its minimum) and one step for all rows (the widest row's range over 63), so
/// `offset + step · Σ levels` approximates a row sum to half a step per row. Writes the
/// levels (rounded to nearest, ties to even) to `out` and returns (the offsets' sum, the
/// step). Every level gives the same bits: the same float operations in the same order.
///
/// # Panics
/// When `table` is not whole rows of 16 or `out` differs from it in length.
#[inline]
pub fn fast_scan_grid(table: &[f32], out: &mut [u8]) -> (f32, f32) {
    assert!(
        table.len().is_multiple_of(16) && out.len() == table.len(),
        "fast_scan_grid: {} table entries and {} levels (need equal whole rows of 16)",
        table.len(),
        out.len()
    );
    (super::Kernels::best().fast_scan.fast_scan_grid)(table, out)
}

/// The grid's step and its reciprocal for the widest row range (1 when every row is flat).
#[inline]
fn fast_scan_step(widest: f32) -> (f32, f32) {
    let step = if widest > 0.0 {
        widest / f32::from(FAST_SCAN_MAX_ENTRY)
    } else {
        1.0
    };
    (step, 1.0 / step)
}
