//! `base.bin`: every point of a shard as of one log index, written by `optimize` next to the
//! indexes it builds (`index-<version>/base.bin`) and read in place through mmap: `open` maps
//! it and reads nothing but the ids, versions, sparse vectors and multivectors (dense vectors
//! and payloads stay in the file, paged in when a search or a read touches them);
//! `points.bin` then holds only what changed since.
//!
//! A sealed file; integers little-endian; every array starts at a multiple of 8 bytes from
//! the file's start (zero bytes before it), so `u64` and `f32` arrays are read in place.
//!
//! | size | field |
//! | --- | --- |
//! | 8 | magic `SXSHBAS1` |
//! | 4 | format version (3; 2 and 1 still read) |
//! | 8 | `version`: the log index of the first operation not in this file |
//! | 8 | `N`: slots (offsets `0..N`) |
//! | 4 | dense vectors D; then D × (name: u32 length + UTF-8, size: u32) |
//! | 4 | sparse vectors S; then S × name |
//! | 4 | multivectors M (format 3); then M × (name, size: u32) |
//! | D | per dense vector its datatype: 0 f32, 1 f16, 2 u8 (format 2; format 1 holds f32 only and lacks these bytes) |
//! | N | per slot: 0 free, 1 an integer id, 2 a UUID |
//! | 16·N | per slot: the id (u128; an integer id in its low 64 bits; 0 when free) |
//! | 8·N | per slot: the version (the log index of the last operation that changed it) |
//! | 8·(N+1) | payload starts: slot `o`'s payload (a JSON object) is bytes `starts[o]..starts[o+1]` of the payload blob; empty when free |
//! | per dense vector | 8·⌈N/64⌉ presence bits (bit `o % 64` of word `o / 64`), then w·size·N values (w = 4 for f32, 2 for f16, 1 for u8; as stored: cosine vectors normalized, but u8 ones; zeros where absent), then zero bytes to a multiple of 8 |
//! | per sparse vector | 8·(N+1) starts into its entries (empty when absent: a vector of no entries is stored as absent), then 4·P indices (u32, increasing per vector), then 4·P values (f32) |
//! | per multivector (format 3) | 8·(N+1) starts in vectors (slot `o` holds vectors `starts[o]..starts[o+1]`, none when absent), then 4·size·V values (f32, cosine vectors normalized one by one), then zero bytes to a multiple of 8 |
//! | 8 + K | the payload blob: its length K (u64), then the bytes |
//! | 4 | CRC32C of every byte before it |
//!
//! After the checksum's read the pages leave the process; [`Base::follow`] then maps the rows
//! of every vector not `on_disk` back in.
//!
//! Checks at open: the checksum over the whole file, then every count and start against the
//! file's length, starts rising, ids of live slots unique (by the caller), presence only on
//! live slots, sparse indices increasing and values finite. Payload bytes are parsed when read.

use std::path::Path;
use std::sync::Arc;

use sextant_core::{PointId, PointOffset, SparseVector};
use sextant_mmap_advice::{MmapFile, header};

use crate::config::{Datatype, ShardConfig};
use crate::error::{Error, Result};
use crate::reader::{Reader, Shape};
use crate::state::State;

/// The file's magic.
const MAGIC: &[u8; 8] = b"SXSHBAS1";
/// The format version written (3: multivectors; 2 without them and 1, all f32, still read).
const VERSION: u32 = 3;
/// The base file's name in its folder.
pub(crate) const FILE: &str = "base.bin";

/// Pads `w` with zero bytes to a multiple of 8.
fn pad(w: &mut Vec<u8>) {
    while !w.len().is_multiple_of(8) {
        w.push(0);
    }
}

/// The bytes of a base file holding every point of `state` as of log index `version`.
pub(crate) fn write(state: &State, version: u64) -> Vec<u8> {
    let n = state.slots.len();
    let dense_bytes: usize = state.columns.iter().map(|c| 4 * c.size * n).sum();
    let mut w = header::start_file(MAGIC, VERSION, dense_bytes + 64 * n + (1 << 16));
    w.extend_from_slice(&version.to_le_bytes());
    w.extend_from_slice(&(n as u64).to_le_bytes());
    state.shape().write(&mut w);
    for c in &state.columns {
        w.push(datatype_byte(c.datatype));
    }
    pad(&mut w);
    for s in &state.slots {
        w.push(match s.as_ref().map(|s| s.id) {
            None => 0,
            Some(PointId::Num(_)) => 1,
            Some(PointId::Uuid(_)) => 2,
        });
    }
    pad(&mut w);
    for s in &state.slots {
        let id: u128 = match s.as_ref().map(|s| s.id) {
            None => 0,
            Some(PointId::Num(i)) => i as u128,
            Some(PointId::Uuid(u)) => u,
        };
        w.extend_from_slice(&id.to_le_bytes());
    }
    for s in &state.slots {
        w.extend_from_slice(&s.as_ref().map_or(0, |s| s.version).to_le_bytes());
    }
    let mut blob = Vec::new();
    w.extend_from_slice(&0u64.to_le_bytes());
    for o in 0..n as PointOffset {
        if state.slots[o as usize].is_some() {
            serde_json::to_writer(&mut blob, &*state.payload(o)).expect("a payload serializes");
        }
        w.extend_from_slice(&(blob.len() as u64).to_le_bytes());
    }
    for c in &state.columns {
        let mut words = vec![0u64; n.div_ceil(64)];
        for o in c.present.iter().filter(|&o| (o as usize) < n) {
            words[o as usize / 64] |= 1 << (o % 64);
        }
        words
            .iter()
            .for_each(|x| w.extend_from_slice(&x.to_le_bytes()));
        let width = width(c.datatype);
        for o in 0..n as PointOffset {
            match c.get(o) {
                Some(v) if width == 2 => v
                    .iter()
                    .for_each(|&x| w.extend_from_slice(&half::f16::from_f32(x).to_le_bytes())),
                // Values a `uint8` column holds are integers 0..=255.
                Some(v) if width == 1 => v.iter().for_each(|&x| w.push(x as u8)),
                Some(v) => v.iter().for_each(|x| w.extend_from_slice(&x.to_le_bytes())),
                None => w.resize(w.len() + width * c.size, 0),
            }
        }
        pad(&mut w);
    }
    for c in &state.sparse {
        let held = |o: PointOffset| c.get(o).filter(|v| !v.is_empty());
        let mut at = 0u64;
        w.extend_from_slice(&at.to_le_bytes());
        for o in 0..n as PointOffset {
            at += held(o).map_or(0, |v| v.len() as u64);
            w.extend_from_slice(&at.to_le_bytes());
        }
        for o in 0..n as PointOffset {
            for &i in held(o).iter().flat_map(|v| v.indices()) {
                w.extend_from_slice(&i.to_le_bytes());
            }
        }
        pad(&mut w);
        for o in 0..n as PointOffset {
            for &x in held(o).iter().flat_map(|v| v.values()) {
                w.extend_from_slice(&x.to_le_bytes());
            }
        }
        pad(&mut w);
    }
    for c in &state.multi {
        let mut at = 0u64;
        w.extend_from_slice(&at.to_le_bytes());
        for o in 0..n as PointOffset {
            at += c.get(o).map_or(0, |v| (v.len() / c.size) as u64);
            w.extend_from_slice(&at.to_le_bytes());
        }
        for o in 0..n as PointOffset {
            for x in c.get(o).into_iter().flatten() {
                w.extend_from_slice(&x.to_le_bytes());
            }
        }
        pad(&mut w);
    }
    w.extend_from_slice(&(blob.len() as u64).to_le_bytes());
    w.extend_from_slice(&blob);
    header::seal(&mut w);
    w
}

/// Where a dense vector's arrays are in the file.
#[derive(Debug, Clone, Copy)]
struct DenseAt {
    size: usize,
    /// Bytes a value.
    width: usize,
    presence: usize,
    values: usize,
}

/// A datatype's byte in the file.
fn datatype_byte(d: Datatype) -> u8 {
    match d {
        Datatype::Float32 => 0,
        Datatype::Float16 => 1,
        Datatype::Uint8 => 2,
    }
}

/// Bytes a value of a datatype takes in the file.
fn width(d: Datatype) -> usize {
    match d {
        Datatype::Float32 => 4,
        Datatype::Float16 => 2,
        Datatype::Uint8 => 1,
    }
}

/// Where a sparse vector's arrays are in the file.
#[derive(Debug, Clone, Copy)]
struct SparseAt {
    starts: usize,
    indices: usize,
    values: usize,
}

/// Where everything is in a base file (byte offsets, each array's start a multiple of 8).
#[derive(Debug)]
struct Layout {
    version: u64,
    slots: usize,
    kinds: usize,
    ids: usize,
    versions: usize,
    payload_starts: usize,
    blob: usize,
    dense: Vec<DenseAt>,
    sparse: Vec<SparseAt>,
    multi: Vec<MultiAt>,
}

/// Where a multivector's arrays are in the file.
#[derive(Debug, Clone, Copy)]
struct MultiAt {
    size: usize,
    starts: usize,
    values: usize,
}

/// A base file, mapped and checked.
#[derive(Debug)]
pub(crate) struct Base {
    map: MmapFile,
    l: Layout,
    /// The log index of the first operation not in the file.
    pub version: u64,
    /// Slots.
    pub slots: usize,
}

impl Base {
    /// Maps `path` and checks it against the config's vectors (names and sizes, in order).
    pub fn open(path: &Path, shape: &Shape) -> Result<Arc<Base>> {
        let map = MmapFile::open(path).map_err(Error::from)?;
        let parsed = parse(map.bytes(), shape);
        // The checksum read every page: let them go (searches fault back what they touch).
        // Only a hint: a refusal costs memory, not correctness.
        let _ = map.release(0, map.len());
        // Searches read single vectors: no read-ahead around them (it would map ~64 KiB per
        // rescored vector into the process).
        let _ = map.advise(sextant_mmap_advice::Advice::Random);
        match parsed {
            Ok(l) => Ok(Arc::new(Base {
                version: l.version,
                slots: l.slots,
                map,
                l,
            })),
            Err(what) => Err(Error::Damaged {
                path: path.to_path_buf(),
                what,
            }),
        }
    }
}

/// Checks the bytes of a base file for a config of `dense` and `sparse` vectors and says
/// where everything is.
fn parse(bytes: &[u8], shape: &Shape) -> std::result::Result<Layout, String> {
    {
        let format = header::check_start(bytes, 40, MAGIC, "shard base file", 1..=VERSION)
            .map_err(|e| e.to_string())?;
        let body = header::check_seal(bytes).map_err(|e| e.to_string())?;
        let mut r = Reader {
            bytes: body,
            at: 12,
        };
        let version = r.u64("the version")?;
        let n = r.u64("the slot count")?;
        // Every slot takes at least 33 bytes (kind, id, version, payload start).
        if n > (body.len() / 33) as u64 {
            return Err(format!("{n} slots do not fit in {} bytes", body.len()));
        }
        let n = n as usize;
        r.shape(shape, format >= 3)?;
        let mut widths = Vec::with_capacity(shape.dense.len());
        for (i, (name, _)) in shape.dense.iter().enumerate() {
            let want = shape.datatypes.get(i).copied().unwrap_or_default();
            let held = match format {
                1 => 0,
                _ => r.take(1, "a datatype")?[0],
            };
            if held != datatype_byte(want) {
                return Err(format!(
                    "vector {name:?}: datatype byte {held}, the config says {want:?}"
                ));
            }
            widths.push(width(want));
        }
        let sizes = shape.dense.iter().map(|&(_, size)| size).zip(widths);
        let align = |r: &mut Reader<'_>| -> std::result::Result<(), String> {
            let at = r.at;
            let gap = r.take((8 - at % 8) % 8, "padding")?;
            match gap.iter().all(|&b| b == 0) {
                true => Ok(()),
                false => Err(format!("byte {at}: padding is not zero")),
            }
        };
        align(&mut r)?;
        let kinds = r.at;
        let kind_bytes = r.take(n, "the id kinds")?;
        if let Some(k) = kind_bytes.iter().find(|&&k| k > 2) {
            return Err(format!("id kind {k}"));
        }
        align(&mut r)?;
        let ids = r.at;
        r.take(16 * n, "the ids")?;
        let versions = r.at;
        r.take(8 * n, "the versions")?;
        let payload_starts = r.at;
        let starts = rising(&mut r, n + 1, "payload starts")?;
        let mut dense_at = Vec::with_capacity(shape.dense.len());
        for (size, width) in sizes {
            let presence = r.at;
            let words = r.take(8 * n.div_ceil(64), "presence bits")?;
            for (i, w) in words.chunks_exact(8).enumerate() {
                let w = u64::from_le_bytes(w.try_into().expect("8 bytes"));
                for b in (0..64).filter(|b| w >> b & 1 == 1) {
                    let o = i * 64 + b;
                    if o >= n || kind_bytes[o] == 0 {
                        return Err(format!("a vector at offset {o}, which holds no point"));
                    }
                }
            }
            let values = r.at;
            // Not read here: the checksum covers them, and reading them all would cost the open.
            r.take(width * size * n, "vector values")?;
            if format > 1 {
                align(&mut r)?;
            }
            dense_at.push(DenseAt {
                size,
                width,
                presence,
                values,
            });
        }
        let mut sparse_at = Vec::with_capacity(shape.sparse.len());
        for _ in &shape.sparse {
            let at = r.at;
            let starts = rising(&mut r, n + 1, "sparse starts")?;
            let p = *starts.last().expect("n + 1 starts") as usize;
            let bytes_p = p.checked_mul(4).ok_or("a sparse entry count overflows")?;
            let indices = r.at;
            r.take(bytes_p, "sparse indices")?;
            align(&mut r)?;
            let values = r.at;
            r.take(bytes_p, "sparse values")?;
            align(&mut r)?;
            sparse_at.push(SparseAt {
                starts: at,
                indices,
                values,
            });
        }
        let mut multi_at = Vec::with_capacity(shape.multi.len());
        for &(_, size) in shape.multi.iter().filter(|_| format >= 3) {
            let at = r.at;
            let starts = rising(&mut r, n + 1, "multivector starts")?;
            for (o, w) in starts.windows(2).enumerate() {
                if w[1] > w[0] && kind_bytes[o] == 0 {
                    return Err(format!("a multivector at offset {o}, which holds no point"));
                }
            }
            let vectors = *starts.last().expect("n + 1 starts") as usize;
            let values = r.at;
            let bytes = (vectors.checked_mul(4 * size)).ok_or("a multivector count overflows")?;
            let floats = r.take(bytes, "multivector values")?;
            if let Some(i) = (floats.chunks_exact(4))
                .position(|c| !f32::from_le_bytes(c.try_into().expect("4 bytes")).is_finite())
            {
                return Err(format!(
                    "byte {}: a multivector value is not finite",
                    values + 4 * i
                ));
            }
            align(&mut r)?;
            multi_at.push(MultiAt {
                size,
                starts: at,
                values,
            });
        }
        let k = r.u64("the payload blob's length")? as usize;
        if Some(&(k as u64)) != starts.last() {
            return Err(format!(
                "a payload blob of {k} bytes, the starts end at {:?}",
                starts.last()
            ));
        }
        let blob = r.at;
        r.take(k, "the payload blob")?;
        if r.at != body.len() {
            return Err(format!("byte {}: bytes after the payload blob", r.at));
        }
        let l = Layout {
            version,
            slots: n,
            kinds,
            ids,
            versions,
            payload_starts,
            blob,
            dense: dense_at,
            sparse: sparse_at,
            multi: multi_at,
        };
        // Sparse vectors are read whole at open: checked here once.
        for c in 0..l.sparse.len() {
            for o in 0..n as PointOffset {
                sparse_vector(bytes, &l, c, o)?;
            }
        }
        Ok(l)
    }
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

/// Sparse vector `c` of the point at `o` in a parsed file's bytes.
fn sparse_vector(
    bytes: &[u8],
    l: &Layout,
    c: usize,
    o: PointOffset,
) -> std::result::Result<Option<SparseVector>, String> {
    let s = l.sparse[c];
    let at = s.starts + 8 * o as usize;
    let (a, b) = (u64_at(bytes, at) as usize, u64_at(bytes, at + 8) as usize);
    if a == b {
        return Ok(None);
    }
    let word = |at: usize| <[u8; 4]>::try_from(&bytes[at..at + 4]).expect("4 bytes");
    let indices = (a..b).map(|i| u32::from_le_bytes(word(s.indices + 4 * i)));
    let values = (a..b).map(|i| f32::from_le_bytes(word(s.values + 4 * i)));
    SparseVector::new(indices.collect(), values.collect())
        .map(Some)
        .map_err(|e| format!("offset {o}: sparse vector {c}: {e}"))
}

/// Checks `bytes` as a base file of the fuzz config (one 2-dim dense vector `a`, one sparse
/// vector `s`, one multivector `m` of 2-dim vectors): an error or a layout, never a panic
/// (the fuzz target's entry).
pub(crate) fn check(bytes: &[u8]) -> std::result::Result<(), String> {
    let shape = Shape {
        dense: vec![("a".to_string(), 2)],
        sparse: vec!["s".to_string()],
        multi: vec![("m".to_string(), 2)],
        datatypes: vec![Datatype::Float32],
    };
    parse(bytes, &shape).map(|_| ())
}

impl Base {
    /// Maps the dense rows of each vector of `config` whose `on_disk` is not `true` into
    /// the process (from the page cache the checksum just filled: minor faults, no reads),
    /// and lets the others' go. Both are hints: a refusal costs a fault or memory, not
    /// correctness; the kernel maps whole folios (up to 2 MiB on Linux 6), so a neighbour's
    /// rows at the edges come along.
    pub fn follow(&self, config: &ShardConfig) {
        for (d, p) in self.l.dense.iter().zip(config.vectors.values()) {
            let len = d.width * d.size * self.slots;
            if p.resident() {
                let _ = self.map.populate(d.values, len);
            } else {
                let _ = self.map.release(d.values, len);
            }
        }
    }

    fn u64_at(&self, at: usize) -> u64 {
        u64_at(self.map.bytes(), at)
    }

    /// The id of the point at `o`, if the slot holds one.
    pub fn id(&self, o: PointOffset) -> Option<PointId> {
        let b = self.map.bytes();
        let at = self.l.ids + 16 * o as usize;
        let id = u128::from_le_bytes(b[at..at + 16].try_into().expect("16 bytes"));
        match b[self.l.kinds + o as usize] {
            1 => Some(PointId::Num(id as u64)),
            2 => Some(PointId::Uuid(id)),
            _ => None,
        }
    }

    /// The version of the point at `o`.
    pub fn version_of(&self, o: PointOffset) -> u64 {
        self.u64_at(self.l.versions + 8 * o as usize)
    }

    /// The payload bytes (JSON) of the point at `o`.
    pub fn payload_bytes(&self, o: PointOffset) -> &[u8] {
        let at = self.l.payload_starts + 8 * o as usize;
        let (a, b) = (self.u64_at(at) as usize, self.u64_at(at + 8) as usize);
        &self.map.bytes()[self.l.blob + a..self.l.blob + b]
    }

    /// Whether the point at `o` holds dense vector `c`.
    pub fn has_dense(&self, c: usize, o: PointOffset) -> bool {
        let at = self.l.dense[c].presence + 8 * (o as usize / 64);
        self.u64_at(at) >> (o % 64) & 1 == 1
    }

    /// The values of dense vector `c` at `o` (zeros where absent), in its datatype `E` (the
    /// config's, checked at open).
    pub fn dense<E: bytemuck::Pod>(&self, c: usize, o: PointOffset) -> &[E] {
        let d = self.l.dense[c];
        debug_assert_eq!(size_of::<E>(), d.width);
        self.map
            .view::<E>(d.values + d.width * d.size * o as usize, d.size)
            .expect("checked at open: in bounds and aligned")
    }

    /// The vectors of multivector `c` of the point at `o`, flattened, read in place (`None`
    /// when absent; a file from before multivectors holds none).
    pub fn multi(&self, c: usize, o: PointOffset) -> Option<&[f32]> {
        let m = *self.l.multi.get(c)?;
        let at = m.starts + 8 * o as usize;
        let (a, b) = (self.u64_at(at) as usize, self.u64_at(at + 8) as usize);
        (a < b).then(|| {
            self.map
                .view::<f32>(m.values + 4 * m.size * a, m.size * (b - a))
                .expect("checked at open: in bounds and aligned")
        })
    }

    /// Sparse vector `c` of the point at `o`, if it holds one (checked at open).
    pub fn sparse_vector(
        &self,
        c: usize,
        o: PointOffset,
    ) -> std::result::Result<Option<SparseVector>, String> {
        sparse_vector(self.map.bytes(), &self.l, c, o)
    }
}

/// `n` u64 values, each at least the one before, starting at 0.
fn rising(r: &mut Reader<'_>, n: usize, what: &str) -> std::result::Result<Vec<u64>, String> {
    let at = r.at;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let x = r.u64(what)?;
        if out.last().map_or(x != 0, |&l| x < l) {
            return Err(format!("byte {at}: {what} do not rise from 0"));
        }
        out.push(x);
    }
    Ok(out)
}
