//! The fast-scan kernels by hand for AVX2: the query table one sub-space per two registers,
//! its grid one row per two registers, and the block scan two sub-spaces per step.

use std::arch::x86_64::*;

use super::FastScanKernels;
use super::scalar::{add_rest, fast_scan_table_shape};

/// `scalar::fast_scan_table` one sub-space's sixteen centroids per two registers.
#[target_feature(enable = "avx2")]
fn fast_scan_table(query: &[f32], books: &[f32], squared: bool, out: &mut [f32]) {
    let Some((m, sub)) = fast_scan_table_shape(query, books, out) else {
        return super::scalar::fast_scan_table(query, books, squared, out);
    };
    let term = |x: __m256, c: __m256| {
        if squared {
            let diff = _mm256_sub_ps(x, c);
            _mm256_mul_ps(diff, diff)
        } else {
            _mm256_mul_ps(x, c)
        }
    };
    let rows = query.chunks_exact(sub).zip(books.chunks_exact(16 * sub));
    for (j, (qj, bj)) in rows.take(m).enumerate() {
        let (mut lo, mut hi) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        for (&q, c) in qj.iter().zip(bj.chunks_exact(16)) {
            let x = _mm256_set1_ps(q);
            // SAFETY: `c` is 16 floats.
            let (a, b) = unsafe {
                (
                    _mm256_loadu_ps(c.as_ptr()),
                    _mm256_loadu_ps(c.as_ptr().add(8)),
                )
            };
            lo = _mm256_add_ps(lo, term(x, a));
            hi = _mm256_add_ps(hi, term(x, b));
        }
        if squared {
            // Negated by the sign bit, as the scalar `-a` (0 − a would turn −0 into +0).
            let sign = _mm256_set1_ps(-0.0);
            (lo, hi) = (_mm256_xor_ps(lo, sign), _mm256_xor_ps(hi, sign));
        }
        // SAFETY: j < m = out.len() / 16: floats [16j, 16j + 16) of `out`.
        unsafe {
            _mm256_storeu_ps(out.as_mut_ptr().add(16 * j), lo);
            _mm256_storeu_ps(out.as_mut_ptr().add(16 * j + 8), hi);
        }
    }
}

/// `scalar::fast_scan_grid` one row (16 floats) per two registers: the same float
/// operations per entry, and `vcvtps2dq` rounds to nearest even as the scalar trick does.
#[target_feature(enable = "avx2")]
fn fast_scan_grid(table: &[f32], out: &mut [u8]) -> (f32, f32) {
    let rows = table.len().min(out.len()) / 16;
    // SAFETY: row r < rows reads floats [16r, 16r + 16) of `table`.
    let load = |r: usize| unsafe {
        let at = table.as_ptr().add(16 * r);
        (_mm256_loadu_ps(at), _mm256_loadu_ps(at.add(8)))
    };
    let fold = |v: __m256, f: fn(__m128, __m128) -> __m128| {
        let x = f(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let x = f(x, _mm_movehl_ps(x, x));
        _mm_cvtss_f32(f(x, _mm_shuffle_ps::<0b01>(x, x)))
    };
    let min = |a: __m128, b: __m128| _mm_min_ps(a, b);
    let max = |a: __m128, b: __m128| _mm_max_ps(a, b);
    let bounds = |(a, b): (__m256, __m256)| {
        (
            fold(_mm256_min_ps(a, b), min),
            fold(_mm256_max_ps(a, b), max),
        )
    };
    let mut widest = 0f32;
    for r in 0..rows {
        let (lo, hi) = bounds(load(r));
        if hi - lo > widest {
            widest = hi - lo;
        }
    }
    let (step, per_step) = super::fast_scan_step(widest);
    let (scale, top) = (_mm256_set1_ps(per_step), _mm256_set1_ps(63.0));
    let mut offset = 0f32;
    for r in 0..rows {
        let (a, b) = load(r);
        let lo = bounds((a, b)).0;
        offset += lo;
        let level = |v: __m256| {
            let x = _mm256_mul_ps(_mm256_sub_ps(v, _mm256_set1_ps(lo)), scale);
            _mm256_cvtps_epi32(_mm256_min_ps(x, top))
        };
        // Packs work per 128-bit lane: [a₀..₄, b₀..₄, a₄..₈, b₄..₈] as i16, reordered to
        // [a, b] by the 64-bit permute, then packed to bytes.
        let words =
            _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packs_epi32(level(a), level(b)));
        let bytes = _mm_packus_epi16(
            _mm256_castsi256_si128(words),
            _mm256_extracti128_si256::<1>(words),
        );
        // SAFETY: bytes [16r, 16r + 16) of `out`, r < rows.
        unsafe { _mm_storeu_si128(out.as_mut_ptr().add(16 * r).cast(), bytes) };
    }
    (offset, step)
}

/// `scalar::fast_scan_candidates` with the block kernel below, its loop inside one SIMD
/// function.
#[target_feature(enable = "avx2")]
fn fast_scan_candidates(codes: &[u8], lut: &[u8], at_least: u16, out: &mut [u32]) -> usize {
    super::scalar::candidates_of_blocks(codes, lut.len(), out, |block, sums| {
        fast_scan_block(block, lut, at_least, sums)
    })
}

/// `scalar::fast_scan_block` two sub-spaces per step, as the AVX-512 kernel does four:
/// each 128-bit lane holds one sub-space's codes and table, and the looked-up bytes are
/// summed without widening (whole u16 lanes and their high bytes), four steps per
/// widening.
#[inline]
#[target_feature(enable = "avx2")]
fn fast_scan_block(codes: &[u8], lut: &[u8], at_least: u16, out: &mut [u16; 32]) -> u32 {
    let subs = codes.len().min(lut.len()) / 16;
    let nib = _mm256_set1_epi8(0x0f);
    let mut whole = [_mm256_setzero_si256(); 2];
    let mut high = [_mm256_setzero_si256(); 2];
    let look_up = |j: usize| {
        // SAFETY: callers keep 16(j + 2) <= the length of both slices.
        let (c, t) = unsafe {
            (
                _mm256_loadu_si256(codes.as_ptr().add(16 * j).cast()),
                _mm256_loadu_si256(lut.as_ptr().add(16 * j).cast()),
            )
        };
        (
            _mm256_shuffle_epi8(t, _mm256_and_si256(c, nib)),
            _mm256_shuffle_epi8(t, _mm256_and_si256(_mm256_srli_epi16::<4>(c), nib)),
        )
    };
    let add_bytes = |(lo1, hi1): (__m256i, __m256i), (lo2, hi2): (__m256i, __m256i)| {
        (_mm256_add_epi8(lo1, lo2), _mm256_add_epi8(hi1, hi2))
    };
    let mut widen = |(lo, hi): (__m256i, __m256i)| {
        whole[0] = _mm256_add_epi16(whole[0], lo);
        high[0] = _mm256_add_epi16(high[0], _mm256_srli_epi16::<8>(lo));
        whole[1] = _mm256_add_epi16(whole[1], hi);
        high[1] = _mm256_add_epi16(high[1], _mm256_srli_epi16::<8>(hi));
    };
    let mut j = 0;
    while j + 8 <= subs {
        widen(add_bytes(
            add_bytes(look_up(j), look_up(j + 2)),
            add_bytes(look_up(j + 4), look_up(j + 6)),
        ));
        j += 8;
    }
    if j + 2 <= subs {
        let mut bytes = look_up(j);
        j += 2;
        while j + 2 <= subs {
            bytes = add_bytes(bytes, look_up(j));
            j += 2;
        }
        widen(bytes);
    }
    let fold =
        |a: __m256i| _mm_add_epi16(_mm256_castsi256_si128(a), _mm256_extracti128_si256::<1>(a));
    let floor = _mm_set1_epi16(at_least as i16);
    // Unsigned `x >= floor` is `max(x, floor) == x`; the packed compare bytes give one bit
    // per vector.
    let at_least_mask = |x: __m128i| _mm_cmpeq_epi16(_mm_max_epu16(x, floor), x);
    // Nibble n's low bytes hold vectors 8n..8n + 8, its high bytes 16 + 8n..24 + 8n.
    let high_sums = [fold(high[0]), fold(high[1])];
    let low_sums = [0, 1].map(|n| _mm_sub_epi16(fold(whole[n]), _mm_slli_epi16::<8>(high_sums[n])));
    let mut mask = 0u32;
    for (half, sums) in [low_sums, high_sums].into_iter().enumerate() {
        // SAFETY: two unaligned 16-byte stores at u16 16·half and 16·half + 8 of the 32 in
        // `out`.
        unsafe {
            let at = out.as_mut_ptr().add(16 * half);
            _mm_storeu_si128(at.cast(), sums[0]);
            _mm_storeu_si128(at.add(8).cast(), sums[1]);
        }
        let bytes = _mm_packs_epi16(at_least_mask(sums[0]), at_least_mask(sums[1]));
        mask |= (_mm_movemask_epi8(bytes) as u32) << (16 * half);
    }
    if j == subs {
        return mask;
    }
    add_rest(&codes[16 * j..16 * subs], &lut[16 * j..16 * subs], out);
    super::scalar::mask_at_least(out, at_least)
}

crate::kernels::x86::table!(FastScanKernels {
    fast_scan_candidates(codes: &[u8], lut: &[u8], at_least: u16, out: &mut [u32]) -> usize;
    fast_scan_table(query: &[f32], books: &[f32], squared: bool, out: &mut [f32]) -> ();
    fast_scan_grid(table: &[f32], out: &mut [u8]) -> (f32, f32);
});
