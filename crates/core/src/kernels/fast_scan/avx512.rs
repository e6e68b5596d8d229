//! The fast-scan kernels by hand for AVX-512: the query table one sub-space per register, its
//! grid one row per register, and the block scan four sub-spaces per step with the keys of
//! the passing vectors packed by `vpcompressd`.

use std::arch::x86_64::*;

use super::FastScanKernels;
use super::scalar::{add_rest, fast_scan_table_shape};

/// `scalar::fast_scan_table` one sub-space's sixteen centroids per register.
#[target_feature(enable = "avx512f")]
fn fast_scan_table(query: &[f32], books: &[f32], squared: bool, out: &mut [f32]) {
    let Some((m, sub)) = fast_scan_table_shape(query, books, out) else {
        return super::scalar::fast_scan_table(query, books, squared, out);
    };
    let rows = query.chunks_exact(sub).zip(books.chunks_exact(16 * sub));
    for (j, (qj, bj)) in rows.take(m).enumerate() {
        let mut acc = _mm512_setzero_ps();
        for (&q, c) in qj.iter().zip(bj.chunks_exact(16)) {
            let x = _mm512_set1_ps(q);
            // SAFETY: `c` is 16 floats.
            let c = unsafe { _mm512_loadu_ps(c.as_ptr()) };
            let term = if squared {
                let diff = _mm512_sub_ps(x, c);
                _mm512_mul_ps(diff, diff)
            } else {
                _mm512_mul_ps(x, c)
            };
            acc = _mm512_add_ps(acc, term);
        }
        if squared {
            // Negated by the sign bit, as the scalar `-a` (0 − a would turn −0 into +0).
            let sign = _mm512_set1_epi32(i32::MIN);
            acc = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(acc), sign));
        }
        // SAFETY: j < m = out.len() / 16.
        unsafe { _mm512_storeu_ps(out.as_mut_ptr().add(16 * j), acc) };
    }
}

/// `scalar::fast_scan_grid` one row (16 floats) per register: the same float
/// operations per entry, and `vcvtps2dq` rounds to nearest even as the scalar trick does.
#[target_feature(enable = "avx512f")]
fn fast_scan_grid(table: &[f32], out: &mut [u8]) -> (f32, f32) {
    let rows = table.len().min(out.len()) / 16;
    // SAFETY: row r < rows reads floats [16r, 16r + 16) of `table`.
    let load = |r: usize| unsafe { _mm512_loadu_ps(table.as_ptr().add(16 * r)) };
    let mut widest = 0f32;
    for r in 0..rows {
        let v = load(r);
        let range = _mm512_reduce_max_ps(v) - _mm512_reduce_min_ps(v);
        if range > widest {
            widest = range;
        }
    }
    let (step, per_step) = super::fast_scan_step(widest);
    let (scale, top) = (_mm512_set1_ps(per_step), _mm512_set1_ps(63.0));
    let mut offset = 0f32;
    for r in 0..rows {
        let v = load(r);
        let lo = _mm512_reduce_min_ps(v);
        offset += lo;
        let x = _mm512_mul_ps(_mm512_sub_ps(v, _mm512_set1_ps(lo)), scale);
        let levels = _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(_mm512_min_ps(x, top)));
        // SAFETY: bytes [16r, 16r + 16) of `out`, r < rows.
        unsafe { _mm_storeu_si128(out.as_mut_ptr().add(16 * r).cast(), levels) };
    }
    (offset, step)
}

/// `scalar::fast_scan_candidates` without walking masks: each half block's keys are
/// built in a register (sums widened to u32, shifted, the index added) and packed with
/// `vpcompressd` into a full-width store at the write position, which then moves on by
/// the mask's population count. A block none of whose vectors passes skips the packing.
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
fn fast_scan_candidates(codes: &[u8], lut: &[u8], at_least: u16, out: &mut [u32]) -> usize {
    if lut.is_empty() {
        return 0;
    }
    // The stores below need 32 slots per block: blocks past `out`'s room are not read.
    let blocks = (codes.len() / lut.len()).min(out.len() / 32);
    let floor = _mm256_set1_epi16(at_least as i16);
    let lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    let mut n = 0;
    for (b, block) in codes.chunks_exact(lut.len()).take(blocks).enumerate() {
        let halves = block_sums(block, lut);
        let masks = halves.map(|sums| _mm256_cmpge_epu16_mask(sums, floor));
        if masks == [0, 0] {
            continue;
        }
        for (half, (sums, mask)) in halves.into_iter().zip(masks).enumerate() {
            let index = _mm512_add_epi32(lanes, _mm512_set1_epi32((32 * b + 16 * half) as i32));
            let keys = _mm512_or_si512(_mm512_slli_epi32::<16>(_mm512_cvtepu16_epi32(sums)), index);
            // SAFETY: `n` counts keys of vectors before index 32b + 16·half, so the 16
            // lanes end at most at 32b + 16·half + 16 <= 32 · blocks <= `out.len()`.
            unsafe {
                _mm512_storeu_si512(
                    out.as_mut_ptr().add(n).cast(),
                    _mm512_maskz_compress_epi32(mask, keys),
                )
            };
            n += mask.count_ones() as usize;
        }
    }
    n
}

/// `scalar::fast_scan_block` four sub-spaces per step: each 128-bit lane holds one
/// sub-space's 16 code bytes and its 16-entry table, so `vpshufb` looks up 16 vectors'
/// low nibbles (then high nibbles) in one instruction. The looked-up bytes are summed
/// without widening: read as u16 lanes, a lane holds the entries of two vectors (low and
/// high byte); one accumulator adds the lanes whole, a second adds them shifted right by 8
/// (the high bytes' sums), and the low bytes' sums are the difference
/// `whole − (high << 8)`, exact in wrapping u16. That keeps two shuffles per step on the
/// shuffle port instead of six (with four unpacks); with 6-bit tables four steps share
/// one widening. The four 128-bit lanes are added at the end. The block layout puts the
/// low bytes' sums of the low and high nibbles side by side as vectors 0..16, so no
/// reordering is needed. Returns the sums of vectors 0..16 and 16..32, in registers.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
fn block_sums(codes: &[u8], lut: &[u8]) -> [__m256i; 2] {
    let subs = codes.len().min(lut.len()) / 16;
    let nib = _mm512_set1_epi8(0x0f);
    // Whole lanes and high bytes, for the low nibbles and for the high ones.
    let mut whole = [_mm512_setzero_si512(); 2];
    let mut high = [_mm512_setzero_si512(); 2];
    // The looked-up bytes of four sub-spaces at `16j`: (low nibbles, high nibbles).
    let look_up = |j: usize| {
        // SAFETY: callers keep 16(j + 4) <= the length of both slices.
        let (c, t) = unsafe {
            (
                _mm512_loadu_si512(codes.as_ptr().add(16 * j).cast()),
                _mm512_loadu_si512(lut.as_ptr().add(16 * j).cast()),
            )
        };
        (
            _mm512_shuffle_epi8(t, _mm512_and_si512(c, nib)),
            _mm512_shuffle_epi8(t, _mm512_and_si512(_mm512_srli_epi16::<4>(c), nib)),
        )
    };
    let add_bytes = |(lo1, hi1): (__m512i, __m512i), (lo2, hi2): (__m512i, __m512i)| {
        (_mm512_add_epi8(lo1, lo2), _mm512_add_epi8(hi1, hi2))
    };
    let mut widen = |(lo, hi): (__m512i, __m512i)| {
        whole[0] = _mm512_add_epi16(whole[0], lo);
        high[0] = _mm512_add_epi16(high[0], _mm512_srli_epi16::<8>(lo));
        whole[1] = _mm512_add_epi16(whole[1], hi);
        high[1] = _mm512_add_epi16(high[1], _mm512_srli_epi16::<8>(hi));
    };
    let mut j = 0;
    // Four steps' bytes are added as bytes first (entries ≤ 63: no carry), which quarters
    // the widening adds; up to three remaining steps share one more widening, then the
    // scalar loop takes what is left.
    while j + 16 <= subs {
        widen(add_bytes(
            add_bytes(look_up(j), look_up(j + 4)),
            add_bytes(look_up(j + 8), look_up(j + 12)),
        ));
        j += 16;
    }
    if j + 4 <= subs {
        let mut bytes = look_up(j);
        j += 4;
        while j + 4 <= subs {
            bytes = add_bytes(bytes, look_up(j));
            j += 4;
        }
        widen(bytes);
    }
    // Lane l of whole[n] / high[n] holds sub-space group l's sums over nibble n; u16
    // element e covers code byte 2e (low byte) and 2e + 1 (high byte). Two rounds of lane
    // shuffles fold all four accumulators at once into [whole₀, whole₁, high₀, high₁]
    // (nine instructions where folding each apart took 24: a block's fixed cost is a
    // quarter of a 48-sub-space block's work).
    let halves = |a: __m512i, b: __m512i| {
        // [a₀ + a₂, a₁ + a₃, b₀ + b₂, b₁ + b₃]
        _mm512_add_epi16(
            _mm512_shuffle_i64x2::<0b01_00_01_00>(a, b),
            _mm512_shuffle_i64x2::<0b11_10_11_10>(a, b),
        )
    };
    let (w, h) = (halves(whole[0], whole[1]), halves(high[0], high[1]));
    let folded = _mm512_add_epi16(
        _mm512_shuffle_i64x2::<0b10_00_10_00>(w, h),
        _mm512_shuffle_i64x2::<0b11_01_11_01>(w, h),
    );
    // Bytes 2e hold vectors e (low nibble) and 8 + e (high nibble); bytes 2e + 1 vectors
    // 16 + e and 24 + e: the two halves are already in vector order.
    let second = _mm512_extracti64x4_epi64::<1>(folded);
    let first = _mm256_sub_epi16(
        _mm512_castsi512_si256(folded),
        _mm256_slli_epi16::<8>(second),
    );
    if j == subs {
        return [first, second];
    }
    let mut out = [0u16; 32];
    // SAFETY: two unaligned 32-byte stores and loads at u16 0 and 16 of the 32 in `out`.
    unsafe {
        _mm256_storeu_si256(out.as_mut_ptr().cast(), first);
        _mm256_storeu_si256(out.as_mut_ptr().add(16).cast(), second);
        add_rest(&codes[16 * j..16 * subs], &lut[16 * j..16 * subs], &mut out);
        [
            _mm256_loadu_si256(out.as_ptr().cast()),
            _mm256_loadu_si256(out.as_ptr().add(16).cast()),
        ]
    }
}

crate::kernels::x86::table!(FastScanKernels {
    fast_scan_candidates(codes: &[u8], lut: &[u8], at_least: u16, out: &mut [u32]) -> usize;
    fast_scan_table(query: &[f32], books: &[f32], squared: bool, out: &mut [f32]) -> ();
    fast_scan_grid(table: &[f32], out: &mut [u8]) -> (f32, f32);
});
