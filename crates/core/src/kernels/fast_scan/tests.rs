//! Every level of the fast-scan kernels against the scalar reference (bit for bit for the
//! table and grid), the block layout, and the checked entry point's buffer checks.

use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{
    FAST_SCAN_MAX_BLOCKS, FAST_SCAN_MAX_ENTRY, FastScanCandidates, fast_scan_candidates,
    fast_scan_slot,
};
use crate::kernels::{Kernels, SimdLevel};

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
        super::scalar::fast_scan_block(block, lut, 0, &mut sums);
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
            for (lv, k) in Kernels::available().iter().map(|k| (k.level, &k.fast_scan)) {
                assert_eq!(
                    candidates(k.fast_scan_candidates, &codes, &lut, at_least),
                    want,
                    "{:?} {blocks} blocks of {subs} sub-spaces, at least {at_least}",
                    lv
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
            for (lv, k) in Kernels::available().iter().map(|k| (k.level, &k.fast_scan)) {
                for at_least in floors {
                    assert_eq!(
                        candidates(k.fast_scan_candidates, codes, lut, at_least),
                        reference_candidates(codes, lut, at_least),
                        "{:?} subs={subs} skew={skew} at_least={at_least}",
                        lv
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
    for (lv, k) in Kernels::available().iter().map(|k| (k.level, &k.fast_scan)) {
        assert_eq!(
            candidates(k.fast_scan_candidates, &codes, &lut, 16_128),
            want,
            "{:?}",
            lv
        );
    }
}

#[test]
fn fast_scan_table_kernels_stay_in_bounds() {
    let (codes, lut) = ([0u8; 64], [1u8; 32]);
    for (lv, k) in Kernels::available().iter().map(|k| (k.level, &k.fast_scan)) {
        assert_eq!((k.fast_scan_candidates)(&codes, &[], 0, &mut [0; 64]), 0);
        if lv == SimdLevel::Avx512 {
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
    for (lv, k) in Kernels::available().iter().map(|k| (k.level, &k.fast_scan)) {
        let all = candidates(k.fast_scan_candidates, &codes, &lut, 0);
        assert_eq!(all[3], (20 + 37) << 16 | 3, "{:?}", lv);
        assert_eq!(all[19], (8 + 61) << 16 | 19, "{:?}", lv);
        assert_eq!(all[0], 1 << 16, "{:?}", lv);
        // Only those two reach 50.
        assert_eq!(
            candidates(k.fast_scan_candidates, &codes, &lut, 50),
            [all[3], all[19]],
            "{:?}",
            lv
        );
    }
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
        let (offset, step) = (Kernels::scalar().fast_scan.fast_scan_grid)(&table, &mut want);
        for (lv, k) in Kernels::available().iter().map(|k| (k.level, &k.fast_scan)) {
            let mut got = vec![9u8; table.len()];
            let (o, s) = (k.fast_scan_grid)(&table, &mut got);
            prop_assert_eq!((o.to_bits(), s.to_bits()), (offset.to_bits(), step.to_bits()), "{:?}", lv);
            prop_assert_eq!(&got, &want, "{:?}", lv);
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
        (Kernels::scalar().fast_scan.fast_scan_table)(&query, &books, squared, &mut want);
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
        for (lv, k) in Kernels::available().iter().map(|k| (k.level, &k.fast_scan)) {
            let mut got = vec![9f32; 16 * m];
            (k.fast_scan_table)(&query, &books, squared, &mut got);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits(&got), bits(&want), "{:?}", lv);
        }
    }
}
