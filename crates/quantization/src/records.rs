//! Where a codec's records live: in RAM (trained, loaded, or grown by `push`), or in a codec
//! file mapped read-only and searched in place.

use std::ops::Deref;
use std::sync::Arc;

use sextant_mmap_advice::MmapFile;

/// The record bytes of a codec (one fixed-size record per vector, back to back).
#[derive(Debug, Clone)]
pub(crate) enum Records {
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

/// The accessors every fixed-stride codec shares, given its `stride()` and
/// `encode(vector, zeroed record)`: `push`, `len`, `is_empty`, `dim`, `bytes_per_vector`
/// (documented by `$bytes_doc`) and the crate-private `record`.
macro_rules! record_codec {
    ($codec:ty, $bytes_doc:literal) => {
        impl $codec {
            /// Encodes one more vector (prepared like the training set) at offset `len()`,
            /// with the parameters trained.
            pub fn push(&mut self, vector: &[f32]) -> $crate::Result<sextant_core::PointOffset> {
                $crate::error::check_vector(vector, self.dim)?;
                let p = self.len() as sextant_core::PointOffset;
                let mut record = vec![0; self.stride()];
                self.encode(vector, &mut record);
                self.data.extend_from_slice(&record);
                Ok(p)
            }

            /// Number of encoded vectors.
            pub fn len(&self) -> usize {
                self.data.len() / self.stride()
            }

            /// True when nothing is encoded.
            pub fn is_empty(&self) -> bool {
                self.data.is_empty()
            }

            /// Dimension of the vectors.
            pub fn dim(&self) -> usize {
                self.dim
            }

            #[doc = $bytes_doc]
            pub fn bytes_per_vector(&self) -> usize {
                self.stride()
            }

            /// The bytes of vector `p`.
            #[inline]
            pub(crate) fn record(&self, p: sextant_core::PointOffset) -> &[u8] {
                let s = self.stride();
                &self.data[p as usize * s..(p as usize + 1) * s]
            }
        }
    };
}

pub(crate) use record_codec;

/// `pub fn decode` (documented by `$doc`) over a codec's `decode_range(p, start, out)`: every
/// coordinate of `p` at once.
macro_rules! decode_from_range {
    ($codec:ty, $doc:literal) => {
        impl $codec {
            #[doc = $doc]
            pub fn decode(&self, p: sextant_core::PointOffset) -> Vec<f32> {
                let mut out = vec![0.0; self.dim];
                self.decode_range(p, 0, &mut out);
                out
            }
        }
    };
}

pub(crate) use decode_from_range;
