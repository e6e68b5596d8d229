//! `Typed<K>`: the values of one type in a field — key → postings in key order, and each
//! point's own keys (for updates, deletes and per-point checks).

use std::collections::BTreeMap;
use std::ops::Bound;

use sextant_core::PointOffset;

use super::key::IndexKey;
use crate::filter::FieldCheck;
use crate::postings::Postings;

/// Key → points, and point → keys.
#[derive(Debug, Clone)]
pub(crate) struct Typed<K: IndexKey> {
    pub map: BTreeMap<K, Postings>,
    forward: Vec<Vec<K>>,
    /// Sum over points of their distinct keys.
    pub pairs: usize,
}

impl<K: IndexKey> Default for Typed<K> {
    fn default() -> Self {
        Self {
            map: BTreeMap::new(),
            forward: Vec::new(),
            pairs: 0,
        }
    }
}

/// Which points have a key passing a check, as the index can tell.
pub(crate) enum Passing<'a> {
    /// Exactly the union of these postings.
    Postings(Vec<&'a Postings>),
    /// The index cannot tell from its keys (the caller looks at payloads).
    Unknown,
}

fn ordered<K: Ord>(lo: &Bound<K>, hi: &Bound<K>) -> bool {
    use Bound::*;
    match (lo, hi) {
        (Included(a), Included(b)) => a <= b,
        (Included(a), Excluded(b)) | (Excluded(a), Included(b)) | (Excluded(a), Excluded(b)) => {
            a < b
        }
        _ => true,
    }
}

impl<K: IndexKey> Typed<K> {
    /// Records `keys` as the own values of `o` (which has none yet).
    pub fn add(&mut self, o: PointOffset, mut keys: Vec<K>) {
        keys.sort();
        keys.dedup();
        for k in &keys {
            self.map.entry(k.clone()).or_default().insert(o);
        }
        self.pairs += keys.len();
        let i = o as usize;
        if self.forward.len() <= i {
            self.forward.resize_with(i + 1, Vec::new);
        }
        self.forward[i] = keys;
    }

    /// Forgets the own values of `o`.
    pub fn remove(&mut self, o: PointOffset) {
        let Some(keys) = self.forward.get_mut(o as usize).map(std::mem::take) else {
            return;
        };
        for k in &keys {
            if let Some(p) = self.map.get_mut(k) {
                p.remove(o);
                if p.is_empty() {
                    self.map.remove(k);
                }
            }
        }
        self.pairs -= keys.len();
    }

    /// Number of point slots (the highest offset seen + 1).
    pub fn points(&self) -> usize {
        self.forward.len()
    }

    /// The own values of `o`.
    pub fn keys_of(&self, o: PointOffset) -> &[K] {
        self.forward.get(o as usize).map_or(&[], Vec::as_slice)
    }

    /// The postings of the keys passing `check`.
    pub fn passing(&self, check: &FieldCheck) -> Passing<'_> {
        if let Some(mut keys) = K::keys_passing(check) {
            keys.sort();
            keys.dedup();
            return Passing::Postings(keys.iter().filter_map(|k| self.map.get(k)).collect());
        }
        if let Some((lo, hi)) = K::key_range(check) {
            if !ordered(&lo, &hi) {
                return Passing::Postings(Vec::new());
            }
            let keys = self.map.range((lo, hi));
            let mut out = Vec::new();
            for (k, p) in keys {
                match k.passes(check) {
                    Some(true) => out.push(p),
                    Some(false) => {}
                    None => return Passing::Unknown,
                }
            }
            return Passing::Postings(out);
        }
        if let Some(ranges) = K::candidate_ranges(check) {
            let mut out = Vec::new();
            for (lo, hi) in ranges {
                if !ordered(&lo, &hi) {
                    continue;
                }
                for (k, p) in self.map.range((lo, hi)) {
                    match k.passes(check) {
                        Some(true) => out.push(p),
                        Some(false) => {}
                        None => return Passing::Unknown,
                    }
                }
            }
            return Passing::Postings(out);
        }
        // A scan of the distinct keys (e.g. `except`, `text` on keywords).
        let mut out = Vec::new();
        for (k, p) in &self.map {
            match k.passes(check) {
                Some(true) => out.push(p),
                Some(false) => {}
                None => return Passing::Unknown,
            }
        }
        Passing::Postings(out)
    }

    /// Does an own value of `o` pass `check`? `None` when the keys cannot tell.
    pub fn point_passes(&self, o: PointOffset, check: &FieldCheck) -> Option<bool> {
        let mut any = false;
        for k in self.keys_of(o) {
            any |= k.passes(check)?;
        }
        Some(any)
    }
}
