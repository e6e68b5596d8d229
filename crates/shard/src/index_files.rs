//! The indexes on disk: `optimize` saves each index it built into a folder named after the
//! log index of the build (`index-<built_at>/`: `dense-<i>.graph`, `dense-<i>.codes`,
//! `sparse-<i>.idx`, `i` the vector's place in the config's name order, each file in its own
//! crate's checksummed format), then `indexes.bin` names that folder; `flush` rewrites
//! `indexes.bin` with the points changed since the build. `open` loads them (graphs into RAM,
//! codes and sparse indexes read in place through mmap) and marks stale every point the file's
//! stale list misses (changed at or after its `valid_at`), so a crash between writing the
//! points and this file only costs exact scans of those points.
//!
//! `indexes.bin`, a sealed file (integers little-endian):
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 8 | magic `SXSHIDX1` |
//! | 8 | 4 | format version (2; 1 still read) |
//! | 12 | 8 | `built_at`: the log index the build read the points at (names the folder) |
//! | 20 | 8 | `valid_at`: every point changed before this log index is in the stale list |
//! | 28 | 4 | `covered`: the build's offsets are below it |
//! | 32 | 4 | dense vectors D (the config's count); then D × (built: u8 0 or 1; if 1: codes u8 0 or 1, `ef_default` u32, nodes N u32, N × u32 offsets below `covered`: node → offset, distinct among the nodes the graph holds live (a node an incremental optimize deleted from the graph keeps its last offset); format 1 wrote them strictly increasing) |
//! | | | then, for a built one, blocks B (u32); B × (key: u32 length + UTF-8, kind u8: 0 bool, 1 integer, 2 keyword; value: bool u8, integer i64, keyword u32 length + UTF-8): the payload values whose points the graph links among themselves |
//! | | 4 | sparse vectors S; then S × built u8 (0 or 1) |
//! | | 4 | stale offsets R; then R × u32, strictly increasing, below `covered` |
//! | end − 4 | 4 | CRC32C of every byte before it |

use std::path::{Path, PathBuf};

use sextant_core::{BitSet, PointOffset};
use sextant_hnsw::HnswIndex;
use sextant_mmap_advice::header;
use sextant_quantization::{AnyCodes, EncodedVectors};
use sextant_sparse_index::{SparseIndex, WeightType};

use crate::error::{Error, Result};
use crate::indexed::{Block, DenseIndex, Indexed};
use crate::reader::{Reader, put_text};
use sextant_payload_index::filter::MatchValue;

/// The file naming the current indexes, in the shard's folder.
pub(crate) const MANIFEST: &str = "indexes.bin";
/// The file's magic.
const MAGIC: &[u8; 8] = b"SXSHIDX1";
/// The format version written: 2 since graphs grow (node offsets in any order).
const VERSION: u32 = 2;
/// Folders of index files start with this.
const FOLDER_PREFIX: &str = "index-";

/// The folder of the indexes built at `built_at`.
pub(crate) fn folder(shard: &Path, built_at: u64) -> PathBuf {
    shard.join(format!("{FOLDER_PREFIX}{built_at:020}"))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Creates the folder of the build at `built_at` (a failed attempt's is emptied first).
pub(crate) fn create_folder(shard: &Path, built_at: u64) -> Result<PathBuf> {
    let dir = folder(shard, built_at);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(io(&dir))?;
    }
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    Ok(dir)
}

/// Writes the index files of `indexed` into its folder (made by [`create_folder`]).
pub(crate) fn save(shard: &Path, indexed: &Indexed) -> Result<()> {
    let dir = folder(shard, indexed.built_at);
    let failed = |path: PathBuf| move |e: String| Error::Damaged { path, what: e };
    for (i, d) in indexed.dense.iter().enumerate() {
        let Some(d) = d else { continue };
        let path = dir.join(format!("dense-{i}.graph"));
        d.graph
            .save(&path)
            .map_err(|e| failed(path.clone())(e.to_string()))?;
        if let Some(codes) = &d.codes {
            let path = dir.join(format!("dense-{i}.codes"));
            codes
                .save(&path)
                .map_err(|e| failed(path.clone())(e.to_string()))?;
        }
    }
    for (i, s) in indexed.sparse.iter().enumerate() {
        let Some(s) = s else { continue };
        let path = dir.join(format!("sparse-{i}.idx"));
        // f32 weights: the file is the sparse vectors' only copy an open reads back.
        s.save(&path, WeightType::F32)
            .map_err(|e| failed(path.clone())(e.to_string()))?;
    }
    Ok(())
}

/// The bytes of `indexes.bin` for `indexed`, its stale list complete before `valid_at`.
pub(crate) fn manifest(indexed: &Indexed, valid_at: u64) -> Vec<u8> {
    let mut w = header::start_file(MAGIC, VERSION, 1 << 12);
    let u32s = |w: &mut Vec<u8>, v: &mut dyn Iterator<Item = u32>| {
        v.for_each(|x| w.extend_from_slice(&x.to_le_bytes()))
    };
    w.extend_from_slice(&indexed.built_at.to_le_bytes());
    w.extend_from_slice(&valid_at.to_le_bytes());
    w.extend_from_slice(&(indexed.covered as u32).to_le_bytes());
    w.extend_from_slice(&(indexed.dense.len() as u32).to_le_bytes());
    for d in &indexed.dense {
        match d {
            None => w.push(0),
            Some(d) => {
                w.push(1);
                w.push(u8::from(d.codes.is_some()));
                w.extend_from_slice(&(d.ef_default as u32).to_le_bytes());
                w.extend_from_slice(&(d.nodes.len() as u32).to_le_bytes());
                u32s(&mut w, &mut d.nodes.iter().copied());
                w.extend_from_slice(&(d.blocks.len() as u32).to_le_bytes());
                for b in &d.blocks {
                    put_text(&mut w, &b.key);
                    match &b.value {
                        MatchValue::Bool(v) => w.extend_from_slice(&[0, u8::from(*v)]),
                        MatchValue::Integer(i) => {
                            w.push(1);
                            w.extend_from_slice(&i.to_le_bytes());
                        }
                        MatchValue::Keyword(k) => {
                            w.push(2);
                            put_text(&mut w, k);
                        }
                    }
                }
            }
        }
    }
    w.extend_from_slice(&(indexed.sparse.len() as u32).to_le_bytes());
    for s in &indexed.sparse {
        w.push(u8::from(s.is_some()));
    }
    w.extend_from_slice(&(indexed.stale.count() as u32).to_le_bytes());
    u32s(&mut w, &mut indexed.stale.iter());
    header::seal(&mut w);
    w
}

/// Writes `indexes.bin` (when given; else removes it) and removes the build folders not in `keep` (the
/// folders `indexes.bin` and `points.bin` name).
pub(crate) fn commit(shard: &Path, bytes: Option<&[u8]>, keep: &[u64]) -> Result<()> {
    let manifest = shard.join(MANIFEST);
    match bytes {
        Some(bytes) => sextant_mmap_advice::atomic_write(&manifest, bytes)?,
        // No indexes (none built yet, or dropped by a reconfigure): none may load at open.
        None => match std::fs::remove_file(&manifest) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&manifest)(e)),
            _ => {}
        },
    }
    let keep: Vec<PathBuf> = keep.iter().map(|&v| folder(shard, v)).collect();
    for entry in std::fs::read_dir(shard).map_err(io(shard))? {
        let path = entry.map_err(io(shard))?.path();
        let named = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if named.starts_with(FOLDER_PREFIX) && !keep.contains(&path) {
            // A leftover only costs disk space: a failed removal is retried next time.
            let _ = std::fs::remove_dir_all(&path);
        }
    }
    Ok(())
}

/// One dense vector's entry: codes or not, `ef_default`, nodes, blocks.
type SavedDense = (bool, usize, Vec<PointOffset>, Vec<Block>);

/// What `indexes.bin` says, before the files are loaded.
struct Manifest {
    built_at: u64,
    valid_at: u64,
    covered: usize,
    dense: Vec<Option<SavedDense>>,
    sparse: Vec<bool>,
    stale: Vec<PointOffset>,
}

/// Offsets below `covered`, `n` of them, rising when `rising`.
fn offsets(
    r: &mut Reader<'_>,
    n: usize,
    covered: usize,
    rising: bool,
    what: &str,
) -> std::result::Result<Vec<PointOffset>, String> {
    if n > (r.bytes.len() - r.at) / 4 {
        return Err(format!("byte {}: {n} {what} do not fit", r.at));
    }
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let o = r.u32(what)?;
        if o as usize >= covered || (rising && out.last().is_some_and(|&l| l >= o)) {
            return Err(format!(
                "byte {}: {what} {o} out of order or not below {covered}",
                r.at - 4
            ));
        }
        out.push(o);
    }
    Ok(out)
}

/// Parses `indexes.bin` for a shard of `dense` and `sparse` vectors.
fn parse(bytes: &[u8], dense: usize, sparse: usize) -> std::result::Result<Manifest, String> {
    let version = header::check_start(bytes, 36, MAGIC, "shard index file", 1..=VERSION)
        .map_err(|e| e.to_string())?;
    let body = header::check_seal(bytes).map_err(|e| e.to_string())?;
    let mut r = Reader {
        bytes: body,
        at: 12,
    };
    let built_at = r.u64("the build's log index")?;
    let valid_at = r.u64("the stale list's log index")?;
    if valid_at < built_at {
        return Err(format!(
            "stale list as of {valid_at}, before the build at {built_at}"
        ));
    }
    let covered = r.u32("the covered offsets")? as usize;
    let n = r.u32("the dense vector count")? as usize;
    if n != dense {
        return Err(format!("{n} dense vectors, the config has {dense}"));
    }
    let mut dense = Vec::with_capacity(n);
    for _ in 0..n {
        dense.push(match r.u8("a built byte")? {
            0 => None,
            1 => {
                let codes = match r.u8("a codes byte")? {
                    0 => false,
                    1 => true,
                    b => return Err(format!("byte {}: codes byte {b}", r.at - 1)),
                };
                let ef = r.u32("a search list size")? as usize;
                let len = r.u32("a node count")? as usize;
                let nodes = offsets(&mut r, len, covered, version == 1, "node offsets")?;
                let n_blocks = r.u32("a block count")? as usize;
                // A block takes at least 6 bytes: counts are checked before they size anything.
                if n_blocks > (r.bytes.len() - r.at) / 6 {
                    return Err(format!("byte {}: {n_blocks} blocks do not fit", r.at));
                }
                let mut blocks = Vec::with_capacity(n_blocks);
                for _ in 0..n_blocks {
                    let key = r.text("a block key")?.to_string();
                    let value = match r.u8("a block value kind")? {
                        0 => match r.u8("a bool")? {
                            0 => MatchValue::Bool(false),
                            1 => MatchValue::Bool(true),
                            b => return Err(format!("byte {}: bool {b}", r.at - 1)),
                        },
                        1 => MatchValue::Integer(r.u64("an integer")? as i64),
                        2 => MatchValue::Keyword(r.text("a keyword")?.to_string()),
                        k => return Err(format!("byte {}: block value kind {k}", r.at - 1)),
                    };
                    blocks.push(Block { key, value });
                }
                Some((codes, ef, nodes, blocks))
            }
            b => return Err(format!("byte {}: built byte {b}", r.at - 1)),
        });
    }
    let n = r.u32("the sparse vector count")? as usize;
    if n != sparse {
        return Err(format!("{n} sparse vectors, the config has {sparse}"));
    }
    let sparse = (0..n)
        .map(|_| match r.u8("a built byte")? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(format!("byte {}: built byte {b}", r.at - 1)),
        })
        .collect::<std::result::Result<Vec<_>, String>>()?;
    let n = r.u32("the stale offset count")? as usize;
    let stale = offsets(&mut r, n, covered, true, "stale offsets")?;
    if r.at != body.len() {
        return Err(format!("byte {}: bytes after the stale list", r.at));
    }
    Ok(Manifest {
        built_at,
        valid_at,
        covered,
        dense,
        sparse,
        stale,
    })
}

/// Checks the bytes of an `indexes.bin` (the fuzz target's entry).
pub(crate) fn check(bytes: &[u8], dense: usize, sparse: usize) -> std::result::Result<(), String> {
    parse(bytes, dense, sparse).map(|_| ())
}

/// Loads the indexes `indexes.bin` names, if there is one; returns them with the file's
/// `valid_at` (the caller marks stale the points changed at or after it).
pub(crate) fn load(shard: &Path, dense: usize, sparse: usize) -> Result<Option<(Indexed, u64)>> {
    let path = shard.join(MANIFEST);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(Error::Io { path, source }),
    };
    let m = parse(&bytes, dense, sparse).map_err(|what| Error::Damaged {
        path: path.clone(),
        what,
    })?;
    let dir = folder(shard, m.built_at);
    let damaged = |path: PathBuf| move |what: String| Error::Damaged { path, what };
    let mut built = Vec::with_capacity(m.dense.len());
    for (i, d) in m.dense.into_iter().enumerate() {
        let Some((has_codes, ef_default, nodes, blocks)) = d else {
            built.push(None);
            continue;
        };
        let path = dir.join(format!("dense-{i}.graph"));
        let graph = HnswIndex::load(&path).map_err(|e| damaged(path.clone())(e.to_string()))?;
        if graph.len() != nodes.len() {
            let what = format!("{} nodes, {MANIFEST} maps {}", graph.len(), nodes.len());
            return Err(damaged(path)(what));
        }
        let codes = match has_codes {
            false => None,
            true => {
                let path = dir.join(format!("dense-{i}.codes"));
                let codes = AnyCodes::open_mapped(&path)
                    .map_err(|e| damaged(path.clone())(e.to_string()))?;
                if codes.len() != nodes.len() {
                    let what = format!("{} codes for {} nodes", codes.len(), nodes.len());
                    return Err(damaged(path)(what));
                }
                Some(codes)
            }
        };
        let index = DenseIndex::new(graph, codes, nodes, ef_default, blocks)
            .map_err(|what| damaged(path.clone())(format!("{MANIFEST}: {what}")))?;
        built.push(Some(index));
    }
    let mut sparse_built = Vec::with_capacity(m.sparse.len());
    for (i, present) in m.sparse.into_iter().enumerate() {
        if !present {
            sparse_built.push(None);
            continue;
        }
        let path = dir.join(format!("sparse-{i}.idx"));
        let index =
            SparseIndex::open_mapped(&path).map_err(|e| damaged(path.clone())(e.to_string()))?;
        if index.end() > m.covered {
            let what = format!(
                "offsets up to {}, the build covered {}",
                index.end(),
                m.covered
            );
            return Err(damaged(path)(what));
        }
        sparse_built.push(Some(index));
    }
    let mut stale = BitSet::new(m.covered);
    stale.insert_all(&m.stale);
    Ok(Some((
        Indexed::new(m.built_at, m.covered, stale, built, sparse_built),
        m.valid_at,
    )))
}
