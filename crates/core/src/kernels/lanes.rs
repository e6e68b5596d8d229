//! Lane-parallel kernel bodies, written so that LLVM vectorizes them.
//!
//! Each body keeps independent accumulators in a fixed-size array, so the vectorizer needs no
//! reassociation of float sums; the code is the same for every ISA, and `x86.rs` instantiates
//! it under `#[target_feature]` for AVX2 and AVX-512. The float bodies serve NEON only: on
//! x86 the hand-written kernels of `x86_float.rs` measured faster. The bodies are `#[inline(always)]`
//! because they only become SIMD code once inlined into such a function.
//!
//! 64 f32 lanes = 4 AVX-512 or 8 AVX2 registers of accumulators: enough independent chains to
//! hide the 4-cycle latency of an FMA at two loads per cycle.

#[cfg(target_arch = "aarch64")]
use half::f16;
#[cfg(target_arch = "aarch64")]
use half::slice::HalfFloatSliceExt;

/// Integer bodies work in 64-lane blocks of u32 accumulators.
const BYTE_LANES: usize = 64;

#[cfg(target_arch = "aarch64")]
const F32_LANES: usize = 64;
#[cfg(target_arch = "aarch64")]
const TAIL_LANES: usize = 8;
/// Integer bodies work in blocks whose sum cannot overflow the lane accumulator type.

#[cfg(target_arch = "aarch64")]
#[inline(always)]
fn reduce<const N: usize>(acc: [f32; N]) -> f32 {
    acc.iter().sum()
}

/// Folds `f(x, y)` over f32 pairs into a sum, 64 lanes at a time, then 8, then one.
#[cfg(target_arch = "aarch64")]
#[inline(always)]
fn fold_f32(a: &[f32], b: &[f32], f: impl Fn(f32, f32, f32) -> f32) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let (a_wide, a_rest) = a.as_chunks::<F32_LANES>();
    let (b_wide, b_rest) = b.as_chunks::<F32_LANES>();
    let mut acc = [0.0f32; F32_LANES];
    for (x, y) in a_wide.iter().zip(b_wide) {
        for i in 0..F32_LANES {
            acc[i] = f(x[i], y[i], acc[i]);
        }
    }
    let (a_mid, a_tail) = a_rest.as_chunks::<TAIL_LANES>();
    let (b_mid, b_tail) = b_rest.as_chunks::<TAIL_LANES>();
    let mut acc8 = [0.0f32; TAIL_LANES];
    for (x, y) in a_mid.iter().zip(b_mid) {
        for i in 0..TAIL_LANES {
            acc8[i] = f(x[i], y[i], acc8[i]);
        }
    }
    let mut tail = 0.0f32;
    for (&x, &y) in a_tail.iter().zip(b_tail) {
        tail = f(x, y, tail);
    }
    reduce(acc) + reduce(acc8) + tail
}

#[cfg(target_arch = "aarch64")]
#[inline(always)]
pub(super) fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    fold_f32(a, b, |x, y, acc| x.mul_add(y, acc))
}

#[cfg(target_arch = "aarch64")]
#[inline(always)]
pub(super) fn l2sq_f32(a: &[f32], b: &[f32]) -> f32 {
    fold_f32(a, b, |x, y, acc| {
        let d = x - y;
        d.mul_add(d, acc)
    })
}

#[cfg(target_arch = "aarch64")]
#[inline(always)]
pub(super) fn l1_f32(a: &[f32], b: &[f32]) -> f32 {
    fold_f32(a, b, |x, y, acc| acc + (x - y).abs())
}

/// f16 bodies convert blocks to f32 on the stack (F16C does it in one instruction per
/// 8 or 16 values), then reuse the f32 body.
#[cfg(target_arch = "aarch64")]
#[inline(always)]
fn fold_f16(a: &[f16], b: &[f16], body: impl Fn(&[f32], &[f32]) -> f32) -> f32 {
    const BLOCK: usize = 256;
    let mut xa = [0.0f32; BLOCK];
    let mut xb = [0.0f32; BLOCK];
    let mut total = 0.0f32;
    for (ca, cb) in a.chunks(BLOCK).zip(b.chunks(BLOCK)) {
        let n = ca.len().min(cb.len());
        ca[..n].convert_to_f32_slice(&mut xa[..n]);
        cb[..n].convert_to_f32_slice(&mut xb[..n]);
        total += body(&xa[..n], &xb[..n]);
    }
    total
}

#[cfg(target_arch = "aarch64")]
#[inline(always)]
pub(super) fn l1_f16(a: &[f16], b: &[f16]) -> f32 {
    fold_f16(a, b, |x, y| l1_f32(x, y))
}

/// Folds `f(x, y)` over byte pairs into u32 lanes.
#[inline(always)]
fn fold_bytes<T: Copy>(a: &[T], b: &[T], f: impl Fn(T, T) -> u32) -> u32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let (a_wide, a_tail) = a.as_chunks::<BYTE_LANES>();
    let (b_wide, b_tail) = b.as_chunks::<BYTE_LANES>();
    let mut acc = [0u32; BYTE_LANES];
    for (x, y) in a_wide.iter().zip(b_wide) {
        for i in 0..BYTE_LANES {
            acc[i] = acc[i].wrapping_add(f(x[i], y[i]));
        }
    }
    let mut tail = 0u32;
    for (&x, &y) in a_tail.iter().zip(b_tail) {
        tail = tail.wrapping_add(f(x, y));
    }
    acc.iter().fold(tail, |s, &v| s.wrapping_add(v))
}

// x86_64 has hand-written byte dot / squared L2 (`x86_int`); aarch64 uses these.
#[cfg(target_arch = "aarch64")]
#[inline(always)]
pub(super) fn dot_u8(a: &[u8], b: &[u8]) -> u32 {
    fold_bytes(a, b, |x, y| x as u32 * y as u32)
}

#[cfg(target_arch = "aarch64")]
#[inline(always)]
pub(super) fn l2sq_u8(a: &[u8], b: &[u8]) -> u32 {
    fold_bytes(a, b, |x, y| {
        let d = x.abs_diff(y) as u32;
        d * d
    })
}

#[inline(always)]
pub(super) fn l1_u8(a: &[u8], b: &[u8]) -> u32 {
    fold_bytes(a, b, |x, y| x.abs_diff(y) as u32)
}

#[inline(always)]
pub(super) fn l1_i8(a: &[i8], b: &[i8]) -> u32 {
    // Flipping the sign bit maps i8 to u8 monotonically (x + 128), so |x - y| is unchanged
    // and the u8 absolute-difference pattern (PSADBW) applies.
    fold_bytes(a, b, |x, y| {
        ((x as u8) ^ 0x80).abs_diff((y as u8) ^ 0x80) as u32
    })
}

#[inline(always)]
pub(super) fn hamming(a: &[u64], b: &[u64]) -> u32 {
    // One POPCNT per word. In the `kernels` bench this plain loop beat 8-word lane blocks at
    // every size (64 bits: 4.6 vs 9.9 ns; 4096 bits: 22 vs 36-49 ns on AVX-512).
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

#[inline(always)]
pub(super) fn dot_i16_i8(a: &[i16], b: &[i8]) -> i32 {
    // 16 i32 lanes: the widening multiply-add pattern (`vpmaddwd` on x86) applies.
    let n = a.len().min(b.len());
    let (a_wide, a_tail) = a[..n].as_chunks::<16>();
    let (b_wide, b_tail) = b[..n].as_chunks::<16>();
    let mut acc = [0i32; 16];
    for (x, y) in a_wide.iter().zip(b_wide) {
        for i in 0..16 {
            acc[i] = acc[i].wrapping_add(i32::from(x[i]) * i32::from(y[i]));
        }
    }
    let tail = a_tail.iter().zip(b_tail).fold(0i32, |s, (&x, &y)| {
        s.wrapping_add(i32::from(x) * i32::from(y))
    });
    acc.iter().fold(tail, |s, &v| s.wrapping_add(v))
}

#[inline(always)]
pub(super) fn bitplanes_dot_i8(planes: &[u8], values: &[i8]) -> i32 {
    // Branch-free select per value (`v & -bit`), eight values per mask byte.
    let plane_bytes = values.len() / 8;
    if plane_bytes == 0 {
        return 0;
    }
    let mut total = 0i32;
    for (j, plane) in planes.chunks_exact(plane_bytes).enumerate() {
        let mut sum = 0i32;
        for (&m, v) in plane.iter().zip(values.chunks_exact(8)) {
            for (k, &x) in v.iter().enumerate() {
                sum += i32::from(x) & -i32::from(m >> k & 1);
            }
        }
        total += sum << j;
    }
    total
}

#[inline(always)]
pub(super) fn bitplanes_lut_dot_i8(planes: &[u8], lut: &[i8; 16], values: &[i8]) -> i32 {
    // Eight codes at a time, assembled from one byte of each plane.
    let plane_bytes = values.len() / 8;
    if plane_bytes == 0 {
        return 0;
    }
    let bits = (planes.len() / plane_bytes).min(4);
    let mut sum = 0i32;
    for (byte, v) in values.chunks_exact(8).enumerate() {
        let mut codes = [0u8; 8];
        for j in 0..bits {
            let m = planes[j * plane_bytes + byte];
            for (k, c) in codes.iter_mut().enumerate() {
                *c |= (m >> k & 1) << j;
            }
        }
        for (&c, &x) in codes.iter().zip(v) {
            sum += i32::from(lut[usize::from(c & 15)]) * i32::from(x);
        }
    }
    sum
}
