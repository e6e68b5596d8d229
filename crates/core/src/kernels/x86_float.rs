//! Hand-written AVX-512 and AVX2 kernels for f32 and f16 (dot, squared L2, L1).
//!
//! Why by hand: on a Xeon (Cascade Lake class) the `kernels` bench measured, for an f32 dot at
//! 384 dims, simsimd at ~48 ns (an FFI call plus its own dispatch per pair), auto-vectorized
//! lane bodies at ~90 ns, and these four independent FMA chains over unaligned loads (masked
//! tail on AVX-512) at ~29 ns; the scalar reference takes ~486 ns. f16 inputs are widened with
//! F16C (`vcvtph2ps`) and go through the same loops (simsimd's f16 dot: ~127 ns, this: ~60 ns).
//!
//! Every function here requires the CPU features named in its `target_feature` attribute; they
//! are only reachable through the kernel tables built after runtime detection (`kernels::mod`).

use std::arch::x86_64::*;

use half::f16;

/// One AVX-512 kernel: 4 accumulators of 16 lanes, a 16-lane loop, then a masked tail.
macro_rules! avx512_kernel {
    ($name:ident, $t:ty, $load:ident, $maskload:ident, |$x:ident, $y:ident, $acc:ident| $step:expr) => {
        #[target_feature(enable = "avx512f,avx512bw,avx512vl,f16c,fma")]
        pub(in super::super) fn $name(a: &[$t], b: &[$t]) -> f32 {
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

/// One AVX2 kernel: 4 accumulators of 8 lanes, an 8-lane loop, then scalar lanes.
macro_rules! avx2_kernel {
    ($name:ident, $t:ty, $load:ident, $scalar:expr, |$x:ident, $y:ident, $acc:ident| $step:expr) => {
        #[target_feature(enable = "avx2,fma,f16c")]
        pub(in super::super) fn $name(a: &[$t], b: &[$t]) -> f32 {
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

pub(super) mod avx512 {
    use super::*;

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
}

/// |x| for 8 f32 lanes: clear the sign bit.
#[inline]
#[target_feature(enable = "avx2")]
fn abs8(v: __m256) -> __m256 {
    _mm256_andnot_ps(_mm256_set1_ps(-0.0), v)
}

pub(super) mod avx2 {
    use super::*;

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
}
