//! Scalar reference kernels: the simplest correct loop for each kernel.
//!
//! They are the fallback on CPUs without SIMD and the reference the SIMD paths are tested
//! against. Float sums accumulate sequentially in f32, as a naive loop would; integer sums are
//! exact.

use half::f16;

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

/// Dot product of two i8 slices (exact).
pub fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    a.iter().zip(b).map(|(&x, &y)| x as i32 * y as i32).sum()
}

/// Dot product of an i16 query with i8 codes (exact while it fits in an i32).
pub fn dot_i16_i8(a: &[i16], b: &[i8]) -> i32 {
    a.iter().zip(b).map(|(&x, &y)| x as i32 * y as i32).sum()
}

/// Squared Euclidean distance of two i8 slices (exact).
pub fn l2sq_i8(a: &[i8], b: &[i8]) -> u32 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = x as i32 - y as i32;
            (d * d) as u32
        })
        .sum()
}

/// Manhattan distance of two i8 slices (exact).
pub fn l1_i8(a: &[i8], b: &[i8]) -> u32 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (x as i32 - y as i32).unsigned_abs())
        .sum()
}

/// Dot product of two u8 slices (exact).
pub fn dot_u8(a: &[u8], b: &[u8]) -> u32 {
    a.iter().zip(b).map(|(&x, &y)| x as u32 * y as u32).sum()
}

/// Squared Euclidean distance of two u8 slices (exact).
pub fn l2sq_u8(a: &[u8], b: &[u8]) -> u32 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = x as i32 - y as i32;
            (d * d) as u32
        })
        .sum()
}

/// Manhattan distance of two u8 slices (exact).
pub fn l1_u8(a: &[u8], b: &[u8]) -> u32 {
    a.iter().zip(b).map(|(&x, &y)| x.abs_diff(y) as u32).sum()
}

/// Hamming distance of two bit vectors packed in u64 words.
pub fn hamming(a: &[u64], b: &[u64]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

/// Σⱼ 2ʲ · Σᵢ bitⱼᵢ · vᵢ: `planes` holds bit planes of `values.len()` bits each (LSB first within
/// each byte), plane `j` weighted by 2ʲ. `values.len()` is a multiple of 64.
pub fn bitplanes_dot_i8(planes: &[u8], values: &[i8]) -> i32 {
    let plane_bytes = values.len() / 8;
    if plane_bytes == 0 {
        return 0;
    }
    let mut total = 0i32;
    for (j, plane) in planes.chunks_exact(plane_bytes).enumerate() {
        let mut sum = 0i32;
        for (i, &v) in values.iter().enumerate() {
            if plane[i / 8] >> (i % 8) & 1 == 1 {
                sum += i32::from(v);
            }
        }
        total += sum << j;
    }
    total
}

/// Σᵢ vᵢ · lut(cᵢ), where code `cᵢ` (< 16) is assembled from bit planes as in
/// [`bitplanes_dot_i8`] (plane `j` holds bit `j`; at most 4 planes): the inner product of a
/// query with codes whose levels are not evenly spaced. `values.len()` is a multiple of 64.
pub fn bitplanes_lut_dot_i8(planes: &[u8], lut: &[i8; 16], values: &[i8]) -> i32 {
    let plane_bytes = values.len() / 8;
    if plane_bytes == 0 {
        return 0;
    }
    let mut codes = vec![0usize; values.len()];
    for (j, plane) in planes.chunks_exact(plane_bytes).take(4).enumerate() {
        for (i, c) in codes.iter_mut().enumerate() {
            *c |= usize::from(plane[i / 8] >> (i % 8) & 1) << j;
        }
    }
    codes
        .iter()
        .zip(values)
        .map(|(&c, &v)| i32::from(lut[c]) * i32::from(v))
        .sum()
}

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
