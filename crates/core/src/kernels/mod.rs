//! SIMD kernels, one folder per kernel family, one file per instruction set inside it, and a
//! dispatch table grouped the same way, chosen once for the CPU:
//!
//! | family | kernels | levels by hand |
//! | --- | --- | --- |
//! | [`float`](FloatKernels) | dot, squared L2, L1 over f32 and f16; the sift of an f32 accumulator | AVX-512, AVX2 (NEON: simsimd) |
//! | [`bytes`](ByteKernels) | dot, squared L2, L1 over u8 and i8; i16 × i8 dot; Hamming | AVX-512BW, AVX2 (NEON: simsimd) |
//! | [`bitplanes`](BitplaneKernels) | i8 query × codes stored as bit planes, direct or through a 16-level table | AVX-512BW |
//! | [`nibbles`](NibbleKernels) | i8 query × 4-bit codes packed two per byte, one or four records | AVX-512BW, AVX2 |
//! | [`fast_scan`](FastScanKernels) | product quantization's fast scan: query table, its 6-bit grid, the vectors of 32-vector blocks that reach a floor | AVX-512, AVX2 |
//!
//! Every family has a scalar reference (`scalar.rs`, what its tests compare every level
//! against), files `avx2.rs` / `avx512.rs` / `neon.rs` for the levels it has kernels of
//! (lane-parallel bodies in `lanes.rs` where the compiler vectorizes them well enough), its
//! checked entry points in `mod.rs` and its tests in `tests.rs`. Adding a kernel touches its
//! family's folder only: a field of the family's table, the kernel in each level's file, the
//! entry point, the test.
//!
//! Two ways in:
//! - the free functions ([`dot_f32`], [`l2sq_u8`], [`hamming`], ...) check their arguments
//!   and call the best kernel for this CPU;
//! - [`Kernels`] is the table behind them: take `Kernels::best()` once and call its function
//!   pointers in a hot loop (`(k.float.dot_f32)(a, b)`), or pick a level explicitly with
//!   [`Kernels::for_level`] (tests and benches compare every level with [`Kernels::scalar`]).
//!
//! Beside the families, [`sum_zip`], [`sum_f32`] and [`max_abs`]: lane-parallel reductions for a query's
//! setup (its norm, its grid's range), portable code the compiler vectorizes.

use std::sync::OnceLock;

mod bitplanes;
mod bytes;
mod fast_scan;
mod float;
mod nibbles;
mod reduce;
#[cfg(test)]
mod tests;
#[cfg(target_arch = "x86_64")]
mod x86;

pub use bitplanes::{BitplaneKernels, bitplanes_dot_i8, bitplanes_lut_dot_i8};
pub use bytes::{ByteKernels, dot_i8, dot_i16_i8, dot_u8, hamming, l1_i8, l1_u8, l2sq_i8, l2sq_u8};
pub use fast_scan::{
    FAST_SCAN_MAX_BLOCKS, FAST_SCAN_MAX_ENTRY, FastScanCandidates, FastScanKernels,
    fast_scan_candidates, fast_scan_grid, fast_scan_slot, fast_scan_table,
};
pub use float::{
    FloatKernels, dot_bf16, dot_f16, dot_f32, dot4_bf16, dot4_f32, l1_f16, l1_f32, l2sq_f16,
    l2sq_f32, sift_f32,
};

/// True when this CPU computes bf16 dot products natively (AVX-512 BF16), where a bf16 copy
/// of the vectors scores pairs at about twice the speed of the f32 kernels; elsewhere the
/// bf16 kernels widen to f32 and gain nothing.
pub fn has_native_bf16() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        Kernels::best().level == SimdLevel::Avx512 && x86::has_avx512_bf16()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}
pub use nibbles::{NibbleKernels, nibbles_dot_i8, nibbles_dot_i8_x4};
pub use reduce::{max_abs, sum_f32, sum_zip};

/// The instruction-set level a kernel table was built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum SimdLevel {
    /// Plain scalar code: the reference implementation.
    Scalar,
    /// ARM NEON (baseline on aarch64).
    Neon,
    /// x86_64 AVX2 + FMA + F16C.
    Avx2,
    /// x86_64 AVX-512 (F, BW, VL, DQ).
    Avx512,
}

impl SimdLevel {
    /// Every level this crate knows, from the plainest.
    pub const ALL: [SimdLevel; 4] = [Self::Scalar, Self::Neon, Self::Avx2, Self::Avx512];

    /// Lower-case name, as used in bench ids.
    pub fn name(self) -> &'static str {
        match self {
            Self::Scalar => "scalar",
            Self::Neon => "neon",
            Self::Avx2 => "avx2",
            Self::Avx512 => "avx512",
        }
    }
}

/// The kernels of one SIMD level, family by family. Every entry expects arguments of
/// matching lengths (the free functions are the checked entry points).
#[derive(Debug, Clone, Copy)]
pub struct Kernels {
    /// The level these kernels were built for.
    pub level: SimdLevel,
    /// Dot, squared L2 and L1 over f32 and f16.
    pub float: FloatKernels,
    /// Dot, squared L2 and L1 over u8 and i8, the i16 × i8 dot, Hamming.
    pub bytes: ByteKernels,
    /// An i8 query against codes stored as bit planes.
    pub bitplanes: BitplaneKernels,
    /// An i8 query against 4-bit codes packed two per byte.
    pub nibbles: NibbleKernels,
    /// Product quantization's fast scan.
    pub fast_scan: FastScanKernels,
}

const SCALAR: Kernels = Kernels {
    level: SimdLevel::Scalar,
    float: float::SCALAR,
    bytes: bytes::SCALAR,
    bitplanes: bitplanes::SCALAR,
    nibbles: nibbles::SCALAR,
    fast_scan: fast_scan::SCALAR,
};

/// The table of `level` when this CPU (and build target) has it.
fn build_table(level: SimdLevel) -> Option<Kernels> {
    let available = match level {
        SimdLevel::Scalar => true,
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2 => x86::has_avx2(),
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => x86::has_avx512(),
        // NEON is part of the aarch64 baseline.
        #[cfg(target_arch = "aarch64")]
        SimdLevel::Neon => true,
        _ => false,
    };
    available.then(|| Kernels {
        level,
        float: float::table(level),
        bytes: bytes::table(level),
        bitplanes: bitplanes::table(level),
        nibbles: nibbles::table(level),
        fast_scan: fast_scan::table(level),
    })
}

static TABLES: [OnceLock<Option<Kernels>>; 4] = [const { OnceLock::new() }; 4];

impl Kernels {
    /// The scalar reference kernels (available everywhere).
    pub fn scalar() -> &'static Kernels {
        &SCALAR
    }

    /// The kernels of `level`, or `None` when this CPU (or build target) lacks it.
    pub fn for_level(level: SimdLevel) -> Option<&'static Kernels> {
        let slot = SimdLevel::ALL
            .iter()
            .position(|&l| l == level)
            .expect("every level is in SimdLevel::ALL");
        TABLES[slot].get_or_init(|| build_table(level)).as_ref()
    }

    /// Every level this CPU supports, from the plainest.
    pub fn available() -> Vec<&'static Kernels> {
        SimdLevel::ALL
            .iter()
            .filter_map(|&l| Self::for_level(l))
            .collect()
    }

    /// The best kernels for this CPU, chosen once per process.
    #[inline]
    pub fn best() -> &'static Kernels {
        static BEST: OnceLock<&'static Kernels> = OnceLock::new();
        BEST.get_or_init(|| {
            *Self::available()
                .last()
                .expect("the scalar level is always available")
        })
    }
}

/// A checked entry point over one field of a family's table: both slices must have the same
/// length.
macro_rules! checked {
    ($family:ident, $(#[$doc:meta])* $name:ident, $t:ty, $r:ty) => {
        $(#[$doc])*
        ///
        /// # Panics
        /// When `a` and `b` differ in length (a caller bug: validate dimensions at the edge).
        #[inline]
        pub fn $name(a: &[$t], b: &[$t]) -> $r {
            assert_eq!(a.len(), b.len(), concat!(stringify!($name), ": slices differ in length"));
            (super::Kernels::best().$family.$name)(a, b)
        }
    };
}

use checked;

/// Scales `v` to unit L2 norm in place and returns the norm it had.
///
/// A zero vector is left as it is (its cosine with anything is then 0), so that a
/// placeholder vector does not turn into NaNs.
pub fn normalize_f32(v: &mut [f32]) -> f32 {
    let norm = (Kernels::best().float.dot_f32)(v, v).sqrt();
    if norm > 0.0 && norm.is_finite() {
        let inv = 1.0 / norm;
        v.iter_mut().for_each(|x| *x *= inv);
    }
    norm
}

/// Hints the CPU to start loading `data` into cache (one hint per 64-byte line); a no-op where
/// the target has no prefetch instruction. Scans call it a few rows ahead so that several memory
/// requests are in flight at once: a brute-force scan is bound by memory latency × parallelism,
/// not by arithmetic.
#[inline]
pub fn prefetch<T>(data: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        let bytes = std::mem::size_of_val(data);
        let ptr = data.as_ptr().cast::<i8>();
        for line in (0..bytes).step_by(64) {
            // SAFETY: `line < bytes`, so the address lies inside `data`; prefetch never faults
            // and has no architectural effect besides caching. SSE is part of the x86_64
            // baseline.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                    ptr.add(line),
                );
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}
