//! The float kernels by hand for AVX-512: four independent FMA chains of 16 lanes over
//! unaligned loads and a masked tail; f16 is widened with F16C (`vcvtph2ps`) on load.
//!
//! Why by hand: on a Xeon (Cascade Lake class) the `kernels` bench measured, for an f32 dot at
//! 384 dims, simsimd at ~48 ns (an FFI call plus its own dispatch per pair), auto-vectorized
//! lane bodies at ~90 ns, and these loops at ~29 ns; the scalar reference takes ~486 ns
//! (f16 dot: simsimd ~127 ns, this ~60 ns).

use std::arch::x86_64::*;

use half::f16;

use super::FloatKernels;

/// One AVX-512 kernel: 4 accumulators of 16 lanes, a 16-lane loop, then a masked tail.
macro_rules! avx512_kernel {
    ($name:ident, $t:ty, $load:ident, $maskload:ident, |$x:ident, $y:ident, $acc:ident| $step:expr) => {
        #[target_feature(enable = "avx512f,avx512bw,avx512vl,f16c,fma")]
        fn $name(a: &[$t], b: &[$t]) -> f32 {
            let n = a.len().min(b.len());
            let (pa, pb) = (a.as_ptr(), b.as_ptr());
            let mut acc = [_mm512_setzero_ps(); 4];
            let mut i = 0;
            // SAFETY: every load reads lanes [i, i + 16) with i + 16 <= n, or a masked tail
            // whose mask covers only lanes < n, so no read goes past either slice.
            unsafe {
                while i + 64 <= n {
                    for (j, slot) in acc.iter_mut().enumerate() {
                        let ($x, $y, $acc) =
                            ($load(pa.add(i + 16 * j)), $load(pb.add(i + 16 * j)), *slot);
                        *slot = $step;
                    }
                    i += 64;
                }
                while i + 16 <= n {
                    let ($x, $y, $acc) = ($load(pa.add(i)), $load(pb.add(i)), acc[0]);
                    acc[0] = $step;
                    i += 16;
                }
                if i < n {
                    let mask: u16 = (1u32 << (n - i)).wrapping_sub(1) as u16;
                    let ($x, $y, $acc) = (
                        $maskload(mask, pa.add(i)),
                        $maskload(mask, pb.add(i)),
                        acc[1],
                    );
                    acc[1] = $step;
                }
            }
            let sum = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3]));
            _mm512_reduce_add_ps(sum)
        }
    };
}

// Loads: 16 (AVX-512) or 8 (AVX2) lanes of f32, from f32 or widened from f16.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,f16c")]
unsafe fn load16_f32(p: *const f32) -> __m512 {
    // SAFETY: the caller guarantees 16 readable f32 at `p`.
    unsafe { _mm512_loadu_ps(p) }
}
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,f16c")]
unsafe fn maskload16_f32(m: u16, p: *const f32) -> __m512 {
    // SAFETY: masked-off lanes are not read; the caller guarantees the others are readable.
    unsafe { _mm512_maskz_loadu_ps(m, p) }
}
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,f16c")]
unsafe fn load16_f16(p: *const f16) -> __m512 {
    // SAFETY: the caller guarantees 16 readable f16 (32 bytes) at `p`.
    unsafe { _mm512_cvtph_ps(_mm256_loadu_si256(p.cast())) }
}
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,f16c")]
unsafe fn maskload16_f16(m: u16, p: *const f16) -> __m512 {
    // SAFETY: masked-off lanes are not read; the caller guarantees the others are readable.
    unsafe { _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p.cast())) }
}

avx512_kernel!(dot_f32, f32, load16_f32, maskload16_f32, |x, y, acc| {
    _mm512_fmadd_ps(x, y, acc)
});
avx512_kernel!(l2sq_f32, f32, load16_f32, maskload16_f32, |x, y, acc| {
    let d = _mm512_sub_ps(x, y);
    _mm512_fmadd_ps(d, d, acc)
});
avx512_kernel!(l1_f32, f32, load16_f32, maskload16_f32, |x, y, acc| {
    _mm512_add_ps(acc, _mm512_abs_ps(_mm512_sub_ps(x, y)))
});
avx512_kernel!(dot_f16, f16, load16_f16, maskload16_f16, |x, y, acc| {
    _mm512_fmadd_ps(x, y, acc)
});
avx512_kernel!(l2sq_f16, f16, load16_f16, maskload16_f16, |x, y, acc| {
    let d = _mm512_sub_ps(x, y);
    _mm512_fmadd_ps(d, d, acc)
});
avx512_kernel!(l1_f16, f16, load16_f16, maskload16_f16, |x, y, acc| {
    _mm512_add_ps(acc, _mm512_abs_ps(_mm512_sub_ps(x, y)))
});
/// `d` against four rows: each 16 lanes of `d` loaded once, four FMA chains (one per row),
/// a masked tail, four reductions.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,f16c,fma")]
fn dot4_f32(d: &[f32], q: [&[f32]; 4]) -> [f32; 4] {
    let n = q.iter().fold(d.len(), |n, r| n.min(r.len()));
    let mut acc = [_mm512_setzero_ps(); 4];
    let mut i = 0;
    // SAFETY: every load reads lanes [i, i + 16) with i + 16 <= n, or a masked tail whose
    // mask covers only lanes < n; n is at most every slice's length.
    unsafe {
        while i + 16 <= n {
            let x = _mm512_loadu_ps(d.as_ptr().add(i));
            for (a, r) in acc.iter_mut().zip(q) {
                *a = _mm512_fmadd_ps(x, _mm512_loadu_ps(r.as_ptr().add(i)), *a);
            }
            i += 16;
        }
        if i < n {
            let mask: u16 = (1u32 << (n - i)).wrapping_sub(1) as u16;
            let x = _mm512_maskz_loadu_ps(mask, d.as_ptr().add(i));
            for (a, r) in acc.iter_mut().zip(q) {
                *a = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(mask, r.as_ptr().add(i)), *a);
            }
        }
    }
    acc.map(|a| _mm512_reduce_add_ps(a))
}

crate::kernels::x86::table!(FloatKernels {
    dot_f32(a: &[f32], b: &[f32]) -> f32;
    l2sq_f32(a: &[f32], b: &[f32]) -> f32;
    l1_f32(a: &[f32], b: &[f32]) -> f32;
    dot_f16(a: &[f16], b: &[f16]) -> f32;
    l2sq_f16(a: &[f16], b: &[f16]) -> f32;
    l1_f16(a: &[f16], b: &[f16]) -> f32;
    dot4_f32(d: &[f32], q: [&[f32]; 4]) -> [f32; 4];
});
