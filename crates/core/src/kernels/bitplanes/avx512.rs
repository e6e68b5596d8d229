//! The bit-plane kernels by hand for AVX-512BW, 64 values per step.

use std::arch::x86_64::*;

use super::BitplaneKernels;
use crate::kernels::bytes::avx512::dot_i8_step;

/// Σⱼ 2ʲ · Σᵢ bitⱼᵢ · vᵢ (see `scalar::bitplanes_dot_i8`), 64 values per step.
///
/// Each plane word selects bytes of the value block with a merge-masked move whose
/// background is 0x80; flipping the sign bit of the values beforehand makes a selected byte
/// `v + 128` and every other byte 128, so `vpsadbw` sums to `Σ selected v + 64·128` with no
/// popcount. The constant is taken off once at the end. Planes are walked from the highest
/// (Horner: `acc = 2·acc + plane sum`), so no shift count and no division by the plane
/// size is needed (the division alone was 10% of a 1-bit scan).
#[target_feature(enable = "avx512f,avx512bw")]
fn bitplanes_dot_i8(planes: &[u8], values: &[i8]) -> i32 {
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
fn bitplanes_lut_dot_i8(planes: &[u8], lut: &[i8; 16], values: &[i8]) -> i32 {
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

crate::kernels::x86::table!(BitplaneKernels {
    bitplanes_dot_i8(planes: &[u8], values: &[i8]) -> i32;
    bitplanes_lut_dot_i8(planes: &[u8], lut: &[i8; 16], values: &[i8]) -> i32;
});
