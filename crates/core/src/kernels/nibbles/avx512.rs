//! The nibble kernels by hand for AVX-512BW: 64 code bytes (128 coordinates) per step, with
//! `vpdpbusd` where the CPU has AVX-512 VNNI (`VNNI_TABLE`) and `vpmaddubsw` +
//! `vpmaddwd` where it does not (this module's table).

use std::arch::x86_64::*;

use super::NibbleKernels;

/// The low and the high nibbles of 64 code bytes, each as unsigned bytes.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn split(c: __m512i) -> (__m512i, __m512i) {
    let nib = _mm512_set1_epi8(0x0f);
    (
        _mm512_and_si512(c, nib),
        _mm512_and_si512(_mm512_srli_epi16::<4>(c), nib),
    )
}

/// One step of the nibble kernels without VNNI: the low and high nibbles of 64 code bytes as
/// unsigned bytes, times the two halves of the query (`vpmaddubsw`: |15 · 128 · 2| fits the
/// i16 pairs without saturating), widened to 16 i32 lanes (`vpmaddwd` with ones), added to
/// `acc`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn step_bw(acc: __m512i, c: __m512i, low_q: __m512i, high_q: __m512i) -> __m512i {
    let (low, high) = split(c);
    let pairs = _mm512_add_epi16(
        _mm512_maddubs_epi16(low, low_q),
        _mm512_maddubs_epi16(high, high_q),
    );
    _mm512_add_epi32(acc, _mm512_madd_epi16(pairs, _mm512_set1_epi16(1)))
}

/// The same step with VNNI: `vpdpbusd` multiplies unsigned by signed bytes and adds each four
/// products into the i32 lanes at once (four records of 384 dimensions: 20.9 -> 16.6 ns in
/// the `kernels` bench, AMD EPYC).
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn step_vnni(acc: __m512i, c: __m512i, low_q: __m512i, high_q: __m512i) -> __m512i {
    let (low, high) = split(c);
    _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(acc, low, low_q), high, high_q)
}

/// The mask of the bytes `[i, min(i + 64, h))` of a step.
#[inline]
fn step_mask(i: usize, h: usize) -> u64 {
    if h - i >= 64 {
        u64::MAX
    } else {
        (1u64 << (h - i)) - 1
    }
}

/// The two kernels, compiled for `$features` around the accumulate step `$step`.
macro_rules! kernels {
    ($features:literal, $step:ident) => {
        /// `scalar::nibbles_dot_i8` 64 bytes (128 coordinates) per step; whole steps load
        /// plainly, the last partial one through a mask (masking every step: 15.9 against 13.5 ns
        /// at 384 dimensions in the `kernels` bench, and 38.7 against 31.8 ns for four records).
        #[target_feature(enable = $features)]
        fn nibbles_dot_i8(codes: &[u8], query: &[i8]) -> i32 {
            let h = codes.len().min(query.len() / 2);
            let (pc, pq) = (codes.as_ptr(), query.as_ptr());
            // Two accumulators taking steps in turn: `vpdpbusd`'s latency sits on the chain.
            // With one, VNNI lost to the BW step at 4,096 dimensions (51.4 against 41.3 ns);
            // with two, VNNI takes 11.4 / 13.9 / 19.9 / 36.3 ns at 384 / 768 / 1,536 / 4,096
            // and the BW step 12.1 / 14.3 / 18.8 / 41.2 (one accumulator: 11.2 / 15.9 / 24.1 /
            // 41.3), AMD EPYC.
            let mut acc = [_mm512_setzero_si512(); 2];
            let mut i = 0;
            // SAFETY: whole steps read bytes [i, i + 64) of `codes`, `query[..h]` and
            // `query[h..2h]` with i + 64 <= h; the last step's loads are masked to the bytes
            // < h. Everything is inside the slices (2h <= query.len()).
            unsafe {
                let step = |acc: __m512i, i: usize| {
                    let c = _mm512_loadu_si512(pc.add(i).cast());
                    let ql = _mm512_loadu_si512(pq.add(i).cast());
                    let qh = _mm512_loadu_si512(pq.add(h + i).cast());
                    $step(acc, c, ql, qh)
                };
                while i + 128 <= h {
                    acc[0] = step(acc[0], i);
                    acc[1] = step(acc[1], i + 64);
                    i += 128;
                }
                if i + 64 <= h {
                    acc[0] = step(acc[0], i);
                    i += 64;
                }
                if i < h {
                    let mask = step_mask(i, h);
                    let c = _mm512_maskz_loadu_epi8(mask, pc.add(i).cast());
                    let ql = _mm512_maskz_loadu_epi8(mask, pq.add(i));
                    let qh = _mm512_maskz_loadu_epi8(mask, pq.add(h + i));
                    acc[1] = $step(acc[1], c, ql, qh);
                }
            }
            _mm512_reduce_add_epi32(_mm512_add_epi32(acc[0], acc[1]))
        }

        /// `scalar::nibbles_dot_i8_x4`: [`nibbles_dot_i8`]'s steps on four records at once, each
        /// half of the query loaded once per step for all four, and the four sums reduced
        /// together.
        #[target_feature(enable = $features)]
        fn nibbles_dot_i8_x4(codes: [&[u8]; 4], query: &[i8]) -> [i32; 4] {
            let h = crate::kernels::nibbles::common_half(&codes, query);
            let pq = query.as_ptr();
            let mut acc = [_mm512_setzero_si512(); 4];
            let mut i = 0;
            // SAFETY: as in `nibbles_dot_i8`, for each record: whole steps end at or before h,
            // the last one is masked to the bytes < h.
            unsafe {
                while i < h {
                    let mask = step_mask(i, h);
                    let (ql, qh) = if mask == u64::MAX {
                        (
                            _mm512_loadu_si512(pq.add(i).cast()),
                            _mm512_loadu_si512(pq.add(h + i).cast()),
                        )
                    } else {
                        (
                            _mm512_maskz_loadu_epi8(mask, pq.add(i)),
                            _mm512_maskz_loadu_epi8(mask, pq.add(h + i)),
                        )
                    };
                    for (a, c) in acc.iter_mut().zip(codes) {
                        let c = if mask == u64::MAX {
                            _mm512_loadu_si512(c.as_ptr().add(i).cast())
                        } else {
                            _mm512_maskz_loadu_epi8(mask, c.as_ptr().add(i).cast())
                        };
                        *a = $step(*a, c, ql, qh);
                    }
                    i += 64;
                }
            }
            let quarter = |a: __m512i| {
                let y =
                    _mm256_add_epi32(_mm512_castsi512_si256(a), _mm512_extracti64x4_epi64::<1>(a));
                _mm_add_epi32(_mm256_castsi256_si128(y), _mm256_extracti128_si256::<1>(y))
            };
            let sums = _mm_hadd_epi32(
                _mm_hadd_epi32(quarter(acc[0]), quarter(acc[1])),
                _mm_hadd_epi32(quarter(acc[2]), quarter(acc[3])),
            );
            let mut out = [0i32; 4];
            // SAFETY: `out` is 16 bytes, the width of the store.
            unsafe { _mm_storeu_si128(out.as_mut_ptr().cast(), sums) };
            out
        }
    };
}

kernels!("avx512f,avx512bw", step_bw);

crate::kernels::x86::table!(NibbleKernels {
    nibbles_dot_i8(codes: &[u8], query: &[i8]) -> i32;
    nibbles_dot_i8_x4(codes: [&[u8]; 4], query: &[i8]) -> [i32; 4];
});

/// The table with VNNI, handed out only where `has_avx512_vnni` holds.
pub(super) const VNNI_TABLE: NibbleKernels = vnni::TABLE;

mod vnni {
    use super::*;

    kernels!("avx512f,avx512bw,avx512vnni", step_vnni);

    crate::kernels::x86::table!(NibbleKernels {
        nibbles_dot_i8(codes: &[u8], query: &[i8]) -> i32;
        nibbles_dot_i8_x4(codes: [&[u8]; 4], query: &[i8]) -> [i32; 4];
    });
}
