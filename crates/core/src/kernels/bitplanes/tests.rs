//! Every level of the bit-plane kernels against the scalar reference, and the reference
//! against the definition.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{bitplanes_dot_i8, bitplanes_lut_dot_i8};
use crate::kernels::Kernels;

#[test]
fn bitplane_kernels_match_the_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let s = &Kernels::scalar().bitplanes;
    for blocks in 0..=8usize {
        let values: Vec<i8> = (0..64 * blocks).map(|_| rng.random()).collect();
        for bits in 1..=8usize {
            let planes: Vec<u8> = (0..8 * blocks * bits).map(|_| rng.random()).collect();
            let want = (s.bitplanes_dot_i8)(&planes, &values);
            for (lv, k) in Kernels::available().iter().map(|k| (k.level, &k.bitplanes)) {
                assert_eq!(
                    (k.bitplanes_dot_i8)(&planes, &values),
                    want,
                    "{:?} blocks={blocks} bits={bits}",
                    lv
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
            for (lv, k) in Kernels::available().iter().map(|k| (k.level, &k.bitplanes)) {
                assert_eq!(
                    (k.bitplanes_lut_dot_i8)(&planes, &lut, &values),
                    want,
                    "lut {:?} blocks={blocks} bits={bits}",
                    lv
                );
            }
        }
    }
    // Extremes: every bit set against the most negative and most positive values.
    for v in [i8::MIN, i8::MAX] {
        let values = vec![v; 384];
        let planes = vec![0xFF; 48 * 8];
        let want = 384 * i32::from(v) * 255;
        for (lv, k) in Kernels::available().iter().map(|k| (k.level, &k.bitplanes)) {
            assert_eq!((k.bitplanes_dot_i8)(&planes, &values), want, "{:?}", lv);
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
