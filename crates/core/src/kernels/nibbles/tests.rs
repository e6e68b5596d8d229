//! Every level of the nibble kernels against the scalar reference, and the layout of the
//! query halves.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{nibbles_dot_i8, nibbles_dot_i8_x4};
use crate::kernels::Kernels;

#[test]
fn nibble_kernels_match_the_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(22);
    let s = &Kernels::scalar().nibbles;
    // Every level's table, and the AVX-512 one without VNNI where `available` gave the VNNI
    // one.
    let mut tables: Vec<(String, super::NibbleKernels)> = Kernels::available()
        .iter()
        .map(|k| (format!("{:?}", k.level), k.nibbles))
        .collect();
    #[cfg(target_arch = "x86_64")]
    if crate::kernels::x86::has_avx512() {
        tables.push(("avx512 without vnni".into(), super::avx512::TABLE));
    }
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
            for (lv, k) in &tables {
                assert_eq!(
                    (k.nibbles_dot_i8)(codes, query),
                    want,
                    "{:?} h={h} skew={skew}",
                    lv
                );
                assert_eq!(
                    (k.nibbles_dot_i8_x4)(four, query),
                    want4,
                    "x4 {:?} h={h} skew={skew}",
                    lv
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
