//! Bit planes: codes of `bits` bits stored as `bits` planes of one bit per coordinate, what
//! the core bit-plane kernels read (RaBitQ, TurboQuant, binary).

/// Writes `codes` (one per coordinate, `bits` bits each) as `bits` planes of `plane_bytes`
/// bytes into the zeroed `out`: bit `i` of plane `j` is bit `j` of code `i`, LSB first.
pub(crate) fn write_planes(codes: &[u8], bits: u32, plane_bytes: usize, out: &mut [u8]) {
    for (i, &c) in codes.iter().enumerate() {
        for j in 0..bits as usize {
            if c >> j & 1 == 1 {
                out[j * plane_bytes + i / 8] |= 1 << (i % 8);
            }
        }
    }
}

/// Code `i` read back from planes written by [`write_planes`].
#[inline]
pub(crate) fn read_code(planes: &[u8], bits: u32, plane_bytes: usize, i: usize) -> u8 {
    (0..bits as usize)
        .map(|j| (planes[j * plane_bytes + i / 8] >> (i % 8) & 1) << j)
        .sum()
}

/// `SPREAD[b]` holds bit `t` of `b` in byte `t`: one table load turns a plane byte into the
/// bit it gives each of eight codes.
const SPREAD: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut t = 0;
        while t < 8 {
            table[b] |= ((b as u64 >> t) & 1) << (8 * t);
            t += 1;
        }
        b += 1;
    }
    table
};

/// Codes `start..start + out.len()` read back from planes written by [`write_planes`], eight
/// at a time where the run is byte-aligned (TurboQuant's decoder and pair dot only ask for
/// such runs): per plane one byte and one [`SPREAD`] load, shifted into place, where a
/// bit-by-bit loop had made its pair scorer twice as slow.
#[inline]
pub(crate) fn read_codes(
    planes: &[u8],
    bits: u32,
    plane_bytes: usize,
    start: usize,
    out: &mut [u8],
) {
    let (aligned, rest) = if start.is_multiple_of(8) {
        out.as_chunks_mut::<8>()
    } else {
        (&mut [][..], &mut out[..])
    };
    let first = start / 8;
    for (g, eight) in aligned.iter_mut().enumerate() {
        let mut codes = 0u64;
        for j in 0..bits as usize {
            codes |= SPREAD[usize::from(planes[j * plane_bytes + first + g])] << j;
        }
        *eight = codes.to_le_bytes();
    }
    let done = 8 * aligned.len();
    for (k, o) in rest.iter_mut().enumerate() {
        *o = read_code(planes, bits, plane_bytes, start + done + k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn runs_of_codes_read_back_what_was_written(
            codes in prop::collection::vec(any::<u8>(), 1..300),
            bits in 1u32..=8,
            start in 0usize..300,
            len in 0usize..80,
        ) {
            let codes: Vec<u8> = codes.iter().map(|&c| (u16::from(c) & ((1 << bits) - 1)) as u8).collect();
            let plane_bytes = codes.len().div_ceil(64) * 8;
            let mut planes = vec![0u8; bits as usize * plane_bytes];
            write_planes(&codes, bits, plane_bytes, &mut planes);
            let start = start % codes.len();
            let len = len.min(codes.len() - start);
            let mut out = vec![0xffu8; len];
            read_codes(&planes, bits, plane_bytes, start, &mut out);
            prop_assert_eq!(&out[..], &codes[start..start + len]);
        }
    }
}
