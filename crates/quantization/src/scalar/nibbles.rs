//! The 4-bit layout of the int4 and PCA scalar codes: with `h` code bytes, byte `b` holds
//! code `b` in its low nibble and code `h + b` in its high nibble, so each half of a query
//! meets one nibble of a contiguous run of bytes (what core's `nibbles_dot_i8` reads).

/// Code `i` of the 4-bit codes packed in `bytes` as laid out in the module docs (`h =
/// bytes.len()`: code `i < h` in the low nibble of byte `i`, code `h + b` in the high nibble
/// of byte `b`).
#[inline]
pub(crate) fn nibble(bytes: &[u8], i: usize) -> u8 {
    let h = bytes.len();
    if i < h {
        bytes[i] & 0x0f
    } else {
        bytes[i - h] >> 4
    }
}

/// Writes code `i` (below 16) into zeroed `bytes` laid out as [`nibble`] reads them.
#[inline]
pub(crate) fn set_nibble(bytes: &mut [u8], i: usize, code: u8) {
    let h = bytes.len();
    if i < h {
        bytes[i] |= code;
    } else {
        bytes[i - h] |= code << 4;
    }
}
