//! `Typed<K>`: the values of one type in a field — key → postings in key order, and each
//! point's own keys (for updates, deletes and per-point checks).

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::OnceLock;

use sextant_core::PointOffset;

use super::forward::Forward;
use super::key::IndexKey;
use crate::filter::FieldCheck;
use crate::postings::Postings;

/// Key → points, and point → keys.
#[derive(Debug, Clone)]
pub(crate) struct Typed<K: IndexKey> {
    pub map: BTreeMap<K, Postings>,
    pub forward: Forward<K>,
    /// Sum over points of their distinct keys.
    pub pairs: usize,
    /// The keys in order with the number of postings before each (and the total last),
    /// built by the first range count after a change: a range over many sparse values is
    /// counted with two binary searches instead of a walk over its keys.
    prefix: OnceLock<(Vec<K>, Vec<usize>)>,
}

impl<K: IndexKey> Default for Typed<K> {
    fn default() -> Self {
        Self {
            map: BTreeMap::new(),
            forward: Forward::default(),
            pairs: 0,
            prefix: OnceLock::new(),
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
    /// The typed index of these lists (an opened index file).
    pub fn from_parts(map: BTreeMap<K, Postings>, forward: Forward<K>, pairs: usize) -> Self {
        Self {
            map,
            forward,
            pairs,
            prefix: OnceLock::new(),
        }
    }

    /// Records `keys` as the own values of `o` (which has none yet).
    pub fn add(&mut self, o: PointOffset, mut keys: Vec<K>) {
        self.prefix = OnceLock::new();
        keys.sort();
        keys.dedup();
        for k in &keys {
            self.map.entry(k.clone()).or_default().insert(o);
        }
        self.pairs += keys.len();
        self.forward.set(o, keys);
    }

    /// Forgets the own values of `o`.
    pub fn remove(&mut self, o: PointOffset) {
        let Some(keys) = self.forward.take(o) else {
            return;
        };
        self.prefix = OnceLock::new();
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
        self.forward.points()
    }

    /// The own values of `o`, in key order.
    pub fn keys_of(&self, o: PointOffset) -> impl Iterator<Item = &K> + '_ {
        self.forward.keys_of(o)
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

    /// The number of postings of the keys passing a range `check`, when it is one (`None`
    /// otherwise, or when a key cannot tell). The passing keys of a range are contiguous in
    /// key order: the span's ends are trimmed of keys that fail (exclusive float bounds).
    pub fn range_count(&self, check: &FieldCheck) -> Option<usize> {
        let (lo, hi) = K::key_range(check)?;
        if !ordered(&lo, &hi) {
            return Some(0);
        }
        let (keys, before) = self.prefix.get_or_init(|| {
            let mut total = 0;
            let mut before = Vec::with_capacity(self.map.len() + 1);
            let keys = self
                .map
                .iter()
                .map(|(k, p)| {
                    before.push(total);
                    total += p.len();
                    k.clone()
                })
                .collect();
            before.push(total);
            (keys, before)
        });
        let mut a = match &lo {
            Bound::Included(l) => keys.partition_point(|k| k < l),
            Bound::Excluded(l) => keys.partition_point(|k| k <= l),
            Bound::Unbounded => 0,
        };
        let mut b = match &hi {
            Bound::Included(h) => keys.partition_point(|k| k <= h),
            Bound::Excluded(h) => keys.partition_point(|k| k < h),
            Bound::Unbounded => keys.len(),
        };
        while a < b && !keys[a].passes(check)? {
            a += 1;
        }
        while b > a && !keys[b - 1].passes(check)? {
            b -= 1;
        }
        Some(before[b] - before[a])
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
