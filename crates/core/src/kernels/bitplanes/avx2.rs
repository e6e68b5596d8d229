//! The bit-plane kernels for AVX2: the lane bodies compiled for this level (no hand-written
//! kernel measured faster here).

use super::BitplaneKernels;

crate::kernels::x86::lanes!("avx2,fma,f16c,popcnt" {
    bitplanes_dot_i8(planes: &[u8], values: &[i8]) -> i32;
    bitplanes_lut_dot_i8(planes: &[u8], lut: &[i8; 16], values: &[i8]) -> i32;
});

crate::kernels::x86::table!(BitplaneKernels {
    bitplanes_dot_i8(planes: &[u8], values: &[i8]) -> i32;
    bitplanes_lut_dot_i8(planes: &[u8], lut: &[i8; 16], values: &[i8]) -> i32;
});
