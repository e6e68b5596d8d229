//! The scalar reference of the bit-plane kernels.

use super::BitplaneKernels;

/// The reference table.
pub(super) const TABLE: BitplaneKernels = BitplaneKernels {
    bitplanes_dot_i8,
    bitplanes_lut_dot_i8,
};

/// Σⱼ 2ʲ · Σᵢ bitⱼᵢ · vᵢ: `planes` holds bit planes of `values.len()` bits each (LSB first within
/// each byte), plane `j` weighted by 2ʲ. `values.len()` is a multiple of 64.
pub fn bitplanes_dot_i8(planes: &[u8], values: &[i8]) -> i32 {
    let plane_bytes = values.len() / 8;
    if plane_bytes == 0 {
        return 0;
    }
    let mut total = 0i32;
    for (j, plane) in planes.chunks_exact(plane_bytes).enumerate() {
        let mut sum = 0i32;
        for (i, &v) in values.iter().enumerate() {
            if plane[i / 8] >> (i % 8) & 1 == 1 {
                sum += i32::from(v);
            }
        }
        total += sum << j;
    }
    total
}

/// Σᵢ vᵢ · lut(cᵢ), where code `cᵢ` (< 16) is assembled from bit planes as in
/// [`bitplanes_dot_i8`] (plane `j` holds bit `j`; at most 4 planes): the inner product of a
/// query with codes whose levels are not evenly spaced. `values.len()` is a multiple of 64.
pub fn bitplanes_lut_dot_i8(planes: &[u8], lut: &[i8; 16], values: &[i8]) -> i32 {
    let plane_bytes = values.len() / 8;
    if plane_bytes == 0 {
        return 0;
    }
    let mut codes = vec![0usize; values.len()];
    for (j, plane) in planes.chunks_exact(plane_bytes).take(4).enumerate() {
        for (i, c) in codes.iter_mut().enumerate() {
            *c |= usize::from(plane[i / 8] >> (i % 8) & 1) << j;
        }
    }
    codes
        .iter()
        .zip(values)
        .map(|(&c, &v)| i32::from(lut[c]) * i32::from(v))
        .sum()
}
