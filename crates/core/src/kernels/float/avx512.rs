//! The float kernels by hand for AVX-512: four independent FMA chains of 16 lanes over
//! unaligned loads and a masked tail; f16 is widened with F16C (`vcvtph2ps`) on load.
//!
//! Why by hand: on a Xeon (Cascade Lake class) the `kernels` bench measured, for an f32 dot at
//! 384 dims, simsimd at ~48 ns (an FFI call plus its own dispatch per pair), auto-vectorized
//! lane bodies at ~90 ns, and these loops at ~29 ns; the scalar reference takes ~486 ns
//! (f16 dot: simsimd ~127 ns, this ~60 ns).

use std::arch::x86_64::*;

use half::{bf16, f16};

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
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,f16c")]
unsafe fn load16_bf16(p: *const bf16) -> __m512 {
    // SAFETY: the caller guarantees 16 readable bf16 (32 bytes) at `p`. A bf16 is the top
    // half of an f32: widened by a shift.
    unsafe {
        let w = _mm512_cvtepu16_epi32(_mm256_loadu_si256(p.cast()));
        _mm512_castsi512_ps(_mm512_slli_epi32::<16>(w))
    }
}
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,f16c")]
unsafe fn maskload16_bf16(m: u16, p: *const bf16) -> __m512 {
    // SAFETY: masked-off lanes are not read; the caller guarantees the others are readable.
    unsafe {
        let w = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p.cast()));
        _mm512_castsi512_ps(_mm512_slli_epi32::<16>(w))
    }
}
avx512_kernel!(dot_bf16, bf16, load16_bf16, maskload16_bf16, |x, y, acc| {
    _mm512_fmadd_ps(x, y, acc)
});
/// One row `d` against four: each 16 lanes of `d` loaded once, four FMA chains (one per row),
/// a masked tail, four reductions.
macro_rules! avx512_kernel4 {
    ($name:ident, $t:ty, $load:ident, $maskload:ident) => {
        #[target_feature(enable = "avx512f,avx512bw,avx512vl,f16c,fma")]
        fn $name(d: &[$t], q: [&[$t]; 4]) -> [f32; 4] {
            let n = q.iter().fold(d.len(), |n, r| n.min(r.len()));
            let mut acc = [_mm512_setzero_ps(); 4];
            let mut i = 0;
            // SAFETY: every load reads lanes [i, i + 16) with i + 16 <= n, or a masked tail
            // whose mask covers only lanes < n; n is at most every slice's length.
            unsafe {
                while i + 16 <= n {
                    let x = $load(d.as_ptr().add(i));
                    for (a, r) in acc.iter_mut().zip(q) {
                        *a = _mm512_fmadd_ps(x, $load(r.as_ptr().add(i)), *a);
                    }
                    i += 16;
                }
                if i < n {
                    let mask: u16 = (1u32 << (n - i)).wrapping_sub(1) as u16;
                    let x = $maskload(mask, d.as_ptr().add(i));
                    for (a, r) in acc.iter_mut().zip(q) {
                        *a = _mm512_fmadd_ps(x, $maskload(mask, r.as_ptr().add(i)), *a);
                    }
                }
            }
            acc.map(|a| _mm512_reduce_add_ps(a))
        }
    };
}
avx512_kernel4!(dot4_f32, f32, load16_f32, maskload16_f32);
// bf16 widened on load: the table for CPUs without AVX-512 BF16.
avx512_kernel4!(dot4_bf16, bf16, load16_bf16, maskload16_bf16);

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

/// The sift by hand: sixteen values compared into a mask, the lanes outside it zeroed by one
/// masked store, and only the mask's set bits listed (in perf over bm25-pypi-10k's 1,000
/// long sparse queries: 14% of the time, against 16% for the lane body compiled for
/// AVX-512, whose per-lane listing branches on all sixteen lanes of a group with a hit).
#[target_feature(enable = "avx512f,avx512bw,avx512vl,f16c,fma")]
fn sift_f32(values: &mut [f32], cut: f32, at: &mut [u32]) -> usize {
    let (len, p) = (values.len(), values.as_mut_ptr());
    let (c, zero) = (_mm512_set1_ps(cut), _mm512_setzero_ps());
    let (mut n, mut i) = (0, 0);
    while i + 16 <= len {
        // SAFETY: lanes [i, i + 16) with i + 16 <= len lie inside `values`.
        let v = unsafe { _mm512_loadu_ps(p.add(i)) };
        let kept =
            _mm512_cmp_ps_mask::<_CMP_GE_OQ>(v, c) | _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(v, v);
        // SAFETY: as the load; only the lanes not kept are written.
        unsafe { _mm512_mask_storeu_ps(p.add(i), !kept, zero) };
        let mut bits = u32::from(kept);
        while bits != 0 {
            at[n] = i as u32 + bits.trailing_zeros();
            n += 1;
            bits &= bits - 1;
        }
        i += 16;
    }
    super::lanes::sift_tail(&mut values[i..], cut, i, at, n)
}

/// The table with native bf16 dots, handed out only where `has_avx512_bf16` holds.
pub(super) const BF16_TABLE: FloatKernels = FloatKernels {
    dot_bf16: native_bf16::dot_bf16,
    dot4_bf16: native_bf16::dot4_bf16,
    ..TABLE
};

/// `vdpbf16ps`: 32 bf16 products summed pairwise into 16 f32 lanes per instruction (half the
/// instructions and bytes of the f32 kernels).
mod native_bf16 {
    use super::*;

    /// 32 bf16 lanes at `p` (masked: lanes past the mask read as zero, adding nothing).
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512bf16")]
    unsafe fn load32(m: u32, p: *const bf16) -> __m512bh {
        // SAFETY: masked-off lanes are not read; the caller guarantees the others are
        // readable. `__m512bh` and `__m512i` are both 64 plain bytes.
        unsafe { std::mem::transmute::<__m512i, __m512bh>(_mm512_maskz_loadu_epi16(m, p.cast())) }
    }

    /// Mask of the first `k` (≤ 32) lanes.
    #[inline]
    fn first(k: usize) -> u32 {
        if k >= 32 { u32::MAX } else { (1u32 << k) - 1 }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512bf16")]
    fn dot_bf16_native(a: &[bf16], b: &[bf16]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        // Four independent chains over 128 lanes a step (one chain waits on `vdpbf16ps`'s
        // latency: 37 ns at 384 dims against 27 ns for the f32 kernel), then 32 at a time.
        let mut acc = [_mm512_setzero_ps(); 4];
        let mut i = 0;
        // SAFETY: each load's mask covers lanes [i, min(i + 32, n)), within both slices.
        unsafe {
            while i + 128 <= n {
                for (j, slot) in acc.iter_mut().enumerate() {
                    let k = i + 32 * j;
                    *slot = _mm512_dpbf16_ps(*slot, load32(!0, pa.add(k)), load32(!0, pb.add(k)));
                }
                i += 128;
            }
            while i < n {
                let m = first(n - i);
                acc[0] = _mm512_dpbf16_ps(acc[0], load32(m, pa.add(i)), load32(m, pb.add(i)));
                i += 32;
            }
        }
        let sum = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3]));
        _mm512_reduce_add_ps(sum)
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512bf16")]
    fn dot4_bf16_native(d: &[bf16], q: [&[bf16]; 4]) -> [f32; 4] {
        let n = q.iter().fold(d.len(), |n, r| n.min(r.len()));
        let mut acc = [_mm512_setzero_ps(); 4];
        let mut i = 0;
        // SAFETY: each load's mask covers lanes [i, min(i + 32, n)), within every slice.
        unsafe {
            while i < n {
                let m = first(n - i);
                let x = load32(m, d.as_ptr().add(i));
                for (a, r) in acc.iter_mut().zip(q) {
                    *a = _mm512_dpbf16_ps(*a, x, load32(m, r.as_ptr().add(i)));
                }
                i += 32;
            }
        }
        acc.map(|a| _mm512_reduce_add_ps(a))
    }

    pub(super) fn dot_bf16(a: &[bf16], b: &[bf16]) -> f32 {
        // SAFETY: reachable only through `BF16_TABLE`, handed out after `has_avx512_bf16`.
        unsafe { dot_bf16_native(a, b) }
    }

    pub(super) fn dot4_bf16(d: &[bf16], q: [&[bf16]; 4]) -> [f32; 4] {
        // SAFETY: reachable only through `BF16_TABLE`, handed out after `has_avx512_bf16`.
        unsafe { dot4_bf16_native(d, q) }
    }
}
