//! Hand-written AVX-512BW and AVX2 kernels for bytes: dot and squared L2 over u8 and i8.
//!
//! Why by hand: the `kernels` bench measured, at 384 dims, auto-vectorized lane bodies at
//! ~30 ns for a u8 dot (the compiler widens every byte to 32 bits) and simsimd's i8 dot at
//! ~38 ns (an FFI call and its own dispatch per pair), no faster than the f32 dot that reads
//! four times the bytes.
//!
//! The trick here: a vector of bytes is also a vector of 16-bit lanes. Masking each lane with
//! 0x00FF gives the even bytes widened in place, shifting it right by 8 gives the odd ones
//! (arithmetic shifts for i8), so no shuffle is needed. `vpmaddwd` then multiplies and adds
//! pairs into 32-bit lanes. Squared L2 first takes `|a − b|` per byte as unsigned: `max − min`
//! for u8, after flipping the sign bit for i8, which preserves differences.
//!
//! Sums are exact while they fit in 32 bits: up to 66,000 dims for u8 products (255² each).
//!
//! Every function here requires the CPU features named in its `target_feature` attribute; they
//! are only reachable through the kernel tables built after runtime detection (`kernels::mod`).

use std::arch::x86_64::*;

/// An AVX-512BW byte kernel over 64 bytes per step (masked tail): `$step` maps the two loaded
/// vectors to 16 32-bit lanes to accumulate.
macro_rules! avx512_bytes {
    ($name:ident, $t:ty, $r:ty, |$x:ident, $y:ident| $step:expr) => {
        #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
        pub(in super::super) fn $name(a: &[$t], b: &[$t]) -> $r {
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

/// An AVX2 byte kernel over 32 bytes per step, scalar tail.
macro_rules! avx2_bytes {
    ($name:ident, $t:ty, $r:ty, $scalar:expr, |$x:ident, $y:ident| $step:expr) => {
        #[target_feature(enable = "avx2")]
        pub(in super::super) fn $name(a: &[$t], b: &[$t]) -> $r {
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

/// Adds the fast-scan sums of the sub-spaces a SIMD kernel's steps left over to `out` (the
/// kernels return before it when their steps covered every sub-space, the usual case).
#[inline]
fn add_rest(codes: &[u8], lut: &[u8], out: &mut [u16; 32]) {
    let mut rest = [0u16; 32];
    super::scalar::fast_scan_block(codes, lut, 0, &mut rest);
    for (o, r) in out.iter_mut().zip(rest) {
        *o = o.wrapping_add(r);
    }
}

/// `(m, sub)` of a fast-scan table call the SIMD kernels take: `m` rows of 16 in `out`, `sub`
/// query coordinates per row, and books for all of them. `None` (no coordinates per row, or
/// books too short) leaves the call to the scalar kernel.
fn fast_scan_table_shape(query: &[f32], books: &[f32], out: &[f32]) -> Option<(usize, usize)> {
    let m = out.len() / 16;
    let sub = query.len().checked_div(m).unwrap_or(0);
    (sub > 0 && books.len() >= 16 * m * sub).then_some((m, sub))
}

pub(super) mod avx512 {
    use super::*;

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
    fn dot_i8_step(x: __m512i, y: __m512i) -> __m512i {
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
    pub(in super::super) fn dot_i16_i8(a: &[i16], b: &[i8]) -> i32 {
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

    /// One step of the nibble kernels: the low and high nibbles of 64 code bytes as unsigned
    /// bytes, times the two halves of the query (`vpmaddubsw`: |15 · 128 · 2| fits the i16
    /// pairs without saturating), widened to 16 i32 lanes (`vpmaddwd` with ones).
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn nibble_step(c: __m512i, low_q: __m512i, high_q: __m512i) -> __m512i {
        let nib = _mm512_set1_epi8(0x0f);
        let low = _mm512_and_si512(c, nib);
        let high = _mm512_and_si512(_mm512_srli_epi16::<4>(c), nib);
        let pairs = _mm512_add_epi16(
            _mm512_maddubs_epi16(low, low_q),
            _mm512_maddubs_epi16(high, high_q),
        );
        _mm512_madd_epi16(pairs, _mm512_set1_epi16(1))
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

    /// `scalar::nibbles_dot_i8` 64 bytes (128 coordinates) per step; whole steps load
    /// plainly, the last partial one through a mask (masking every step: 15.9 against 13.5 ns
    /// at 384 dimensions in the `kernels` bench, and 38.7 against 31.8 ns for four records).
    #[target_feature(enable = "avx512f,avx512bw")]
    pub(in super::super) fn nibbles_dot_i8(codes: &[u8], query: &[i8]) -> i32 {
        let h = codes.len().min(query.len() / 2);
        let (pc, pq) = (codes.as_ptr(), query.as_ptr());
        let mut acc = _mm512_setzero_si512();
        let mut i = 0;
        // SAFETY: whole steps read bytes [i, i + 64) of `codes`, `query[..h]` and
        // `query[h..2h]` with i + 64 <= h; the last step's loads are masked to the bytes
        // < h. Everything is inside the slices (2h <= query.len()).
        unsafe {
            while i + 64 <= h {
                let c = _mm512_loadu_si512(pc.add(i).cast());
                let ql = _mm512_loadu_si512(pq.add(i).cast());
                let qh = _mm512_loadu_si512(pq.add(h + i).cast());
                acc = _mm512_add_epi32(acc, nibble_step(c, ql, qh));
                i += 64;
            }
            if i < h {
                let mask = step_mask(i, h);
                let c = _mm512_maskz_loadu_epi8(mask, pc.add(i).cast());
                let ql = _mm512_maskz_loadu_epi8(mask, pq.add(i));
                let qh = _mm512_maskz_loadu_epi8(mask, pq.add(h + i));
                acc = _mm512_add_epi32(acc, nibble_step(c, ql, qh));
            }
        }
        _mm512_reduce_add_epi32(acc)
    }

    /// `scalar::nibbles_dot_i8_x4`: [`nibbles_dot_i8`]'s steps on four records at once, each
    /// half of the query loaded once per step for all four, and the four sums reduced
    /// together.
    #[target_feature(enable = "avx512f,avx512bw")]
    pub(in super::super) fn nibbles_dot_i8_x4(codes: [&[u8]; 4], query: &[i8]) -> [i32; 4] {
        let h = codes
            .iter()
            .map(|c| c.len())
            .fold(query.len() / 2, usize::min);
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
                    *a = _mm512_add_epi32(*a, nibble_step(c, ql, qh));
                }
                i += 64;
            }
        }
        let quarter = |a: __m512i| {
            let y = _mm256_add_epi32(_mm512_castsi512_si256(a), _mm512_extracti64x4_epi64::<1>(a));
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

    /// `scalar::fast_scan_table` one sub-space's sixteen centroids per register.
    #[target_feature(enable = "avx512f")]
    pub(in super::super) fn fast_scan_table(
        query: &[f32],
        books: &[f32],
        squared: bool,
        out: &mut [f32],
    ) {
        let Some((m, sub)) = fast_scan_table_shape(query, books, out) else {
            return super::super::scalar::fast_scan_table(query, books, squared, out);
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
    pub(in super::super) fn fast_scan_grid(table: &[f32], out: &mut [u8]) -> (f32, f32) {
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
        let (step, per_step) = super::super::fast_scan_step(widest);
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
    pub(in super::super) fn fast_scan_candidates(
        codes: &[u8],
        lut: &[u8],
        at_least: u16,
        out: &mut [u32],
    ) -> usize {
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
                let keys =
                    _mm512_or_si512(_mm512_slli_epi32::<16>(_mm512_cvtepu16_epi32(sums)), index);
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

    /// Σⱼ 2ʲ · Σᵢ bitⱼᵢ · vᵢ (see `scalar::bitplanes_dot_i8`), 64 values per step.
    ///
    /// Each plane word selects bytes of the value block with a merge-masked move whose
    /// background is 0x80; flipping the sign bit of the values beforehand makes a selected byte
    /// `v + 128` and every other byte 128, so `vpsadbw` sums to `Σ selected v + 64·128` with no
    /// popcount. The constant is taken off once at the end. Planes are walked from the highest
    /// (Horner: `acc = 2·acc + plane sum`), so no shift count and no division by the plane
    /// size is needed (the division alone was 10% of a 1-bit scan).
    #[target_feature(enable = "avx512f,avx512bw")]
    pub(in super::super) fn bitplanes_dot_i8(planes: &[u8], values: &[i8]) -> i32 {
        let plane_bytes = values.len() / 8;
        if plane_bytes == 0 {
            return 0;
        }
        let flip = _mm512_set1_epi8(i8::MIN);
        let mut acc = _mm512_setzero_si512();
        let mut planes_seen = 0u32;
        // `planes.len()` is a multiple of `plane_bytes` (checked by the free function); taking
        // the remainder here would cost a division per call.
        let mut end = planes.len();
        while end >= plane_bytes {
            let plane = &planes[end - plane_bytes..end];
            let mut sums = _mm512_setzero_si512();
            for (w, word) in plane.chunks_exact(8).enumerate() {
                // SAFETY: w < values.len() / 64, so bytes [64w, 64w + 64) lie inside `values`.
                let v = unsafe { _mm512_loadu_si512(values.as_ptr().add(64 * w).cast()) };
                let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
                let picked = _mm512_mask_mov_epi8(flip, word, _mm512_xor_si512(v, flip));
                sums = _mm512_add_epi64(sums, _mm512_sad_epu8(picked, _mm512_setzero_si512()));
            }
            acc = _mm512_add_epi64(_mm512_add_epi64(acc, acc), sums);
            planes_seen += 1;
            end -= plane_bytes;
        }
        let total = _mm512_reduce_add_epi64(acc);
        let background = (plane_bytes as i64 * 8 * 128) * ((1i64 << planes_seen) - 1);
        (total - background) as i32
    }

    /// Σᵢ vᵢ · lut(cᵢ) (see `scalar::bitplanes_lut_dot_i8`), 64 values per step: the codes are
    /// assembled from up to four plane words with masked byte adds, mapped to their levels by
    /// one `vpshufb` (the 16-entry table repeated in each 128-bit lane), and multiplied with
    /// the values like `dot_i8`.
    #[target_feature(enable = "avx512f,avx512bw")]
    pub(in super::super) fn bitplanes_lut_dot_i8(
        planes: &[u8],
        lut: &[i8; 16],
        values: &[i8],
    ) -> i32 {
        let plane_bytes = values.len() / 8;
        if plane_bytes == 0 {
            return 0;
        }
        let bits = (planes.len() / plane_bytes).min(4);
        // SAFETY: `lut` is 16 bytes.
        let table = _mm512_broadcast_i32x4(unsafe { _mm_loadu_si128(lut.as_ptr().cast()) });
        let mut acc = _mm512_setzero_si512();
        for w in 0..plane_bytes / 8 {
            let mut codes = _mm512_setzero_si512();
            for j in 0..bits {
                let at = j * plane_bytes + 8 * w;
                let word = u64::from_le_bytes(planes[at..at + 8].try_into().expect("8 bytes"));
                codes = _mm512_mask_add_epi8(codes, word, codes, _mm512_set1_epi8(1 << j));
            }
            let levels = _mm512_shuffle_epi8(table, codes);
            // SAFETY: w < values.len() / 64, so bytes [64w, 64w + 64) lie inside `values`.
            let v = unsafe { _mm512_loadu_si512(values.as_ptr().add(64 * w).cast()) };
            acc = _mm512_add_epi32(acc, dot_i8_step(levels, v));
        }
        _mm512_reduce_add_epi32(acc)
    }
}

pub(super) mod avx2 {
    use super::*;

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

    /// `scalar::nibbles_dot_i8` 32 bytes (64 coordinates) per step, as the AVX-512 kernel;
    /// the last `h mod 32` bytes go through the reference.
    #[target_feature(enable = "avx2")]
    pub(in super::super) fn nibbles_dot_i8(codes: &[u8], query: &[i8]) -> i32 {
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
        let tail = super::super::scalar::nibble_halves_dot(
            &codes[i..h],
            &query[i..h],
            &query[h + i..2 * h],
        );
        _mm_cvtsi128_si32(one).wrapping_add(tail)
    }

    /// `scalar::nibbles_dot_i8_x4` 32 bytes per step, as the AVX-512 kernel; the last
    /// `h mod 32` bytes of each record go through the reference.
    #[target_feature(enable = "avx2")]
    pub(in super::super) fn nibbles_dot_i8_x4(codes: [&[u8]; 4], query: &[i8]) -> [i32; 4] {
        let h = codes
            .iter()
            .map(|c| c.len())
            .fold(query.len() / 2, usize::min);
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
            let tail = super::super::scalar::nibble_halves_dot(
                &c[i..h],
                &query[i..h],
                &query[h + i..2 * h],
            );
            *o = o.wrapping_add(tail);
        }
        out
    }

    /// `scalar::fast_scan_table` one sub-space's sixteen centroids per two registers.
    #[target_feature(enable = "avx2")]
    pub(in super::super) fn fast_scan_table(
        query: &[f32],
        books: &[f32],
        squared: bool,
        out: &mut [f32],
    ) {
        let Some((m, sub)) = fast_scan_table_shape(query, books, out) else {
            return super::super::scalar::fast_scan_table(query, books, squared, out);
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
    pub(in super::super) fn fast_scan_grid(table: &[f32], out: &mut [u8]) -> (f32, f32) {
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
        let (step, per_step) = super::super::fast_scan_step(widest);
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
    pub(in super::super) fn fast_scan_candidates(
        codes: &[u8],
        lut: &[u8],
        at_least: u16,
        out: &mut [u32],
    ) -> usize {
        super::super::scalar::candidates_of_blocks(codes, lut.len(), out, |block, sums| {
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
        let low_sums =
            [0, 1].map(|n| _mm_sub_epi16(fold(whole[n]), _mm_slli_epi16::<8>(high_sums[n])));
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
        super::super::scalar::mask_at_least(out, at_least)
    }
}
