//! The nibble kernels by hand for AVX2: 32 code bytes (64 coordinates) per step.

use std::arch::x86_64::*;

use super::NibbleKernels;

/// `scalar::nibbles_dot_i8` 32 bytes (64 coordinates) per step, as the AVX-512 kernel;
/// the last `h mod 32` bytes go through the reference.
#[target_feature(enable = "avx2")]
fn nibbles_dot_i8(codes: &[u8], query: &[i8]) -> i32 {
    let h = codes.len().min(query.len() / 2);
    let (pc, pq) = (codes.as_ptr(), query.as_ptr());
    let nib = _mm256_set1_epi8(0x0f);
    let ones = _mm256_set1_epi16(1);
    let mut acc = _mm256_setzero_si256();
    let mut i = 0;
    // SAFETY: each step reads bytes [i, i + 32) of `codes`, `query[..h]` and
    // `query[h..2h]` with i + 32 <= h.
    unsafe {
        while i + 32 <= h {
            let c = _mm256_loadu_si256(pc.add(i).cast());
            let low = _mm256_and_si256(c, nib);
            let high = _mm256_and_si256(_mm256_srli_epi16::<4>(c), nib);
            let ql = _mm256_loadu_si256(pq.add(i).cast());
            let qh = _mm256_loadu_si256(pq.add(h + i).cast());
            let pairs = _mm256_add_epi16(
                _mm256_maddubs_epi16(low, ql),
                _mm256_maddubs_epi16(high, qh),
            );
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, ones));
            i += 32;
        }
    }
    let quad = _mm_add_epi32(
        _mm256_castsi256_si128(acc),
        _mm256_extracti128_si256::<1>(acc),
    );
    let pair = _mm_add_epi32(quad, _mm_shuffle_epi32::<0b01_00_11_10>(quad));
    let one = _mm_add_epi32(pair, _mm_shuffle_epi32::<0b00_00_00_01>(pair));
    let tail = super::scalar::nibble_halves_dot(&codes[i..h], &query[i..h], &query[h + i..2 * h]);
    _mm_cvtsi128_si32(one).wrapping_add(tail)
}

/// `scalar::nibbles_dot_i8_x4` 32 bytes per step, as the AVX-512 kernel; the last
/// `h mod 32` bytes of each record go through the reference.
#[target_feature(enable = "avx2")]
fn nibbles_dot_i8_x4(codes: [&[u8]; 4], query: &[i8]) -> [i32; 4] {
    let h = super::common_half(&codes, query);
    let pq = query.as_ptr();
    let nib = _mm256_set1_epi8(0x0f);
    let ones = _mm256_set1_epi16(1);
    let mut acc = [_mm256_setzero_si256(); 4];
    let mut i = 0;
    // SAFETY: each step reads bytes [i, i + 32) of every record, `query[..h]` and
    // `query[h..2h]` with i + 32 <= h.
    unsafe {
        while i + 32 <= h {
            let ql = _mm256_loadu_si256(pq.add(i).cast());
            let qh = _mm256_loadu_si256(pq.add(h + i).cast());
            for (a, c) in acc.iter_mut().zip(codes) {
                let c = _mm256_loadu_si256(c.as_ptr().add(i).cast());
                let low = _mm256_and_si256(c, nib);
                let high = _mm256_and_si256(_mm256_srli_epi16::<4>(c), nib);
                let pairs = _mm256_add_epi16(
                    _mm256_maddubs_epi16(low, ql),
                    _mm256_maddubs_epi16(high, qh),
                );
                *a = _mm256_add_epi32(*a, _mm256_madd_epi16(pairs, ones));
            }
            i += 32;
        }
    }
    let half =
        |a: __m256i| _mm_add_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256::<1>(a));
    let sums = _mm_hadd_epi32(
        _mm_hadd_epi32(half(acc[0]), half(acc[1])),
        _mm_hadd_epi32(half(acc[2]), half(acc[3])),
    );
    let mut out = [0i32; 4];
    // SAFETY: `out` is 16 bytes, the width of the store.
    unsafe { _mm_storeu_si128(out.as_mut_ptr().cast(), sums) };
    for (o, c) in out.iter_mut().zip(codes) {
        let tail = super::scalar::nibble_halves_dot(&c[i..h], &query[i..h], &query[h + i..2 * h]);
        *o = o.wrapping_add(tail);
    }
    out
}

crate::kernels::x86::table!(NibbleKernels {
    nibbles_dot_i8(codes: &[u8], query: &[i8]) -> i32;
    nibbles_dot_i8_x4(codes: [&[u8]; 4], query: &[i8]) -> [i32; 4];
});
