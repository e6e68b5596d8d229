//! Where a codec's records live: in RAM (trained, loaded, or grown by `push`), or in a codec
//! file mapped read-only and searched in place.

use std::ops::Deref;
use std::sync::Arc;

use sextant_mmap_advice::MmapFile;

/// The record bytes of a codec (one fixed-size record per vector, back to back).
#[derive(Debug, Clone)]
pub enum Records {
    /// In RAM.
    Owned(Vec<u8>),
    /// Bytes `start..start + len` of a codec file, validated when it was opened.
    Mapped {
        map: Arc<MmapFile>,
        start: usize,
        len: usize,
    },
}

impl Records {
    /// A RAM copy of `bytes`, on transparent huge pages where the OS offers them: traversal on
    /// codes jumps to random records, and huge pages spare it a TLB miss each.
    pub(crate) fn copied(bytes: &[u8]) -> Records {
        let mut v = sextant_mmap_advice::huge_page_vec(bytes.len());
        v.extend_from_slice(bytes);
        Records::Owned(v)
    }

    /// Appends a record. A mapped region is first copied into RAM: a mapped codec that grows
    /// keeps its new records (and from then on all of them) in memory.
    pub(crate) fn extend_from_slice(&mut self, record: &[u8]) {
        if let Records::Mapped { .. } = self {
            *self = Records::copied(self);
        }
        if let Records::Owned(v) = self {
            v.extend_from_slice(record);
        }
    }

    /// The bytes, writable (a mapped region is first copied into RAM, as for a push).
    pub(crate) fn make_mut(&mut self) -> &mut Vec<u8> {
        if let Records::Mapped { .. } = self {
            *self = Records::copied(self);
        }
        match self {
            Records::Owned(v) => v,
            Records::Mapped { .. } => unreachable!("copied into RAM above"),
        }
    }

    /// The bytes as an owned vector (a mapped region is copied into RAM).
    pub(crate) fn into_owned(self) -> Vec<u8> {
        match self {
            Records::Owned(v) => v,
            mapped => Records::copied(&mapped).into_owned(),
        }
    }

    /// True when the records are read in place from a mapped file.
    pub(crate) fn is_mapped(&self) -> bool {
        matches!(self, Records::Mapped { .. })
    }
}

/// The little-endian f32 at byte `at` of `bytes` (a per-record factor, a header field).
#[inline]
pub(crate) fn f32_at(bytes: &[u8], at: usize) -> f32 {
    f32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

/// True when every little-endian f32 in `bytes` is finite (the per-record factors a codec
/// file must not hold NaN or infinity in).
pub(crate) fn f32s_finite(bytes: &[u8]) -> bool {
    bytes.chunks_exact(4).all(|c| f32_at(c, 0).is_finite())
}

impl Deref for Records {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        match self {
            Records::Owned(v) => v,
            Records::Mapped { map, start, len } => &map.bytes()[*start..*start + *len],
        }
    }
}

impl From<Vec<u8>> for Records {
    fn from(v: Vec<u8>) -> Self {
        Records::Owned(v)
    }
}

impl Default for Records {
    fn default() -> Self {
        Records::Owned(Vec::new())
    }
}

/// Equal when the bytes are, wherever they live.
impl PartialEq for Records {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}
