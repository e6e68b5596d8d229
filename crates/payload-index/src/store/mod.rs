//! The index file: a [`PayloadIndex`] saved whole (live points and every field index) and
//! opened through a read-only mmap, where postings and per-point key lists are read in place.
//!
//! # Format (version 1)
//!
//! A sealed file (magic and version first, CRC32C of every byte before it last); integers
//! little-endian; every array padded to start at a multiple of 8 bytes from the file's start
//! (so `u32` and `u64` arrays are viewed in place).
//!
//! | size | field |
//! | --- | --- |
//! | 8 | magic `SXPAYIDX` |
//! | 4 | format version (u32) |
//! | 8 | point slots `N` (u64): offsets `0..N` |
//! | 8 + pad + 8·⌈N/64⌉ | live points: word count (u64), padding, bit words |
//! | 4 | number of fields `F` (u32) |
//! | … | `F` fields, in key order |
//! | 4 | CRC32C of every byte before it |
//!
//! A field:
//!
//! | size | field |
//! | --- | --- |
//! | 4 + n | key as written (`a.b[]`...): length (u32), UTF-8 |
//! | 1 | type: 0 keyword, 1 integer, 2 float, 3 bool, 4 datetime, 5 uuid, 6 geo, 7 text |
//! | 4 + n | full-text parameters as JSON (length 0 for other types) |
//! | 7 × (8 + pad + 8·⌈N/64⌉) | presence bit sets: key present, own-type value, other-type value, a null among the values, `is_null`, not `is_empty`, several values |
//! | 8 + pad + 8·N | value counts: (smallest, largest) u32 pair per point, (u32::MAX, 0) when the key is missing |
//! | 8 + … | `K` distinct keys (u64 count) in ascending order, each as its type writes it: keyword / text `u32` length + UTF-8, integer i64, float f64 bits, bool one byte, datetime i64 µs, uuid 16 bytes, geo lat and lon f64 bits |
//! | 8 + pad + 4·(K+1) | postings starts: key `i` holds postings `starts[i]..starts[i+1]` |
//! | 8 + pad + 4·P | postings: each key's point offsets ascending |
//! | 8 + pad + 4·(N+1) | per-point starts: point `o` has key ids `starts[o]..starts[o+1]` |
//! | 8 + pad + 4·P | per-point key ids (indexes into the keys), in key order |
//! | (text) 8 + … | phrase sequences: points (u64), per point values (u32), per value tokens (u32), each token `u32` length + UTF-8 |
//!
//! Array lengths are u64 counts followed by padding to 8. At open every byte is checked
//! against the CRC, then every structure: keys strictly ascending and valid for their type,
//! postings ascending, distinct and below `N`, starts rising, key ids in range, bits only
//! below `N`. A file that fails is [`Error::Corrupt`] naming the file and byte; nothing panics.
//!
//! In RAM after open: the live set, the presence sets and value counts (7 bits + 8 bytes per
//! point per field), the key dictionaries (with their ordered maps) and phrase sequences; read
//! in place: postings and per-point key lists (4 bytes per indexed value each). A change to a
//! field copies its lists into RAM first; a delete only marks the point (see
//! [`PayloadIndex::delete`]).

mod bytes;

use std::path::Path;
use std::sync::Arc;

use sextant_core::BitSet;
use sextant_mmap_advice::{MmapFile, header};

use crate::field::FieldIndex;
use crate::index::PayloadIndex;
use crate::{Error, Result};

pub(crate) use bytes::{Bad, MappedU32, Reader, Writer};

const MAGIC: &[u8; 8] = b"SXPAYIDX";
const VERSION: u32 = 1;

impl PayloadIndex {
    /// Writes the whole index (live points and every field) to `path`, atomically (a temporary
    /// file renamed over it, then fsynced with its directory).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let slots = self
            .fields()
            .values()
            .map(FieldIndex::points)
            .chain([self.live().len()])
            .max()
            .unwrap_or(0);
        for (key, f) in self.fields().iter() {
            if f.indexed_values() >= u32::MAX as usize || slots >= u32::MAX as usize {
                return Err(Error::Unsupported {
                    key: key.to_string(),
                    what: "at most 2^32 - 1 indexed values and points per saved field".into(),
                });
            }
        }
        let mut w = Writer {
            bytes: header::start_file(MAGIC, VERSION, 1 << 16),
        };
        w.u64(slots as u64);
        let mut live = self.live().as_words().to_vec();
        live.resize(slots.div_ceil(64), 0);
        w.words(&live);
        w.u32(self.fields().len() as u32);
        for (key, f) in self.fields().iter() {
            w.blob(key.as_bytes());
            f.write(&mut w, slots);
        }
        header::seal(&mut w.bytes);
        sextant_mmap_advice::atomic_write(path, &w.bytes).map_err(Error::Map)
    }

    /// Maps the index file at `path`, checks it completely and serves filters from it in
    /// place; results are identical to the index that was saved. The file must not change
    /// while mapped.
    pub fn open_mapped(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let map = Arc::new(MmapFile::open(path).map_err(Error::Map)?);
        let corrupt = |offset: usize, what: String| Error::Corrupt {
            path: path.to_path_buf(),
            offset,
            what,
        };
        let bytes = map.bytes();
        header::check_start(bytes, 16, MAGIC, "payload index", VERSION..=VERSION)
            .map_err(|e| corrupt(e.offset(), e.to_string()))?;
        let body = header::check_seal(bytes).map_err(|e| corrupt(e.offset(), e.to_string()))?;
        let mut r = Reader {
            bytes: body,
            at: 12,
            map: &map,
        };
        read_index(&mut r).map_err(|b| corrupt(b.offset, format!("expected {}", b.what)))
    }
}

fn read_index(r: &mut Reader<'_>) -> Result<PayloadIndex, Bad> {
    // Every point slot costs at least a bit in the file: a count beyond that is damage.
    let slots = r.count(8 * r.bytes.len(), "point slots")?;
    let words = r.words(slots.div_ceil(64), "live words")?;
    let Some(live) = BitSet::from_words(words, slots) else {
        return r.bad("live bits within the point slots");
    };
    let n = r.u32()? as usize;
    let mut fields = std::collections::BTreeMap::new();
    for _ in 0..n {
        let at = r.at;
        let key = r.string()?;
        let path = key.parse().map_err(|e| Bad {
            offset: at,
            what: format!("a payload key ({e})"),
        })?;
        if fields.contains_key(&key) {
            return Err(Bad {
                offset: at,
                what: "each key once".into(),
            });
        }
        let field = FieldIndex::read(path, r, slots)?;
        fields.insert(key, field);
    }
    if r.at != r.bytes.len() {
        return r.bad("the end of the file after the last field");
    }
    Ok(PayloadIndex::from_parts(fields, live))
}
