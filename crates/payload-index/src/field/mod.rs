//! One field index: the values of one payload key, by type, plus what every key has whatever
//! its type (present, null, empty, value counts, values of other types).

mod forward;
mod key;
mod key_codec;
mod stored;
pub(crate) mod text;
mod typed;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sextant_core::{BitSet, Cardinality, PointOffset};

use crate::check;
use crate::filter::FieldCheck;
use crate::path::JsonPath;
use crate::postings::Postings;
use key::{Float, GeoKey, IndexKey, Micros, Uuid};
use typed::{Passing, Typed};

/// The type of a field index, with Qdrant's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Strings: `match` value / any / except, `text` as a substring test.
    Keyword,
    /// JSON integers: `match` and `range`.
    Integer,
    /// Numbers: `range`.
    Float,
    /// Bools: `match`.
    Bool,
    /// Datetime strings: `range` with datetime bounds.
    Datetime,
    /// UUID strings (lower-case, hyphenated), kept as 128 bits.
    Uuid,
    /// `{"lat", "lon"}` points: `geo_radius`, `geo_bounding_box`, `geo_polygon`.
    Geo,
    /// Full text (tokens): `text`, `text_any`, `phrase` with Qdrant's tokenized semantics.
    Text,
}

/// What a key has on each point, whatever the index's type.
#[derive(Debug, Clone, Default)]
struct Presence {
    /// The key reaches at least one value.
    present: Counted,
    /// The key reaches a value the typed index holds (not kept for full text).
    own: Counted,
    /// The key reaches a value the typed index does not hold (other than null).
    others: Counted,
    /// The key reaches a null among its (flattened) values: it passes `except`, nothing else.
    null_values: Counted,
    /// `is_null` holds.
    null: Counted,
    /// `is_empty` does not hold.
    non_empty: Counted,
    /// (smallest, largest) value count of each point; `MISSING` when the key is missing.
    counts: Vec<(u32, u32)>,
    /// Points whose `counts` are not `MISSING`.
    exists: usize,
    /// Points with more than one flattened value (none: counts are sums of postings).
    multi: Counted,
}

const MISSING: (u32, u32) = (u32::MAX, 0);

/// The typed part of an index.
#[derive(Debug, Clone)]
enum Values {
    Keyword(Typed<String>),
    Integer(Typed<i64>),
    Float(Typed<Float>),
    Bool(Typed<bool>),
    Datetime(Typed<Micros>),
    Uuid(Typed<Uuid>),
    Geo(Typed<GeoKey>),
    Text(text::TextIndex),
}

/// Runs `$body` on the typed index whatever its key type, or `$text` on a full-text index.
macro_rules! each {
    ($values:expr, $t:ident => $body:expr, text $x:ident => $text:expr) => {
        match $values {
            Values::Keyword($t) => $body,
            Values::Integer($t) => $body,
            Values::Float($t) => $body,
            Values::Bool($t) => $body,
            Values::Datetime($t) => $body,
            Values::Uuid($t) => $body,
            Values::Geo($t) => $body,
            Values::Text($x) => $text,
        }
    };
}

/// The points passing a field check as an index sees them: `sure` pass; those in `verify`
/// may pass and need their payload looked at.
#[derive(Debug)]
pub(crate) struct Answer {
    pub sure: BitSet,
    pub verify: Option<BitSet>,
}

/// The index of one payload key.
#[derive(Debug, Clone)]
pub struct FieldIndex {
    key: JsonPath,
    kind: FieldType,
    values: Values,
    presence: Presence,
    /// Points removed from a saved (mapped) index whose lists still hold them: a delete in an
    /// immutable segment costs a bit, not a copy of the lists. Cleared when the index changes
    /// otherwise (its lists are then copied into RAM and the points really removed).
    stale: Counted,
}

/// Adds the own values of `o`; returns whether it has other (non-null) values.
fn add_typed<K: IndexKey>(t: &mut Typed<K>, o: PointOffset, values: &[&Value]) -> bool {
    let mut keys = Vec::with_capacity(values.len());
    let mut others = false;
    for v in values {
        match K::extract(v) {
            Some(k) => keys.push(k),
            None => others |= !v.is_null(),
        }
    }
    t.add(o, keys);
    others
}

/// A bit set that knows how many bits it holds (estimates read counts per query).
#[derive(Debug, Clone, Default)]
struct Counted {
    bits: BitSet,
    count: usize,
}

impl Counted {
    fn set(&mut self, o: PointOffset, on: bool) {
        if on {
            self.count += usize::from(self.bits.insert(o));
        } else {
            self.remove(o);
        }
    }

    fn remove(&mut self, o: PointOffset) -> bool {
        let was = self.bits.remove(o);
        self.count -= usize::from(was);
        was
    }

    fn count(&self) -> usize {
        self.count
    }
}

impl std::ops::Deref for Counted {
    type Target = BitSet;
    fn deref(&self) -> &BitSet {
        &self.bits
    }
}

impl FieldIndex {
    /// An empty index of `key` holding values of `kind`.
    pub fn new(key: JsonPath, kind: FieldType) -> Self {
        let values = match kind {
            FieldType::Keyword => Values::Keyword(Typed::default()),
            FieldType::Integer => Values::Integer(Typed::default()),
            FieldType::Float => Values::Float(Typed::default()),
            FieldType::Bool => Values::Bool(Typed::default()),
            FieldType::Datetime => Values::Datetime(Typed::default()),
            FieldType::Uuid => Values::Uuid(Typed::default()),
            FieldType::Geo => Values::Geo(Typed::default()),
            FieldType::Text => Values::Text(text::TextIndex::new(text::TextParams::default())),
        };
        Self {
            key,
            kind,
            values,
            presence: Presence::default(),
            stale: Counted::default(),
        }
    }

    /// An empty full-text index of `key` with `params`.
    pub fn new_text(key: JsonPath, params: text::TextParams) -> Self {
        Self {
            key,
            kind: FieldType::Text,
            values: Values::Text(text::TextIndex::new(params)),
            presence: Presence::default(),
            stale: Counted::default(),
        }
    }

    /// The key indexed.
    pub fn key(&self) -> &JsonPath {
        &self.key
    }

    /// The index's type.
    pub fn kind(&self) -> FieldType {
        self.kind
    }

    /// Number of point slots the index has seen (the highest offset + 1).
    pub(crate) fn points(&self) -> usize {
        let values = each!(&self.values, t => t.points(), text t => t.points());
        values.max(self.presence.counts.len())
    }

    /// Number of distinct values held.
    pub fn distinct_values(&self) -> usize {
        each!(&self.values, t => t.map.len(), text t => t.map.len())
    }

    /// Indexes the payload of `o` (forgetting what it had).
    pub fn set(&mut self, o: PointOffset, payload: &Value) {
        self.unfreeze();
        self.remove(o);
        let flat = self.key.values(payload);
        let (others, has_own) = each!(&mut self.values, t => {
            let others = add_typed(t, o, &flat);
            (others, t.keys_of(o).next().is_some())
        }, text t => (t.add(o, &flat), false));
        let p = &mut self.presence;
        p.own.set(o, has_own);
        p.present.set(o, !flat.is_empty());
        p.others.set(o, others);
        p.null_values.set(o, flat.iter().any(|v| v.is_null()));
        p.null.set(o, check::is_null(&self.key, payload));
        p.non_empty.set(o, !check::is_empty(&self.key, payload));
        let counts = match self.key.values_unflattened(payload) {
            None => MISSING,
            Some(v) => {
                let (lo, hi) = check::value_counts(&v);
                (lo as u32, hi as u32)
            }
        };
        let i = o as usize;
        if p.counts.len() <= i {
            p.counts.resize(i + 1, MISSING);
        }
        p.counts[i] = counts;
        p.exists += usize::from(counts != MISSING);
        p.multi.set(o, flat.len() > 1);
    }

    /// True when the lists are read in place from a saved index file.
    fn is_mapped(&self) -> bool {
        each!(&self.values, t => t.forward.is_mapped(), text t => t.forward.is_mapped())
    }

    /// Copies mapped lists into RAM and removes the stale points from them for good.
    fn unfreeze(&mut self) {
        if !self.is_mapped() {
            return;
        }
        each!(&mut self.values, t => { t.forward.owned(); }, text t => { t.forward.owned(); });
        let stale: Vec<PointOffset> = self.stale.iter().collect();
        for o in stale {
            each!(&mut self.values, t => t.remove(o), text t => t.remove(o));
        }
        self.stale = Counted::default();
    }

    /// Forgets `o`.
    pub fn remove(&mut self, o: PointOffset) {
        if self.is_mapped() {
            self.stale.set(o, true);
        } else {
            each!(&mut self.values, t => t.remove(o), text t => t.remove(o));
        }
        let p = &mut self.presence;
        let sets = [
            &mut p.present,
            &mut p.own,
            &mut p.others,
            &mut p.null_values,
            &mut p.null,
            &mut p.non_empty,
            &mut p.multi,
        ];
        for set in sets {
            set.remove(o);
        }
        if let Some(c) = p.counts.get_mut(o as usize) {
            p.exists -= usize::from(*c != MISSING);
            *c = MISSING;
        }
    }

    /// The points passing `check` among `live`.
    pub(crate) fn answer(&self, check: &FieldCheck, live: &BitSet) -> Answer {
        let p = &self.presence;
        let mut sure = BitSet::new(live.len());
        match check {
            FieldCheck::IsEmpty(want) | FieldCheck::IsNull(want) => {
                let set = if matches!(check, FieldCheck::IsNull(_)) {
                    &p.null
                } else {
                    &p.non_empty
                };
                // is_empty holds where non_empty does not; is_null where null does.
                let holds_where_set = matches!(check, FieldCheck::IsNull(_));
                if holds_where_set == *want {
                    sure.or_with(set);
                    sure.and_with(live);
                } else {
                    sure.or_with(live);
                    sure.and_not_with(set);
                }
                return Answer { sure, verify: None };
            }
            FieldCheck::ValuesCount(r) => {
                for (i, &(lo, hi)) in p.counts.iter().enumerate() {
                    let passes = (lo, hi) != MISSING
                        && r.lt.is_none_or(|b| (lo as usize) < b)
                        && r.lte.is_none_or(|b| (lo as usize) <= b)
                        && r.gt.is_none_or(|b| (hi as usize) > b)
                        && r.gte.is_none_or(|b| (hi as usize) >= b);
                    if passes {
                        sure.insert(i as PointOffset);
                    }
                }
                sure.and_with(live);
                return Answer { sure, verify: None };
            }
            _ => {}
        }
        // One key per point: an `except` is the points with a key less the excepted keys' and
        // a wide range comes from the prefix sets.
        let single = p.multi.count() == 0;
        let (passing, others_never) = each!(&self.values, t => (
            (single && t.except_into(check, &p.own, &mut sure)) || match t.passing(check) {
                Passing::Postings(list) => {
                    if !(single && t.range_into(check, &mut sure)) {
                        union_into(t, &list, p, &mut sure);
                    }
                    true
                }
                Passing::Unknown => false,
            },
            others_never_pass(t, check),
        ), text t => match t.passing(check) {
            Some(points) => {
                sure.insert_all(&points);
                (true, true)
            }
            None => (false, false),
        });
        if !passing {
            // The keys cannot tell: every point with a value is looked at.
            let mut verify = p.present.bits.clone();
            verify.and_with(live);
            return Answer {
                sure: BitSet::new(live.len()),
                verify: Some(verify),
            };
        }
        if matches!(check, FieldCheck::Match(crate::filter::Match::Except(_))) {
            sure.or_with(&p.null_values);
        }
        sure.and_with(live);
        let verify = (!others_never && !p.others.is_clear()).then(|| {
            let mut v = p.others.bits.clone();
            v.and_not_with(&sure);
            v.and_with(live);
            v
        });
        Answer { sure, verify }
    }

    /// True when `check` is a condition this index's type is built for (Qdrant's rule for
    /// "index required" policies: a range needs an integer, float or datetime index, a text
    /// match a full-text index...).
    pub fn serves(&self, check: &FieldCheck) -> bool {
        use crate::filter::{AnyVariants as A, Match as M, MatchValue as V};
        use FieldType as T;
        let keywords = |m: &M| {
            matches!(
                m,
                M::Value(V::Keyword(_)) | M::Any(A::Keywords(_)) | M::Except(A::Keywords(_))
            )
        };
        let integers = |m: &M| {
            matches!(
                m,
                M::Value(V::Integer(_)) | M::Any(A::Integers(_)) | M::Except(A::Integers(_))
            )
        };
        let text = |m: &M| matches!(m, M::Text(_) | M::TextAny(_) | M::Phrase(_));
        match (self.kind, check) {
            (_, FieldCheck::IsEmpty(_) | FieldCheck::IsNull(_) | FieldCheck::ValuesCount(_)) => {
                true
            }
            (T::Keyword | T::Uuid, FieldCheck::Match(m)) => keywords(m),
            (T::Integer, FieldCheck::Match(m)) => integers(m),
            (T::Bool, FieldCheck::Match(m)) => matches!(m, M::Value(V::Bool(_))),
            (T::Text, FieldCheck::Match(m)) => text(m),
            (T::Integer | T::Float, FieldCheck::Range(_)) => true,
            (T::Datetime, FieldCheck::DatetimeRange(_)) => true,
            (T::Geo, c) => matches!(
                c,
                FieldCheck::GeoBoundingBox(_)
                    | FieldCheck::GeoRadius(_)
                    | FieldCheck::GeoPolygon(_)
            ),
            _ => false,
        }
    }

    /// Does point `o` pass `check`? `None` when its payload must be looked at.
    pub(crate) fn point(&self, o: PointOffset, check: &FieldCheck) -> Option<bool> {
        let p = &self.presence;
        if self.stale.count() > 0 && self.stale.contains(o) {
            return Some(false);
        }
        match check {
            FieldCheck::IsEmpty(want) => return Some(p.non_empty.contains(o) != *want),
            FieldCheck::IsNull(want) => return Some(p.null.contains(o) == *want),
            FieldCheck::ValuesCount(_) => return None,
            _ => {}
        }
        let own =
            each!(&self.values, t => t.point_passes(o, check), text t => t.point_passes(o, check))?;
        let null_passes = matches!(check, FieldCheck::Match(crate::filter::Match::Except(_)))
            && p.null_values.contains(o);
        if own || null_passes {
            return Some(true);
        }
        let others_never =
            each!(&self.values, t => others_never_pass(t, check), text t => t.decides(check));
        if p.others.contains(o) && !others_never {
            None
        } else {
            Some(false)
        }
    }

    /// The exact number of live points passing `check`, when the index knows it without
    /// building the set (single-valued fields: the sum of the passing postings).
    pub(crate) fn count(&self, check: &FieldCheck, live: usize) -> Option<usize> {
        let c = self.estimate(check, live);
        (c.min == c.max).then_some(c.min)
    }

    /// Bounds on the number of points passing `check` among `live` points.
    pub(crate) fn estimate(&self, check: &FieldCheck, live: usize) -> Cardinality {
        let c = self.estimate_lists(check, live);
        match self.stale.count() {
            0 => c,
            // The lists may still hold this many removed points.
            stale => {
                let min = c.min.saturating_sub(stale);
                Cardinality::new(min, c.exp.max(min), c.max).unwrap_or(c)
            }
        }
    }

    /// [`Self::estimate`] from the lists as they are.
    fn estimate_lists(&self, check: &FieldCheck, live: usize) -> Cardinality {
        let p = &self.presence;
        let exact = |n: usize| Cardinality::exact(n.min(live));
        match check {
            FieldCheck::IsNull(true) => return exact(p.null.count()),
            FieldCheck::IsNull(false) => return exact(live.saturating_sub(p.null.count())),
            FieldCheck::IsEmpty(false) => return exact(p.non_empty.count()),
            FieldCheck::IsEmpty(true) => return exact(live.saturating_sub(p.non_empty.count())),
            FieldCheck::ValuesCount(_) => {
                let exists = p.exists.min(live);
                return Cardinality::new(0, exists / 2, exists).expect("ordered");
            }
            _ => {}
        }
        // Single-valued and no other type can pass: a range is counted from prefix sums.
        let disjoint = p.multi.count() == 0;
        let ranged = each!(&self.values, t => (disjoint
            && (others_never_pass(t, check) || p.others.count() == 0))
            .then(|| t.range_count(check))
            .flatten(), text _t => None);
        if let Some(n) = ranged {
            return exact(n);
        }
        let (lens, others_never) = each!(&self.values, t => (
            match t.passing(check) {
                Passing::Postings(list) => Some(list.iter().map(|p| p.len()).collect::<Vec<_>>()),
                Passing::Unknown => None,
            },
            others_never_pass(t, check),
        ), text t => match t.passing(check) {
            Some(points) => return exact(points.len()),
            None => (None, false),
        });
        let Some(lens) = lens else {
            let present = p.present.count().min(live);
            return Cardinality::new(0, present / 2, present).expect("ordered");
        };
        let nulls = if matches!(check, FieldCheck::Match(crate::filter::Match::Except(_))) {
            p.null_values.count()
        } else {
            0
        };
        let sum: usize = lens.iter().sum::<usize>() + nulls;
        let others = if others_never { 0 } else { p.others.count() };
        if others == 0 && p.multi.count() == 0 {
            // One value per point: the postings are disjoint.
            return exact(sum);
        }
        let min = lens.iter().copied().max().unwrap_or(0).max(nulls);
        let max = (sum + others).min(live);
        let exp = (sum + others / 2).clamp(min, max);
        Cardinality::new(min.min(max), exp, max).expect("ordered")
    }
}

impl FieldIndex {
    /// Each distinct value as a facet value, with its postings (facetable types only).
    pub(crate) fn value_postings(&self) -> Option<Vec<(crate::facet::FacetValue, &Postings)>> {
        use crate::facet::FacetValue as F;
        Some(match &self.values {
            Values::Keyword(t) => t
                .map
                .iter()
                .map(|(k, p)| (F::Keyword(k.clone()), p))
                .collect(),
            Values::Integer(t) => t.map.iter().map(|(k, p)| (F::Integer(*k), p)).collect(),
            Values::Bool(t) => t.map.iter().map(|(k, p)| (F::Bool(*k), p)).collect(),
            Values::Uuid(t) => t
                .map
                .iter()
                .map(|(k, p)| (F::Keyword(sextant_core::PointId::Uuid(k.0).to_string()), p))
                .collect(),
            _ => return None,
        })
    }

    /// Every `(value, offset)` pair in value order, offsets ascending within a value
    /// (orderable types only).
    pub(crate) fn ordered_pairs(&self) -> Option<Vec<(crate::facet::OrderValue, PointOffset)>> {
        use crate::facet::OrderValue as V;
        fn pairs<K: IndexKey>(t: &Typed<K>, f: impl Fn(&K) -> V) -> Vec<(V, PointOffset)> {
            t.map
                .iter()
                .flat_map(|(k, p)| {
                    let v = f(k);
                    p.as_slice().iter().map(move |&o| (v, o))
                })
                .collect()
        }
        Some(match &self.values {
            Values::Integer(t) => pairs(t, |k| V::Int(*k)),
            Values::Float(t) => pairs(t, |k| V::Float(k.0)),
            Values::Datetime(t) => pairs(t, |k| V::Int(k.0)),
            _ => return None,
        })
    }

    /// Approximate heap bytes of the index (keys, postings, per-point lists, presence).
    pub fn bytes(&self) -> usize {
        fn typed<K: IndexKey>(t: &Typed<K>, key_bytes: impl Fn(&K) -> usize) -> usize {
            t.map
                .iter()
                .map(|(k, p)| key_bytes(k) + p.heap_bytes() + 48)
                .sum::<usize>()
                + t.pairs * size_of::<K>()
                + t.points() * 24
                + t.bucket_bytes()
        }
        let values = match &self.values {
            Values::Keyword(t) => typed(t, |k| k.len() + 24),
            Values::Integer(t) => typed(t, |_| 8),
            Values::Float(t) => typed(t, |_| 8),
            Values::Bool(t) => typed(t, |_| 1),
            Values::Datetime(t) => typed(t, |_| 8),
            Values::Uuid(t) => typed(t, |_| 16),
            Values::Geo(t) => typed(t, |_| 20),
            Values::Text(t) => {
                t.map
                    .iter()
                    .map(|(k, p)| k.len() + 24 + p.heap_bytes() + 48)
                    .sum::<usize>()
                    + t.pairs * 24
                    + t.points() * 24
            }
        };
        let p = &self.presence;
        values + 4 * p.present.as_words().len() * 8 + p.counts.len() * 8
    }

    /// Number of (point, distinct value) pairs held.
    pub fn indexed_values(&self) -> usize {
        each!(&self.values, t => t.pairs, text t => t.pairs)
    }
}

/// Sets in `sure` the points of the passing postings `list` (in key order). One value per
/// point over few distinct values: the points with a value minus the failing values, when
/// that costs less (a dense value costs its words, a sparse one its points; clearing bits one
/// by one costs about twice setting them).
fn union_into<K: IndexKey>(t: &Typed<K>, list: &[&Postings], p: &Presence, sure: &mut BitSet) {
    let words = p.own.as_words().len();
    let direct: usize = list.iter().map(|q| q.cost(words)).sum();
    let failing = (p.multi.count() == 0 && direct > words && t.map.len() * 16 <= p.own.count())
        .then(|| {
            // `list` follows key order: walk both, keeping what it skips.
            let mut next = list.iter().peekable();
            let failing: Vec<&Postings> = t
                .map
                .values()
                .filter(|q| {
                    let passes = next.peek().is_some_and(|n| std::ptr::eq(**n, *q));
                    if passes {
                        next.next();
                    }
                    !passes
                })
                .collect();
            let clear: usize = failing
                .iter()
                .map(|q| if q.is_dense() { words } else { 2 * q.len() })
                .sum();
            (words + clear < direct).then_some(failing)
        })
        .flatten();
    match failing {
        Some(failing) => {
            sure.or_with(&p.own);
            for q in failing {
                q.and_not_from(sure);
            }
        }
        None => list.iter().for_each(|q| q.or_into(sure)),
    }
}

fn others_never_pass<K: IndexKey>(_: &Typed<K>, check: &FieldCheck) -> bool {
    K::others_never_pass(check)
}
