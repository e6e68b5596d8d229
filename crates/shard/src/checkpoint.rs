//! `points.bin`: the points of a shard as of one log index, written by `flush` so the log's
//! prefix can be dropped and `open` replays only what came after. Once `optimize` has written
//! a base file (`base.rs`), this file completes it: only the points changed since the base
//! (and every free offset, so base points deleted since are dropped); before, every point.
//!
//! A sealed file (all integers little-endian):
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 8 | magic `SXSHPTS1` |
//! | 8 | 4 | format version (3; version 2 has no multivectors, version 1 no `base` field and holds every point) |
//! | 12 | 8 | `covers`: the log index of the first operation not in this file |
//! | 20 | 8 | `base`: the version of the base file (`index-<base>/base.bin`) this file completes, `u64::MAX` for none (version 2 only) |
//! | 28 | 4 | dense vectors D; then D × (name: u32 length + UTF-8 bytes, size: u32) |
//! | | 4 | sparse vectors S; then S × name |
//! | | 4 | multivectors M (version 3); then M × (name, size: u32) |
//! | | 4 | field indexes F; then F × (key, schema: each u32 length + UTF-8; schema is Qdrant's type name) |
//! | | 4 | slots (u32: the points plus the free offsets, and the base's unchanged points) |
//! | | 4 | free offsets R; then R × u32, in the order they are reused (last first) |
//! | | 8 | points N; then N points |
//! | end − 4 | 4 | CRC32C of every byte before it |
//!
//! A point: offset (u32); id kind (u8: 0 integer, 1 UUID) and the id (u64, or u128); version
//! (u64); payload (u32 length + a JSON object's bytes); per dense vector in the order above, a
//! presence byte (0 or 1) then, if present, size × f32 (as stored: cosine vectors normalized);
//! per sparse vector a count n (u32, `u32::MAX`: absent) then n × u32 indices (increasing) and
//! n × f32 values; per multivector (version 3) a count v of vectors (u32, `u32::MAX`: absent)
//! then v × size f32 (as stored: cosine vectors normalized one by one). Offsets and the free list are kept so a reopened shard breaks score ties and
//! places new points exactly as the one that wrote the file.

use std::path::Path;

use serde_json::Value;
use sextant_core::{PointId, PointOffset, SparseVector};
use sextant_mmap_advice::header;

use crate::config::ShardConfig;
use crate::error::{Error, Result};
use crate::reader::{Reader, put_text};
use crate::state::State;

/// The file's magic.
const MAGIC: &[u8; 8] = b"SXSHPTS1";
/// The format version written (3: multivectors).
const VERSION: u32 = 3;
/// The `base` field of a file that holds every point.
const NO_BASE: u64 = u64::MAX;
/// A sparse vector's count when the point has none.
const ABSENT: u32 = u32::MAX;

/// The bytes of `state` as of log index `covers`.
pub(crate) fn write(state: &State, covers: u64) -> Vec<u8> {
    let mut w = header::start_file(MAGIC, VERSION, 1 << 16);
    w.extend_from_slice(&covers.to_le_bytes());
    let base = state.base.as_ref().map(|b| (b.version, b.slots));
    w.extend_from_slice(&base.map_or(NO_BASE, |b| b.0).to_le_bytes());
    // With a base: only the points changed since it (a point unchanged keeps its offset).
    let kept = |o: usize, slot: &crate::state::Slot| {
        base.is_none_or(|(version, slots)| o >= slots || slot.version >= version)
    };
    state.shape().write(&mut w);
    let schema: Vec<(String, String)> = state
        .payloads
        .schema()
        .map(|(k, t)| {
            let name = serde_json::to_value(t).expect("a field type serializes");
            (k.to_string(), name.as_str().unwrap_or_default().to_string())
        })
        .collect();
    w.extend_from_slice(&(schema.len() as u32).to_le_bytes());
    for (k, t) in &schema {
        put_text(&mut w, k);
        put_text(&mut w, t);
    }
    w.extend_from_slice(&(state.slots.len() as u32).to_le_bytes());
    w.extend_from_slice(&(state.free.len() as u32).to_le_bytes());
    for &o in &state.free {
        w.extend_from_slice(&o.to_le_bytes());
    }
    let live = (state.slots.iter().enumerate())
        .filter(|(o, s)| s.as_ref().is_some_and(|s| kept(*o, s)))
        .count();
    w.extend_from_slice(&(live as u64).to_le_bytes());
    for (o, slot) in state.slots.iter().enumerate() {
        let Some(slot) = slot.as_ref().filter(|s| kept(o, s)) else {
            continue;
        };
        let o = o as PointOffset;
        w.extend_from_slice(&o.to_le_bytes());
        match slot.id {
            PointId::Num(n) => {
                w.push(0);
                w.extend_from_slice(&n.to_le_bytes());
            }
            PointId::Uuid(u) => {
                w.push(1);
                w.extend_from_slice(&u.to_le_bytes());
            }
        }
        w.extend_from_slice(&slot.version.to_le_bytes());
        let payload = serde_json::to_vec(&*state.payload(o)).expect("a payload serializes");
        w.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        w.extend_from_slice(&payload);
        for c in &state.columns {
            match c.get(o) {
                Some(v) => {
                    w.push(1);
                    v.iter().for_each(|x| w.extend_from_slice(&x.to_le_bytes()));
                }
                None => w.push(0),
            }
        }
        for c in &state.sparse {
            match c.get(o) {
                Some(v) => {
                    w.extend_from_slice(&(v.indices().len() as u32).to_le_bytes());
                    v.indices()
                        .iter()
                        .for_each(|x| w.extend_from_slice(&x.to_le_bytes()));
                    v.values()
                        .iter()
                        .for_each(|x| w.extend_from_slice(&x.to_le_bytes()));
                }
                None => w.extend_from_slice(&ABSENT.to_le_bytes()),
            }
        }
        for c in &state.multi {
            match c.get(o) {
                Some(v) => {
                    w.extend_from_slice(&((v.len() / c.size) as u32).to_le_bytes());
                    v.iter().for_each(|x| w.extend_from_slice(&x.to_le_bytes()));
                }
                None => w.extend_from_slice(&ABSENT.to_le_bytes()),
            }
        }
    }
    header::seal(&mut w);
    w
}

/// One point as the file holds it.
pub(crate) struct SavedPoint {
    pub offset: PointOffset,
    pub id: PointId,
    pub version: u64,
    pub payload: Value,
    /// Per dense vector, in the config's order (as stored).
    pub dense: Vec<Option<Vec<f32>>>,
    /// Per sparse vector, in the config's order.
    pub sparse: Vec<Option<SparseVector>>,
    /// Per multivector, in the config's order: its vectors flattened (as stored).
    pub multi: Vec<Option<Vec<f32>>>,
}

/// The state in `bytes` (a file written by [`write`] for `config`) and the log index it
/// covers up to.
pub(crate) fn read(
    bytes: &[u8],
    config: &ShardConfig,
) -> std::result::Result<(State, u64), String> {
    let file = parse(bytes, config)?;
    if let Some(base) = file.base {
        return Err(format!("the file completes the base written at {base}"));
    }
    let mut state = State::new(config);
    state.restore(file.slots, file.free, file.points, file.fields)?;
    Ok((state, file.covers))
}

/// A points file, parsed.
pub(crate) struct Parsed {
    /// The log index of the first operation not in the file.
    pub covers: u64,
    /// The version of the base file it completes (`None`: it holds every point).
    pub base: Option<u64>,
    pub slots: usize,
    pub free: Vec<PointOffset>,
    pub points: Vec<SavedPoint>,
    pub fields: Vec<(String, sextant_payload_index::FieldType)>,
}

/// Parses a points file written by [`write`] for `config` (or by version 1, which has no
/// `base` field and holds every point).
pub(crate) fn parse(bytes: &[u8], config: &ShardConfig) -> std::result::Result<Parsed, String> {
    let format = header::check_start(bytes, 24, MAGIC, "shard points file", 1..=VERSION)
        .map_err(|e| e.to_string())?;
    let body = header::check_seal(bytes).map_err(|e| e.to_string())?;
    let mut r = Reader {
        bytes: body,
        at: 12,
    };
    let covers = r.u64("the covered log index")?;
    let base = match format {
        1 => None,
        _ => Some(r.u64("the base's version")?).filter(|&b| b != NO_BASE),
    };
    let state = State::new(config);
    r.shape(&state.shape(), format >= 3)?;
    let mut fields = Vec::new();
    for _ in 0..r.u32("the field index count")? {
        let key = r.text("a field index key")?.to_string();
        let schema = r.text("a field index type")?;
        let schema: sextant_payload_index::FieldType = serde_json::from_value(Value::from(schema))
            .map_err(|_| format!("unknown field index type {schema:?}"))?;
        fields.push((key, schema));
    }
    let slots = r.u32("the slot count")? as usize;
    let free_n = r.u32("the free offset count")? as usize;
    let mut free = Vec::new();
    for _ in 0..free_n {
        free.push(r.u32("a free offset")?);
    }
    let n = r.u64("the point count")?;
    // Every slot holds a point or is free; a point takes at least 18 bytes (offset, id kind,
    // id, version, payload length): counts are checked before anything is sized by them.
    // (A file completing a base holds only the points changed since it.)
    let whole = base.is_none();
    let total = n.checked_add(free_n as u64);
    if total.is_none_or(|t| t > slots as u64 || (whole && t != slots as u64)) {
        return Err(format!(
            "{slots} slots, but {n} points and {free_n} free offsets"
        ));
    }
    if n > ((body.len() - r.at) / 18) as u64 {
        return Err(format!(
            "{n} points do not fit in the {} bytes left",
            body.len() - r.at
        ));
    }
    let mut points = Vec::new();
    for _ in 0..n {
        let at = r.at;
        let o = r.u32("an offset")?;
        if o as usize >= slots {
            return Err(format!("byte {at}: offset {o} beyond the {slots} slots"));
        }
        let id = match r.u8("an id kind")? {
            0 => PointId::Num(r.u64("an id")?),
            1 => PointId::Uuid(u128::from_le_bytes(
                r.take(16, "a UUID")?.try_into().expect("16 bytes"),
            )),
            k => return Err(format!("byte {}: id kind {k}", r.at - 1)),
        };
        let version = r.u64("a version")?;
        let len = r.u32("a payload length")? as usize;
        let payload: Value = serde_json::from_slice(r.take(len, "a payload")?)
            .map_err(|e| format!("point {id}: payload: {e}"))?;
        if !payload.is_object() {
            return Err(format!("point {id}: the payload is not an object"));
        }
        let mut dense = Vec::with_capacity(state.columns.len());
        for c in &state.columns {
            dense.push(match r.u8("a presence byte")? {
                0 => None,
                1 => Some(r.f32s(c.size, "a vector")?),
                b => return Err(format!("byte {}: presence byte {b}", r.at - 1)),
            });
        }
        let mut sparse = Vec::with_capacity(state.sparse.len());
        for _ in &state.sparse {
            let k = r.u32("a sparse count")?;
            sparse.push(if k == ABSENT {
                None
            } else {
                let k = k as usize;
                let idx = r.take(k.checked_mul(4).ok_or("overflow")?, "sparse indices")?;
                let indices = idx
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
                    .collect();
                let values = r.f32s(k, "sparse values")?;
                Some(SparseVector::new(indices, values).map_err(|e| format!("point {id}: {e}"))?)
            });
        }
        let mut multi = Vec::with_capacity(state.multi.len());
        for c in state.multi.iter() {
            // A file from before multivectors holds none.
            let v = match format {
                3.. => r.u32("a multivector count")?,
                _ => ABSENT,
            };
            multi.push(match v {
                ABSENT => None,
                0 => return Err(format!("byte {}: an empty multivector", r.at - 4)),
                v => {
                    let n = (v as usize).checked_mul(c.size).ok_or("overflow")?;
                    let values = r.f32s(n, "multivector values")?;
                    if values.iter().any(|x| !x.is_finite()) {
                        return Err(format!("point {id}: a multivector value is not finite"));
                    }
                    Some(values)
                }
            });
        }
        points.push(SavedPoint {
            offset: o,
            id,
            version,
            payload,
            dense,
            sparse,
            multi,
        });
    }
    if r.at != body.len() {
        return Err(format!("byte {}: bytes after the last point", r.at));
    }
    Ok(Parsed {
        covers,
        base,
        slots,
        free,
        points,
        fields,
    })
}

/// Reads the points file at `path`, if there is one, onto the base it completes (loaded by
/// `base`, given the base's version); returns the state and the log index it covers to.
pub(crate) fn load(
    path: &Path,
    config: &ShardConfig,
    base: impl FnOnce(u64) -> Result<State>,
) -> Result<Option<(State, u64)>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(Error::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let damaged = |what| Error::Damaged {
        path: path.to_path_buf(),
        what,
    };
    let file = parse(&bytes, config).map_err(damaged)?;
    let mut state = match file.base {
        Some(version) => base(version)?,
        None => State::new(config),
    };
    state
        .restore(file.slots, file.free, file.points, file.fields)
        .map_err(damaged)?;
    Ok(Some((state, file.covers)))
}
