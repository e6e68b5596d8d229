//! Distance kernels for f32, f16, i8, u8 and packed bits, dispatched once to the CPU's best
//! SIMD level.
//!
//! Two ways in:
//! - the free functions ([`dot_f32`], [`l2sq_u8`], [`hamming`], ...) check that both slices
//!   have the same length and call the best kernel for this CPU;
//! - [`Kernels`] is the table behind them: take `Kernels::best()` once and call its function
//!   pointers in a hot loop, or pick a level explicitly with [`Kernels::for_level`] (tests and
//!   benches compare every level with [`Kernels::scalar`], the reference).
//!
//! Providers, chosen by the `kernels` bench: on x86_64, hand-written AVX-512/AVX2 for f32 and
//! f16 (1.6x simsimd's f32 dot at 384 dims here) and for u8/i8 dot and squared L2 (5x the
//! auto-vectorized u8 dot and 6x simsimd's i8 dot at 384 dims), and lane-parallel Rust compiled
//! per level for L1 on bytes and Hamming. On aarch64: simsimd's NEON kernels for dot and
//! squared L2, lane bodies for the rest.
//! Integer kernels are exact as long as the result fits in 32 bits: up to 66,051 dimensions
//! (255² · 66,051 < 2³²).
//!
//! Product quantization's fast scan has its own three, hand-written for AVX-512 and AVX2:
//! a query's float table from 16-centroid codebooks ([`fast_scan_table`]), its 6-bit grid
//! ([`fast_scan_grid`]), and the vectors of 32-vector code blocks whose table-lookup sums
//! reach a floor, found and packed in registers ([`fast_scan_candidates`], laid out by
//! [`fast_scan_slot`]).

use half::f16;
use std::sync::OnceLock;

mod lanes;
pub mod scalar;
#[cfg(target_arch = "aarch64")]
mod simsimd_backend;
#[cfg(target_arch = "x86_64")]
mod x86;
#[cfg(target_arch = "x86_64")]
mod x86_float;
#[cfg(target_arch = "x86_64")]
mod x86_int;

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

/// A table of kernels for one SIMD level. Every entry expects two slices of equal length
/// (see the free functions for the checked entry points).
#[derive(Debug, Clone, Copy)]
pub struct Kernels {
    /// The level these kernels were built for.
    pub level: SimdLevel,
    /// Σ aᵢbᵢ over f32.
    pub dot_f32: fn(&[f32], &[f32]) -> f32,
    /// Σ (aᵢ−bᵢ)² over f32.
    pub l2sq_f32: fn(&[f32], &[f32]) -> f32,
    /// Σ |aᵢ−bᵢ| over f32.
    pub l1_f32: fn(&[f32], &[f32]) -> f32,
    /// Σ aᵢbᵢ over f16, in f32.
    pub dot_f16: fn(&[f16], &[f16]) -> f32,
    /// Σ (aᵢ−bᵢ)² over f16, in f32.
    pub l2sq_f16: fn(&[f16], &[f16]) -> f32,
    /// Σ |aᵢ−bᵢ| over f16, in f32.
    pub l1_f16: fn(&[f16], &[f16]) -> f32,
    /// Σ aᵢbᵢ over i8, exact.
    pub dot_i8: fn(&[i8], &[i8]) -> i32,
    /// Σ aᵢbᵢ of an i16 query with i8 codes, exact while it fits in an i32 (keep
    /// `len · max|aᵢ| · 128 < 2³¹`).
    pub dot_i16_i8: fn(&[i16], &[i8]) -> i32,
    /// Σ (aᵢ−bᵢ)² over i8, exact.
    pub l2sq_i8: fn(&[i8], &[i8]) -> u32,
    /// Σ |aᵢ−bᵢ| over i8, exact.
    pub l1_i8: fn(&[i8], &[i8]) -> u32,
    /// Σ aᵢbᵢ over u8, exact.
    pub dot_u8: fn(&[u8], &[u8]) -> u32,
    /// Σ (aᵢ−bᵢ)² over u8, exact.
    pub l2sq_u8: fn(&[u8], &[u8]) -> u32,
    /// Σ |aᵢ−bᵢ| over u8, exact.
    pub l1_u8: fn(&[u8], &[u8]) -> u32,
    /// Number of differing bits of two bit vectors packed in u64 words.
    pub hamming: fn(&[u64], &[u64]) -> u32,
    /// Σⱼ 2ʲ · Σᵢ bitⱼᵢ · vᵢ over bit planes of `values.len()` bits each (LSB first per
    /// byte) and i8 values whose length is a multiple of 64: the inner product of
    /// multi-bit codes stored as bit planes with an i8 query (see [`bitplanes_dot_i8`]).
    pub bitplanes_dot_i8: fn(&[u8], &[i8]) -> i32,
    /// Σᵢ vᵢ · lut(cᵢ) over codes of at most 4 bits assembled from bit planes (laid out as for
    /// `bitplanes_dot_i8`): the inner product of an i8 query with codes on an uneven grid of
    /// up to 16 levels (see [`bitplanes_lut_dot_i8`]).
    pub bitplanes_lut_dot_i8: fn(&[u8], &[i8; 16], &[i8]) -> i32,
    /// The vectors whose sum of 4-bit table lookups reaches a floor, over consecutive
    /// blocks of 32 (the fast-scan layout of product quantization; see
    /// [`fast_scan_candidates`]).
    pub fast_scan_candidates: FastScanCandidates,
    /// A fast-scan query's float table from 16-centroid codebooks (see
    /// [`fast_scan_table`]).
    pub fast_scan_table: fn(&[f32], &[f32], bool, &mut [f32]),
    /// A fast-scan query's float table put on its 6-bit grid (see [`fast_scan_grid`]).
    pub fast_scan_grid: fn(&[f32], &mut [u8]) -> (f32, f32),
    /// Σ_b lo(cᵦ)·qᵦ + hi(cᵦ)·q₍ₕ₊ᵦ₎ over 4-bit codes packed two per byte (`h` bytes) and an
    /// i8 query of `2h` values (see [`nibbles_dot_i8`]).
    pub nibbles_dot_i8: fn(&[u8], &[i8]) -> i32,
    /// `nibbles_dot_i8` of four records of equal length with one query: a graph expansion
    /// scores its batch four at a time (see [`nibbles_dot_i8_x4`]).
    pub nibbles_dot_i8_x4: fn([&[u8]; 4], &[i8]) -> [i32; 4],
}

/// The signature of [`fast_scan_candidates`]: codes, table, floor and the keys' buffer; returns
/// how many keys were written. A table's kernel called directly checks nothing but memory
/// safety: an empty table finds nothing, and blocks `out` has no room for are skipped by the
/// AVX-512 kernel (which stores whole registers) and panic in the others.
pub type FastScanCandidates = fn(&[u8], &[u8], u16, &mut [u32]) -> usize;

const SCALAR: Kernels = Kernels {
    level: SimdLevel::Scalar,
    dot_f32: scalar::dot_f32,
    l2sq_f32: scalar::l2sq_f32,
    l1_f32: scalar::l1_f32,
    dot_f16: scalar::dot_f16,
    l2sq_f16: scalar::l2sq_f16,
    l1_f16: scalar::l1_f16,
    dot_i8: scalar::dot_i8,
    dot_i16_i8: scalar::dot_i16_i8,
    l2sq_i8: scalar::l2sq_i8,
    l1_i8: scalar::l1_i8,
    dot_u8: scalar::dot_u8,
    l2sq_u8: scalar::l2sq_u8,
    l1_u8: scalar::l1_u8,
    hamming: scalar::hamming,
    bitplanes_dot_i8: scalar::bitplanes_dot_i8,
    bitplanes_lut_dot_i8: scalar::bitplanes_lut_dot_i8,
    fast_scan_candidates: scalar::fast_scan_candidates,
    fast_scan_table: scalar::fast_scan_table,
    fast_scan_grid: scalar::fast_scan_grid,
    nibbles_dot_i8: scalar::nibbles_dot_i8,
    nibbles_dot_i8_x4: scalar::nibbles_dot_i8_x4,
};

/// Builds the table of one x86 level; the caller has checked the CPU supports it.
#[cfg(target_arch = "x86_64")]
macro_rules! x86_table {
    ($level:expr, $module:ident) => {
        Kernels {
            level: $level,
            dot_f32: x86::$module::dot_f32,
            l2sq_f32: x86::$module::l2sq_f32,
            l1_f32: x86::$module::l1_f32,
            dot_f16: x86::$module::dot_f16,
            l2sq_f16: x86::$module::l2sq_f16,
            l1_f16: x86::$module::l1_f16,
            dot_i8: x86::$module::dot_i8,
            dot_i16_i8: x86::$module::dot_i16_i8,
            l2sq_i8: x86::$module::l2sq_i8,
            l1_i8: x86::$module::l1_i8,
            dot_u8: x86::$module::dot_u8,
            l2sq_u8: x86::$module::l2sq_u8,
            l1_u8: x86::$module::l1_u8,
            hamming: x86::$module::hamming,
            bitplanes_dot_i8: x86::$module::bitplanes_dot_i8,
            bitplanes_lut_dot_i8: x86::$module::bitplanes_lut_dot_i8,
            fast_scan_candidates: x86::$module::fast_scan_candidates,
            fast_scan_table: x86::$module::fast_scan_table,
            fast_scan_grid: x86::$module::fast_scan_grid,
            nibbles_dot_i8: x86::$module::nibbles_dot_i8,
            nibbles_dot_i8_x4: x86::$module::nibbles_dot_i8_x4,
        }
    };
}

fn build_table(level: SimdLevel) -> Option<Kernels> {
    match level {
        SimdLevel::Scalar => Some(SCALAR),
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2 if x86::has_avx2() => Some(x86_table!(SimdLevel::Avx2, avx2)),
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 if x86::has_avx512() => Some(x86_table!(SimdLevel::Avx512, avx512)),
        // NEON is part of the aarch64 baseline, so the lane bodies compile to it as they are.
        #[cfg(target_arch = "aarch64")]
        SimdLevel::Neon => Some(Kernels {
            level: SimdLevel::Neon,
            dot_f32: simsimd_backend::dot_f32,
            l2sq_f32: simsimd_backend::l2sq_f32,
            l1_f32: lanes::l1_f32,
            dot_f16: simsimd_backend::dot_f16,
            l2sq_f16: simsimd_backend::l2sq_f16,
            l1_f16: lanes::l1_f16,
            dot_i8: simsimd_backend::dot_i8,
            dot_i16_i8: lanes::dot_i16_i8,
            l2sq_i8: simsimd_backend::l2sq_i8,
            l1_i8: lanes::l1_i8,
            dot_u8: lanes::dot_u8,
            l2sq_u8: lanes::l2sq_u8,
            l1_u8: lanes::l1_u8,
            hamming: lanes::hamming,
            bitplanes_dot_i8: lanes::bitplanes_dot_i8,
            bitplanes_lut_dot_i8: lanes::bitplanes_lut_dot_i8,
            fast_scan_candidates: scalar::fast_scan_candidates,
            fast_scan_table: scalar::fast_scan_table,
            fast_scan_grid: scalar::fast_scan_grid,
            nibbles_dot_i8: scalar::nibbles_dot_i8,
            nibbles_dot_i8_x4: scalar::nibbles_dot_i8_x4,
        }),
        _ => None,
    }
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

macro_rules! checked {
    ($(#[$doc:meta])* $name:ident, $t:ty, $r:ty) => {
        $(#[$doc])*
        ///
        /// # Panics
        /// When `a` and `b` differ in length (a caller bug: validate dimensions at the edge).
        #[inline]
        pub fn $name(a: &[$t], b: &[$t]) -> $r {
            assert_eq!(a.len(), b.len(), concat!(stringify!($name), ": slices differ in length"));
            (Kernels::best().$name)(a, b)
        }
    };
}

checked!(
    /// Dot product of two f32 vectors.
    dot_f32, f32, f32
);
checked!(
    /// Squared Euclidean distance of two f32 vectors.
    l2sq_f32, f32, f32
);
checked!(
    /// Manhattan (L1) distance of two f32 vectors.
    l1_f32, f32, f32
);
checked!(
    /// Dot product of two f16 vectors, accumulated in f32.
    dot_f16, f16, f32
);
checked!(
    /// Squared Euclidean distance of two f16 vectors, accumulated in f32.
    l2sq_f16, f16, f32
);
checked!(
    /// Manhattan distance of two f16 vectors, accumulated in f32.
    l1_f16, f16, f32
);
checked!(
    /// Dot product of two i8 vectors (exact).
    dot_i8, i8, i32
);
checked!(
    /// Squared Euclidean distance of two i8 vectors (exact).
    l2sq_i8, i8, u32
);
checked!(
    /// Manhattan distance of two i8 vectors (exact).
    l1_i8, i8, u32
);
checked!(
    /// Dot product of two u8 vectors (exact).
    dot_u8, u8, u32
);
checked!(
    /// Squared Euclidean distance of two u8 vectors (exact).
    l2sq_u8, u8, u32
);
checked!(
    /// Manhattan distance of two u8 vectors (exact).
    l1_u8, u8, u32
);
checked!(
    /// Hamming distance of two bit vectors packed in u64 words.
    hamming, u64, u32
);

/// Dot product of an i16 query with i8 codes (exact while `len · max|aᵢ| · 128 < 2³¹`): a
/// query kept on a 16-bit grid against 8-bit codes, where an i8 query would lose precision.
///
/// # Panics
/// When `a` and `b` differ in length (a caller bug: validate dimensions at the edge).
#[inline]
pub fn dot_i16_i8(a: &[i16], b: &[i8]) -> i32 {
    assert_eq!(a.len(), b.len(), "dot_i16_i8: slices differ in length");
    (Kernels::best().dot_i16_i8)(a, b)
}

/// Σⱼ 2ʲ · Σᵢ bitⱼᵢ · vᵢ: the inner product of codes stored as bit planes (plane `j` holds
/// bit `j` of every coordinate's code, `values.len()` bits per plane, LSB first in each byte)
/// with i8 values. Exact while the result fits in an i32.
///
/// # Panics
/// When `values.len()` is not a multiple of 64 or `planes.len()` not a multiple of
/// `values.len() / 8` (a caller bug: pad the query with zeros).
#[inline]
pub fn bitplanes_dot_i8(planes: &[u8], values: &[i8]) -> i32 {
    assert!(
        values.len().is_multiple_of(64)
            && (values.is_empty() || planes.len().is_multiple_of(values.len() / 8)),
        "bitplanes_dot_i8: {} values (need a multiple of 64) and {} plane bytes",
        values.len(),
        planes.len()
    );
    (Kernels::best().bitplanes_dot_i8)(planes, values)
}

/// Σᵢ vᵢ · lut(cᵢ) over codes of at most 4 bits stored as bit planes (as for
/// [`bitplanes_dot_i8`]; planes past the fourth are ignored): the inner product of an i8 query
/// with codes whose levels are not evenly spaced.
///
/// # Panics
/// As [`bitplanes_dot_i8`].
#[inline]
pub fn bitplanes_lut_dot_i8(planes: &[u8], lut: &[i8; 16], values: &[i8]) -> i32 {
    assert!(
        values.len().is_multiple_of(64)
            && (values.is_empty() || planes.len().is_multiple_of(values.len() / 8)),
        "bitplanes_lut_dot_i8: {} values (need a multiple of 64) and {} plane bytes",
        values.len(),
        planes.len()
    );
    (Kernels::best().bitplanes_lut_dot_i8)(planes, lut, values)
}

/// The largest fast-scan table entry [`fast_scan_candidates`] accepts.
pub const FAST_SCAN_MAX_ENTRY: u8 = 63;

/// Where vector `v` (`0..32`) of a fast-scan block keeps its code within each sub-space's 16
/// bytes: `(byte, shift)`, the code being `(byte >> shift) & 0xf`. Byte `2e + h` holds vector
/// `16h + e` in its low nibble and vector `16h + 8 + e` in its high nibble (`e < 8`). The
/// order makes the SIMD kernels' natural output (the low and the high byte of each u16 lane
/// summed apart) come out in vector order, with no reordering shuffles.
#[inline]
pub const fn fast_scan_slot(v: usize) -> (usize, u32) {
    let (h, n, e) = (v / 16 % 2, v / 8 % 2, v % 8);
    (2 * e + h, 4 * n as u32)
}

/// The vectors of a fast-scan scan whose sum of table lookups is at least `at_least`, as keys
/// `sum << 16 | index`.
///
/// `codes` holds consecutive blocks of 32 vectors with 4-bit codes, `lut.len()` bytes each.
/// For every sub-space `j`, bytes `16j..16j + 16` of a block hold the codes of its 32 vectors
/// at the places [`fast_scan_slot`] gives, and `lut[16j..16j + 16]` is that sub-space's table.
/// Vector `v` of block `b` has index `32b + v` and sum `Σⱼ lut[16j + codeⱼ]` (wrapping in u16).
/// The keys of the vectors whose sum is at least `at_least` are written to `out` in index
/// order; the count is returned. Keys at or past it are unspecified (the AVX-512 kernel
/// stores whole registers).
///
/// The floor is compared in SIMD registers and the keys packed there too (AVX-512
/// `vpcompressd`), so a top-k scan touches only the vectors that may enter, without a branch
/// per vector. Against the previous kernel (every block's sums and a mask, walked bit by bit
/// by the caller), a top-40 scan of minilm-pypi-20k's 20,000 codes went from 1.45–1.48 to
/// 1.39 ns per code at m = 48 and from 2.34–2.35 to 2.22–2.25 at m = 96 (queries prepared
/// beforehand, fastest of alternating runs).
///
/// Table entries must be at most 63 (6-bit tables): the SIMD kernels add four sub-spaces'
/// looked-up bytes as bytes before widening them (larger entries could carry; checked in
/// debug builds). On minilm-pypi-20k a 6-bit table costs at most 0.002 of recall@10 against
/// a 7-bit one (pq96x4: 0.6573 against 0.6593; pq48x4: 0.4693 against 0.4707).
///
/// # Panics
/// When `lut` is not whole sub-spaces of 16 bytes, `codes` is not whole blocks of
/// `lut.len()` bytes, there are more than 2,048 blocks (indices must fit 16 bits), or `out`
/// has fewer than 32 slots per block.
#[inline]
pub fn fast_scan_candidates(codes: &[u8], lut: &[u8], at_least: u16, out: &mut [u32]) -> usize {
    debug_assert!(
        lut.iter().all(|&t| t <= FAST_SCAN_MAX_ENTRY),
        "fast_scan_candidates: table entries must be at most {FAST_SCAN_MAX_ENTRY}"
    );
    let blocks = codes.len().checked_div(lut.len()).unwrap_or(0);
    assert!(
        !lut.is_empty()
            && lut.len().is_multiple_of(16)
            && codes.len().is_multiple_of(lut.len())
            && blocks <= FAST_SCAN_MAX_BLOCKS
            && out.len() >= 32 * blocks,
        "fast_scan_candidates: {} code bytes, {} table bytes and {} key slots (need whole \
         sub-spaces of 16 bytes, whole blocks of codes, at most {FAST_SCAN_MAX_BLOCKS} blocks \
         and 32 key slots per block)",
        codes.len(),
        lut.len(),
        out.len(),
    );
    (Kernels::best().fast_scan_candidates)(codes, lut, at_least, out)
}

/// The most blocks one [`fast_scan_candidates`] call takes: a key keeps the index in 16 bits.
pub const FAST_SCAN_MAX_BLOCKS: usize = 2048;

/// A fast-scan query's float table: for each of the `m = out.len() / 16` sub-spaces of
/// `s = query.len() / m` dimensions, with `books` holding each sub-space's 16 centroids
/// dimension-major (`books[16(j·s + d) + c]` is coordinate `d` of centroid `c` of sub-space
/// `j`), `out[16j + c] = Σ_d q[j·s + d] · books[16(j·s + d) + c]`, or with `squared`
/// `−Σ_d (q[j·s + d] − books[16(j·s + d) + c])²`, summed over `d` in order. Every level
/// gives the same bits (separate multiplies and adds, in the same order).
///
/// # Panics
/// When `out` is not whole rows of 16, the rows do not divide `query`, or `books` is not
/// 16 floats per query coordinate.
#[inline]
pub fn fast_scan_table(query: &[f32], books: &[f32], squared: bool, out: &mut [f32]) {
    let m = out.len() / 16;
    assert!(
        out.len().is_multiple_of(16)
            && (m == 0 || query.len().is_multiple_of(m))
            && books.len() == 16 * query.len(),
        "fast_scan_table: {} query values, {} codebook floats and {} table entries (need \
         16 floats of codebook per query value and whole rows of 16 dividing the query)",
        query.len(),
        books.len(),
        out.len()
    );
    (Kernels::best().fast_scan_table)(query, books, squared, out)
}

/// Puts a fast-scan query's float table (rows of 16 entries, one per sub-space; finite)
/// on the integer grid `0..=FAST_SCAN_MAX_ENTRY` the block kernels take: per row an offset
/// (its minimum) and one step for all rows (the widest row's range over 63), so
/// `offset + step · Σ levels` approximates a row sum to half a step per row. Writes the
/// levels (rounded to nearest, ties to even) to `out` and returns (the offsets' sum, the
/// step). Every level gives the same bits: the same float operations in the same order.
///
/// # Panics
/// When `table` is not whole rows of 16 or `out` differs from it in length.
#[inline]
pub fn fast_scan_grid(table: &[f32], out: &mut [u8]) -> (f32, f32) {
    assert!(
        table.len().is_multiple_of(16) && out.len() == table.len(),
        "fast_scan_grid: {} table entries and {} levels (need equal whole rows of 16)",
        table.len(),
        out.len()
    );
    (Kernels::best().fast_scan_grid)(table, out)
}

/// The grid's step and its reciprocal for the widest row range (1 when every row is flat).
#[inline]
fn fast_scan_step(widest: f32) -> (f32, f32) {
    let step = if widest > 0.0 {
        widest / f32::from(FAST_SCAN_MAX_ENTRY)
    } else {
        1.0
    };
    (step, 1.0 / step)
}

/// Inner product of an i8 query with 4-bit unsigned codes packed two per byte: coordinate
/// `b < h` (with `h = codes.len()`) is the low nibble of `codes[b]` and coordinate `h + b` its
/// high nibble, so `query[..h]` meets the low nibbles and `query[h..]` the high ones. Exact
/// (at most 15 · 128 per coordinate).
///
/// # Panics
/// When `query.len() != 2 · codes.len()` (a caller bug: pad an odd dimension with a zero).
#[inline]
pub fn nibbles_dot_i8(codes: &[u8], query: &[i8]) -> i32 {
    assert_eq!(
        query.len(),
        2 * codes.len(),
        "nibbles_dot_i8: {} query values for {} code bytes (need twice as many)",
        query.len(),
        codes.len()
    );
    (Kernels::best().nibbles_dot_i8)(codes, query)
}

/// [`nibbles_dot_i8`] of four records with one query, computed together: each step loads
/// the query once for all four and the four sums are reduced at once (a graph expansion on
/// 192-byte codes ran 12% faster, best of 20 passes, than scoring its points one by one).
///
/// # Panics
/// When the records differ in length or `query.len() != 2 · record length`.
#[inline]
pub fn nibbles_dot_i8_x4(codes: [&[u8]; 4], query: &[i8]) -> [i32; 4] {
    assert!(
        codes.iter().all(|c| 2 * c.len() == query.len()),
        "nibbles_dot_i8_x4: records of {:?} bytes for {} query values (need half as many each)",
        codes.map(<[u8]>::len),
        query.len()
    );
    (Kernels::best().nibbles_dot_i8_x4)(codes, query)
}

/// Scales `v` to unit L2 norm in place and returns the norm it had.
///
/// A zero vector is left as it is (its cosine with anything is then 0), so that a
/// placeholder vector does not turn into NaNs.
pub fn normalize_f32(v: &mut [f32]) -> f32 {
    let norm = (Kernels::best().dot_f32)(v, v).sqrt();
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

#[cfg(test)]
mod tests;
