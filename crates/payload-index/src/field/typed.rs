//! `Typed<K>`: the values of one type in a field — key → postings in key order, and each
//! point's own keys (for updates, deletes and per-point checks).

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::OnceLock;

use sextant_core::{BitSet, PointOffset};

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
    /// Prefix sets over the keys, built by the first wide range materialized after a change.
    buckets: OnceLock<Buckets>,
}

/// Prefix bit sets over the keys in order: `sets[j]` holds the points whose key is one of
/// the first `cuts[j]` keys (`cuts[0]` = 0, about 1/[`BUCKETS`] of the postings between two
/// cuts). In a single-valued field a range over many keys is then one word-wise difference of
/// two sets plus the postings of the keys at its ragged ends, instead of every posting.
#[derive(Debug, Clone)]
struct Buckets {
    cuts: Vec<usize>,
    sets: Vec<BitSet>,
}

/// Prefix sets per field: 32 cost 4 bytes per point and leave at most 2/32 of the postings
/// to the ragged ends.
const BUCKETS: usize = 32;

impl<K: IndexKey> Default for Typed<K> {
    fn default() -> Self {
        Self {
            map: BTreeMap::new(),
            forward: Forward::default(),
            pairs: 0,
            prefix: OnceLock::new(),
            buckets: OnceLock::new(),
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
            buckets: OnceLock::new(),
        }
    }

    /// Records `keys` as the own values of `o` (which has none yet).
    pub fn add(&mut self, o: PointOffset, mut keys: Vec<K>) {
        self.prefix = OnceLock::new();
        self.buckets = OnceLock::new();
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
        self.buckets = OnceLock::new();
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
    /// otherwise, or when a key cannot tell).
    pub fn range_count(&self, check: &FieldCheck) -> Option<usize> {
        let (a, b) = self.key_span(check)?;
        let (_, before) = self.key_prefix();
        Some(before[b] - before[a])
    }

    /// The keys in order and the number of postings before each (and the total last).
    fn key_prefix(&self) -> &(Vec<K>, Vec<usize>) {
        self.prefix.get_or_init(|| {
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
        })
    }

    /// The positions `a..b` in key order of the keys passing a range `check` (`None` when it
    /// is not a range or a key cannot tell). The passing keys of a range are contiguous in
    /// key order: the span's ends are trimmed of keys that fail (exclusive float bounds).
    fn key_span(&self, check: &FieldCheck) -> Option<(usize, usize)> {
        let (lo, hi) = K::key_range(check)?;
        if !ordered(&lo, &hi) {
            return Some((0, 0));
        }
        let (keys, _) = self.key_prefix();
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
        if K::EXACT_RANGE {
            return Some((a, b.max(a)));
        }
        while a < b && !keys[a].passes(check)? {
            a += 1;
        }
        while b > a && !keys[b - 1].passes(check)? {
            b -= 1;
        }
        Some((a, b))
    }

    /// Adds to `sure` the points of a range `check` over many keys through the prefix sets
    /// (the caller knows every point holds at most one key); false, leaving `sure` alone,
    /// when `check` is no range, a key cannot tell, or the range's postings cost less than a
    /// pass over the words.
    pub fn range_into(&self, check: &FieldCheck, sure: &mut BitSet) -> bool {
        let Some((a, b)) = self.key_span(check) else {
            return false;
        };
        let (keys, before) = self.key_prefix();
        // A posting costs about a word of the difference, a key (its list visited) about
        // four: a range cheaper than the words is left as it is.
        if before[b] - before[a] + 4 * (b - a) < self.points().div_ceil(64) {
            return false;
        }
        let buckets = self.buckets.get_or_init(|| self.build_buckets(before));
        // The first cut at or after `a`, the last at or before `b` (`cuts[0]` is 0).
        let from = buckets.cuts.partition_point(|&c| c < a);
        let to = buckets.cuts.partition_point(|&c| c <= b).saturating_sub(1);
        if from >= to {
            return false;
        }
        sure.or_with_difference(&buckets.sets[to], &buckets.sets[from]);
        // The ragged ends, each walked in key order.
        for (x, y) in [(a, buckets.cuts[from]), (buckets.cuts[to], b)] {
            if x < y {
                let span = (Bound::Included(&keys[x]), Bound::Included(&keys[y - 1]));
                self.map
                    .range::<K, _>(span)
                    .for_each(|(_, p)| p.or_into(sure));
            }
        }
        true
    }

    /// Adds to `sure` the points of `own` (those holding a key) less those holding a key an
    /// `except` check names (the caller knows every point holds at most one key); false when
    /// `check` is no `except` the keys can answer.
    pub fn except_into(&self, check: &FieldCheck, own: &BitSet, sure: &mut BitSet) -> bool {
        let Some(excepted) = K::keys_excepted(check) else {
            return false;
        };
        sure.or_with(own);
        for k in &excepted {
            if let Some(p) = self.map.get(k) {
                p.and_not_from(sure);
            }
        }
        true
    }

    /// The prefix sets ([`Buckets`]) of the keys as they are (`before`: postings before each
    /// key, in key order).
    fn build_buckets(&self, before: &[usize]) -> Buckets {
        let step = before[before.len() - 1].div_ceil(BUCKETS).max(1);
        let mut running = BitSet::new(self.points());
        let mut buckets = Buckets {
            cuts: vec![0],
            sets: vec![running.clone()],
        };
        let mut next = step;
        for (i, postings) in self.map.values().enumerate() {
            postings.or_into(&mut running);
            if before[i + 1] >= next || i + 1 == self.map.len() {
                buckets.cuts.push(i + 1);
                buckets.sets.push(running.clone());
                next = before[i + 1] + step;
            }
        }
        buckets
    }

    /// Heap bytes of the prefix sets, when built.
    pub fn bucket_bytes(&self) -> usize {
        self.buckets.get().map_or(0, |b| {
            b.sets.iter().map(|s| s.as_words().len() * 8).sum::<usize>() + b.cuts.len() * 8
        })
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
