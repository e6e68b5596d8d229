//! Applying the log's operations to the [`State`]: upserts (update modes and filters),
//! deletes, payload edits (merged, overwritten, set at a nested key, keys deleted, cleared;
//! by ids or by filter), vector updates and deletes, field indexes.

use serde_json::{Map, Value};
use sextant_core::{PointId, PointOffset, SparseVector};

use sextant_payload_index::Filter;
use sextant_payload_index::path::JsonPath;

use crate::error::{Error, Result};
use crate::ops::{Point, UpdateMode, UpdateOp, Vector};
use crate::state::{Payload, Slot, State};

impl State {
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
                for o in self.selected(&[], filter.as_ref())? {
                    let id = self.id_at(o);
                    self.delete(id);
                }
            }
            UpdateOp::SetPayload {
                ids, payload, key, ..
            } => {
                let at = key.map(|k| k.parse::<JsonPath>()).transpose();
                let at = at.map_err(|e| Error::bad(format!("set_payload key: {e}")))?;
                let points = self.selected(&ids, filter.as_ref())?;
                self.edit(version, &points, |p| match &at {
                    Some(path) => path.set(p, &payload),
                    None => p.extend(payload.clone()),
                })?
            }
            UpdateOp::OverwritePayload { ids, payload, .. } => {
                let points = self.selected(&ids, filter.as_ref())?;
                self.edit(version, &points, |p| *p = payload.clone())?
            }
            UpdateOp::DeletePayload { ids, keys, .. } => {
                let points = self.selected(&ids, filter.as_ref())?;
                self.edit(version, &points, |p| {
                    for k in &keys {
                        p.remove(k);
                    }
                })?
            }
            UpdateOp::ClearPayload { ids, .. } => {
                let points = self.selected(&ids, filter.as_ref())?;
                self.edit(version, &points, Map::clear)?
            }
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
            UpdateOp::DeleteVectors { ids, vectors, .. } => {
                for o in self.selected(&ids, filter.as_ref())? {
                    let id = self.id_at(o);
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
            payload: Payload::Stored(payload),
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

    /// Every vector name, dense, sparse, then multivectors.
    fn vector_names(&self) -> Vec<String> {
        let dense = self.columns.iter().map(|c| c.name.clone());
        dense
            .chain(self.sparse.iter().map(|c| c.name.clone()))
            .chain(self.multi.iter().map(|c| c.name.clone()))
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
        self.indexed.mark(o);
        if let Some(c) = self.columns.iter_mut().find(|c| c.name == name) {
            match v {
                Some(Vector::Dense(v)) => {
                    let mut prepared = v.clone();
                    c.prepare(&mut prepared)
                        .map_err(|e| Error::bad(format!("point {id}: {e}")))?;
                    c.set(o, &prepared);
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
        } else if let Some(c) = self.multi.iter_mut().find(|c| c.name == name) {
            let v = match v {
                Some(Vector::Multi(rows)) => Some(c.prepare(rows)),
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
        for c in &mut self.multi {
            c.set(o, None);
        }
        self.free.push(o);
    }

    /// The points an operation selects: by ids (each must exist), or passing `filter`.
    fn selected(&self, ids: &[PointId], filter: Option<&Filter>) -> Result<Vec<PointOffset>> {
        match filter {
            Some(f) => Ok(self.payloads.filter(f, self).iter().collect()),
            None => ids.iter().map(|id| self.offset_of(id)).collect(),
        }
    }

    /// The id of the live point at `o`.
    fn id_at(&self, o: PointOffset) -> PointId {
        self.slots[o as usize].as_ref().expect("a live offset").id
    }

    /// Changes the payload of each point in `points` (live offsets) by `change`.
    fn edit(
        &mut self,
        version: u64,
        points: &[PointOffset],
        change: impl Fn(&mut Map<String, Value>),
    ) -> Result<()> {
        for &o in points {
            let mut payload = self.payload(o).into_owned();
            if let Value::Object(m) = &mut payload {
                change(m);
            }
            self.payloads.set(o, &payload)?;
            let slot = self.slots[o as usize]
                .as_mut()
                .expect("a mapped id has a slot");
            slot.version = version;
            slot.payload = Payload::Stored(payload);
        }
        Ok(())
    }
}
