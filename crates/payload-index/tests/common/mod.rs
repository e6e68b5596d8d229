//! What the integration tests share: the payloads of a test segment as the index reads them.

use std::borrow::Cow;

use serde_json::Value;
use sextant_core::{PointId, PointOffset};
use sextant_payload_index::check::{PointContext, check_filter};
use sextant_payload_index::{Filter, Points};

/// One payload per offset (`None`: no point there). Point ids are the offsets; even offsets
/// have the vector `has_vector` asks about.
pub struct Store(pub Vec<Option<Value>>);

impl Store {
    /// The points passing `f`, by evaluating it on every payload (the reference).
    #[allow(dead_code)] // used by some test files, not all
    pub fn passing(&self, f: &Filter) -> Vec<PointOffset> {
        (0..self.0.len() as PointOffset)
            .filter(|&o| {
                self.0[o as usize]
                    .as_ref()
                    .is_some_and(|p| check_filter(f, p, o, self))
            })
            .collect()
    }
}

impl Points for Store {
    fn payload(&self, o: PointOffset) -> Option<Cow<'_, Value>> {
        self.0.get(o as usize)?.as_ref().map(Cow::Borrowed)
    }
    fn offsets_of(&self, ids: &[PointId]) -> Vec<PointOffset> {
        ids.iter()
            .filter_map(|id| match id {
                PointId::Num(n) if (*n as usize) < self.0.len() => Some(*n as PointOffset),
                _ => None,
            })
            .collect()
    }
    fn has_vector(&self, o: PointOffset, _: &str) -> bool {
        o.is_multiple_of(2)
    }
}

impl PointContext for Store {
    fn has_id(&self, o: PointOffset, ids: &[PointId]) -> bool {
        ids.contains(&PointId::Num(u64::from(o)))
    }
    fn has_vector(&self, o: PointOffset, name: &str) -> bool {
        Points::has_vector(self, o, name)
    }
}
