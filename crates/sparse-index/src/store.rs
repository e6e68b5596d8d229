//! The saved index: one sealed file holding the inverted lists and every live point's vector,
//! read in place through mmap.
//!
//! [`SparseIndex::save`] writes the live points only (deleted ones are dropped; offsets keep
//! their values) and [`SparseIndex::open_mapped`] checks the checksum and then every structure
//! before serving searches from the map, with the same results as the index that was saved.
//! The vectors are stored next to the lists because a store needs them anyway (to return them,
//! to rebuild): the file is the sparse vector storage and its index at once.
//!
//! An opened index keeps growing like any other: new points (at offsets past the file's) go to
//! RAM, a term's list is copied into RAM the first time a new point appends to it, and a delete
//! only sets a bit (the file is never written). Saving again writes a new file.
//!
//! ## Byte table (version 1)
//!
//! Little-endian; `P` = postings, `T` = terms, `N` = offsets covered; every array starts on a
//! multiple of 8 bytes (zero bytes before it, checked).
//!
//! | bytes | field |
//! | --- | --- |
//! | 8 | magic `SXSPARSE` |
//! | 4 | version (1) |
//! | 4 | zero |
//! | 8 | `N`: one past the highest offset |
//! | 8 | `T`: terms |
//! | 8 | `P`: postings |
//! | 8·⌈N/64⌉ | live points, a bit per offset (bit `o % 64` of word `o / 64`) |
//! | 4·T | term ids, strictly ascending |
//! | 8·(T+1) | list starts (u64): term `i`'s postings are `starts[i]..starts[i+1]`; `starts[0] = 0`, rising strictly, `starts[T] = P` |
//! | 4·P | posting offsets (u32): strictly ascending within a list, each a live point |
//! | 4·P | posting weights (f32), finite |
//! | 8·(N+1) | vector starts (u64): point `o`'s terms are `vstarts[o]..vstarts[o+1]` of the next two arrays; `vstarts[0] = 0`, rising, `vstarts[N] = P`, empty for offsets that are not live points |
//! | 4·P | vector term ids (u32), strictly ascending within a vector |
//! | 4·P | vector weights (f32) |
//! | 4 | CRC32C of every byte before it |
//!
//! The checks at open: checksum, magic, version, counts within the file, then term ids rising,
//! list starts rising, offsets rising and live, weights finite, vector starts rising, and every
//! posting equal to the entry of its point's vector for that term, each vector entry met once
//! (so the lists and the vectors agree, and the two search paths give the same scores).

use std::path::Path;

use sextant_core::{BitSet, PointOffset};
use sextant_mmap_advice::{MmapFile, header};

use crate::index::SparseIndex;
use crate::postings::TermList;
use crate::{Error, Result};

const MAGIC: &[u8; 8] = b"SXSPARSE";
const VERSION: u32 = 1;

/// A saved index's map and where its arrays start.
#[derive(Debug)]
pub(crate) struct Saved {
    map: MmapFile,
    l: Layout,
}

/// Where a checked file's arrays start, and its live points.
#[derive(Debug)]
struct Layout {
    end: usize,
    postings: usize,
    offsets_at: usize,
    weights_at: usize,
    vstarts_at: usize,
    vterms_at: usize,
    vweights_at: usize,
    /// Live points of the file (a RAM copy).
    live: BitSet,
}

impl Saved {
    /// One past the highest offset the file covers.
    pub fn end(&self) -> usize {
        self.l.end
    }

    /// The posting arrays (offsets, weights) of every list.
    pub fn postings(&self) -> (&[PointOffset], &[f32]) {
        // Both views were checked at open and the map never changes.
        (
            self.map
                .view(self.l.offsets_at, self.l.postings)
                .unwrap_or_default(),
            self.map
                .view(self.l.weights_at, self.l.postings)
                .unwrap_or_default(),
        )
    }

    /// The terms and weights of live point `o` of the file.
    pub fn doc(&self, o: PointOffset) -> Option<(&[u32], &[f32])> {
        if !self.l.live.contains(o) {
            return None;
        }
        let starts: &[u64] = self.map.view(self.l.vstarts_at, self.l.end + 1).ok()?;
        let (a, b) = (
            *starts.get(o as usize)? as usize,
            *starts.get(o as usize + 1)? as usize,
        );
        let terms: &[u32] = self.map.view(self.l.vterms_at, self.l.postings).ok()?;
        let weights: &[f32] = self.map.view(self.l.vweights_at, self.l.postings).ok()?;
        Some((terms.get(a..b)?, weights.get(a..b)?))
    }

    /// Heap bytes copied from the file.
    pub fn heap_bytes(&self) -> usize {
        self.l.live.as_words().len() * 8
    }
}

impl SparseIndex {
    /// Writes the live points (lists and vectors) to `path` in one sealed file, atomically
    /// (byte table in the `store` module's docs). Deleted points are left out.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let bytes = self.to_bytes()?;
        sextant_mmap_advice::atomic_write(path.as_ref(), &bytes).map_err(Error::Map)
    }

    /// The bytes [`save`](Self::save) writes.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let end = self.end();
        let live: Vec<PointOffset> = (0..end as PointOffset)
            .filter(|&o| self.contains(o))
            .collect();
        // Terms with a live posting, ascending, and their live postings.
        let mut terms: Vec<(u32, usize)> = self.terms.iter().map(|(&t, &s)| (t, s)).collect();
        terms.sort_unstable();
        let file = self
            .file
            .as_deref()
            .map_or((&[][..], &[][..]), Saved::postings);
        let mut ids = Vec::new();
        let mut starts = vec![0u64];
        let (mut offsets, mut weights) = (Vec::new(), Vec::new());
        for (t, slot) in terms {
            let list = self.lists[slot].view(file);
            let before = offsets.len();
            for (&o, &w) in list.offsets.iter().zip(list.weights) {
                if !self.deleted.contains(o) {
                    offsets.push(o);
                    weights.push(w);
                }
            }
            if offsets.len() > before {
                ids.push(t);
                starts.push(offsets.len() as u64);
            }
        }
        let p = offsets.len();
        if p > u32::MAX as usize || end > u32::MAX as usize {
            return Err(Error::TooLarge { postings: p });
        }
        let mut out = header::start_file(MAGIC, VERSION, 64 + 24 * p + 8 * end);
        out.extend_from_slice(&0u32.to_le_bytes());
        for v in [end as u64, ids.len() as u64, p as u64] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let mut bits = BitSet::new(end);
        live.iter().for_each(|&o| {
            bits.insert(o);
        });
        put(&mut out, bits.as_words().iter().map(|w| w.to_le_bytes()));
        put(&mut out, ids.iter().map(|v| v.to_le_bytes()));
        put(&mut out, starts.iter().map(|v| v.to_le_bytes()));
        put(&mut out, offsets.iter().map(|v| v.to_le_bytes()));
        put(&mut out, weights.iter().map(|v| v.to_le_bytes()));
        let mut vstarts = Vec::with_capacity(end + 1);
        let (mut vterms, mut vweights) = (Vec::with_capacity(p), Vec::with_capacity(p));
        vstarts.push(0u64);
        for o in 0..end as PointOffset {
            if let (true, Some((t, w))) = (bits.contains(o), self.doc(o)) {
                vterms.extend_from_slice(t);
                vweights.extend_from_slice(w);
            }
            vstarts.push(vterms.len() as u64);
        }
        put(&mut out, vstarts.iter().map(|v| v.to_le_bytes()));
        put(&mut out, vterms.iter().map(|v| v.to_le_bytes()));
        put(&mut out, vweights.iter().map(|v| v.to_le_bytes()));
        header::seal(&mut out);
        Ok(out)
    }

    /// Opens a file written by [`save`](Self::save): the checksum and every structure are
    /// checked (a damaged file is an error naming the byte), then searches read the lists and
    /// vectors in place. Copied into RAM: the live-point bits, the term map, each list's block
    /// maxima.
    pub fn open_mapped(path: impl AsRef<Path>) -> Result<SparseIndex> {
        let path = path.as_ref();
        let map = MmapFile::open(path).map_err(Error::Map)?;
        parse(map).map_err(|(offset, what)| Error::Corrupt {
            path: path.to_path_buf(),
            offset,
            what,
        })
    }
}

/// Appends an 8-byte-aligned array of little-endian values.
fn put<const N: usize>(out: &mut Vec<u8>, values: impl Iterator<Item = [u8; N]>) {
    out.resize(out.len().next_multiple_of(8), 0);
    values.for_each(|v| out.extend_from_slice(&v));
}

/// Reads arrays from the checked bytes, in file order.
struct Cursor<'a> {
    map: &'a MmapFile,
    body: usize,
    at: usize,
}

type Bad = (usize, String);

impl<'a> Cursor<'a> {
    /// The next array of `n` values of `T`, aligned, inside the body.
    fn array<T: bytemuck::Pod>(&mut self, n: usize, what: &str) -> Result<(usize, &'a [T]), Bad> {
        let start = self.at.next_multiple_of(8);
        if let Some(i) = self
            .map
            .bytes()
            .get(self.at..start.min(self.body))
            .and_then(|pad| pad.iter().position(|&b| b != 0))
        {
            return Err((
                self.at + i,
                format!("{what}: padding before it is not zero"),
            ));
        }
        let bytes = n
            .checked_mul(size_of::<T>())
            .filter(|&b| start.checked_add(b).is_some_and(|e| e <= self.body))
            .ok_or((self.at, format!("{what}: {n} values run past the end")))?;
        let view = self
            .map
            .view::<T>(start, n)
            .map_err(|e| (start, format!("{what}: {e}")))?;
        self.at = start + bytes;
        Ok((start, view))
    }
}

fn parse(map: MmapFile) -> Result<SparseIndex, Bad> {
    let (layout, terms, lists) = check(&map)?;
    let live = layout.live.count();
    let postings = layout.postings;
    Ok(SparseIndex {
        terms,
        lists,
        file: Some(std::sync::Arc::new(Saved { map, l: layout })),
        docs: Vec::new(),
        deleted: BitSet::new(0),
        live,
        inserted: live,
        postings,
    })
}

/// What [`check`] finds: the file's layout (its map to be moved in), the term map, the lists.
type Checked = (Layout, std::collections::HashMap<u32, usize>, Vec<TermList>);

/// Checks every structure of a mapped file (the checksum first).
fn check(map: &MmapFile) -> Result<Checked, Bad> {
    let bytes = map.bytes();
    let header_err = |e: header::HeaderError| (e.offset(), e.to_string());
    header::check_start(bytes, 44, MAGIC, "sparse index", VERSION..=VERSION).map_err(header_err)?;
    let body = header::check_seal(bytes).map_err(header_err)?.len();
    let count = |at: usize| header::le_u64(bytes, at).unwrap_or(u64::MAX);
    let limit = (body / 4) as u64;
    let (end, n_terms, p) = (count(16), count(24), count(32));
    for (at, v, what) in [
        (16, end, "offsets"),
        (24, n_terms, "terms"),
        (32, p, "postings"),
    ] {
        if v > limit || v > u32::MAX as u64 {
            return Err((at, format!("{v} {what} cannot fit in the file")));
        }
    }
    let (end, n_terms, p) = (end as usize, n_terms as usize, p as usize);
    let mut c = Cursor { map, body, at: 40 };
    let (live_at, words) = c.array::<u64>(end.div_ceil(64), "live points")?;
    let live = BitSet::from_words(words.to_vec(), end).ok_or((
        live_at,
        "live points: bits past the last offset".to_string(),
    ))?;
    let (ids_at, ids) = c.array::<u32>(n_terms, "term ids")?;
    if let Some(i) = ids.windows(2).position(|w| w[0] >= w[1]) {
        return Err((
            ids_at + 4 * (i + 1),
            "term ids not strictly ascending".into(),
        ));
    }
    let (starts_at, starts) = c.array::<u64>(n_terms + 1, "list starts")?;
    let bad_starts = starts.first() != Some(&0)
        || starts.last() != Some(&(p as u64))
        || starts.windows(2).any(|w| w[0] >= w[1]);
    if bad_starts {
        return Err((
            starts_at,
            "list starts: not 0, rising, to the posting count".into(),
        ));
    }
    let (offsets_at, offsets) = c.array::<u32>(p, "posting offsets")?;
    let (weights_at, weights) = c.array::<f32>(p, "posting weights")?;
    let (vstarts_at, vstarts) = c.array::<u64>(end + 1, "vector starts")?;
    let (vterms_at, vterms) = c.array::<u32>(p, "vector terms")?;
    let (vweights_at, vweights) = c.array::<f32>(p, "vector weights")?;
    if c.at != body {
        return Err((c.at, format!("{} bytes after the last array", body - c.at)));
    }
    let bad_vstarts = vstarts.first() != Some(&0)
        || vstarts.last() != Some(&(p as u64))
        || vstarts.windows(2).any(|w| w[0] > w[1]);
    if bad_vstarts {
        return Err((
            vstarts_at,
            "vector starts: not 0, rising, to the posting count".into(),
        ));
    }
    for o in 0..end {
        let (a, b) = (vstarts[o] as usize, vstarts[o + 1] as usize);
        if a < b && !live.contains(o as PointOffset) {
            return Err((
                vstarts_at + 8 * o,
                format!("offset {o} has terms but is not live"),
            ));
        }
        if let Some(i) = vterms[a..b].windows(2).position(|w| w[0] >= w[1]) {
            return Err((
                vterms_at + 4 * (a + i + 1),
                format!("vector {o}: terms not ascending"),
            ));
        }
    }
    // Every posting must be the next entry of its point's vector (lists in term order, so
    // each vector is met in its own order), and every vector entry must be met.
    let mut next: Vec<u32> = vec![0; end];
    let mut lists = Vec::with_capacity(n_terms);
    for (i, &t) in ids.iter().enumerate() {
        let range = starts[i] as usize..starts[i + 1] as usize;
        for j in range.clone() {
            let (o, w) = (offsets[j], weights[j]);
            let here = offsets_at + 4 * j;
            if j > range.start && offsets[j - 1] >= o {
                return Err((here, format!("term {t}: offsets not ascending")));
            }
            if o as usize >= end || !live.contains(o) {
                return Err((here, format!("term {t}: offset {o} is not a live point")));
            }
            if !w.is_finite() {
                return Err((
                    weights_at + 4 * j,
                    format!("term {t}: weight {w} at offset {o}"),
                ));
            }
            let k = vstarts[o as usize] as usize + next[o as usize] as usize;
            if k >= vstarts[o as usize + 1] as usize
                || vterms[k] != t
                || vweights[k].to_bits() != w.to_bits()
            {
                return Err((
                    here,
                    format!("term {t}: offset {o} disagrees with its vector"),
                ));
            }
            next[o as usize] += 1;
        }
        lists.push(TermList::mapped(range.clone(), &weights[range]));
    }
    if let Some(o) = (0..end).find(|&o| next[o] as u64 != vstarts[o + 1] - vstarts[o]) {
        return Err((
            vstarts_at + 8 * o,
            format!("vector {o} has terms no list holds"),
        ));
    }
    let terms = ids.iter().enumerate().map(|(i, &t)| (t, i)).collect();
    let layout = Layout {
        end,
        postings: p,
        offsets_at,
        weights_at,
        vstarts_at,
        vterms_at,
        vweights_at,
        live,
    };
    Ok((layout, terms, lists))
}
