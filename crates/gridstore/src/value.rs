//! Turning user bytes into stored bytes and back: optional LZ4, checksum verification.

use std::borrow::Cow;
use std::path::Path;

use sextant_core::PointOffset;

use crate::pointer::{ValuePointer, value_crc};
use crate::{Compression, Error, Result};

/// The bytes to store for `value`.
pub(crate) fn encode(compression: Compression, value: &[u8]) -> Cow<'_, [u8]> {
    match compression {
        Compression::None => Cow::Borrowed(value),
        Compression::Lz4 => Cow::Owned(lz4_flex::compress_prepend_size(value)),
    }
}

/// LZ4 cannot expand data more than ~255x; a larger claimed size is corruption, refused
/// before allocating for it.
const MAX_LZ4_RATIO: usize = 255;

/// Checks `stored` against its pointer and returns the user's bytes; errors name the page
/// file in `dir` the value starts in.
pub(crate) fn decode<'a>(
    dir: &Path,
    compression: Compression,
    offset: PointOffset,
    ptr: &ValuePointer,
    stored: Cow<'a, [u8]>,
) -> Result<Cow<'a, [u8]>> {
    let corrupt = |reason: String| value_error(dir, offset, ptr, reason);
    let crc = value_crc(offset, &stored);
    if crc != ptr.crc {
        return Err(corrupt(format!(
            "checksum mismatch (stored {:#010x}, computed {crc:#010x}): torn or overwritten value",
            ptr.crc
        )));
    }
    match compression {
        Compression::None => Ok(stored),
        Compression::Lz4 => {
            let claimed = stored
                .get(..4)
                .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize);
            match claimed {
                Some(size) if size <= stored.len().saturating_mul(MAX_LZ4_RATIO) + 64 => {}
                _ => return Err(corrupt("LZ4 size prefix missing or impossible".into())),
            }
            lz4_flex::decompress_size_prepended(&stored)
                .map(Cow::Owned)
                .map_err(|e| corrupt(format!("LZ4 data does not decode: {e}")))
        }
    }
}

/// The error for a value at `offset` that fails a check.
pub(crate) fn value_error(
    dir: &Path,
    offset: PointOffset,
    ptr: &ValuePointer,
    reason: String,
) -> Error {
    Error::Corrupt {
        path: crate::pages::page_path(dir, ptr.page as usize),
        offset,
        page: ptr.page,
        block: ptr.block,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flipped_bit_or_a_wrong_offset_fails_the_checksum() {
        for compression in [Compression::None, Compression::Lz4] {
            let value = br#"{"name":"sextant","tags":["a","b","a","b"]}"#.repeat(10);
            let stored = encode(compression, &value).into_owned();
            let ptr = ValuePointer {
                page: 3,
                block: 7,
                len: stored.len() as u32,
                crc: value_crc(42, &stored),
            };
            assert_eq!(
                &*decode(
                    Path::new("d"),
                    compression,
                    42,
                    &ptr,
                    Cow::Borrowed(&stored)
                )
                .unwrap(),
                &value[..]
            );
            let err = decode(
                Path::new("d"),
                compression,
                43,
                &ptr,
                Cow::Borrowed(&stored),
            )
            .unwrap_err();
            assert!(
                err.to_string()
                    .starts_with("d/page_000003.dat: value at offset 43 (page 3, block 7)"),
                "{err}"
            );
            let mut flipped = stored.clone();
            flipped[5] ^= 0x10;
            assert!(decode(Path::new("d"), compression, 42, &ptr, Cow::Owned(flipped)).is_err());
        }
    }

    #[test]
    fn an_impossible_lz4_size_is_refused_before_allocating() {
        let stored = [0xff, 0xff, 0xff, 0x7f, 0, 0];
        let ptr = ValuePointer {
            page: 0,
            block: 0,
            len: 6,
            crc: value_crc(1, &stored),
        };
        let err = decode(
            Path::new("d"),
            Compression::Lz4,
            1,
            &ptr,
            Cow::Borrowed(&stored),
        )
        .unwrap_err();
        assert!(err.to_string().contains("impossible"), "{err}");
    }
}
