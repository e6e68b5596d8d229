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
//! ## Byte table (version 2)
//!
//! Little-endian; `P` = postings, `T` = terms, `N` = offsets covered, `B` = packed blocks,
//! `K` = packed bytes; every array starts on a multiple of 8 bytes (zero bytes before it,
//! checked). A list of `len` postings has `⌊len/128⌋` packed blocks (the next ones, in term
//! order) and `len % 128` plain offsets (the next ones of the tail array).
//!
//! | bytes | field |
//! | --- | --- |
//! | 8 | magic `SXSPARSE` |
//! | 4 | version (2; version 1 is the same with weight type 0) |
//! | 4 | weight type: 0 f32, 1 f16, 2 u8 |
//! | 8 | `N`: one past the highest offset |
//! | 8 | `T`: terms |
//! | 8 | `P`: postings |
//! | 8 | `B`: packed blocks |
//! | 8 | `K`: packed bytes |
//! | 8·⌈N/64⌉ | live points, a bit per offset (bit `o % 64` of word `o / 64`) |
//! | 4·T | term ids, strictly ascending |
//! | 8·(T+1) | list starts (u64): term `i`'s postings are `starts[i]..starts[i+1]` of the weights; `starts[0] = 0`, rising strictly, `starts[T] = P` |
//! | 8·(B+1) | block starts (u64) in the packed bytes: `0`, rising by `16·b` for a block of `b`-bit deltas (1 ≤ `b` ≤ 32), to `K` |
//! | 4·B | each block's last offset |
//! | K | packed blocks: 128 offsets each, strictly increasing, as deltas from the previous block's last offset of the same list (a list's first block: from nothing), bit-packed (`bitpacking`'s `BitPacker4x`, strictly sorted) |
//! | 4·(P − 128·B) | the lists' plain tails (u32) |
//! | 8·T | f16 and u8 only: each term's scale, `lo` and `step` (f32), which a code `c` decodes with, as `lo + step·c`; what the writer fits to the list's exact weights: f16 `lo` 0, `step` the largest magnitude; u8 `lo` the smallest weight, `step` the span / 255 (a zero or non-finite step is 1) |
//! | 4·P, 2·P or P | posting weights in list order: f32 as inserted; f16 bits of `(w − lo) / step`; u8 `round((w − lo) / step)` clamped to 0..=255 |
//! | 8·(N+1) | vector starts (u64): point `o`'s terms are `vstarts[o]..vstarts[o+1]` of the next two arrays; `vstarts[0] = 0`, rising, `vstarts[N] = P`, empty for offsets that are not live points |
//! | 4·P | vector term ids (u32), strictly ascending within a vector |
//! | 4·P | vector weights (f32) |
//! | 4 | CRC32C of every byte before it |
//!
//! The checks at open: checksum, magic, version, counts within the file, then term ids rising,
//! list starts rising, block sizes, every list's offsets (decoded) rising and live, each block's
//! last offset, vector weights finite, vector starts rising, and every posting equal to the
//! entry of its point's vector for that term (f16 / u8: the scale and the code the writer
//! derives from the exact weights), each vector entry met once, so the lists and the vectors
//! agree. Each coded list's largest decoding error is measured there, for the search's bounds.
//! f32 lists (their postings hold the exact weights) are checked against the vectors as equal
//! sets of (term, offset, weight) entries: a keyed hash summed over each side in one sequential
//! pass (a wrong file passes with probability about 2⁻⁶⁴), where the walk of coded lists reads
//! each posting's vector entry at random.

use std::path::Path;

use sextant_core::{BitSet, PointOffset};
use sextant_mmap_advice::{MmapFile, header};

use crate::index::SparseIndex;
use crate::packed::{PACKED, Packed, block_bytes, pack};
use crate::postings::{FileLists, Postings, TermList};
use crate::weights::{FileWeights, Scale, WeightType, Weights};
use crate::{Error, Result};

const MAGIC: &[u8; 8] = b"SXSPARSE";
const VERSION: u32 = 2;

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
    blocks: usize,
    packed_bytes: usize,
    bstarts_at: usize,
    lasts_at: usize,
    bytes_at: usize,
    tail_at: usize,
    weight_type: WeightType,
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

    /// The arrays every list is a range of.
    pub fn lists(&self) -> FileLists<'_> {
        // Every view was checked at open and the map never changes.
        let l = &self.l;
        let m = &self.map;
        let (at, n) = (l.weights_at, l.postings);
        let weights = match l.weight_type {
            WeightType::F32 => FileWeights::F32(m.view(at, n).unwrap_or_default()),
            WeightType::F16 => FileWeights::F16(m.view(at, n).unwrap_or_default()),
            WeightType::U8 => FileWeights::U8(m.view(at, n).unwrap_or_default()),
        };
        FileLists {
            weights,
            bytes: m.view(l.bytes_at, l.packed_bytes).unwrap_or_default(),
            starts: m.view(l.bstarts_at, l.blocks + 1).unwrap_or_default(),
            lasts: m.view(l.lasts_at, l.blocks).unwrap_or_default(),
            tail: m
                .view(l.tail_at, l.postings - PACKED * l.blocks)
                .unwrap_or_default(),
        }
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

    /// The exact weight of term `t` in live point `o`'s vector.
    pub fn weight(&self, o: PointOffset, t: u32) -> Option<f32> {
        let (terms, weights) = self.doc(o)?;
        Some(weights[terms.binary_search(&t).ok()?])
    }

    /// Heap bytes copied from the file.
    pub fn heap_bytes(&self) -> usize {
        self.l.live.as_words().len() * 8
    }
}

impl SparseIndex {
    /// Writes the live points (lists and vectors) to `path` in one sealed file, atomically
    /// (byte table in the `store` module's docs), the lists' weights stored as `weights`.
    /// Deleted points are left out.
    pub fn save(&self, path: impl AsRef<Path>, weights: WeightType) -> Result<()> {
        let bytes = self.to_bytes(weights)?;
        sextant_mmap_advice::atomic_write(path.as_ref(), &bytes).map_err(Error::Map)
    }

    /// The bytes [`save`](Self::save) writes.
    pub fn to_bytes(&self, weight_type: WeightType) -> Result<Vec<u8>> {
        let end = self.end();
        let mut bits = BitSet::new(end);
        for o in (0..end as PointOffset).filter(|&o| self.contains(o)) {
            bits.insert(o);
        }
        // Each term's live postings with their exact weights, from the vectors in offset
        // order (a list read from a file may hold codes); terms ascending.
        let mut terms: Vec<(u32, usize)> = self.terms.iter().map(|(&t, &s)| (t, s)).collect();
        terms.sort_unstable();
        let mut place = vec![0; self.lists.len()];
        for (i, &(_, slot)) in terms.iter().enumerate() {
            place[slot] = i;
        }
        let mut lists: Vec<(Vec<PointOffset>, Vec<f32>)> = terms
            .iter()
            .map(|&(_, slot)| {
                let df = self.lists[slot].live_df;
                (Vec::with_capacity(df), Vec::with_capacity(df))
            })
            .collect();
        let (mut vstarts, mut vterms, mut vweights) = (vec![0u64], Vec::new(), Vec::new());
        for o in 0..end as PointOffset {
            if let (true, Some((ts, ws))) = (bits.contains(o), self.doc(o)) {
                for (t, &w) in ts.iter().zip(ws) {
                    let list = &mut lists[place[self.terms[t]]];
                    list.0.push(o);
                    list.1.push(w);
                }
                vterms.extend_from_slice(ts);
                vweights.extend_from_slice(ws);
            }
            vstarts.push(vterms.len() as u64);
        }
        let mut ids = Vec::new();
        let (mut starts, mut scales) = (vec![0u64], Vec::new());
        let (mut bytes, mut bstarts) = (Vec::new(), vec![0u64]);
        let (mut lasts, mut tail) = (Vec::new(), Vec::new());
        let mut weights: Vec<u8> = Vec::new();
        for (&(t, _), (offsets, exact)) in terms.iter().zip(&lists) {
            if offsets.is_empty() {
                continue;
            }
            pack(offsets, &mut bytes, &mut bstarts, &mut lasts, &mut tail);
            ids.push(t);
            starts.push(starts[starts.len() - 1] + offsets.len() as u64);
            let (min, max) = exact
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &w| {
                    (lo.min(w), hi.max(w))
                });
            let scale = Scale::fit(weight_type, min, max);
            scales.push(scale);
            for &w in exact {
                match weight_type {
                    WeightType::F32 => weights.extend_from_slice(&w.to_le_bytes()),
                    WeightType::F16 => weights.extend_from_slice(&scale.f16(w).to_le_bytes()),
                    WeightType::U8 => weights.push(scale.u8(w)),
                }
            }
        }
        let p = vterms.len();
        if p > u32::MAX as usize || end > u32::MAX as usize {
            return Err(Error::TooLarge { postings: p });
        }
        let capacity = 64 + 16 * p + weights.len() + bytes.len() + 8 * end;
        let mut out = header::start_file(MAGIC, VERSION, capacity);
        out.extend_from_slice(&weight_type.code().to_le_bytes());
        for v in [end, ids.len(), p, lasts.len(), bytes.len()] {
            out.extend_from_slice(&(v as u64).to_le_bytes());
        }
        put(&mut out, bits.as_words().iter().map(|w| w.to_le_bytes()));
        put(&mut out, ids.iter().map(|v| v.to_le_bytes()));
        put(&mut out, starts.iter().map(|v| v.to_le_bytes()));
        put(&mut out, bstarts.iter().map(|v| v.to_le_bytes()));
        put(&mut out, lasts.iter().map(|v| v.to_le_bytes()));
        put(&mut out, bytes.iter().map(|&b| [b]));
        put(&mut out, tail.iter().map(|v| v.to_le_bytes()));
        if weight_type != WeightType::F32 {
            let pairs = scales.iter().flat_map(|s| [s.lo, s.step]);
            put(&mut out, pairs.map(|v| v.to_le_bytes()));
        }
        put(&mut out, weights.iter().map(|&b| [b]));
        put(&mut out, vstarts.iter().map(|v| v.to_le_bytes()));
        put(&mut out, vterms.iter().map(|v| v.to_le_bytes()));
        put(&mut out, vweights.iter().map(|v: &f32| v.to_le_bytes()));
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

/// One (term, offset, weight bits) entry under a per-process random `key` (two rounds of
/// splitmix64): sums of these over the lists and over the vectors are equal exactly when the
/// two hold the same entries, but with probability about 2⁻⁶⁴.
fn entry_hash(key: u64, t: u32, o: PointOffset, w: u32) -> u64 {
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    mix(mix(key ^ (u64::from(t) << 32 | u64::from(o))) ^ u64::from(w))
}

/// What [`check`] finds: the file's layout (its map to be moved in), the term map, the lists.
type Checked = (Layout, std::collections::HashMap<u32, usize>, Vec<TermList>);

/// Checks every structure of a mapped file (the checksum first).
fn check(map: &MmapFile) -> Result<Checked, Bad> {
    let bytes = map.bytes();
    let header_err = |e: header::HeaderError| (e.offset(), e.to_string());
    let version =
        header::check_start(bytes, 60, MAGIC, "sparse index", 1..=VERSION).map_err(header_err)?;
    let body = header::check_seal(bytes).map_err(header_err)?.len();
    let code = header::le_u32(bytes, 12).unwrap_or(u32::MAX);
    let weight_type = WeightType::from_code(code)
        .filter(|&t| version > 1 || t == WeightType::F32)
        .ok_or((12, format!("weight type {code} (version {version})")))?;
    let count = |at: usize| header::le_u64(bytes, at).unwrap_or(u64::MAX);
    let limit = (body / 4) as u64;
    let (end, n_terms, p, n_blocks, k) = (count(16), count(24), count(32), count(40), count(48));
    for (at, v, what) in [
        (16, end, "offsets"),
        (24, n_terms, "terms"),
        (32, p, "postings"),
        (40, n_blocks.saturating_mul(PACKED as u64), "packed offsets"),
        (48, k / 4, "packed bytes / 4"),
    ] {
        if v > limit || v > u32::MAX as u64 {
            return Err((at, format!("{v} {what} cannot fit in the file")));
        }
    }
    let (end, n_terms, p) = (end as usize, n_terms as usize, p as usize);
    let (n_blocks, k) = (n_blocks as usize, k as usize);
    if n_blocks * PACKED > p {
        return Err((
            40,
            format!("{n_blocks} blocks of {PACKED} for {p} postings"),
        ));
    }
    let mut c = Cursor { map, body, at: 56 };
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
    let (bstarts_at, bstarts) = c.array::<u64>(n_blocks + 1, "block starts")?;
    let (lasts_at, lasts) = c.array::<u32>(n_blocks, "block last offsets")?;
    let (bytes_at, packed) = c.array::<u8>(k, "packed blocks")?;
    let (tail_at, tail) = c.array::<u32>(p - PACKED * n_blocks, "plain offsets")?;
    let (scales_at, scales) = match weight_type {
        WeightType::F32 => (0, &[][..]),
        _ => c.array::<f32>(2 * n_terms, "term scales")?,
    };
    let (weights_at, weights) = match weight_type {
        WeightType::F32 => {
            let (at, w) = c.array::<f32>(p, "posting weights")?;
            (at, FileWeights::F32(w))
        }
        WeightType::F16 => {
            let (at, w) = c.array::<u16>(p, "posting weights")?;
            (at, FileWeights::F16(w))
        }
        WeightType::U8 => {
            let (at, w) = c.array::<u8>(p, "posting weights")?;
            (at, FileWeights::U8(w))
        }
    };
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
    // f32 lists hold the exact weights: they agree with the vectors when the two hold the
    // same (term, offset, weight) entries, each side summed under a keyed hash in one
    // sequential pass. The entry-by-entry walk below (for coded lists, which need each
    // posting's exact weight) reads every posting's vector at random: 3/4 of the check's
    // time at 120k points.
    let by_sums = weight_type == WeightType::F32;
    let key =
        std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), 0u64);
    let mut vector_sum = 0u64;
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
        if by_sums {
            for k in a..b {
                let w = vweights[k];
                if !w.is_finite() {
                    return Err((vweights_at + 4 * k, format!("vector {o}: weight {w}")));
                }
                let entry = entry_hash(key, vterms[k], o as PointOffset, w.to_bits());
                vector_sum = vector_sum.wrapping_add(entry);
            }
        }
    }
    let mut posting_sum = 0u64;
    let bad_bstarts = bstarts.first() != Some(&0)
        || bstarts.last() != Some(&(k as u64))
        || bstarts.windows(2).any(|w| {
            let size = w[1].saturating_sub(w[0]) as usize;
            w[1] <= w[0] || !size.is_multiple_of(16) || size > block_bytes(32)
        });
    if bad_bstarts {
        return Err((
            bstarts_at,
            "block starts: not 0, rising by 16 to 512, to the packed bytes".into(),
        ));
    }
    // Every posting must be the next entry of its point's vector (lists in term order, so
    // each vector is met in its own order), and every vector entry must be met.
    let mut next: Vec<u32> = vec![0; end];
    let mut lists = Vec::with_capacity(n_terms);
    let (mut block, mut tail_pos) = (0usize, 0usize);
    let mut buf = [0u32; PACKED];
    for (i, &t) in ids.iter().enumerate() {
        let range = starts[i] as usize..starts[i + 1] as usize;
        let len = range.len();
        let blocks = block..block + len / PACKED;
        let tails = tail_pos..tail_pos + len % PACKED;
        if blocks.end > n_blocks || tails.end > tail.len() {
            return Err((
                starts_at + 8 * i,
                format!("term {t}: more postings than the arrays hold"),
            ));
        }
        let list = Packed {
            bytes: packed,
            starts: &bstarts[blocks.start..blocks.end + 1],
            lasts: &lasts[blocks.clone()],
            tail: &tail[tails.clone()],
        };
        let mut prev: Option<PointOffset> = None;
        let (mut offsets, mut exact) = (Vec::with_capacity(len), Vec::with_capacity(len));
        let stored = match (by_sums, &weights) {
            (true, FileWeights::F32(w)) => &w[range.clone()],
            _ => &[][..],
        };
        for pos in 0..len {
            let (o, here) = if pos < list.lasts.len() * PACKED {
                let b = pos / PACKED;
                if pos % PACKED == 0 {
                    list.decode(b, &mut buf);
                    if buf[PACKED - 1] != list.lasts[b] {
                        return Err((
                            lasts_at + 4 * (blocks.start + b),
                            format!("term {t}: block's last offset"),
                        ));
                    }
                }
                (
                    buf[pos % PACKED],
                    bytes_at + bstarts[blocks.start + b] as usize,
                )
            } else {
                let at = tails.start + pos - list.lasts.len() * PACKED;
                (tail[at], tail_at + 4 * at)
            };
            if prev.is_some_and(|q| q >= o) {
                return Err((here, format!("term {t}: offsets not ascending")));
            }
            prev = Some(o);
            if o as usize >= end || !live.contains(o) {
                return Err((here, format!("term {t}: offset {o} is not a live point")));
            }
            if by_sums {
                let w = stored[pos];
                posting_sum = posting_sum.wrapping_add(entry_hash(key, t, o, w.to_bits()));
                offsets.push(o);
                exact.push(w);
                continue;
            }
            let k = vstarts[o as usize] as usize + next[o as usize] as usize;
            if k >= vstarts[o as usize + 1] as usize || vterms[k] != t {
                return Err((
                    here,
                    format!("term {t}: offset {o} disagrees with its vector"),
                ));
            }
            if !vweights[k].is_finite() {
                let w = vweights[k];
                return Err((vweights_at + 4 * k, format!("vector {o}: weight {w}")));
            }
            next[o as usize] += 1;
            offsets.push(o);
            exact.push(vweights[k]);
        }
        // The scale and every code must be what the writer derives from the exact weights;
        // the largest decoding error is kept for the search's bounds.
        let (min, max) = exact
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &w| {
                (lo.min(w), hi.max(w))
            });
        let scale = Scale::fit(weight_type, min, max);
        if weight_type != WeightType::F32
            && (scales[2 * i].to_bits(), scales[2 * i + 1].to_bits())
                != (scale.lo.to_bits(), scale.step.to_bits())
        {
            return Err((
                scales_at + 8 * i,
                format!("term {t}: scale is not the one its weights give"),
            ));
        }
        let coded = weights.list(range.clone(), scale);
        let mut decoded = Vec::with_capacity(len);
        let mut err = 0.0f32;
        for (pos, (&o, &w)) in offsets.iter().zip(&exact).enumerate() {
            let same = match coded {
                Weights::F32(c) => c[pos].to_bits() == w.to_bits(),
                Weights::F16(c, s) => c[pos] == s.f16(w),
                Weights::U8(c, s) => c[pos] == s.u8(w),
            };
            if !same {
                return Err((
                    weights_at + weight_type.bytes() * (range.start + pos),
                    format!("term {t}: weight at offset {o} disagrees with its vector"),
                ));
            }
            let d = coded.get(pos);
            err = err.max((d - w).abs());
            decoded.push(d);
        }
        let postings = Postings::Mapped {
            weights: range.clone(),
            scale,
            blocks: blocks.clone(),
            tail: tails.clone(),
        };
        lists.push(TermList::mapped(postings, &offsets, &decoded, err));
        (block, tail_pos) = (blocks.end, tails.end);
    }
    if block != n_blocks || tail_pos != tail.len() {
        return Err((40, "blocks or plain offsets no list holds".into()));
    }
    if by_sums && posting_sum != vector_sum {
        return Err((
            weights_at,
            "a posting disagrees with the vectors (the lists and the vectors hold different entries)".into(),
        ));
    }
    if let Some(o) = (0..end).find(|&o| !by_sums && next[o] as u64 != vstarts[o + 1] - vstarts[o]) {
        return Err((
            vstarts_at + 8 * o,
            format!("vector {o} has terms no list holds"),
        ));
    }
    let terms = ids.iter().enumerate().map(|(i, &t)| (t, i)).collect();
    let layout = Layout {
        end,
        postings: p,
        blocks: n_blocks,
        packed_bytes: k,
        bstarts_at,
        lasts_at,
        bytes_at,
        tail_at,
        weight_type,
        weights_at,
        vstarts_at,
        vterms_at,
        vweights_at,
        live,
    };
    Ok((layout, terms, lists))
}
