//! The float kernels by hand for AVX2: four independent FMA chains of 8 lanes, then scalar
//! lanes for the tail; f16 is widened with F16C on load (see `avx512.rs` for the figures).

use std::arch::x86_64::*;

use half::{bf16, f16};

use super::FloatKernels;

/// One AVX2 kernel: 4 accumulators of 8 lanes, an 8-lane loop, then scalar lanes.
macro_rules! avx2_kernel {
    ($name:ident, $t:ty, $load:ident, $scalar:expr, |$x:ident, $y:ident, $acc:ident| $step:expr) => {
        #[target_feature(enable = "avx2,fma,f16c")]
        fn $name(a: &[$t], b: &[$t]) -> f32 {
            let n = a.len().min(b.len());
            let (pa, pb) = (a.as_ptr(), b.as_ptr());
            let mut acc = [_mm256_setzero_ps(); 4];
            let mut i = 0;
            // SAFETY: every load reads lanes [i, i + 8) with i + 8 <= n.
            unsafe {
                while i + 32 <= n {
                    for (j, slot) in acc.iter_mut().enumerate() {
                        let ($x, $y, $acc) =
                            ($load(pa.add(i + 8 * j)), $load(pb.add(i + 8 * j)), *slot);
                        *slot = $step;
                    }
                    i += 32;
                }
                while i + 8 <= n {
                    let ($x, $y, $acc) = ($load(pa.add(i)), $load(pb.add(i)), acc[0]);
                    acc[0] = $step;
                    i += 8;
                }
            }
            let sum = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
            let tail: f32 = a[i..n].iter().zip(&b[i..n]).map($scalar).sum();
            hsum256(sum) + tail
        }
    };
}

#[inline]
#[target_feature(enable = "avx2")]
fn hsum256(v: __m256) -> f32 {
    let quad = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let pair = _mm_add_ps(quad, _mm_movehl_ps(quad, quad));
    let one = _mm_add_ss(pair, _mm_shuffle_ps::<0b01>(pair, pair));
    _mm_cvtss_f32(one)
}

#[inline]
#[target_feature(enable = "avx2,f16c")]
unsafe fn load8_f32(p: *const f32) -> __m256 {
    // SAFETY: the caller guarantees 8 readable f32 at `p`.
    unsafe { _mm256_loadu_ps(p) }
}
#[inline]
#[target_feature(enable = "avx2,f16c")]
unsafe fn load8_f16(p: *const f16) -> __m256 {
    // SAFETY: the caller guarantees 8 readable f16 (16 bytes) at `p`.
    unsafe { _mm256_cvtph_ps(_mm_loadu_si128(p.cast())) }
}

fn dot_lane((x, y): (&f32, &f32)) -> f32 {
    x * y
}
fn l2_lane((x, y): (&f32, &f32)) -> f32 {
    (x - y) * (x - y)
}
fn l1_lane((x, y): (&f32, &f32)) -> f32 {
    (x - y).abs()
}
fn dot_lane16((x, y): (&f16, &f16)) -> f32 {
    x.to_f32() * y.to_f32()
}
fn l2_lane16((x, y): (&f16, &f16)) -> f32 {
    let d = x.to_f32() - y.to_f32();
    d * d
}
fn l1_lane16((x, y): (&f16, &f16)) -> f32 {
    (x.to_f32() - y.to_f32()).abs()
}

/// |x| for 8 f32 lanes: clear the sign bit.
#[inline]
#[target_feature(enable = "avx2")]
fn abs8(v: __m256) -> __m256 {
    _mm256_andnot_ps(_mm256_set1_ps(-0.0), v)
}

avx2_kernel!(dot_f32, f32, load8_f32, dot_lane, |x, y, acc| {
    _mm256_fmadd_ps(x, y, acc)
});
avx2_kernel!(l2sq_f32, f32, load8_f32, l2_lane, |x, y, acc| {
    let d = _mm256_sub_ps(x, y);
    _mm256_fmadd_ps(d, d, acc)
});
avx2_kernel!(l1_f32, f32, load8_f32, l1_lane, |x, y, acc| _mm256_add_ps(
    acc,
    abs8(_mm256_sub_ps(x, y))
));
avx2_kernel!(dot_f16, f16, load8_f16, dot_lane16, |x, y, acc| {
    _mm256_fmadd_ps(x, y, acc)
});
avx2_kernel!(l2sq_f16, f16, load8_f16, l2_lane16, |x, y, acc| {
    let d = _mm256_sub_ps(x, y);
    _mm256_fmadd_ps(d, d, acc)
});
avx2_kernel!(
    l1_f16,
    f16,
    load8_f16,
    l1_lane16,
    |x, y, acc| _mm256_add_ps(acc, abs8(_mm256_sub_ps(x, y)))
);
/// bf16 widened to f32 by a shift (bf16 is the top half of an f32): 8 lanes.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn load8_bf16(p: *const bf16) -> __m256 {
    // SAFETY: the caller guarantees 8 readable bf16 (16 bytes) at `p`.
    unsafe {
        let w = _mm256_cvtepu16_epi32(_mm_loadu_si128(p.cast()));
        _mm256_castsi256_ps(_mm256_slli_epi32::<16>(w))
    }
}
avx2_kernel!(dot_bf16, bf16, load8_bf16, dot_lane_bf16, |x, y, acc| {
    _mm256_fmadd_ps(x, y, acc)
});
fn dot_lane_bf16((x, y): (&bf16, &bf16)) -> f32 {
    x.to_f32() * y.to_f32()
}
/// Four bf16 dots (no fused four-row kernel on AVX2).
#[target_feature(enable = "avx2,fma,f16c")]
fn dot4_bf16(d: &[bf16], q: [&[bf16]; 4]) -> [f32; 4] {
    q.map(|q| dot_bf16(d, q))
}
/// `d` against four rows: each 8 lanes of `d` loaded once, four FMA chains (one per row),
/// then a scalar tail.
#[target_feature(enable = "avx2,fma")]
fn dot4_f32(d: &[f32], q: [&[f32]; 4]) -> [f32; 4] {
    let n = q.iter().fold(d.len(), |n, r| n.min(r.len()));
    let mut acc = [_mm256_setzero_ps(); 4];
    let mut i = 0;
    // SAFETY: every load reads lanes [i, i + 8) with i + 8 <= n, at most every slice's length.
    unsafe {
        while i + 8 <= n {
            let x = _mm256_loadu_ps(d.as_ptr().add(i));
            for (a, r) in acc.iter_mut().zip(q) {
                *a = _mm256_fmadd_ps(x, _mm256_loadu_ps(r.as_ptr().add(i)), *a);
            }
            i += 8;
        }
    }
    let mut out = [0.0f32; 4];
    for ((o, a), r) in out.iter_mut().zip(acc).zip(q) {
        let mut lanes = [0.0f32; 8];
        // SAFETY: `lanes` holds 8 writable f32.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), a) };
        *o = lanes.iter().sum::<f32>()
            + d[i..n]
                .iter()
                .zip(&r[i..n])
                .map(|(x, y)| x * y)
                .sum::<f32>();
    }
    out
}

crate::kernels::x86::table!(FloatKernels {
    dot_f32(a: &[f32], b: &[f32]) -> f32;
    l2sq_f32(a: &[f32], b: &[f32]) -> f32;
    l1_f32(a: &[f32], b: &[f32]) -> f32;
    dot_f16(a: &[f16], b: &[f16]) -> f32;
    l2sq_f16(a: &[f16], b: &[f16]) -> f32;
    l1_f16(a: &[f16], b: &[f16]) -> f32;
    dot4_f32(d: &[f32], q: [&[f32]; 4]) -> [f32; 4];
    dot_bf16(a: &[bf16], b: &[bf16]) -> f32;
    dot4_bf16(d: &[bf16], q: [&[bf16]; 4]) -> [f32; 4];
    sift_f32(values: &mut [f32], cut: f32, at: &mut [u32]) -> usize;
});

crate::kernels::x86::lanes!("avx2,fma,f16c" {
    sift_f32(values: &mut [f32], cut: f32, at: &mut [u32]) -> usize;
});
