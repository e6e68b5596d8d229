//! `State`: the points as the log's operations left them, in RAM: id → offset, each offset's
//! vectors (prepared for their metric: cosine vectors normalized), payload and version, and
//! the payload index that filters them.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};
use sextant_core::{BitSet, DenseVectors, PointId, PointOffset, SparseVector};
use sextant_payload_index::{PayloadIndex, Points};

use crate::config::{OptimizerConfig, ShardConfig};
use crate::error::{Error, Result};
use crate::indexed::{Block, BuildInput, DenseInput, Indexed};
use crate::ops::{Point, UpdateMode, UpdateOp, Vector};
use sextant_payload_index::facet::{FacetHit, FacetValue};
use sextant_payload_index::filter::MatchValue;

/// One point slot.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub id: PointId,
    /// The log index of the last operation that changed the point.
    pub version: u64,
    pub payload: Value,
}

/// One named vector's values, `size` floats per offset, and which offsets have one.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub name: String,
    pub size: usize,
    pub distance: sextant_core::Distance,
    pub values: Vec<f32>,
    pub present: BitSet,
}

impl Column {
    /// The values at `o`, whether it holds a vector or not (zeros if it never did, the
    /// last values if it was removed). `o` must be below the column's length.
    pub fn raw(&self, o: PointOffset) -> &[f32] {
        &self.values[o as usize * self.size..(o as usize + 1) * self.size]
    }

    /// The vector of `o`, if it has one.
    pub fn get(&self, o: PointOffset) -> Option<&[f32]> {
        self.present
            .contains(o)
            .then(|| &self.values[o as usize * self.size..(o as usize + 1) * self.size])
    }
}

/// The column's values by offset (every slot; one without a vector reads as zeros or its last
/// values): what the exact scans score with the SIMD kernels.
impl sextant_core::DenseVectorSource for Column {
    type Element = f32;
    fn dim(&self) -> usize {
        self.size
    }
    fn len(&self) -> usize {
        self.values.len() / self.size
    }
    fn vector(&self, o: PointOffset) -> &[f32] {
        self.raw(o)
    }
    fn prepared_for(&self) -> Option<sextant_core::Distance> {
        Some(self.distance)
    }
}

/// One named sparse vector of every offset that has one, and its document frequencies.
#[derive(Debug, Clone)]
pub(crate) struct SparseColumn {
    pub name: String,
    pub idf: bool,
    pub vectors: Vec<Option<SparseVector>>,
    /// Term → points holding it (for the IDF modifier).
    pub df: HashMap<u32, usize>,
}

impl SparseColumn {
    /// The vector of `o`, if it has one.
    pub fn get(&self, o: PointOffset) -> Option<&SparseVector> {
        self.vectors.get(o as usize)?.as_ref()
    }

    fn set(&mut self, o: PointOffset, v: Option<SparseVector>) {
        let at = o as usize;
        if at >= self.vectors.len() {
            self.vectors.resize(at + 1, None);
        }
        if let Some(old) = self.vectors[at].take() {
            for t in old.indices() {
                let n = self.df.get_mut(t).expect("a held term is counted");
                *n -= 1;
                if *n == 0 {
                    self.df.remove(t);
                }
            }
        }
        if let Some(v) = &v {
            for &t in v.indices() {
                *self.df.entry(t).or_default() += 1;
            }
        }
        self.vectors[at] = v;
    }
}

/// The live points.
#[derive(Debug)]
pub(crate) struct State {
    /// In id order (integers before UUIDs): scroll reads it in order.
    pub ids: BTreeMap<PointId, PointOffset>,
    pub slots: Vec<Option<Slot>>,
    pub columns: Vec<Column>,
    pub sparse: Vec<SparseColumn>,
    pub payloads: PayloadIndex,
    /// Offsets of deleted points, reused by the next inserts (last first).
    pub free: Vec<PointOffset>,
    /// The indexes `optimize` built, and which of their points changed since.
    pub indexed: Indexed,
    /// When searches use those indexes.
    pub optimizer: OptimizerConfig,
}

impl State {
    /// No points, the columns of `config`.
    pub fn new(config: &ShardConfig) -> Self {
        let columns = config
            .vectors
            .iter()
            .map(|(name, p)| Column {
                name: name.clone(),
                size: p.size,
                distance: p.distance,
                values: Vec::new(),
                present: BitSet::new(0),
            })
            .collect();
        let sparse = config
            .sparse_vectors
            .iter()
            .map(|(name, p)| SparseColumn {
                name: name.clone(),
                idf: p.modifier == Some(crate::config::Modifier::Idf),
                vectors: Vec::new(),
                df: HashMap::new(),
            })
            .collect();
        Self {
            ids: BTreeMap::new(),
            slots: Vec::new(),
            columns,
            sparse,
            payloads: PayloadIndex::new(),
            free: Vec::new(),
            indexed: Indexed::default(),
            optimizer: config.optimizer,
        }
    }

    /// Fills a fresh state (of this config) with the points of a points file, at their
    /// offsets, then builds the field indexes.
    pub fn restore(
        &mut self,
        slots: usize,
        free: Vec<PointOffset>,
        points: Vec<crate::checkpoint::SavedPoint>,
        fields: Vec<(String, sextant_payload_index::FieldType)>,
    ) -> std::result::Result<(), String> {
        self.slots = vec![None; slots];
        for c in &mut self.columns {
            c.values = vec![0.0; slots * c.size];
            c.present = BitSet::new(slots);
        }
        for p in points {
            let (o, at) = (p.offset, p.offset as usize);
            if self.slots[at].is_some() {
                return Err(format!("offset {o} holds two points"));
            }
            if self.ids.insert(p.id, o).is_some() {
                return Err(format!("point {} appears twice", p.id));
            }
            for (c, v) in self.columns.iter_mut().zip(p.dense) {
                if let Some(v) = v {
                    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                        return Err(format!(
                            "point {}: vector {:?} value {i} is not finite",
                            p.id, c.name
                        ));
                    }
                    c.values[at * c.size..(at + 1) * c.size].copy_from_slice(&v);
                    c.present.insert(o);
                }
            }
            for (c, v) in self.sparse.iter_mut().zip(p.sparse) {
                c.set(o, v);
            }
            self.payloads
                .set(o, &p.payload)
                .map_err(|e| e.to_string())?;
            self.slots[at] = Some(Slot {
                id: p.id,
                version: p.version,
                payload: p.payload,
            });
        }
        for &o in &free {
            if self.slots.get(o as usize).is_none_or(|s| s.is_some()) {
                return Err(format!("free offset {o} is out of range or in use"));
            }
        }
        self.free = free;
        for (key, schema) in fields {
            self.apply(0, UpdateOp::CreateFieldIndex { key, schema })
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// What `optimize` reads, as of the log version `version`: every dense vector held by at
    /// least `config`'s indexing threshold of points (in offset order), every sparse one.
    pub fn build_input(&self, config: &ShardConfig, version: u64) -> BuildInput {
        let dense = self
            .columns
            .iter()
            .map(|c| {
                let params = &config.vectors[&c.name];
                let nodes: Vec<PointOffset> = c.present.iter().collect();
                if nodes.len() < config.optimizer.indexing_threshold.max(1) {
                    return None;
                }
                let mut flat = Vec::with_capacity(nodes.len() * c.size);
                nodes.iter().for_each(|&o| flat.extend_from_slice(c.raw(o)));
                let vectors = DenseVectors::from_flat(c.size, flat).expect("whole vectors");
                let blocks = self.blocks(&nodes, config.optimizer.full_scan_threshold);
                Some(DenseInput {
                    vectors,
                    nodes,
                    distance: c.distance,
                    hnsw: params.hnsw.unwrap_or_default(),
                    codec: params.quantization,
                    blocks,
                })
            })
            .collect();
        let sparse = self
            .sparse
            .iter()
            .map(|c| {
                let held = c.vectors.iter().enumerate();
                held.filter_map(|(o, v)| Some((o as PointOffset, v.clone()?)))
                    .collect()
            })
            .collect();
        BuildInput {
            covered: self.slots.len(),
            version,
            dense,
            sparse,
        }
    }

    /// The blocks of payload-aware links a graph over `nodes` gets (as Qdrant builds them):
    /// per value of an indexed keyword, integer, bool or UUID key held by at least
    /// `min_points` points (a smaller filter is scanned, never walked) and at most a quarter
    /// of the nodes, the nodes holding it.
    fn blocks(&self, nodes: &[PointOffset], min_points: usize) -> Vec<(Block, Vec<PointOffset>)> {
        let mut out = Vec::new();
        let keys: Vec<String> = self.payloads.schema().map(|(k, _)| k.to_string()).collect();
        // A value held by more than a quarter of the nodes gets no block: the plain filtered
        // walk finds enough passing neighbours there (minilm-pypi-120k, 53% passing: 0.95
        // recall at 2.3x Qdrant Edge's QPS without blocks), and its block would cost a graph
        // build of its own (blocks of every value over 10,000 points doubled the optimize).
        let max_points = nodes.len() / 4;
        for key in keys {
            // Keys whose index has no facet (text, range-only, geo) give no blocks.
            let Ok(hits) = self.payloads.facet(&key, None, usize::MAX, self) else {
                continue;
            };
            let sized = |h: &FacetHit| h.count >= min_points.max(1) && h.count <= max_points;
            for hit in hits.into_iter().filter(sized) {
                let value = match hit.value {
                    FacetValue::Bool(b) => MatchValue::Bool(b),
                    FacetValue::Integer(i) => MatchValue::Integer(i),
                    FacetValue::Keyword(s) => MatchValue::Keyword(s),
                };
                let block = Block {
                    key: key.clone(),
                    value,
                };
                let passing = self.payloads.filter(&block.filter(), self);
                let members = nodes
                    .iter()
                    .enumerate()
                    .filter(|&(_, &o)| passing.contains(o))
                    .map(|(n, _)| n as PointOffset)
                    .collect();
                out.push((block, members));
            }
        }
        out
    }

    /// Swaps in indexes (built from [`Self::build_input`], or loaded) whose stale set is
    /// complete before the log index `valid_at`, marking stale every point changed (or
    /// removed) since.
    pub fn install(&mut self, mut indexed: Indexed, valid_at: u64) {
        for (o, slot) in self.slots.iter().take(indexed.covered).enumerate() {
            if slot.as_ref().is_none_or(|s| s.version >= valid_at) {
                indexed.mark(o as PointOffset);
            }
        }
        self.indexed = indexed;
    }

    /// The column of vector `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Checks what depends on the points: a payload operation's ids must exist.
    pub fn check(&self, op: &UpdateOp) -> Result<()> {
        match op
            .must_exist()
            .into_iter()
            .find(|id| !self.ids.contains_key(id))
        {
            Some(id) => Err(Error::bad(format!("No point with id {id} found"))),
            None => Ok(()),
        }
    }

    /// Applies `op` (checked) as the log's operation `version`.
    pub fn apply(&mut self, version: u64, op: UpdateOp) -> Result<()> {
        let filter = op.filter()?;
        match op {
            UpdateOp::Upsert {
                points,
                update_mode,
                ..
            } => {
                // Point by point, as Local Mode does: a point earlier in the batch is an
                // existing point for a later one with its id.
                for p in points {
                    let existing = self.ids.get(&p.id).copied();
                    let write = match (existing, update_mode) {
                        (Some(_), Some(UpdateMode::InsertOnly)) => false,
                        (None, Some(UpdateMode::UpdateOnly)) => false,
                        (Some(o), _) => filter
                            .as_ref()
                            .is_none_or(|f| self.payloads.plan(f, self).check(o)),
                        (None, _) => true,
                    };
                    if write {
                        self.upsert(version, p)?;
                    }
                }
            }
            UpdateOp::Delete { ids } => {
                for id in ids {
                    self.delete(id);
                }
            }
            UpdateOp::DeleteByFilter { .. } => {
                let passing = filter.map(|f| self.payloads.filter(&f, self));
                let ids: Vec<PointId> = passing
                    .iter()
                    .flat_map(|a| a.iter())
                    .filter_map(|o| self.slots.get(o as usize)?.as_ref().map(|s| s.id))
                    .collect();
                for id in ids {
                    self.delete(id);
                }
            }
            UpdateOp::SetPayload { ids, payload } => {
                self.edit(version, &ids, |p| p.extend(payload.clone()))?
            }
            UpdateOp::OverwritePayload { ids, payload } => {
                self.edit(version, &ids, |p| *p = payload.clone())?
            }
            UpdateOp::DeletePayload { ids, keys } => self.edit(version, &ids, |p| {
                for k in &keys {
                    p.remove(k);
                }
            })?,
            UpdateOp::ClearPayload { ids } => self.edit(version, &ids, Map::clear)?,
            UpdateOp::CreateFieldIndex { key, schema } => {
                // The index reads every live payload from the points: out of `self` meanwhile.
                let mut payloads = std::mem::take(&mut self.payloads);
                let made = payloads.create_field(&key, schema, self);
                self.payloads = payloads;
                made?;
            }
            UpdateOp::DeleteFieldIndex { key } => {
                self.payloads.drop_field(&key);
            }
            UpdateOp::UpdateVectors { points, .. } => {
                for p in points {
                    let o = self.offset_of(&p.id)?;
                    if filter
                        .as_ref()
                        .is_some_and(|f| !self.payloads.plan(f, self).check(o))
                    {
                        continue;
                    }
                    for (name, v) in &p.vectors {
                        self.write_vector(o, name, Some(v), &p.id)?;
                    }
                    self.touch(o, version);
                }
            }
            UpdateOp::DeleteVectors { ids, vectors } => {
                for id in ids {
                    let o = self.offset_of(&id)?;
                    for name in &vectors {
                        self.write_vector(o, name, None, &id)?;
                    }
                    self.touch(o, version);
                }
            }
        }
        Ok(())
    }

    fn upsert(&mut self, version: u64, p: Point) -> Result<()> {
        let o = match self.ids.get(&p.id) {
            Some(&o) => o,
            None => {
                let o = self.free.pop().unwrap_or(self.slots.len() as PointOffset);
                self.ids.insert(p.id, o);
                o
            }
        };
        let at = o as usize;
        if at >= self.slots.len() {
            self.slots.resize(at + 1, None);
        }
        for name in self.vector_names() {
            self.write_vector(o, &name, p.vectors.get(&name), &p.id)?;
        }
        let payload = Value::Object(p.payload);
        self.payloads.set(o, &payload)?;
        self.slots[at] = Some(Slot {
            id: p.id,
            version,
            payload,
        });
        Ok(())
    }

    /// The offset of an existing point (checked before logging; an error, not a panic, if a
    /// replayed log disagrees).
    fn offset_of(&self, id: &PointId) -> Result<PointOffset> {
        self.ids
            .get(id)
            .copied()
            .ok_or_else(|| Error::bad(format!("No point with id {id} found")))
    }

    /// Marks the point at `o` changed by the operation `version`.
    fn touch(&mut self, o: PointOffset, version: u64) {
        if let Some(slot) = self.slots[o as usize].as_mut() {
            slot.version = version;
        }
    }

    /// Every vector name, dense then sparse.
    fn vector_names(&self) -> Vec<String> {
        let dense = self.columns.iter().map(|c| c.name.clone());
        dense
            .chain(self.sparse.iter().map(|c| c.name.clone()))
            .collect()
    }

    /// Sets (or with `None`, or a vector of the other kind, removes) the vector `name` of the
    /// point at `o` (a slot that exists or is being filled).
    fn write_vector(
        &mut self,
        o: PointOffset,
        name: &str,
        v: Option<&Vector>,
        id: &PointId,
    ) -> Result<()> {
        let at = o as usize;
        self.indexed.mark(o);
        if let Some(c) = self.columns.iter_mut().find(|c| c.name == name) {
            c.present.grow(at + 1);
            if c.values.len() < (at + 1) * c.size {
                c.values.resize((at + 1) * c.size, 0.0);
            }
            match v {
                Some(Vector::Dense(v)) => {
                    let dst = &mut c.values[at * c.size..(at + 1) * c.size];
                    dst.copy_from_slice(v);
                    c.distance
                        .prepare(dst, c.size)
                        .map_err(|e| Error::bad(format!("point {id}: {e}")))?;
                    c.present.insert(o);
                }
                _ => {
                    c.present.remove(o);
                }
            }
        } else if let Some(c) = self.sparse.iter_mut().find(|c| c.name == name) {
            let v = match v {
                Some(Vector::Sparse { indices, values }) => Some(
                    SparseVector::from_unsorted(indices.clone(), values.clone())
                        .map_err(|e| Error::bad(format!("point {id}: {e}")))?,
                ),
                _ => None,
            };
            c.set(o, v);
        }
        Ok(())
    }

    fn delete(&mut self, id: PointId) {
        let Some(o) = self.ids.remove(&id) else {
            return;
        };
        self.slots[o as usize] = None;
        self.indexed.mark(o);
        self.payloads.delete(o);
        for c in &mut self.columns {
            c.present.remove(o);
        }
        for c in &mut self.sparse {
            c.set(o, None);
        }
        self.free.push(o);
    }

    fn edit(
        &mut self,
        version: u64,
        ids: &[PointId],
        change: impl Fn(&mut Map<String, Value>),
    ) -> Result<()> {
        for id in ids {
            let o = self.offset_of(id)?;
            let slot = self.slots[o as usize]
                .as_mut()
                .expect("a mapped id has a slot");
            if let Value::Object(m) = &mut slot.payload {
                change(m);
            }
            slot.version = version;
            self.payloads.set(o, &slot.payload)?;
        }
        Ok(())
    }
}

impl Points for State {
    fn payload(&self, offset: PointOffset) -> Option<Cow<'_, Value>> {
        self.slots
            .get(offset as usize)?
            .as_ref()
            .map(|s| Cow::Borrowed(&s.payload))
    }

    fn offsets_of(&self, ids: &[PointId]) -> Vec<PointOffset> {
        ids.iter()
            .filter_map(|id| self.ids.get(id).copied())
            .collect()
    }

    fn has_vector(&self, offset: PointOffset, name: &str) -> bool {
        self.column(name)
            .is_some_and(|c| c.present.contains(offset))
    }
}
