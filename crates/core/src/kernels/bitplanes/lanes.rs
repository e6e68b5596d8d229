//! Lane bodies of the bit-plane kernels, branch-free so that LLVM vectorizes them: AVX2
//! compiles them under its features (`avx2.rs`), NEON takes them as they are.

/// The NEON table (lane bodies, vectorized for the aarch64 baseline).
#[cfg(target_arch = "aarch64")]
pub(super) const NEON: super::BitplaneKernels = super::BitplaneKernels {
    bitplanes_dot_i8,
    bitplanes_lut_dot_i8,
};

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
