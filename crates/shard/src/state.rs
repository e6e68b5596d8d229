//! `State`: the points as the log's operations left them, in RAM: id → offset, each offset's
//! vectors (prepared for their metric: cosine vectors normalized), payload and version, and
//! the payload index that filters them.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};
use sextant_core::{BitSet, DenseVectors, PointId, PointOffset};
use sextant_payload_index::{PayloadIndex, Points};

use crate::base::Base;
use crate::columns::{Column, SparseColumn};
use crate::config::{OptimizerConfig, ShardConfig};
use crate::grow;
use crate::indexed::{Block, BuildInput, DenseInput, Indexed};
use crate::multi::MultiColumn;
use crate::ops::UpdateOp;
use crate::reader::Shape;
use sextant_payload_index::facet::{FacetHit, FacetValue};
use sextant_payload_index::filter::MatchValue;

/// One point slot.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub id: PointId,
    /// The log index of the last operation that changed the point.
    pub version: u64,
    pub payload: Payload,
}

/// Where a point's payload is.
#[derive(Debug, Clone)]
pub(crate) enum Payload {
    /// In RAM (written since the base).
    Stored(Value),
    /// In the base file, as written there (parsed when read).
    InBase,
}

/// The live points.
#[derive(Debug)]
pub(crate) struct State {
    /// In id order (integers before UUIDs): scroll reads it in order.
    pub ids: BTreeMap<PointId, PointOffset>,
    pub slots: Vec<Option<Slot>>,
    pub columns: Vec<Column>,
    pub sparse: Vec<SparseColumn>,
    pub multi: Vec<MultiColumn>,
    pub payloads: PayloadIndex,
    /// Offsets of deleted points, reused by the next inserts (last first).
    pub free: Vec<PointOffset>,
    /// The indexes `optimize` built, and which of their points changed since.
    pub indexed: Indexed,
    /// When searches use those indexes.
    pub optimizer: OptimizerConfig,
    /// The base file the columns and payloads read from.
    pub base: Option<Arc<Base>>,
}

impl State {
    /// No points, the columns of `config`.
    pub fn new(config: &ShardConfig) -> Self {
        let columns = config
            .vectors
            .iter()
            .map(|(name, p)| Column::new(name.clone(), p.size, p.distance, p.datatype))
            .collect();
        let sparse = config
            .sparse_vectors
            .iter()
            .map(|(name, p)| {
                let idf = p.modifier == Some(crate::config::Modifier::Idf);
                SparseColumn::new(name.clone(), idf)
            })
            .collect();
        Self {
            ids: BTreeMap::new(),
            slots: Vec::new(),
            columns,
            sparse,
            multi: (config.multivectors.iter())
                .map(|(name, p)| MultiColumn::new(name.clone(), p))
                .collect(),
            payloads: PayloadIndex::new(),
            free: Vec::new(),
            indexed: Indexed::default(),
            optimizer: config.optimizer,
            base: None,
        }
    }

    /// The points of `base` (checked against this config), with their vectors and payloads
    /// read in place, and `payloads` (the payload index saved with it, opened in place).
    pub fn on_base(
        config: &ShardConfig,
        base: Arc<Base>,
        payloads: PayloadIndex,
    ) -> std::result::Result<Self, String> {
        let mut state = Self::new(config);
        state.columns = state
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| Column::on_base(c.name.clone(), c.size, c.distance, c.datatype, &base, i))
            .collect();
        state.multi = (state.multi.iter().enumerate())
            .map(|(i, c)| c.on_base(&base, i))
            .collect();
        state.slots = vec![None; base.slots];
        for c in &mut state.sparse {
            c.vectors.reserve(base.slots);
        }
        for o in 0..base.slots as PointOffset {
            let Some(id) = base.id(o) else {
                state.free.push(o);
                continue;
            };
            if state.ids.insert(id, o).is_some() {
                return Err(format!("point {id} appears twice"));
            }
            for (i, c) in state.sparse.iter_mut().enumerate() {
                c.set(o, base.sparse_vector(i, o)?);
            }

            state.slots[o as usize] = Some(Slot {
                id,
                version: base.version_of(o),
                payload: Payload::InBase,
            });
        }
        // Reused last first, as a shard that never closed would: highest offset last.
        state.free.reverse();
        state.payloads = payloads;
        state.base = Some(base);
        Ok(state)
    }

    /// The vectors this state holds, as files write them.
    pub fn shape(&self) -> Shape {
        Shape {
            dense: (self.columns.iter())
                .map(|c| (c.name.clone(), c.size))
                .collect(),
            sparse: self.sparse.iter().map(|c| c.name.clone()).collect(),
            multi: self
                .multi
                .iter()
                .map(|c| (c.name.clone(), c.size))
                .collect(),
            datatypes: self.columns.iter().map(|c| c.datatype).collect(),
        }
    }

    /// The payload of the live point at `o` (parsed when it is in the base file: its bytes
    /// are covered by the file's checksum and were written by `serde_json`).
    pub fn payload(&self, o: PointOffset) -> Cow<'_, Value> {
        match self.slots[o as usize].as_ref().map(|s| &s.payload) {
            Some(Payload::Stored(v)) => Cow::Borrowed(v),
            Some(Payload::InBase) => {
                let base = self.base.as_ref().expect("an InBase payload has a base");
                Cow::Owned(
                    serde_json::from_slice(base.payload_bytes(o))
                        .unwrap_or_else(|_| Value::Object(Map::new())),
                )
            }
            None => Cow::Owned(Value::Null),
        }
    }

    /// Moves the columns and payloads onto `base` (written at log index `version` from this
    /// state's points then): what has not changed since is read from the file, RAM keeps
    /// the rest.
    pub fn rebase(&mut self, base: Arc<Base>) {
        let version = base.version;
        let changed = |o: PointOffset| {
            self.slots
                .get(o as usize)
                .and_then(|s| s.as_ref())
                .is_none_or(|s| s.version >= version)
        };
        let columns = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| c.rebase(&base, i, changed))
            .collect();
        self.columns = columns;
        self.multi = (self.multi.iter().enumerate())
            .map(|(i, c)| c.rebase(&base, i, changed))
            .collect();
        for (o, slot) in self.slots.iter_mut().enumerate().take(base.slots) {
            if let Some(s) = slot.as_mut().filter(|s| s.version < version) {
                debug_assert!(base.id(o as PointOffset) == Some(s.id));
                s.payload = Payload::InBase;
            }
        }
        self.base = Some(base);
    }

    /// Applies a points file to this state (empty, or loaded from the file's base): `slots`
    /// slots, the `free` offsets (base points deleted since are dropped), the `points` it
    /// holds (every point, or those changed since the base) and the field indexes it names.
    pub fn restore(
        &mut self,
        slots: usize,
        free: Vec<PointOffset>,
        points: Vec<crate::checkpoint::SavedPoint>,
        fields: Vec<(String, sextant_payload_index::FieldType)>,
    ) -> std::result::Result<(), String> {
        if slots < self.slots.len() {
            return Err(format!("{slots} slots, its base has {}", self.slots.len()));
        }
        self.slots.resize(slots, None);
        let mut cleared = BitSet::new(slots);
        for &o in free.iter().chain(points.iter().map(|p| &p.offset)) {
            if o as usize >= slots {
                return Err(format!("offset {o} beyond the {slots} slots"));
            }
            if !cleared.insert(o) {
                return Err(format!("offset {o} is named twice"));
            }
            if let Some(old) = self.slots[o as usize].take() {
                self.ids.remove(&old.id);
                self.payloads.delete(o);
                self.columns.iter_mut().for_each(|c| {
                    c.present.remove(o);
                });
                self.sparse.iter_mut().for_each(|c| c.set(o, None));
                self.multi.iter_mut().for_each(|c| c.set(o, None));
            }
        }
        for p in points {
            let (o, at) = (p.offset, p.offset as usize);
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
                    c.set(o, &v);
                }
            }
            for (c, v) in self.sparse.iter_mut().zip(p.sparse) {
                c.set(o, v);
            }
            for (c, v) in self.multi.iter_mut().zip(p.multi) {
                c.set(o, v.map(Vec::into_boxed_slice));
            }
            self.payloads
                .set(o, &p.payload)
                .map_err(|e| e.to_string())?;
            self.slots[at] = Some(Slot {
                id: p.id,
                version: p.version,
                payload: Payload::Stored(p.payload),
            });
        }
        if let Some(o) = free.iter().find(|&&o| self.slots[o as usize].is_some()) {
            return Err(format!("free offset {o} holds a point"));
        }
        if let Some(o) =
            (0..slots).find(|&o| self.slots[o].is_none() && !free.contains(&(o as PointOffset)))
        {
            return Err(format!("offset {o} holds no point and is not free"));
        }
        self.free = free;
        let have: Vec<(String, sextant_payload_index::FieldType)> = self
            .payloads
            .schema()
            .map(|(k, t)| (k.to_string(), t))
            .collect();
        for (key, _) in have.iter().filter(|h| !fields.contains(h)) {
            self.payloads.drop_field(key);
        }
        for (key, schema) in fields.into_iter().filter(|f| !have.contains(f)) {
            self.apply(0, UpdateOp::CreateFieldIndex { key, schema })
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// What `optimize` reads, as of the log version `version`: every dense vector held by at
    /// least `config`'s indexing threshold of points (in offset order, or in the last
    /// build's node order when its graph is grown: see `grow`), every sparse one.
    pub fn build_input(&self, config: &ShardConfig, version: u64) -> BuildInput {
        // The base rows hold the vectors the last graphs were built on.
        let base_current = self
            .base
            .as_ref()
            .is_some_and(|b| b.version == self.indexed.built_at);
        let min_points = config.optimizer.full_scan_threshold;
        let dense = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let params = &config.vectors[&c.name];
                let held = c.present.count();
                if !params.indexed() || held < config.optimizer.indexing_threshold.max(1) {
                    return None;
                }
                let values = self.block_values(held, min_points);
                let old = self.indexed.dense.get(i).and_then(Option::as_ref);
                let planned =
                    old.and_then(|old| grow::plan(c, old, &self.indexed.stale, base_current));
                let (nodes, live, prior) = match planned {
                    Some(p) => (p.nodes, Some(p.live), Some(p.prior)),
                    None => (c.present.iter().collect(), None, None),
                };
                let mut flat = Vec::with_capacity(nodes.len() * c.size);
                nodes
                    .iter()
                    .for_each(|&o| flat.extend_from_slice(&c.indexed(&c.raw(o))));
                let vectors = DenseVectors::from_flat(c.size, flat).expect("whole vectors");
                let blocks = values
                    .into_iter()
                    .map(|b| {
                        let members = self.block_members(&b, &nodes, live.as_ref());
                        (b, members)
                    })
                    .collect();
                Some(DenseInput {
                    vectors,
                    nodes,
                    distance: c.distance,
                    hnsw: params.hnsw.unwrap_or_default(),
                    codec: params.quantization,
                    blocks,
                    prior,
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

    /// The payload values whose points a graph over `held` points links among themselves (as
    /// Qdrant builds them): each value of an indexed keyword, integer, bool or UUID key held
    /// by at least `min_points` points (a smaller filter is scanned, never walked) and at
    /// most a quarter of the held points.
    fn block_values(&self, held: usize, min_points: usize) -> Vec<Block> {
        let mut out = Vec::new();
        let keys: Vec<String> = self.payloads.schema().map(|(k, _)| k.to_string()).collect();
        // A value held by more than a quarter of the nodes gets no block: the plain filtered
        // walk finds enough passing neighbours there (minilm-pypi-120k, 53% passing: 0.95
        // recall at 2.3x Qdrant Edge's QPS without blocks), and its block would cost a graph
        // build of its own (blocks of every value over 10,000 points doubled the optimize).
        let max_points = held / 4;
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
                out.push(Block {
                    key: key.clone(),
                    value,
                });
            }
        }
        out
    }

    /// The nodes of a graph over `nodes` (node → offset; those `live` leaves out hold no
    /// point) whose points hold `block`'s value.
    fn block_members(
        &self,
        block: &Block,
        nodes: &[PointOffset],
        live: Option<&BitSet>,
    ) -> Vec<PointOffset> {
        let passing = self.payloads.filter(&block.filter(), self);
        (0..nodes.len() as PointOffset)
            .filter(|&n| live.is_none_or(|l| l.contains(n)) && passing.contains(nodes[n as usize]))
            .collect()
    }

    /// Swaps in indexes (built from [`Self::build_input`], or loaded) whose stale set is
    /// complete before the log index `valid_at`, marking stale every point changed (or
    /// removed) since.
    /// Takes a changed config's thresholds and sparse modifiers (its vectors are these).
    pub fn reconfigure(&mut self, config: &ShardConfig) {
        self.optimizer = config.optimizer;
        for c in &mut self.sparse {
            c.idf = config.sparse_vectors[&c.name].modifier == Some(crate::config::Modifier::Idf);
        }
    }

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
}

impl Points for State {
    fn payload(&self, offset: PointOffset) -> Option<Cow<'_, Value>> {
        self.slots
            .get(offset as usize)?
            .as_ref()
            .map(|_| State::payload(self, offset))
    }

    fn offsets_of(&self, ids: &[PointId]) -> Vec<PointOffset> {
        ids.iter()
            .filter_map(|id| self.ids.get(id).copied())
            .collect()
    }

    fn has_vector(&self, offset: PointOffset, name: &str) -> bool {
        match self.column(name) {
            Some(c) => c.present.contains(offset),
            None => self
                .sparse
                .iter()
                .find(|c| c.name == name)
                .is_some_and(|c| c.get(offset).is_some()),
        }
    }
}
