//! Every level of the float kernels against exact sums: all dims 1..=1536, unaligned starts,
//! and random values from proptest.

use half::{bf16, f16};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::kernels::{Kernels, SimdLevel};

const MAX_DIM: usize = 1536;

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

/// Every level's table, and the AVX-512 one without native bf16 where the CPU hands out the
/// native one (so both bf16 paths are checked on such a CPU).
fn tables() -> Vec<(SimdLevel, super::FloatKernels)> {
    let mut all: Vec<_> = Kernels::available()
        .into_iter()
        .map(|k| (k.level, k.float))
        .collect();
    #[cfg(target_arch = "x86_64")]
    if crate::kernels::x86::has_avx512() {
        all.push((SimdLevel::Avx512, super::avx512::TABLE));
    }
    all
}

/// Checks every float kernel of every level on one pair of inputs.
fn check_all(a32: &[f32], b32: &[f32]) {
    let n = a32.len();
    let a16: Vec<f16> = a32.iter().map(|&x| f16::from_f32(x)).collect();
    let b16: Vec<f16> = b32.iter().map(|&x| f16::from_f32(x)).collect();
    let (a16f, b16f): (Vec<f32>, Vec<f32>) = (
        a16.iter().map(|x| x.to_f32()).collect(),
        b16.iter().map(|x| x.to_f32()).collect(),
    );
    let (dot, dot_abs) = exact_dot(a32, b32);
    let l2 = exact_l2sq(a32, b32);
    let l1 = exact_l1(a32, b32);
    let (dot16, dot16_abs) = exact_dot(&a16f, &b16f);
    let l2_16 = exact_l2sq(&a16f, &b16f);
    let l1_16 = exact_l1(&a16f, &b16f);
    let abf: Vec<bf16> = a32.iter().map(|&x| bf16::from_f32(x)).collect();
    let bbf: Vec<bf16> = b32.iter().map(|&x| bf16::from_f32(x)).collect();
    let (abff, bbff): (Vec<f32>, Vec<f32>) = (
        abf.iter().map(|x| x.to_f32()).collect(),
        bbf.iter().map(|x| x.to_f32()).collect(),
    );
    let (rabf, rbbf): (Vec<bf16>, Vec<bf16>) = (
        abf.iter().rev().copied().collect(),
        bbf.iter().rev().copied().collect(),
    );
    for (lv, k) in tables() {
        let k = &k;
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
        // Four rows against `a`: `b`, `a`, and the two reversed.
        let (ra, rb): (Vec<f32>, Vec<f32>) = (
            a32.iter().rev().copied().collect(),
            b32.iter().rev().copied().collect(),
        );
        let rows = [b32, a32, &ra[..], &rb[..]];
        for (got, r) in (k.dot4_f32)(a32, rows).into_iter().zip(rows) {
            let (want, abs) = exact_dot(a32, r);
            assert_close("dot4_f32", lv, got, want, float_tolerance(n, abs));
        }
        // bf16: exact against the sums of the rounded values.
        let (want, abs) = exact_dot(&abff, &bbff);
        let tol = float_tolerance(n, abs);
        assert_close("dot_bf16", lv, (k.dot_bf16)(&abf, &bbf), want, tol);
        let rows = [&bbf[..], &abf[..], &rabf[..], &rbbf[..]];
        for (got, r) in (k.dot4_bf16)(&abf, rows).into_iter().zip(rows) {
            let rf: Vec<f32> = r.iter().map(|x| x.to_f32()).collect();
            let (want, abs) = exact_dot(&abff, &rf);
            assert_close("dot4_bf16", lv, got, want, float_tolerance(n, abs));
        }
    }
}

#[test]
fn every_dim_and_alignment_matches_exact_sums() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let len = MAX_DIM + 3;
    let a32: Vec<f32> = (0..len).map(|_| rng.random_range(-2.0..2.0)).collect();
    let b32: Vec<f32> = (0..len).map(|_| rng.random_range(-2.0..2.0)).collect();
    for dim in 1..=MAX_DIM {
        // Start 0 is whatever the allocator gave; 1 and 3 are off every SIMD alignment.
        for start in [0, 1, 3] {
            check_all(&a32[start..start + dim], &b32[start..start + dim]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn simd_matches_exact_sums_on_random_values(
        (a, b, start) in (1..=MAX_DIM).prop_flat_map(|n| (
            prop::collection::vec(-1.0e3f32..1.0e3, n + 3),
            prop::collection::vec(-1.0e3f32..1.0e3, n + 3),
            0usize..4,
        ))
    ) {
        let n = a.len() - 3;
        let start = start.min(3);
        check_all(&a[start..start + n], &b[start..start + n]);
    }
}

/// The sift as its contract says, one value at a time.
fn model_sift(values: &[f32], cut: f32) -> (Vec<u32>, Vec<u32>) {
    let keep = |v: f32| v >= cut || v.is_nan();
    let at = (0..values.len() as u32)
        .filter(|&i| keep(values[i as usize]))
        .collect();
    let left = values
        .iter()
        .map(|&v| if keep(v) { v.to_bits() } else { 0 })
        .collect();
    (at, left)
}

#[test]
fn every_level_sifts_as_the_model() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for len in (0..70).chain([16384, 16389]) {
        for sparse in [false, true] {
            let values: Vec<f32> = (0..len)
                .map(|_| match rng.random_range(0..40) {
                    0 => f32::NAN,
                    1 => -0.0,
                    _ if sparse && rng.random_range(0..8) > 0 => 0.0,
                    _ => rng.random_range(-2.0..2.0),
                })
                .collect();
            for cut in [f32::NEG_INFINITY, -1.0, 0.0, 0.5, 1.9, f32::INFINITY] {
                let (want_at, want_left) = model_sift(&values, cut);
                for (lv, k) in tables() {
                    let (mut got, mut at) = (values.clone(), vec![u32::MAX; len]);
                    let n = (k.sift_f32)(&mut got, cut, &mut at);
                    assert_eq!(&at[..n], &want_at[..], "{lv:?}: len {len}, cut {cut}");
                    let left: Vec<u32> = got.iter().map(|v| v.to_bits()).collect();
                    assert_eq!(left, want_left, "{lv:?}: len {len}, cut {cut}");
                }
            }
        }
    }
}
