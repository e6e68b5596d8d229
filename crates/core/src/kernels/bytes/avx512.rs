//! The byte kernels for AVX-512BW: dot and squared L2 over u8 and i8 and the i16 × i8 dot by
//! hand, 64 bytes per step with a masked tail; L1 and Hamming are the lane bodies compiled for
//! this level.
//!
//! Why by hand: the `kernels` bench measured, at 384 dims, auto-vectorized lane bodies at
//! ~30 ns for a u8 dot (the compiler widens every byte to 32 bits) and simsimd's i8 dot at
//! ~38 ns (an FFI call and its own dispatch per pair), no faster than the f32 dot that reads
//! four times the bytes.
//!
//! The trick: a vector of bytes is also a vector of 16-bit lanes. Masking each lane with
//! 0x00FF gives the even bytes widened in place, shifting it right by 8 gives the odd ones
//! (arithmetic shifts for i8), so no shuffle is needed. `vpmaddwd` then multiplies and adds
//! pairs into 32-bit lanes. Squared L2 first takes `|a − b|` per byte as unsigned: `max − min`
//! for u8, after flipping the sign bit for i8, which preserves differences. Sums are exact
//! while they fit in 32 bits: up to 66,000 dims for u8 products (255² each).

use std::arch::x86_64::*;

use super::ByteKernels;

/// An AVX-512BW byte kernel over 64 bytes per step (masked tail): `$step` maps the two loaded
/// vectors to 16 32-bit lanes to accumulate.
macro_rules! avx512_bytes {
    ($name:ident, $t:ty, $r:ty, |$x:ident, $y:ident| $step:expr) => {
        #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
        fn $name(a: &[$t], b: &[$t]) -> $r {
            let n = a.len().min(b.len());
            let (pa, pb) = (a.as_ptr() as *const i8, b.as_ptr() as *const i8);
            let (mut acc0, mut acc1) = (_mm512_setzero_si512(), _mm512_setzero_si512());
            let mut i = 0;
            // SAFETY: full loads read bytes [i, i + 64) with i + 64 <= n; the tail load is
            // masked to the bytes < n, so no read goes past either slice.
            unsafe {
                while i + 128 <= n {
                    let ($x, $y) = (
                        _mm512_loadu_si512(pa.add(i).cast()),
                        _mm512_loadu_si512(pb.add(i).cast()),
                    );
                    acc0 = _mm512_add_epi32(acc0, $step);
                    let ($x, $y) = (
                        _mm512_loadu_si512(pa.add(i + 64).cast()),
                        _mm512_loadu_si512(pb.add(i + 64).cast()),
                    );
                    acc1 = _mm512_add_epi32(acc1, $step);
                    i += 128;
                }
                while i < n {
                    let mask: u64 = if n - i >= 64 {
                        u64::MAX
                    } else {
                        (1u64 << (n - i)) - 1
                    };
                    let ($x, $y) = (
                        _mm512_maskz_loadu_epi8(mask, pa.add(i)),
                        _mm512_maskz_loadu_epi8(mask, pb.add(i)),
                    );
                    acc0 = _mm512_add_epi32(acc0, $step);
                    i += 64;
                }
            }
            _mm512_reduce_add_epi32(_mm512_add_epi32(acc0, acc1)) as $r
        }
    };
}

/// Σ xᵢyᵢ over unsigned bytes, in 16 32-bit lanes.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn dot_u8_step(x: __m512i, y: __m512i) -> __m512i {
    let low = _mm512_set1_epi16(0x00FF);
    let even = _mm512_madd_epi16(_mm512_and_si512(x, low), _mm512_and_si512(y, low));
    let odd = _mm512_madd_epi16(_mm512_srli_epi16::<8>(x), _mm512_srli_epi16::<8>(y));
    _mm512_add_epi32(even, odd)
}

/// Σ xᵢyᵢ over signed bytes.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
pub(in crate::kernels) fn dot_i8_step(x: __m512i, y: __m512i) -> __m512i {
    let (xe, ye) = (
        _mm512_srai_epi16::<8>(_mm512_slli_epi16::<8>(x)),
        _mm512_srai_epi16::<8>(_mm512_slli_epi16::<8>(y)),
    );
    let even = _mm512_madd_epi16(xe, ye);
    let odd = _mm512_madd_epi16(_mm512_srai_epi16::<8>(x), _mm512_srai_epi16::<8>(y));
    _mm512_add_epi32(even, odd)
}

/// Σ (xᵢ − yᵢ)² over unsigned bytes.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn l2sq_u8_step(x: __m512i, y: __m512i) -> __m512i {
    let d = _mm512_sub_epi8(_mm512_max_epu8(x, y), _mm512_min_epu8(x, y));
    dot_u8_step(d, d)
}

avx512_bytes!(dot_u8, u8, u32, |x, y| dot_u8_step(x, y));
avx512_bytes!(dot_i8, i8, i32, |x, y| dot_i8_step(x, y));
avx512_bytes!(l2sq_u8, u8, u32, |x, y| l2sq_u8_step(x, y));
avx512_bytes!(l2sq_i8, i8, u32, |x, y| {
    let flip = _mm512_set1_epi8(i8::MIN);
    l2sq_u8_step(_mm512_xor_si512(x, flip), _mm512_xor_si512(y, flip))
});

/// Σ aᵢbᵢ of an i16 query with i8 codes, 32 per step: the codes are sign-extended to 16
/// bits (`vpmovsxbw`) and multiplied with `vpmaddwd`.
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
fn dot_i16_i8(a: &[i16], b: &[i8]) -> i32 {
    let n = a.len().min(b.len());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let (mut acc0, mut acc1) = (_mm512_setzero_si512(), _mm512_setzero_si512());
    let mut i = 0;
    // SAFETY: full loads read lanes [i, i + 32) (resp. + 64) with the end <= n; the tail
    // loads are masked to the lanes < n, so no read goes past either slice.
    unsafe {
        while i + 64 <= n {
            let c0 = _mm512_cvtepi8_epi16(_mm256_loadu_si256(pb.add(i).cast()));
            let c1 = _mm512_cvtepi8_epi16(_mm256_loadu_si256(pb.add(i + 32).cast()));
            let q0 = _mm512_loadu_si512(pa.add(i).cast());
            let q1 = _mm512_loadu_si512(pa.add(i + 32).cast());
            acc0 = _mm512_add_epi32(acc0, _mm512_madd_epi16(q0, c0));
            acc1 = _mm512_add_epi32(acc1, _mm512_madd_epi16(q1, c1));
            i += 64;
        }
        while i < n {
            let mask: u32 = if n - i >= 32 {
                u32::MAX
            } else {
                (1u32 << (n - i)) - 1
            };
            let c = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(mask, pb.add(i)));
            let q = _mm512_maskz_loadu_epi16(mask, pa.add(i));
            acc0 = _mm512_add_epi32(acc0, _mm512_madd_epi16(q, c));
            i += 32;
        }
    }
    _mm512_reduce_add_epi32(_mm512_add_epi32(acc0, acc1))
}

crate::kernels::x86::lanes!("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c,popcnt" {
    l1_u8(a: &[u8], b: &[u8]) -> u32;
    l1_i8(a: &[i8], b: &[i8]) -> u32;
    hamming(a: &[u64], b: &[u64]) -> u32;
});

crate::kernels::x86::table!(ByteKernels {
    dot_i8(a: &[i8], b: &[i8]) -> i32;
    dot_i16_i8(a: &[i16], b: &[i8]) -> i32;
    l2sq_i8(a: &[i8], b: &[i8]) -> u32;
    l1_i8(a: &[i8], b: &[i8]) -> u32;
    dot_u8(a: &[u8], b: &[u8]) -> u32;
    l2sq_u8(a: &[u8], b: &[u8]) -> u32;
    l1_u8(a: &[u8], b: &[u8]) -> u32;
    hamming(a: &[u64], b: &[u64]) -> u32;
});
