//! Every level of the byte kernels against the scalar reference: all dims 1..=1536,
//! unaligned starts, random values from proptest, and the integer extremes.

use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::kernels::Kernels;

const MAX_DIM: usize = 1536;

/// Checks every byte kernel of every level on one pair of inputs.
fn check_all(a8: &[u8], b8: &[u8], aw: &[u64], bw: &[u64]) {
    let n = a8.len();
    let ai8: &[i8] = bytemuck::cast_slice(a8);
    let bi8: &[i8] = bytemuck::cast_slice(b8);
    // i16 query values from the random bytes, at most 2¹¹ in size so no sum can overflow.
    let ai16: Vec<i16> = a8
        .iter()
        .zip(b8.iter().rev())
        .map(|(&x, &y)| i16::from_le_bytes([x, y]) >> 4)
        .collect();
    let s = &Kernels::scalar().bytes;
    for k in Kernels::available() {
        let (lv, k) = (k.level, &k.bytes);
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
    let a8: Vec<u8> = (0..len).map(|_| rng.random()).collect();
    let b8: Vec<u8> = (0..len).map(|_| rng.random()).collect();
    let aw: Vec<u64> = (0..len).map(|_| rng.random()).collect();
    let bw: Vec<u64> = (0..len).map(|_| rng.random()).collect();
    for dim in 1..=MAX_DIM {
        // Start 0 is whatever the allocator gave; 1 and 3 are off every SIMD alignment.
        for start in [0, 1, 3] {
            let r = start..start + dim;
            check_all(&a8[r.clone()], &b8[r.clone()], &aw[r.clone()], &bw[r]);
        }
    }
}

#[test]
fn integer_extremes_are_exact() {
    let dim = 4099;
    for (x, y) in [(-128i8, -128i8), (-128, 127), (127, 127)] {
        let a = vec![x; dim];
        let b = vec![y; dim];
        for k in Kernels::available().iter().map(|k| &k.bytes) {
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
        for k in Kernels::available().iter().map(|k| &k.bytes) {
            assert_eq!((k.dot_i16_i8)(&a, &b), x as i32 * y as i32 * 500);
        }
    }
    let (a, b) = (vec![255u8; dim], vec![0u8; dim]);
    for k in Kernels::available().iter().map(|k| &k.bytes) {
        assert_eq!((k.dot_u8)(&a, &a), 255 * 255 * dim as u32);
        assert_eq!((k.l2sq_u8)(&a, &b), 255 * 255 * dim as u32);
        assert_eq!((k.l1_u8)(&a, &b), 255 * dim as u32);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn simd_matches_reference_on_random_values(
        (a8, b8, start) in (1..=MAX_DIM).prop_flat_map(|n| (
            prop::collection::vec(any::<u8>(), n + 3),
            prop::collection::vec(any::<u8>(), n + 3),
            0usize..4,
        ))
    ) {
        let n = a8.len() - 3;
        let start = start.min(3);
        let r = start..start + n;
        let aw: Vec<u64> = a8.chunks(8).map(|c| c.iter().fold(0u64, |w, &x| w << 8 | x as u64)).collect();
        let bw: Vec<u64> = b8.chunks(8).map(|c| c.iter().fold(0u64, |w, &x| w << 8 | x as u64)).collect();
        let words = aw.len().min(bw.len());
        check_all(&a8[r.clone()], &b8[r], &aw[..words], &bw[..words]);
    }
}
