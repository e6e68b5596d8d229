//! x86_64 kernel tables: hand-written float (`x86_float`) and byte dot / squared-L2
//! (`x86_int`) kernels, and the lane-parallel L1 and binary bodies (`lanes`) instantiated under
//! AVX2 and AVX-512.
//!
//! The safe wrappers below call `#[target_feature]` functions; they are only stored in the
//! tables that `kernels::build_table` returns after `has_avx2` / `has_avx512` confirmed every
//! feature involved.

use super::{lanes, x86_float, x86_int};
use half::f16;

/// The safe wrappers of the kernels hand-written for both levels (nibbles × i8 and the
/// fast-scan table, grid and candidates), calling `x86_int::$level`.
macro_rules! hand_written {
    ($level:ident) => {
        pub(in super::super) fn nibbles_dot_i8_x4(codes: [&[u8]; 4], query: &[i8]) -> [i32; 4] {
            // SAFETY: only stored in the table of this macro's level, built after feature
            // detection.
            unsafe { x86_int::$level::nibbles_dot_i8_x4(codes, query) }
        }

        pub(in super::super) fn nibbles_dot_i8(codes: &[u8], query: &[i8]) -> i32 {
            // SAFETY: only stored in the table of this macro's level, built after feature
            // detection.
            unsafe { x86_int::$level::nibbles_dot_i8(codes, query) }
        }

        pub(in super::super) fn fast_scan_candidates(
            codes: &[u8],
            lut: &[u8],
            at_least: u16,
            out: &mut [u32],
        ) -> usize {
            // SAFETY: only stored in the table of this macro's level, built after feature
            // detection.
            unsafe { x86_int::$level::fast_scan_candidates(codes, lut, at_least, out) }
        }

        pub(in super::super) fn fast_scan_table(
            query: &[f32],
            books: &[f32],
            squared: bool,
            out: &mut [f32],
        ) {
            // SAFETY: only stored in the table of this macro's level, built after feature
            // detection.
            unsafe { x86_int::$level::fast_scan_table(query, books, squared, out) }
        }

        pub(in super::super) fn fast_scan_grid(table: &[f32], out: &mut [u8]) -> (f32, f32) {
            // SAFETY: only stored in the table of this macro's level, built after feature
            // detection.
            unsafe { x86_int::$level::fast_scan_grid(table, out) }
        }
    };
}

/// The mixed-width kernels (i16 query × i8 codes, bit planes × i8, nibbles × i8, fast-scan
/// blocks): hand-written under AVX-512; under AVX2 the nibble and fast-scan kernels are
/// hand-written too and the others are the lane bodies compiled for AVX2.
macro_rules! bitplanes {
    (avx512) => {
        hand_written!(avx512);

        pub(in super::super) fn dot_i16_i8(a: &[i16], b: &[i8]) -> i32 {
            // SAFETY: only stored in the AVX-512 table, built after feature detection.
            unsafe { x86_int::avx512::dot_i16_i8(a, b) }
        }

        pub(in super::super) fn bitplanes_dot_i8(planes: &[u8], values: &[i8]) -> i32 {
            // SAFETY: only stored in the AVX-512 table, built after feature detection.
            unsafe { x86_int::avx512::bitplanes_dot_i8(planes, values) }
        }

        pub(in super::super) fn bitplanes_lut_dot_i8(
            planes: &[u8],
            lut: &[i8; 16],
            values: &[i8],
        ) -> i32 {
            // SAFETY: only stored in the AVX-512 table, built after feature detection.
            unsafe { x86_int::avx512::bitplanes_lut_dot_i8(planes, lut, values) }
        }
    };
    (avx2) => {
        hand_written!(avx2);

        pub(in super::super) fn dot_i16_i8(a: &[i16], b: &[i8]) -> i32 {
            #[target_feature(enable = "avx2")]
            fn inner(a: &[i16], b: &[i8]) -> i32 {
                lanes::dot_i16_i8(a, b)
            }
            // SAFETY: only stored in the AVX2 table, built after feature detection.
            unsafe { inner(a, b) }
        }

        pub(in super::super) fn bitplanes_dot_i8(planes: &[u8], values: &[i8]) -> i32 {
            #[target_feature(enable = "avx2,popcnt")]
            fn inner(planes: &[u8], values: &[i8]) -> i32 {
                lanes::bitplanes_dot_i8(planes, values)
            }
            // SAFETY: only stored in the AVX2 table, built after feature detection.
            unsafe { inner(planes, values) }
        }

        pub(in super::super) fn bitplanes_lut_dot_i8(
            planes: &[u8],
            lut: &[i8; 16],
            values: &[i8],
        ) -> i32 {
            #[target_feature(enable = "avx2,popcnt")]
            fn inner(planes: &[u8], lut: &[i8; 16], values: &[i8]) -> i32 {
                lanes::bitplanes_lut_dot_i8(planes, lut, values)
            }
            // SAFETY: only stored in the AVX2 table, built after feature detection.
            unsafe { inner(planes, lut, values) }
        }
    };
}

macro_rules! level {
    ($module:ident, $features:literal, $float:ident, $int:ident) => {
        pub(super) mod $module {
            use super::*;

            /// Safe entry point over a `#[target_feature]` implementation.
            macro_rules! wrap {
                ($name:ident, $t:ty, $r:ty, $imp:path) => {
                    pub(in super::super) fn $name(a: &[$t], b: &[$t]) -> $r {
                        // SAFETY: this function is only stored in a kernel table after the CPU
                        // was detected to support every feature the implementation enables.
                        unsafe { $imp(a, b) }
                    }
                };
            }

            /// Instantiates a lane-parallel body under this level's features.
            macro_rules! lanes_kernel {
                ($name:ident, $t:ty, $r:ty) => {
                    pub(in super::super) fn $name(a: &[$t], b: &[$t]) -> $r {
                        #[target_feature(enable = $features)]
                        fn inner(a: &[$t], b: &[$t]) -> $r {
                            lanes::$name(a, b)
                        }
                        // SAFETY: as for `wrap!`: only reachable after feature detection.
                        unsafe { inner(a, b) }
                    }
                };
            }

            wrap!(dot_f32, f32, f32, x86_float::$float::dot_f32);
            wrap!(l2sq_f32, f32, f32, x86_float::$float::l2sq_f32);
            wrap!(l1_f32, f32, f32, x86_float::$float::l1_f32);
            wrap!(dot_f16, f16, f32, x86_float::$float::dot_f16);
            wrap!(l2sq_f16, f16, f32, x86_float::$float::l2sq_f16);
            wrap!(l1_f16, f16, f32, x86_float::$float::l1_f16);
            wrap!(dot_u8, u8, u32, x86_int::$int::dot_u8);
            wrap!(l2sq_u8, u8, u32, x86_int::$int::l2sq_u8);
            wrap!(dot_i8, i8, i32, x86_int::$int::dot_i8);
            wrap!(l2sq_i8, i8, u32, x86_int::$int::l2sq_i8);
            lanes_kernel!(l1_u8, u8, u32);
            lanes_kernel!(l1_i8, i8, u32);
            lanes_kernel!(hamming, u64, u32);
            bitplanes!($int);
        }
    };
}

level!(avx2, "avx2,fma,f16c,popcnt", avx2, avx2);
level!(
    avx512,
    "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c,popcnt",
    avx512,
    avx512
);

/// True when the CPU supports everything the `avx2` module was compiled for.
pub(super) fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
        && std::arch::is_x86_feature_detected!("f16c")
        && std::arch::is_x86_feature_detected!("popcnt")
}

/// True when the CPU supports everything the `avx512` module was compiled for.
pub(super) fn has_avx512() -> bool {
    has_avx2()
        && std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("avx512dq")
}
