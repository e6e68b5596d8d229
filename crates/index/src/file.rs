//! The index file: everything a [`LabeledIndex`] holds, in one sealed file written atomically.
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 8 | magic `SXLBLIDX` |
//! | 8 | 4 | format version, 2 (u32 LE; version 1 is still read) |
//! | 12 | 1 | distance: 0 cosine, 1 dot, 2 euclid, 3 manhattan |
//! | 13 | 1 | flags: bit 0 float search behind bound codes (`IndexConfig::bounds`); zero in v1 |
//! | 14 | 2 | zero |
//! | 16 | 4 | dim (u32 LE) |
//! | 20 | 8 | max_elements (u64 LE) |
//! | 28 | 4 | m (u32 LE) |
//! | 32 | 4 | m0 (u32 LE) |
//! | 36 | 4 | ef_construction (u32 LE) |
//! | 40 | 8 | seed (u64 LE) |
//! | 48 | 8 | oversampling (f64 LE) |
//! | 56 | 8 | n, the points (u64 LE) |
//! | 64 | 4 | C, bytes of the codec's config (u32 LE; 0: no codes) |
//! | 68 | C | the codec's config as JSON (`QuantizationConfig`'s serde form) |
//! | 68 + C | 8·n | labels (u64 LE), by offset, distinct |
//! | … | 8·⌈n/64⌉ | the deleted marks: bit words (u64 LE), bit `o % 64` of word `o / 64` |
//! | … | 4·n·dim | the vectors as stored (prepared for the distance), f32 LE, by offset |
//! | … | 8 | G, bytes of the graph (u64 LE; 0 when n is 0) |
//! | … | G | the graph, in `sextant-hnsw`'s own file format (its own checksum) |
//! | … | 8 | Q, bytes of the codes (u64 LE; 0 without codes) |
//! | … | Q | the codes, in `sextant-quantization`'s file format (its own checksum) |
//! | … | 8 | B, bytes of the bound codes (u64 LE; 0 without bounds; absent in v1) |
//! | … | B | the int8 bound codes, in `sextant-quantization`'s file format (residual norms are recomputed on load) |
//! | end − 4 | 4 | CRC32C of every byte before (u32 LE) |

use std::path::Path;

use sextant_core::{BitSet, DenseVectors, Distance};
use sextant_hnsw::{HnswConfig, HnswIndex};
use sextant_mmap_advice::header;
use sextant_quantization::{AnyCodes, EncodedVectors, QuantizationConfig, ScalarInt8PerDim};

use crate::bounds::Bounds;
use crate::error::{Error, Result};
use crate::labeled::{IndexConfig, LabeledIndex};

const MAGIC: &[u8; 8] = b"SXLBLIDX";
const VERSION: u32 = 2;
/// Flag bit of byte 13: bound codes follow the codes.
const FLAG_BOUNDS: u8 = 1;
/// Bytes before the codec's config.
const FIXED: usize = 68;

fn distance_code(d: Distance) -> u8 {
    match d {
        Distance::Cosine => 0,
        Distance::Dot => 1,
        Distance::Euclid => 2,
        Distance::Manhattan => 3,
    }
}

impl LabeledIndex {
    /// The index file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let c = &self.config;
        let codec = c
            .codec
            .map(|q| serde_json::to_vec(&q).expect("a codec config serializes"))
            .unwrap_or_default();
        let n = self.labels.len();
        let mut b = header::start_file(MAGIC, VERSION, FIXED + n * (8 + 4 * c.dim) + 64);
        b.push(distance_code(c.distance));
        b.push(if c.bounds { FLAG_BOUNDS } else { 0 });
        b.extend_from_slice(&[0; 2]);
        b.extend_from_slice(&(c.dim as u32).to_le_bytes());
        b.extend_from_slice(&(c.max_elements as u64).to_le_bytes());
        b.extend_from_slice(&(c.hnsw.m as u32).to_le_bytes());
        b.extend_from_slice(&(c.hnsw.m0 as u32).to_le_bytes());
        b.extend_from_slice(&(c.hnsw.ef_construction as u32).to_le_bytes());
        b.extend_from_slice(&c.hnsw.seed.to_le_bytes());
        b.extend_from_slice(&c.oversampling.to_le_bytes());
        b.extend_from_slice(&(n as u64).to_le_bytes());
        b.extend_from_slice(&(codec.len() as u32).to_le_bytes());
        b.extend_from_slice(&codec);
        for l in &self.labels {
            b.extend_from_slice(&l.to_le_bytes());
        }
        let words = n.div_ceil(64);
        for w in self.deleted.as_words().iter().take(words) {
            b.extend_from_slice(&w.to_le_bytes());
        }
        for x in self.vectors.as_flat() {
            b.extend_from_slice(&x.to_le_bytes());
        }
        let graph = self.graph.as_ref().map(HnswIndex::to_bytes);
        put_section(&mut b, graph);
        put_section(&mut b, self.codes.as_ref().map(|c| c.to_bytes()));
        put_section(&mut b, self.bounds.as_ref().map(|b| b.codes.to_bytes()));
        header::seal(&mut b);
        b
    }

    /// An index from its file's bytes, every part checked.
    pub fn from_bytes(bytes: &[u8]) -> std::result::Result<Self, String> {
        let version = header::check_start(bytes, FIXED + 4, MAGIC, "labeled index", 1..=VERSION)
            .map_err(|e| e.to_string())?;
        let body = header::check_seal(bytes).map_err(|e| e.to_string())?;
        let mut r = Reader { b: body, at: 12 };
        let head = r.take(4, "distance and flags")?;
        let distance = match head[0] {
            0 => Distance::Cosine,
            1 => Distance::Dot,
            2 => Distance::Euclid,
            3 => Distance::Manhattan,
            d => return Err(format!("byte 12: unknown distance {d}")),
        };
        let bounds_flag = match head[1] {
            0 => false,
            FLAG_BOUNDS if version >= 2 => true,
            f => return Err(format!("byte 13: unknown flags {f:#04x}")),
        };
        let dim = r.u32("dim")? as usize;
        let max_elements = r.usize("max_elements")?;
        let hnsw = HnswConfig {
            m: r.u32("m")? as usize,
            m0: r.u32("m0")? as usize,
            ef_construction: r.u32("ef_construction")? as usize,
            seed: r.u64("seed")?,
            // Not in the file: a build policy, not the graph's shape.
            ..HnswConfig::default()
        };
        let oversampling = f64::from_le_bytes(r.take(8, "oversampling")?.try_into().expect("8"));
        let n = r.usize("points")?;
        let c_len = r.u32("codec length")? as usize;
        let codec = match c_len {
            0 => None,
            len => Some(
                serde_json::from_slice::<QuantizationConfig>(r.take(len, "codec")?)
                    .map_err(|e| format!("codec config: {e}"))?,
            ),
        };
        if n > max_elements {
            return Err(format!("{n} points above max_elements {max_elements}"));
        }
        let labels: Vec<u64> = r
            .take(n.checked_mul(8).ok_or("too many points")?, "labels")?
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8")))
            .collect();
        let words: Vec<u64> = r
            .take(8 * n.div_ceil(64), "deleted marks")?
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8")))
            .collect();
        let deleted = BitSet::from_words(words, n).ok_or("deleted marks past the points")?;
        let floats = n
            .checked_mul(dim)
            .and_then(|x| x.checked_mul(4))
            .ok_or("too many values")?;
        let data: Vec<f32> = r
            .take(floats, "vectors")?
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4")))
            .collect();
        // Stored prepared: kept bit for bit, checked.
        let vectors = DenseVectors::from_prepared(dim, data, distance)
            .map_err(|e| format!("vectors: {e}"))?;
        let g_len = r.usize("graph length")?;
        let graph = match g_len {
            0 if n == 0 => None,
            0 => return Err("points without a graph".into()),
            len => Some(
                HnswIndex::from_bytes(r.take(len, "graph")?).map_err(|e| format!("graph: {e}"))?,
            ),
        };
        if graph.as_ref().is_some_and(|g| g.len() != n) {
            return Err("the graph does not cover the points".into());
        }
        let q_len = r.usize("codes length")?;
        let codes = match (q_len, codec) {
            (0, None) => None,
            (0, Some(_)) if n == 0 => None,
            (len, Some(_)) if len > 0 => {
                let codes = AnyCodes::from_bytes(r.take(len, "codes")?)
                    .map_err(|e| format!("codes: {e}"))?;
                if codes.len() != n {
                    return Err("the codes do not cover the points".into());
                }
                Some(codes)
            }
            _ => return Err("codes and codec config disagree".into()),
        };
        let b_len = if version >= 2 {
            r.usize("bound codes length")?
        } else {
            0
        };
        let bounds = match (b_len, bounds_flag) {
            (0, false) => None,
            (0, true) if n == 0 => None,
            (len, true) if len > 0 => {
                let codes = ScalarInt8PerDim::from_bytes(r.take(len, "bound codes")?)
                    .map_err(|e| format!("bound codes: {e}"))?;
                Some(Bounds::with_codes(codes, &vectors).map_err(|e| e.to_string())?)
            }
            _ => return Err("bound codes and flags disagree".into()),
        };
        if r.at != body.len() {
            return Err(format!(
                "byte {}: {} bytes past the end",
                r.at,
                body.len() - r.at
            ));
        }
        let mut seen = std::collections::HashSet::with_capacity(n);
        if let Some(l) = labels.iter().find(|l| !seen.insert(**l)) {
            return Err(format!("label {l} stored twice"));
        }
        let config = IndexConfig {
            distance,
            dim,
            max_elements,
            hnsw,
            codec,
            oversampling,
            bounds: bounds_flag,
        };
        Ok(LabeledIndex::assemble(
            config, vectors, labels, deleted, graph, codes, bounds,
        ))
    }

    /// Writes the index to `path` atomically (temporary file, fsync, rename).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        sextant_mmap_advice::atomic_write(path, &self.to_bytes()).map_err(|e| Error::Io {
            path: path.into(),
            op: "write",
            source: std::io::Error::other(e.to_string()),
        })
    }

    /// Reads an index written by [`save`](Self::save); a damaged file is an error naming it.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.into(),
            op: "read",
            source,
        })?;
        Self::from_bytes(&bytes).map_err(|what| Error::Corrupt {
            path: path.into(),
            what,
        })
    }
}

/// A section of the file: its length (u64 LE; 0 when absent), then its bytes.
fn put_section(b: &mut Vec<u8>, bytes: Option<Vec<u8>>) {
    let bytes = bytes.unwrap_or_default();
    b.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    b.extend_from_slice(&bytes);
}

/// Checked little-endian reads naming what they read.
struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> std::result::Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| {
                format!(
                    "byte {}: {what} runs past the end ({} bytes)",
                    self.at,
                    self.b.len()
                )
            })?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u32(&mut self, what: &str) -> std::result::Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4, what)?.try_into().expect("4"),
        ))
    }

    fn u64(&mut self, what: &str) -> std::result::Result<u64, String> {
        Ok(u64::from_le_bytes(
            self.take(8, what)?.try_into().expect("8"),
        ))
    }

    fn usize(&mut self, what: &str) -> std::result::Result<usize, String> {
        let v = self.u64(what)?;
        usize::try_from(v).map_err(|_| format!("{what} {v} too large"))
    }
}
