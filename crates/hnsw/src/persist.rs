//! Saving and loading the graph (format version 1). Little endian throughout.
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 8 | magic `SXTHNSW\0` |
//! | 8 | 4 | version (1) |
//! | 12 | 4 | flags (0; bit 0 is reserved for compressed links) |
//! | 16 | 8 | `n`, number of point slots |
//! | 24 | 4 | `m` |
//! | 28 | 4 | `m0` |
//! | 32 | 4 | `ef_construction` |
//! | 36 | 4 | reserved (0) |
//! | 40 | 8 | level seed |
//! | 48 | 8 | entry point + 1 (0 = empty graph) |
//! | 56 | n | level of each node (u8) |
//! | … | 8 · ⌈n/64⌉ | deleted bitset (u64 words) |
//! | … | 4 · n · (m0 + 1) | level-0 lists: count, then `m0` slots |
//! | … | 4 · Σ level · (m + 1) | upper lists of each node with level ≥ 1, node order, level 1 first |
//! | end − 4 | 4 | CRC32C of every byte before it |
//!
//! The loader checks the magic, version, sizes (against the file length, before allocating),
//! the checksum, and then every count and link, so a damaged file is an error, never a panic
//! or a graph that points outside itself.

use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::index::HnswIndex;
use crate::params::HnswParams;
use sextant_core::BitSet;
use std::io::Write;
use std::path::Path;

const MAGIC: [u8; 8] = *b"SXTHNSW\0";
const VERSION: u32 = 1;
const HEADER: usize = 56;

fn corrupt(offset: usize, what: impl Into<String>) -> Error {
    Error::Corrupt {
        offset: offset as u64,
        what: what.into(),
    }
}

impl HnswIndex {
    /// The graph as bytes in format version 1.
    pub fn to_bytes(&self) -> Vec<u8> {
        let g = &self.graph;
        let n = g.len();
        let mut b = Vec::with_capacity(HEADER + n * (1 + 4 * (g.m0 + 1)) + 4);
        b.extend_from_slice(&MAGIC);
        b.extend_from_slice(&VERSION.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&(n as u64).to_le_bytes());
        for v in [g.m, g.m0, self.params.ef_construction, 0] {
            b.extend_from_slice(&(v as u32).to_le_bytes());
        }
        b.extend_from_slice(&self.params.seed.to_le_bytes());
        b.extend_from_slice(&g.entry().map_or(0, |(e, _)| e as u64 + 1).to_le_bytes());
        b.extend_from_slice(g.levels());
        let mut deleted = self.deleted.clone();
        deleted.grow(n);
        deleted
            .as_words()
            .iter()
            .take(n.div_ceil(64))
            .for_each(|w| b.extend_from_slice(&w.to_le_bytes()));
        let (links0, upper) = g.raw();
        links0
            .chain(upper)
            .for_each(|x| b.extend_from_slice(&x.to_le_bytes()));
        let crc = crc32c::crc32c(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        b
    }

    /// Saves the graph to `path` atomically (temporary file, sync, rename).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let io = |what: &str, e: std::io::Error| Error::Io {
            path: path.into(),
            what: format!("{what}: {e}"),
        };
        let tmp = path.with_extension("tmp");
        let mut f = std::fs::File::create(&tmp).map_err(|e| io("create", e))?;
        f.write_all(&self.to_bytes()).map_err(|e| io("write", e))?;
        f.sync_all().map_err(|e| io("sync", e))?;
        std::fs::rename(&tmp, path).map_err(|e| io("rename", e))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| io("sync directory", e))?;
        }
        Ok(())
    }

    /// Loads a graph saved by [`save`](Self::save) into RAM.
    pub fn load(path: impl AsRef<Path>) -> Result<HnswIndex> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::Io {
            path: path.into(),
            what: format!("read: {e}"),
        })?;
        Self::from_bytes(&bytes)
    }

    /// Parses and validates a graph in format version 1.
    pub fn from_bytes(b: &[u8]) -> Result<HnswIndex> {
        if b.len() < HEADER + 4 {
            return Err(corrupt(
                b.len(),
                format!("{} bytes is shorter than the header", b.len()),
            ));
        }
        if b[..8] != MAGIC {
            return Err(corrupt(0, "not a sextant-hnsw graph (bad magic)"));
        }
        let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
        let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
        if u32_at(8) != VERSION {
            return Err(corrupt(
                8,
                format!("version {}, this build reads {VERSION}", u32_at(8)),
            ));
        }
        if u32_at(12) != 0 {
            return Err(corrupt(12, format!("unknown flags {:#x}", u32_at(12))));
        }
        let (m, m0, efc) = (
            u32_at(24) as usize,
            u32_at(28) as usize,
            u32_at(32) as usize,
        );
        let params = HnswParams {
            m,
            m0,
            ef_construction: efc,
            seed: u64_at(40),
        };
        params.validate().map_err(|e| corrupt(24, e.to_string()))?;
        let n = usize::try_from(u64_at(16)).map_err(|_| corrupt(16, "point count overflows"))?;
        // Sizes are checked against the file length before anything is allocated.
        let body = b.len() - HEADER - 4;
        let fixed = n
            .checked_mul(1 + 4 * (m0 + 1))
            .and_then(|x| x.checked_add(8 * n.div_ceil(64)))
            .filter(|&x| x <= body)
            .ok_or_else(|| {
                corrupt(
                    16,
                    format!("{n} points do not fit in a {}-byte file", b.len()),
                )
            })?;
        let crc_at = b.len() - 4;
        if crc32c::crc32c(&b[..crc_at]) != u32_at(crc_at) {
            return Err(corrupt(crc_at, "checksum mismatch (the file is damaged)"));
        }
        let levels = b[HEADER..HEADER + n].to_vec();
        let upper_slots: usize = levels.iter().map(|&l| l as usize * (m + 1)).sum();
        if fixed + 4 * upper_slots != body {
            return Err(corrupt(
                HEADER,
                format!(
                    "levels announce {upper_slots} upper slots, the file holds {}",
                    (body - fixed) / 4
                ),
            ));
        }
        let mut at = HEADER + n;
        let mut deleted = BitSet::new(n);
        for w in 0..n.div_ceil(64) {
            let word = u64_at(at + 8 * w);
            for bit in 0..64 {
                let p = w * 64 + bit;
                if word >> bit & 1 == 1 {
                    if p >= n {
                        return Err(corrupt(at + 8 * w, "deleted bit past the last point"));
                    }
                    deleted.insert(p as u32);
                }
            }
        }
        at += 8 * n.div_ceil(64);
        let read_lists = |at: &mut usize, count: usize, cap: usize| -> Result<Vec<u32>> {
            let mut out = Vec::with_capacity(count * (cap + 1));
            for _ in 0..count {
                let len = u32_at(*at) as usize;
                if len > cap {
                    return Err(corrupt(
                        *at,
                        format!("list of {len} links exceeds the capacity {cap}"),
                    ));
                }
                for i in 0..=cap {
                    let v = u32_at(*at + 4 * i);
                    if i >= 1 && i <= len && v as usize >= n {
                        return Err(corrupt(
                            *at + 4 * i,
                            format!("link to point {v}, past the last point"),
                        ));
                    }
                    out.push(v);
                }
                *at += 4 * (cap + 1);
            }
            Ok(out)
        };
        let links0 = read_lists(&mut at, n, m0)?;
        let mut upper = Vec::with_capacity(n);
        for &l in &levels {
            upper.push(read_lists(&mut at, l as usize, m)?);
        }
        let entry = match u64_at(48) {
            0 => None,
            e if e as usize <= n && n > 0 => Some((e - 1) as u32),
            e => return Err(corrupt(48, format!("entry point {} is not a point", e - 1))),
        };
        let graph = Graph::from_parts(m, m0, levels, links0, upper, entry);
        Ok(HnswIndex {
            params,
            graph,
            deleted,
        })
    }
}
