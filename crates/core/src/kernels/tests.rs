//! Every SIMD level against the scalar reference: all dims 1..=1536, unaligned starts, and
//! random values from proptest.

use super::*;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const MAX_DIM: usize = 1536;

fn simd_levels() -> Vec<&'static Kernels> {
    Kernels::available()
        .into_iter()
        .filter(|k| k.level != SimdLevel::Scalar)
        .collect()
}

/// Bound on the rounding error of an f32 sum of `n` terms whose magnitudes add to `abs_sum`.
fn float_tolerance(n: usize, abs_sum: f64) -> f64 {
    (n as f64 + 2.0) * f32::EPSILON as f64 * abs_sum + 1e-6
}

fn exact_dot(a: &[f32], b: &[f32]) -> (f64, f64) {
    let exact = a.iter().zip(b).map(|(&x, &y)| x as f64 * y as f64).sum();
    let abs = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (x as f64 * y as f64).abs())
        .sum();
    (exact, abs)
}

fn exact_l2sq(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (x as f64 - y as f64).powi(2))
        .sum()
}

fn exact_l1(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (x as f64 - y as f64).abs())
        .sum()
}

fn assert_close(what: &str, level: SimdLevel, got: f32, exact: f64, tol: f64) {
    assert!(
        (got as f64 - exact).abs() <= tol,
        "{what} at {level:?}: got {got}, exact {exact}, tolerance {tol}"
    );
}

/// Checks every kernel of every SIMD level on one pair of inputs (sliced from `start`).
fn check_all(a32: &[f32], b32: &[f32], a8: &[u8], b8: &[u8], aw: &[u64], bw: &[u64]) {
    let n = a32.len();
    let a16: Vec<f16> = a32.iter().map(|&x| f16::from_f32(x)).collect();
    let b16: Vec<f16> = b32.iter().map(|&x| f16::from_f32(x)).collect();
    let (a16f, b16f): (Vec<f32>, Vec<f32>) = (
        a16.iter().map(|x| x.to_f32()).collect(),
        b16.iter().map(|x| x.to_f32()).collect(),
    );
    let ai8: &[i8] = bytemuck::cast_slice(a8);
    let bi8: &[i8] = bytemuck::cast_slice(b8);
    // i16 query values from the random bytes, at most 2¹¹ in size so no sum can overflow.
    let ai16: Vec<i16> = a8
        .iter()
        .zip(b8.iter().rev())
        .map(|(&x, &y)| i16::from_le_bytes([x, y]) >> 4)
        .collect();

    let (dot, dot_abs) = exact_dot(a32, b32);
    let l2 = exact_l2sq(a32, b32);
    let l1 = exact_l1(a32, b32);
    let (dot16, dot16_abs) = exact_dot(&a16f, &b16f);
    let l2_16 = exact_l2sq(&a16f, &b16f);
    let l1_16 = exact_l1(&a16f, &b16f);
    let s = Kernels::scalar();

    for k in std::iter::once(s).chain(simd_levels()) {
        let lv = k.level;
        assert_close(
            "dot_f32",
            lv,
            (k.dot_f32)(a32, b32),
            dot,
            float_tolerance(n, dot_abs),
        );
        assert_close(
            "l2sq_f32",
            lv,
            (k.l2sq_f32)(a32, b32),
            l2,
            float_tolerance(n, l2),
        );
        assert_close(
            "l1_f32",
            lv,
            (k.l1_f32)(a32, b32),
            l1,
            float_tolerance(n, l1),
        );
        let tol16 = float_tolerance(n, dot16_abs);
        assert_close("dot_f16", lv, (k.dot_f16)(&a16, &b16), dot16, tol16);
        let tol = float_tolerance(n, l2_16);
        assert_close("l2sq_f16", lv, (k.l2sq_f16)(&a16, &b16), l2_16, tol);
        let tol = float_tolerance(n, l1_16);
        assert_close("l1_f16", lv, (k.l1_f16)(&a16, &b16), l1_16, tol);

        assert_eq!(
            (k.dot_i8)(ai8, bi8),
            (s.dot_i8)(ai8, bi8),
            "dot_i8 {lv:?} n={n}"
        );
        assert_eq!(
            (k.dot_i16_i8)(&ai16, bi8),
            (s.dot_i16_i8)(&ai16, bi8),
            "dot_i16_i8 {lv:?} n={n}"
        );
        assert_eq!(
            (k.l2sq_i8)(ai8, bi8),
            (s.l2sq_i8)(ai8, bi8),
            "l2sq_i8 {lv:?} n={n}"
        );
        assert_eq!(
            (k.l1_i8)(ai8, bi8),
            (s.l1_i8)(ai8, bi8),
            "l1_i8 {lv:?} n={n}"
        );
        assert_eq!(
            (k.dot_u8)(a8, b8),
            (s.dot_u8)(a8, b8),
            "dot_u8 {lv:?} n={n}"
        );
        assert_eq!(
            (k.l2sq_u8)(a8, b8),
            (s.l2sq_u8)(a8, b8),
            "l2sq_u8 {lv:?} n={n}"
        );
        assert_eq!((k.l1_u8)(a8, b8), (s.l1_u8)(a8, b8), "l1_u8 {lv:?} n={n}");
        assert_eq!(
            (k.hamming)(aw, bw),
            (s.hamming)(aw, bw),
            "hamming {lv:?} n={n}"
        );
    }
}

#[test]
fn every_dim_and_alignment_matches_the_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let len = MAX_DIM + 3;
    let a32: Vec<f32> = (0..len).map(|_| rng.random_range(-2.0..2.0)).collect();
    let b32: Vec<f32> = (0..len).map(|_| rng.random_range(-2.0..2.0)).collect();
    let a8: Vec<u8> = (0..len).map(|_| rng.random()).collect();
    let b8: Vec<u8> = (0..len).map(|_| rng.random()).collect();
    let aw: Vec<u64> = (0..len).map(|_| rng.random()).collect();
    let bw: Vec<u64> = (0..len).map(|_| rng.random()).collect();
    for dim in 1..=MAX_DIM {
        // Start 0 is whatever the allocator gave; 1 and 3 are off every SIMD alignment.
        for start in [0, 1, 3] {
            let r = start..start + dim;
            check_all(
                &a32[r.clone()],
                &b32[r.clone()],
                &a8[r.clone()],
                &b8[r.clone()],
                &aw[r.clone()],
                &bw[r],
            );
        }
    }
}

#[test]
fn integer_extremes_are_exact() {
    let dim = 4099;
    for (x, y) in [(-128i8, -128i8), (-128, 127), (127, 127)] {
        let a = vec![x; dim];
        let b = vec![y; dim];
        for k in Kernels::available() {
            assert_eq!((k.dot_i8)(&a, &b), x as i32 * y as i32 * dim as i32);
            let d = (x as i32 - y as i32).unsigned_abs();
            assert_eq!((k.l2sq_i8)(&a, &b), d * d * dim as u32);
            assert_eq!((k.l1_i8)(&a, &b), d * dim as u32);
        }
    }
    // The i16 × i8 kernel at the largest magnitudes that cannot overflow over 500 lanes.
    for (x, y) in [
        (i16::MIN, i8::MIN),
        (i16::MAX, i8::MIN),
        (i16::MAX, i8::MAX),
    ] {
        let (a, b) = (vec![x; 500], vec![y; 500]);
        for k in Kernels::available() {
            assert_eq!((k.dot_i16_i8)(&a, &b), x as i32 * y as i32 * 500);
        }
    }
    let (a, b) = (vec![255u8; dim], vec![0u8; dim]);
    for k in Kernels::available() {
        assert_eq!((k.dot_u8)(&a, &a), 255 * 255 * dim as u32);
        assert_eq!((k.l2sq_u8)(&a, &b), 255 * 255 * dim as u32);
        assert_eq!((k.l1_u8)(&a, &b), 255 * dim as u32);
    }
}

#[test]
fn best_is_the_highest_available_level() {
    let best = Kernels::best().level;
    assert!(Kernels::available().iter().all(|k| k.level <= best));
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        assert!(best >= SimdLevel::Avx2);
    }
}

#[test]
fn checked_entry_points_and_normalize() {
    assert_eq!(dot_f32(&[1.0, 2.0], &[3.0, 4.0]), 11.0);
    assert_eq!(l2sq_f32(&[1.0, 2.0], &[3.0, 4.0]), 8.0);
    assert_eq!(l1_f32(&[1.0, 2.0], &[3.0, 5.0]), 5.0);
    assert_eq!(hamming(&[0b1011], &[0b0001]), 2);
    let mut v = [3.0, 4.0];
    assert_eq!(normalize_f32(&mut v), 5.0);
    assert!((dot_f32(&v, &v) - 1.0).abs() < 1e-6);
    let mut zero = [0.0f32; 3];
    assert_eq!(normalize_f32(&mut zero), 0.0);
    assert_eq!(zero, [0.0; 3]);
}

#[test]
#[should_panic(expected = "slices differ in length")]
fn mismatched_lengths_panic_in_checked_entry_points() {
    dot_f32(&[1.0, 2.0], &[1.0]);
}

fn vectors(max: usize) -> impl Strategy<Value = (Vec<f32>, Vec<f32>, Vec<u8>, Vec<u8>, usize)> {
    (1..=max).prop_flat_map(|n| {
        (
            prop::collection::vec(-1.0e3f32..1.0e3, n + 3),
            prop::collection::vec(-1.0e3f32..1.0e3, n + 3),
            prop::collection::vec(any::<u8>(), n + 3),
            prop::collection::vec(any::<u8>(), n + 3),
            0usize..4,
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn simd_matches_reference_on_random_values((a, b, a8, b8, start) in vectors(MAX_DIM)) {
        let n = a.len() - 3;
        let start = start.min(3);
        let r = start..start + n;
        let aw: Vec<u64> = a8.chunks(8).map(|c| c.iter().fold(0u64, |w, &x| w << 8 | x as u64)).collect();
        let bw: Vec<u64> = b8.chunks(8).map(|c| c.iter().fold(0u64, |w, &x| w << 8 | x as u64)).collect();
        let words = aw.len().min(bw.len());
        check_all(&a[r.clone()], &b[r.clone()], &a8[r.clone()], &b8[r], &aw[..words], &bw[..words]);
    }
}

#[test]
fn bitplane_kernels_match_the_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let s = Kernels::scalar();
    for blocks in 0..=8usize {
        let values: Vec<i8> = (0..64 * blocks).map(|_| rng.random()).collect();
        for bits in 1..=8usize {
            let planes: Vec<u8> = (0..8 * blocks * bits).map(|_| rng.random()).collect();
            let want = (s.bitplanes_dot_i8)(&planes, &values);
            for k in Kernels::available() {
                assert_eq!(
                    (k.bitplanes_dot_i8)(&planes, &values),
                    want,
                    "{:?} blocks={blocks} bits={bits}",
                    k.level
                );
            }
        }
    }
    for blocks in 0..=6usize {
        let values: Vec<i8> = (0..64 * blocks).map(|_| rng.random()).collect();
        let lut: [i8; 16] = std::array::from_fn(|_| rng.random());
        for bits in 1..=4usize {
            let planes: Vec<u8> = (0..8 * blocks * bits).map(|_| rng.random()).collect();
            let want = (s.bitplanes_lut_dot_i8)(&planes, &lut, &values);
            for k in Kernels::available() {
                assert_eq!(
                    (k.bitplanes_lut_dot_i8)(&planes, &lut, &values),
                    want,
                    "lut {:?} blocks={blocks} bits={bits}",
                    k.level
                );
            }
        }
    }
    // Extremes: every bit set against the most negative and most positive values.
    for v in [i8::MIN, i8::MAX] {
        let values = vec![v; 384];
        let planes = vec![0xFF; 48 * 8];
        let want = 384 * i32::from(v) * 255;
        for k in Kernels::available() {
            assert_eq!(
                (k.bitplanes_dot_i8)(&planes, &values),
                want,
                "{:?}",
                k.level
            );
        }
    }
}

#[test]
fn bitplanes_reference_is_the_code_inner_product() {
    // Codes 0..8 on 3 planes against values: Σ code·value.
    let codes: Vec<u8> = (0..64).map(|i| (i % 8) as u8).collect();
    let values: Vec<i8> = (0..64).map(|i| (i as i8) - 32).collect();
    let mut planes = vec![0u8; 3 * 8];
    for (i, &c) in codes.iter().enumerate() {
        for j in 0..3 {
            if c >> j & 1 == 1 {
                planes[j * 8 + i / 8] |= 1 << (i % 8);
            }
        }
    }
    let want: i32 = codes
        .iter()
        .zip(&values)
        .map(|(&c, &v)| i32::from(c) * i32::from(v))
        .sum();
    assert_eq!(bitplanes_dot_i8(&planes, &values), want);
    // Through a table that is the identity on codes: the same sum.
    let identity: [i8; 16] = std::array::from_fn(|i| i as i8);
    assert_eq!(bitplanes_lut_dot_i8(&planes, &identity, &values), want);
}

/// The keys a fast-scan candidates kernel writes for `codes` at `at_least`, in a buffer of
/// exactly 32 slots per block.
fn candidates(kernel: FastScanCandidates, codes: &[u8], lut: &[u8], at_least: u16) -> Vec<u32> {
    let mut out = vec![u32::MAX; 32 * (codes.len() / lut.len())];
    let n = kernel(codes, lut, at_least, &mut out);
    out.truncate(n);
    out
}

/// The keys of the vectors whose reference block sums reach `at_least`.
fn reference_candidates(codes: &[u8], lut: &[u8], at_least: u16) -> Vec<u32> {
    let mut keys = Vec::new();
    for (b, block) in codes.chunks_exact(lut.len()).enumerate() {
        let mut sums = [0u16; 32];
        scalar::fast_scan_block(block, lut, 0, &mut sums);
        for (v, &sum) in sums.iter().enumerate() {
            if sum >= at_least {
                keys.push(u32::from(sum) << 16 | (32 * b + v) as u32);
            }
        }
    }
    keys
}

#[test]
fn fast_scan_candidates_of_many_blocks_match_the_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    for (blocks, subs) in [(0usize, 4usize), (1, 12), (3, 20), (7, 6), (40, 48), (9, 1)] {
        let codes: Vec<u8> = (0..16 * subs * blocks).map(|_| rng.random()).collect();
        let lut: Vec<u8> = (0..16 * subs)
            .map(|_| rng.random_range(0..=FAST_SCAN_MAX_ENTRY))
            .collect();
        // Nothing, about half, a few, and every vector.
        let middle = FAST_SCAN_MAX_ENTRY as u16 * subs as u16 / 2;
        for at_least in [u16::MAX, middle, middle + middle / 3, 0] {
            let want = reference_candidates(&codes, &lut, at_least);
            for k in Kernels::available() {
                assert_eq!(
                    candidates(k.fast_scan_candidates, &codes, &lut, at_least),
                    want,
                    "{:?} {blocks} blocks of {subs} sub-spaces, at least {at_least}",
                    k.level
                );
            }
        }
    }
}

#[test]
fn fast_scan_candidates_match_the_reference_on_every_tail() {
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    // 1..=37 sub-spaces covers groups of four steps (of four sub-spaces under AVX-512, two
    // under AVX2), one to three remaining steps and every tail, at unaligned offsets.
    for subs in 1..=37usize {
        for skew in [0usize, 3] {
            let codes: Vec<u8> = (0..16 * subs + skew).map(|_| rng.random()).collect();
            let lut: Vec<u8> = (0..16 * subs + skew)
                .map(|_| rng.random_range(0..=FAST_SCAN_MAX_ENTRY))
                .collect();
            let (codes, lut) = (&codes[skew..], &lut[skew..]);
            let all = reference_candidates(codes, lut, 0);
            // Floors at 0, at a middle sum (a mixed mask), at the top sum and above it.
            let mut sorted: Vec<u16> = all.iter().map(|&key| (key >> 16) as u16).collect();
            sorted.sort_unstable();
            let floors = [0, sorted[16], sorted[31], sorted[31].saturating_add(1)];
            for k in Kernels::available() {
                for at_least in floors {
                    assert_eq!(
                        candidates(k.fast_scan_candidates, codes, lut, at_least),
                        reference_candidates(codes, lut, at_least),
                        "{:?} subs={subs} skew={skew} at_least={at_least}",
                        k.level
                    );
                }
            }
        }
    }
}

#[test]
fn fast_scan_sums_the_largest_entries_without_carries() {
    // Every entry at the maximum and 256 sub-spaces: each sum is 63 · 256 = 16,128.
    let (codes, lut) = (vec![0x5au8; 16 * 256], vec![FAST_SCAN_MAX_ENTRY; 16 * 256]);
    let want: Vec<u32> = (0..32).map(|v| 16_128 << 16 | v).collect();
    for k in Kernels::available() {
        assert_eq!(
            candidates(k.fast_scan_candidates, &codes, &lut, 16_128),
            want,
            "{:?}",
            k.level
        );
    }
}

#[test]
fn fast_scan_table_kernels_stay_in_bounds() {
    let (codes, lut) = ([0u8; 64], [1u8; 32]);
    for k in Kernels::available() {
        assert_eq!((k.fast_scan_candidates)(&codes, &[], 0, &mut [0; 64]), 0);
        if k.level == SimdLevel::Avx512 {
            // Room for one block of two: the second is not read.
            let mut out = [0u32; 40];
            assert_eq!((k.fast_scan_candidates)(&codes, &lut, 0, &mut out), 32);
            assert_eq!(out[31], 2 << 16 | 31);
        }
    }
}

#[test]
fn fast_scan_candidates_checks_its_buffers() {
    let lut = [1u8; 32];
    let codes = [0u8; 64];
    let mut out = [0u32; 64];
    assert_eq!(fast_scan_candidates(&codes, &lut, 2, &mut out), 64);
    assert_eq!(out[63], 2 << 16 | 63);
    for (codes, out_len) in [(&codes[..63], 64), (&codes[..], 63)] {
        let mut out = vec![0u32; out_len];
        let caught = std::panic::catch_unwind(move || {
            fast_scan_candidates(codes, &lut, 0, &mut out);
        });
        assert!(
            caught.is_err(),
            "{} code bytes, {out_len} slots",
            codes.len()
        );
    }
    let many = vec![0u8; 16 * (FAST_SCAN_MAX_BLOCKS + 1)];
    let mut out = vec![0u32; 32 * (FAST_SCAN_MAX_BLOCKS + 1)];
    let caught = std::panic::catch_unwind(move || {
        fast_scan_candidates(&many, &[0u8; 16], 0, &mut out);
    });
    assert!(caught.is_err(), "too many blocks");
}

#[test]
fn fast_scan_slots_cover_every_nibble_of_a_sub_space_once() {
    let mut seen = [[false; 2]; 16];
    for v in 0..32 {
        let (byte, shift) = fast_scan_slot(v);
        assert!(
            byte < 16 && (shift == 0 || shift == 4),
            "vector {v}: {byte}, {shift}"
        );
        assert!(
            !seen[byte][shift as usize / 4],
            "vector {v} shares a nibble"
        );
        seen[byte][shift as usize / 4] = true;
    }
}

#[test]
fn fast_scan_reads_each_vector_from_its_slot() {
    // Two sub-spaces; vector 3 has codes (5, 9), vector 19 (2, 15); every other code is 0.
    let mut codes = vec![0u8; 32];
    for (v, [first, second]) in [(3, [5u8, 9]), (19, [2, 15])] {
        let (byte, shift) = fast_scan_slot(v);
        codes[byte] |= first << shift;
        codes[16 + byte] |= second << shift;
    }
    // Vector 3 is the low nibble of byte 6, vector 19 that of byte 7.
    assert_eq!(
        (codes[6], codes[7], codes[16 + 6], codes[16 + 7]),
        (5, 2, 9, 15)
    );
    let lut: Vec<u8> = (0..32)
        .map(|i| (i % 16) as u8 * 4 + (i / 16) as u8)
        .collect();
    for k in Kernels::available() {
        let all = candidates(k.fast_scan_candidates, &codes, &lut, 0);
        assert_eq!(all[3], (20 + 37) << 16 | 3, "{:?}", k.level);
        assert_eq!(all[19], (8 + 61) << 16 | 19, "{:?}", k.level);
        assert_eq!(all[0], 1 << 16, "{:?}", k.level);
        // Only those two reach 50.
        assert_eq!(
            candidates(k.fast_scan_candidates, &codes, &lut, 50),
            [all[3], all[19]],
            "{:?}",
            k.level
        );
    }
}

#[test]
fn nibble_kernels_match_the_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(22);
    let s = Kernels::scalar();
    // Whole AVX-512 steps (64 bytes), AVX2 steps (32) and every kind of tail, unaligned too.
    for h in (0..=70).chain([127, 128, 129, 192, 200]) {
        for skew in [0usize, 5] {
            let codes: Vec<u8> = (0..h + skew).map(|_| rng.random()).collect();
            let query: Vec<i8> = (0..2 * h + skew)
                .map(|_| rng.random_range(-128i16..=127) as i8)
                .collect();
            let (codes, query) = (&codes[skew..], &query[skew..]);
            let want = (s.nibbles_dot_i8)(codes, query);
            // Four records: this one and three others of the same length.
            let others: Vec<Vec<u8>> = (0..3)
                .map(|_| (0..h).map(|_| rng.random()).collect())
                .collect();
            let four = [codes, &others[0], &others[1], &others[2]];
            let want4 = four.map(|c| (s.nibbles_dot_i8)(c, query));
            for k in Kernels::available() {
                assert_eq!(
                    (k.nibbles_dot_i8)(codes, query),
                    want,
                    "{:?} h={h} skew={skew}",
                    k.level
                );
                assert_eq!(
                    (k.nibbles_dot_i8_x4)(four, query),
                    want4,
                    "x4 {:?} h={h} skew={skew}",
                    k.level
                );
            }
        }
    }
}

#[test]
fn nibbles_pair_low_halves_with_the_first_half_of_the_query() {
    // Byte 1 holds coordinate 1 (low nibble 3) and coordinate 4 (high nibble 15).
    let codes = [0u8, 3 | (15 << 4), 0];
    let mut query = [0i8; 6];
    query[1] = -7;
    query[4] = 100;
    assert_eq!(nibbles_dot_i8(&codes, &query), 3 * -7 + 15 * 100);
    let zero = [0u8; 3];
    assert_eq!(
        nibbles_dot_i8_x4([&zero, &codes, &zero, &codes], &query),
        [0, 3 * -7 + 15 * 100, 0, 3 * -7 + 15 * 100]
    );
    // The extremes do not saturate: 15 · −128 on both nibbles of 200 bytes.
    let codes = vec![0xffu8; 200];
    assert_eq!(nibbles_dot_i8(&codes, &[-128i8; 400]), -15 * 128 * 400);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every level's grid is the scalar one bit for bit, and the grid holds the table: each
    /// level is its entry's distance from the row minimum in steps, to half a step.
    #[test]
    fn fast_scan_grids_match_the_reference(
        raw in proptest::collection::vec(-1e3f32..1e3, 0..=16 * 40),
        scale in prop_oneof![Just(1e-4f32), Just(1.0), Just(30.0)],
        flat_row in any::<prop::sample::Index>(),
    ) {
        let mut table: Vec<f32> = raw[..raw.len() / 16 * 16].iter().map(|t| t * scale).collect();
        let rows = table.len() / 16;
        if rows > 1 {
            // One row of equal entries (range 0).
            let r = flat_row.index(rows);
            let first = table[16 * r];
            table[16 * r..16 * r + 16].fill(first);
        }
        let mut want = vec![0u8; table.len()];
        let (offset, step) = (Kernels::scalar().fast_scan_grid)(&table, &mut want);
        for k in Kernels::available() {
            let mut got = vec![9u8; table.len()];
            let (o, s) = (k.fast_scan_grid)(&table, &mut got);
            prop_assert_eq!((o.to_bits(), s.to_bits()), (offset.to_bits(), step.to_bits()), "{:?}", k.level);
            prop_assert_eq!(&got, &want, "{:?}", k.level);
        }
        let mut lows = 0f32;
        for (row, levels) in table.chunks_exact(16).zip(want.chunks_exact(16)) {
            let lo = row.iter().copied().fold(f32::INFINITY, f32::min);
            lows += lo;
            for (&t, &l) in row.iter().zip(levels) {
                prop_assert!(l <= FAST_SCAN_MAX_ENTRY);
                let off = (t - lo) / step - f32::from(l);
                prop_assert!(off.abs() <= 0.5 + 1e-3, "entry {} level {} step {}", t, l, step);
            }
        }
        prop_assert_eq!(lows.to_bits(), offset.to_bits());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every level's table is the scalar one bit for bit, and the scalar one is the
    /// definition: sums over each sub-space's coordinates in order.
    #[test]
    fn fast_scan_tables_match_the_reference(
        m in 0usize..12,
        sub in 1usize..9,
        squared: bool,
        seed in any::<u64>(),
    ) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let query: Vec<f32> = (0..m * sub).map(|_| rng.random_range(-2.0f32..2.0)).collect();
        let books: Vec<f32> = (0..16 * m * sub).map(|_| rng.random_range(-2.0f32..2.0)).collect();
        let mut want = vec![0f32; 16 * m];
        (Kernels::scalar().fast_scan_table)(&query, &books, squared, &mut want);
        for j in 0..m {
            for c in 0..16 {
                let mut sum = 0f32;
                for d in 0..sub {
                    let (x, y) = (query[j * sub + d], books[16 * (j * sub + d) + c]);
                    sum += if squared { (x - y) * (x - y) } else { x * y };
                }
                let sum = if squared { -sum } else { sum };
                prop_assert_eq!(want[16 * j + c].to_bits(), sum.to_bits());
            }
        }
        for k in Kernels::available() {
            let mut got = vec![9f32; 16 * m];
            (k.fast_scan_table)(&query, &books, squared, &mut got);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits(&got), bits(&want), "{:?}", k.level);
        }
    }
}
