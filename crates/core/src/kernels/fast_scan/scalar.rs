//! The scalar reference of the fast-scan kernels, and the plain helpers the SIMD levels share.

use super::FastScanKernels;

/// The reference table (NEON uses it too: no NEON kernel was written).
pub(super) const TABLE: FastScanKernels = FastScanKernels {
    fast_scan_candidates,
    fast_scan_table,
    fast_scan_grid,
};

/// Fast-scan sums of one block of 32 vectors with 4-bit codes: for every sub-space `j`
/// (`codes.len() / 16` of them), `codes[16j..16j + 16]` holds the codes of the 32 vectors as
/// laid out by `fast_scan_slot` (byte `2e + h` holds vectors `16h + e`, low nibble,
/// and `16h + 8 + e`, high nibble), and `lut[16j..16j + 16]` the table of that sub-space.
/// `out[v] = Σⱼ lut[16j + codeⱼ(v)]`, wrapping in u16. Returns the mask of the vectors whose
/// sum is at least `at_least` (bit `v` for `out[v]`).
pub fn fast_scan_block(codes: &[u8], lut: &[u8], at_least: u16, out: &mut [u16; 32]) -> u32 {
    *out = [0; 32];
    for (c, t) in codes.chunks_exact(16).zip(lut.chunks_exact(16)) {
        for (i, &byte) in c.iter().enumerate() {
            let v = 16 * (i % 2) + i / 2;
            out[v] = out[v].wrapping_add(u16::from(t[usize::from(byte & 0x0f)]));
            out[v + 8] = out[v + 8].wrapping_add(u16::from(t[usize::from(byte >> 4)]));
        }
    }
    mask_at_least(out, at_least)
}

/// The keys `sum << 16 | index` of the vectors whose [`fast_scan_block`] sum is at least
/// `at_least`, over consecutive blocks of `lut.len()` code bytes (vector `v` of block `b` has
/// index `32b + v`), in index order into `out`; returns how many.
pub fn fast_scan_candidates(codes: &[u8], lut: &[u8], at_least: u16, out: &mut [u32]) -> usize {
    candidates_of_blocks(codes, lut.len(), out, |block, sums| {
        fast_scan_block(block, lut, at_least, sums)
    })
}

/// Calls `scan` on each block of `block_bytes` bytes of `codes` with room for its sums, and
/// writes the key of each vector the returned mask selects: the loop of the levels that walk
/// masks (`fast_scan_candidates`).
#[inline(always)]
pub(super) fn candidates_of_blocks(
    codes: &[u8],
    block_bytes: usize,
    out: &mut [u32],
    mut scan: impl FnMut(&[u8], &mut [u16; 32]) -> u32,
) -> usize {
    if block_bytes == 0 {
        return 0;
    }
    let mut n = 0;
    let mut sums = [0u16; 32];
    for (b, block) in codes.chunks_exact(block_bytes).enumerate() {
        let mut mask = scan(block, &mut sums);
        while mask != 0 {
            let v = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            out[n] = u32::from(sums[v]) << 16 | (32 * b + v) as u32;
            n += 1;
        }
    }
    n
}

/// `super::fast_scan_table`, sixteen centroids at a time.
pub fn fast_scan_table(query: &[f32], books: &[f32], squared: bool, out: &mut [f32]) {
    let m = out.len() / 16;
    let sub = query.len().checked_div(m).unwrap_or(0);
    for (j, row) in out.chunks_exact_mut(16).enumerate() {
        let mut acc = [0f32; 16];
        for d in 0..sub {
            let (x, book) = (query[j * sub + d], &books[16 * (j * sub + d)..][..16]);
            for (a, &c) in acc.iter_mut().zip(book) {
                *a += if squared { (x - c) * (x - c) } else { x * c };
            }
        }
        for (o, a) in row.iter_mut().zip(acc) {
            *o = if squared { -a } else { a };
        }
    }
}

/// `super::fast_scan_grid`: the bounds of every row, the step, then each row's levels.
pub fn fast_scan_grid(table: &[f32], out: &mut [u8]) -> (f32, f32) {
    let bounds = |row: &[f32]| {
        row.iter().fold((row[0], row[0]), |(lo, hi), &t| {
            (if t < lo { t } else { lo }, if t > hi { t } else { hi })
        })
    };
    let widest = table.chunks_exact(16).fold(0f32, |w, row| {
        let (lo, hi) = bounds(row);
        if hi - lo > w { hi - lo } else { w }
    });
    let (step, per_step) = super::fast_scan_step(widest);
    let mut offset = 0f32;
    for (row, levels) in table.chunks_exact(16).zip(out.chunks_exact_mut(16)) {
        let lo = bounds(row).0;
        offset += lo;
        for (l, &t) in levels.iter_mut().zip(row) {
            *l = grid_level((t - lo) * per_step);
        }
    }
    (offset, step)
}

/// `x` (≥ 0) rounded to nearest (ties to even) and capped at the largest entry: adding 2²³
/// leaves the rounded integer in the low bits of the float.
#[inline]
pub(super) fn grid_level(x: f32) -> u8 {
    const ROUND: f32 = 8_388_608.0;
    let top = f32::from(super::FAST_SCAN_MAX_ENTRY);
    ((if x < top { x } else { top }) + ROUND).to_bits() as u8
}

/// Bit `v` set when `values[v] >= at_least`.
pub(super) fn mask_at_least(values: &[u16; 32], at_least: u16) -> u32 {
    values
        .iter()
        .enumerate()
        .fold(0, |mask, (v, &x)| mask | u32::from(x >= at_least) << v)
}

/// Adds the fast-scan sums of the sub-spaces a SIMD kernel's steps left over to `out` (the
/// kernels return before it when their steps covered every sub-space, the usual case).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(super) fn add_rest(codes: &[u8], lut: &[u8], out: &mut [u16; 32]) {
    let mut rest = [0u16; 32];
    fast_scan_block(codes, lut, 0, &mut rest);
    for (o, r) in out.iter_mut().zip(rest) {
        *o = o.wrapping_add(r);
    }
}

/// `(m, sub)` of a fast-scan table call the SIMD kernels take: `m` rows of 16 in `out`, `sub`
/// query coordinates per row, and books for all of them. `None` (no coordinates per row, or
/// books too short) leaves the call to the scalar kernel.
#[cfg(target_arch = "x86_64")]
pub(super) fn fast_scan_table_shape(
    query: &[f32],
    books: &[f32],
    out: &[f32],
) -> Option<(usize, usize)> {
    let m = out.len() / 16;
    let sub = query.len().checked_div(m).unwrap_or(0);
    (sub > 0 && books.len() >= 16 * m * sub).then_some((m, sub))
}
