//! Lane-parallel float bodies, written so that LLVM vectorizes them; `avx2.rs` and
//! `avx512.rs` compile them under their features, the scalar and NEON tables take them as
//! they are. `#[inline(always)]`: they only become SIMD code once inlined into such a function.

/// Lanes per group of the sift: one AVX-512 register, two AVX2 ones.
const SIFT_LANES: usize = 16;

/// Whether `v` reaches `cut`: at least it, or NaN (a NaN is kept, not dropped).
#[inline(always)]
fn reaches(v: f32, cut: f32) -> bool {
    v >= cut || v.is_nan()
}

/// See [`FloatKernels::sift_f32`](super::FloatKernels::sift_f32). Sixteen values are compared
/// at a time, and a group with none reaching the cut (most, in a search's accumulator) is
/// zeroed with one store.
#[inline(always)]
pub fn sift_f32(values: &mut [f32], cut: f32, at: &mut [u32]) -> usize {
    let mut n = 0;
    let (groups, tail) = values.as_chunks_mut::<SIFT_LANES>();
    for (g, group) in groups.iter_mut().enumerate() {
        if !group.iter().fold(false, |any, &v| any | reaches(v, cut)) {
            *group = [0.0; SIFT_LANES];
            continue;
        }
        n = sift_tail(group, cut, g * SIFT_LANES, at, n);
    }
    sift_tail(tail, cut, groups.len() * SIFT_LANES, at, n)
}

/// The sift of a few values one at a time: `base` is the first one's position, `n` the
/// positions listed so far; returns them with these added.
#[inline(always)]
pub fn sift_tail(values: &mut [f32], cut: f32, base: usize, at: &mut [u32], mut n: usize) -> usize {
    for (j, v) in values.iter_mut().enumerate() {
        if reaches(*v, cut) {
            at[n] = (base + j) as u32;
            n += 1;
        } else {
            *v = 0.0;
        }
    }
    n
}
