//! The byte kernels for AVX2: dot and squared L2 over u8 and i8 by hand, 32 bytes per step
//! with a scalar tail (the method is in `avx512.rs`); L1, Hamming and the i16 × i8 dot are the
//! lane bodies compiled for this level.

use std::arch::x86_64::*;

use super::ByteKernels;

/// An AVX2 byte kernel over 32 bytes per step, scalar tail.
macro_rules! avx2_bytes {
    ($name:ident, $t:ty, $r:ty, $scalar:expr, |$x:ident, $y:ident| $step:expr) => {
        #[target_feature(enable = "avx2")]
        fn $name(a: &[$t], b: &[$t]) -> $r {
            let n = a.len().min(b.len());
            let (pa, pb) = (a.as_ptr(), b.as_ptr());
            let (mut acc0, mut acc1) = (_mm256_setzero_si256(), _mm256_setzero_si256());
            let mut i = 0;
            // SAFETY: every load reads bytes [i, i + 32) with i + 32 <= n.
            unsafe {
                while i + 64 <= n {
                    let ($x, $y) = (
                        _mm256_loadu_si256(pa.add(i).cast()),
                        _mm256_loadu_si256(pb.add(i).cast()),
                    );
                    acc0 = _mm256_add_epi32(acc0, $step);
                    let ($x, $y) = (
                        _mm256_loadu_si256(pa.add(i + 32).cast()),
                        _mm256_loadu_si256(pb.add(i + 32).cast()),
                    );
                    acc1 = _mm256_add_epi32(acc1, $step);
                    i += 64;
                }
                if i + 32 <= n {
                    let ($x, $y) = (
                        _mm256_loadu_si256(pa.add(i).cast()),
                        _mm256_loadu_si256(pb.add(i).cast()),
                    );
                    acc0 = _mm256_add_epi32(acc0, $step);
                    i += 32;
                }
            }
            let sum = _mm256_add_epi32(acc0, acc1);
            let quad = _mm_add_epi32(
                _mm256_castsi256_si128(sum),
                _mm256_extracti128_si256::<1>(sum),
            );
            let pair = _mm_add_epi32(quad, _mm_shuffle_epi32::<0b01_00_11_10>(quad));
            let one = _mm_add_epi32(pair, _mm_shuffle_epi32::<0b00_00_00_01>(pair));
            let tail: $r = a[i..n].iter().zip(&b[i..n]).map($scalar).sum();
            (_mm_cvtsi128_si32(one) as $r).wrapping_add(tail)
        }
    };
}

#[inline]
#[target_feature(enable = "avx2")]
fn dot_u8_step(x: __m256i, y: __m256i) -> __m256i {
    let low = _mm256_set1_epi16(0x00FF);
    let even = _mm256_madd_epi16(_mm256_and_si256(x, low), _mm256_and_si256(y, low));
    let odd = _mm256_madd_epi16(_mm256_srli_epi16::<8>(x), _mm256_srli_epi16::<8>(y));
    _mm256_add_epi32(even, odd)
}

#[inline]
#[target_feature(enable = "avx2")]
fn dot_i8_step(x: __m256i, y: __m256i) -> __m256i {
    let (xe, ye) = (
        _mm256_srai_epi16::<8>(_mm256_slli_epi16::<8>(x)),
        _mm256_srai_epi16::<8>(_mm256_slli_epi16::<8>(y)),
    );
    let even = _mm256_madd_epi16(xe, ye);
    let odd = _mm256_madd_epi16(_mm256_srai_epi16::<8>(x), _mm256_srai_epi16::<8>(y));
    _mm256_add_epi32(even, odd)
}

#[inline]
#[target_feature(enable = "avx2")]
fn l2sq_u8_step(x: __m256i, y: __m256i) -> __m256i {
    let d = _mm256_sub_epi8(_mm256_max_epu8(x, y), _mm256_min_epu8(x, y));
    dot_u8_step(d, d)
}

avx2_bytes!(
    dot_u8,
    u8,
    u32,
    |(&x, &y)| u32::from(x) * u32::from(y),
    |x, y| dot_u8_step(x, y)
);
avx2_bytes!(
    dot_i8,
    i8,
    i32,
    |(&x, &y)| i32::from(x) * i32::from(y),
    |x, y| dot_i8_step(x, y)
);
avx2_bytes!(
    l2sq_u8,
    u8,
    u32,
    |(&x, &y)| u32::from(x.abs_diff(y)).pow(2),
    |x, y| l2sq_u8_step(x, y)
);
avx2_bytes!(
    l2sq_i8,
    i8,
    u32,
    |(&x, &y)| u32::from(x.abs_diff(y)).pow(2),
    |x, y| {
        let flip = _mm256_set1_epi8(i8::MIN);
        l2sq_u8_step(_mm256_xor_si256(x, flip), _mm256_xor_si256(y, flip))
    }
);

crate::kernels::x86::lanes!("avx2,fma,f16c,popcnt" {
    l1_u8(a: &[u8], b: &[u8]) -> u32;
    l1_i8(a: &[i8], b: &[i8]) -> u32;
    hamming(a: &[u64], b: &[u64]) -> u32;
    dot_i16_i8(a: &[i16], b: &[i8]) -> i32;
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
