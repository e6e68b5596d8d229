//! What each field index holds: the payload values of its type, as ordered keys, and how a
//! key turns back into the JSON value it came from (so every condition is decided on it
//! exactly as [`crate::check`] decides it on the payload).

use std::cmp::Ordering;
use std::ops::Bound;

use serde_json::Value;

use crate::check::as_number;
use crate::filter::{AnyVariants, FieldCheck, Match, MatchValue};

/// A value type a field index holds.
pub(crate) trait IndexKey: Ord + Clone + std::fmt::Debug {
    /// The key of a payload value, when the value is of this index's type (in the form
    /// this index keeps exactly; anything else is one of the field's "other" values).
    fn extract(v: &Value) -> Option<Self>;
    /// The JSON value the key came from, when the index keeps enough to rebuild it.
    fn to_value(&self) -> Option<Value>;
    /// Every key that passes `check`, when they can be listed without a scan (equality).
    fn keys_passing(_check: &FieldCheck) -> Option<Vec<Self>> {
        None
    }
    /// For an `except` check, the keys it excepts (every other key passes), when the key
    /// type knows them from the check alone.
    fn keys_excepted(_check: &FieldCheck) -> Option<Vec<Self>> {
        None
    }
    /// True when [`Self::key_range`]'s bounds hold only passing keys (no key at an end
    /// needs checking; float bounds do, integer and datetime bounds do not).
    const EXACT_RANGE: bool = false;
    /// The keys passing `check` as one range of keys, when they form one.
    fn key_range(_check: &FieldCheck) -> Option<(Bound<Self>, Bound<Self>)> {
        None
    }
    /// Ranges of keys that hold every key passing `check` (each key found still checked
    /// exactly), when a few ranges do (geo shapes: the rows of cells their box covers).
    fn candidate_ranges(_check: &FieldCheck) -> Option<Vec<(Bound<Self>, Bound<Self>)>> {
        None
    }
    /// True when no value of another type can pass `check` (so "other" values need no look).
    fn others_never_pass(_check: &FieldCheck) -> bool {
        false
    }
    /// Does this key pass `check`? `None` when the key alone cannot tell.
    fn passes(&self, check: &FieldCheck) -> Option<bool> {
        self.to_value()
            .map(|v| crate::check::check_value(check, &v))
    }
}

/// Integer bounds of a float range: the integers `i` with `range.contains(i as f64)`.
fn int_bounds(r: &crate::filter::Range<f64>) -> (Bound<i64>, Bound<i64>) {
    // `f.ceil() as i64` without libm's call (x86-64's baseline has no rounding
    // instruction): `as` truncates toward zero and saturates.
    let ceil = |f: f64| {
        let i = f as i64;
        if (i as f64) < f {
            i.saturating_add(1)
        } else {
            i
        }
    };
    let floor = |f: f64| {
        let i = f as i64;
        if (i as f64) > f {
            i.saturating_sub(1)
        } else {
            i
        }
    };
    let mut lo = Bound::Unbounded;
    let mut hi = Bound::Unbounded;
    let tighter_lo = |lo: Bound<i64>, v: i64| match lo {
        Bound::Included(x) if x >= v => lo,
        _ => Bound::Included(v),
    };
    let tighter_hi = |hi: Bound<i64>, v: i64| match hi {
        Bound::Included(x) if x <= v => hi,
        _ => Bound::Included(v),
    };
    if let Some(g) = r.gte {
        lo = tighter_lo(lo, ceil(g));
    }
    if let Some(g) = r.gt {
        lo = tighter_lo(lo, floor(g).saturating_add(1));
    }
    if let Some(l) = r.lte {
        hi = tighter_hi(hi, floor(l));
    }
    if let Some(l) = r.lt {
        hi = tighter_hi(hi, ceil(l).saturating_sub(1));
    }
    (lo, hi)
}

impl IndexKey for String {
    fn extract(v: &Value) -> Option<Self> {
        v.as_str().map(str::to_string)
    }
    fn to_value(&self) -> Option<Value> {
        Some(Value::String(self.clone()))
    }
    fn keys_passing(check: &FieldCheck) -> Option<Vec<Self>> {
        match check {
            FieldCheck::Match(Match::Value(MatchValue::Keyword(k))) => Some(vec![k.clone()]),
            FieldCheck::Match(Match::Value(_)) => Some(Vec::new()),
            FieldCheck::Match(Match::Any(AnyVariants::Keywords(ks))) => Some(ks.clone()),
            FieldCheck::Match(Match::Any(AnyVariants::Integers(_))) => Some(Vec::new()),
            FieldCheck::Range(_) | FieldCheck::GeoBoundingBox(_) => Some(Vec::new()),
            FieldCheck::GeoRadius(_) | FieldCheck::GeoPolygon(_) => Some(Vec::new()),
            _ => None,
        }
    }
    fn keys_excepted(check: &FieldCheck) -> Option<Vec<Self>> {
        match check {
            FieldCheck::Match(Match::Except(AnyVariants::Keywords(ks))) => Some(ks.clone()),
            FieldCheck::Match(Match::Except(AnyVariants::Integers(_))) => Some(Vec::new()),
            _ => None,
        }
    }
    fn others_never_pass(check: &FieldCheck) -> bool {
        matches!(
            check,
            FieldCheck::Match(
                Match::Value(MatchValue::Keyword(_))
                    | Match::Any(AnyVariants::Keywords(_))
                    | Match::Text(_)
                    | Match::TextAny(_)
                    | Match::Phrase(_)
            ) | FieldCheck::DatetimeRange(_)
        )
    }
    /// The common checks without building a JSON value (a graph search asks per node).
    fn passes(&self, check: &FieldCheck) -> Option<bool> {
        use AnyVariants::{Integers, Keywords};
        Some(match check {
            FieldCheck::Match(Match::Value(MatchValue::Keyword(k))) => self == k,
            FieldCheck::Match(Match::Value(_) | Match::Any(Integers(_))) => false,
            FieldCheck::Match(Match::Any(Keywords(ks))) => ks.iter().any(|k| k == self),
            FieldCheck::Match(Match::Except(Keywords(ks))) => !ks.iter().any(|k| k == self),
            FieldCheck::Match(Match::Except(Integers(_))) => true,
            FieldCheck::Match(Match::Text(t) | Match::Phrase(t)) => self.contains(t.as_str()),
            FieldCheck::Range(_) | FieldCheck::GeoBoundingBox(_) => false,
            FieldCheck::GeoRadius(_) | FieldCheck::GeoPolygon(_) => false,
            other => crate::check::check_value(other, &self.to_value()?),
        })
    }
}

impl IndexKey for i64 {
    /// JSON integers (not `3.0`: a float stays an "other" value of an integer index).
    fn extract(v: &Value) -> Option<Self> {
        v.as_number()?.as_i64()
    }
    fn to_value(&self) -> Option<Value> {
        Some(Value::from(*self))
    }
    fn keys_passing(check: &FieldCheck) -> Option<Vec<Self>> {
        match check {
            FieldCheck::Match(Match::Value(MatchValue::Integer(i))) => Some(vec![*i]),
            FieldCheck::Match(Match::Value(_)) => Some(Vec::new()),
            FieldCheck::Match(Match::Any(AnyVariants::Integers(is))) => Some(is.clone()),
            FieldCheck::Match(Match::Any(AnyVariants::Keywords(_))) => Some(Vec::new()),
            FieldCheck::DatetimeRange(_) | FieldCheck::GeoBoundingBox(_) => Some(Vec::new()),
            FieldCheck::GeoRadius(_) | FieldCheck::GeoPolygon(_) => Some(Vec::new()),
            FieldCheck::Match(Match::Text(_) | Match::TextAny(_) | Match::Phrase(_)) => {
                Some(Vec::new())
            }
            _ => None,
        }
    }
    fn keys_excepted(check: &FieldCheck) -> Option<Vec<Self>> {
        match check {
            FieldCheck::Match(Match::Except(AnyVariants::Integers(is))) => Some(is.clone()),
            FieldCheck::Match(Match::Except(AnyVariants::Keywords(_))) => Some(Vec::new()),
            _ => None,
        }
    }
    const EXACT_RANGE: bool = true;
    fn key_range(check: &FieldCheck) -> Option<(Bound<Self>, Bound<Self>)> {
        match check {
            FieldCheck::Range(r) => Some(int_bounds(r)),
            _ => None,
        }
    }
    /// The common checks without building a JSON value (a graph search asks per node).
    fn passes(&self, check: &FieldCheck) -> Option<bool> {
        use AnyVariants::{Integers, Keywords};
        Some(match check {
            FieldCheck::Match(Match::Value(MatchValue::Integer(i))) => self == i,
            FieldCheck::Match(Match::Value(_) | Match::Any(Keywords(_))) => false,
            FieldCheck::Match(Match::Any(Integers(is))) => is.contains(self),
            FieldCheck::Match(Match::Except(Integers(is))) => !is.contains(self),
            FieldCheck::Match(Match::Except(Keywords(_))) => true,
            FieldCheck::Range(r) => r.contains(*self as f64),
            other => crate::check::check_value(other, &self.to_value()?),
        })
    }
}

impl IndexKey for bool {
    fn extract(v: &Value) -> Option<Self> {
        v.as_bool()
    }
    fn to_value(&self) -> Option<Value> {
        Some(Value::Bool(*self))
    }
    fn keys_passing(check: &FieldCheck) -> Option<Vec<Self>> {
        match check {
            FieldCheck::Match(Match::Value(MatchValue::Bool(b))) => Some(vec![*b]),
            _ => None,
        }
    }
    fn others_never_pass(check: &FieldCheck) -> bool {
        matches!(check, FieldCheck::Match(Match::Value(MatchValue::Bool(_))))
    }
    /// Bool matches without building a JSON value (a graph search asks per node).
    fn passes(&self, check: &FieldCheck) -> Option<bool> {
        match check {
            FieldCheck::Match(Match::Value(MatchValue::Bool(b))) => Some(self == b),
            other => self
                .to_value()
                .map(|v| crate::check::check_value(other, &v)),
        }
    }
}

/// A number for the float index, totally ordered (JSON has no NaN).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Float(pub f64);

impl Eq for Float {}

impl PartialOrd for Float {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Float {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Integers beyond ±2^53 do not survive f64: they stay "other" values of a float index.
const EXACT_F64_INT: u64 = 1 << 53;

impl IndexKey for Float {
    fn extract(v: &Value) -> Option<Self> {
        let n = v.as_number()?;
        if let Some(i) = n.as_i64() {
            return (i.unsigned_abs() <= EXACT_F64_INT).then_some(Float(i as f64));
        }
        if n.is_u64() {
            return None;
        }
        as_number(v).map(|f| Float(if f == 0.0 { 0.0 } else { f }))
    }
    fn to_value(&self) -> Option<Value> {
        serde_json::Number::from_f64(self.0).map(Value::Number)
    }
    fn keys_passing(check: &FieldCheck) -> Option<Vec<Self>> {
        let exact = |i: &i64| i.unsigned_abs() <= EXACT_F64_INT;
        match check {
            FieldCheck::Match(Match::Value(MatchValue::Integer(i))) if exact(i) => {
                Some(vec![Float(*i as f64)])
            }
            FieldCheck::Match(Match::Any(AnyVariants::Integers(is))) if is.iter().all(exact) => {
                Some(is.iter().map(|&i| Float(i as f64)).collect())
            }
            _ => None,
        }
    }
    fn key_range(check: &FieldCheck) -> Option<(Bound<Self>, Bound<Self>)> {
        let FieldCheck::Range(r) = check else {
            return None;
        };
        // The range is applied exactly to each candidate afterwards; here only its span.
        let lo = match (r.gt, r.gte) {
            (Some(a), Some(b)) => Bound::Included(Float(a.max(b))),
            (Some(a), None) | (None, Some(a)) => Bound::Included(Float(a)),
            (None, None) => Bound::Unbounded,
        };
        let hi = match (r.lt, r.lte) {
            (Some(a), Some(b)) => Bound::Included(Float(a.min(b))),
            (Some(a), None) | (None, Some(a)) => Bound::Included(Float(a)),
            (None, None) => Bound::Unbounded,
        };
        Some((lo, hi))
    }
    fn others_never_pass(check: &FieldCheck) -> bool {
        matches!(check, FieldCheck::Range(_))
    }
    /// Ranges without building a JSON value (a graph search asks per node).
    fn passes(&self, check: &FieldCheck) -> Option<bool> {
        match check {
            FieldCheck::Range(r) => Some(r.contains(self.0)),
            other => self
                .to_value()
                .map(|v| crate::check::check_value(other, &v)),
        }
    }
}

/// A datetime string, as microseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Micros(pub i64);

impl IndexKey for Micros {
    fn extract(v: &Value) -> Option<Self> {
        v.as_str()
            .and_then(crate::datetime::parse_value)
            .map(Micros)
    }
    /// The string is gone: only datetime ranges are decided on the key.
    fn to_value(&self) -> Option<Value> {
        None
    }
    fn passes(&self, check: &FieldCheck) -> Option<bool> {
        match check {
            FieldCheck::DatetimeRange(r) => Some(r.contains(self.0)),
            FieldCheck::Range(_) | FieldCheck::GeoBoundingBox(_) => Some(false),
            FieldCheck::GeoRadius(_) | FieldCheck::GeoPolygon(_) => Some(false),
            _ => None,
        }
    }
    const EXACT_RANGE: bool = true;
    fn key_range(check: &FieldCheck) -> Option<(Bound<Self>, Bound<Self>)> {
        let FieldCheck::DatetimeRange(r) = check else {
            return None;
        };
        let lo = match (r.gt, r.gte) {
            (Some(a), Some(b)) if a >= b => Bound::Excluded(Micros(a)),
            (_, Some(b)) => Bound::Included(Micros(b)),
            (Some(a), None) => Bound::Excluded(Micros(a)),
            (None, None) => Bound::Unbounded,
        };
        let hi = match (r.lt, r.lte) {
            (Some(a), Some(b)) if a <= b => Bound::Excluded(Micros(a)),
            (_, Some(b)) => Bound::Included(Micros(b)),
            (Some(a), None) => Bound::Excluded(Micros(a)),
            (None, None) => Bound::Unbounded,
        };
        Some((lo, hi))
    }
    fn others_never_pass(check: &FieldCheck) -> bool {
        matches!(check, FieldCheck::DatetimeRange(_))
    }
}

/// A UUID string in canonical form (lower-case, hyphenated), as its 128 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Uuid(pub u128);

impl IndexKey for Uuid {
    fn extract(v: &Value) -> Option<Self> {
        let s = v.as_str()?;
        match sextant_core::PointId::parse_uuid(s) {
            Ok(id @ sextant_core::PointId::Uuid(u)) if id.to_string() == s => Some(Uuid(u)),
            _ => None,
        }
    }
    fn to_value(&self) -> Option<Value> {
        Some(Value::String(
            sextant_core::PointId::Uuid(self.0).to_string(),
        ))
    }
    fn keys_passing(check: &FieldCheck) -> Option<Vec<Self>> {
        let canonical = |s: &String| Uuid::extract(&Value::String(s.clone()));
        match check {
            FieldCheck::Match(Match::Value(MatchValue::Keyword(k))) => {
                Some(canonical(k).into_iter().collect())
            }
            FieldCheck::Match(Match::Any(AnyVariants::Keywords(ks))) => {
                Some(ks.iter().filter_map(canonical).collect())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_round_trip_or_stay_other() {
        assert_eq!(i64::extract(&json!(3)), Some(3));
        assert_eq!(i64::extract(&json!(3.0)), None);
        assert_eq!(Float::extract(&json!(3)), Some(Float(3.0)));
        assert_eq!(Float::extract(&json!(9_007_199_254_740_993u64)), None);
        assert_eq!(Float::extract(&json!(true)), None);
        assert_eq!(Float::extract(&json!(-0.0)), Some(Float(0.0)));
        let u = "550e8400-e29b-41d4-a716-446655440000";
        assert_eq!(Uuid::extract(&json!(u)).unwrap().to_value(), Some(json!(u)));
        assert_eq!(Uuid::extract(&json!(u.to_uppercase())), None);
        assert!(Micros::extract(&json!("2024-01-01")).is_some());
        assert_eq!(bool::extract(&json!(1)), None);
    }

    #[test]
    fn integer_bounds_hold_exactly_the_integers_in_a_float_range() {
        use crate::filter::Range;
        let edges = [
            -2.5, -2.0, -0.5, -0.0, 0.0, 0.5, 2.0, 2.5, 1e19, -1e19, 9.2e18,
        ];
        for &v in &edges {
            let ranges = [
                Range {
                    gte: Some(v),
                    ..Range::default()
                },
                Range {
                    gt: Some(v),
                    ..Range::default()
                },
                Range {
                    lte: Some(v),
                    ..Range::default()
                },
                Range {
                    lt: Some(v),
                    ..Range::default()
                },
            ];
            for r in ranges {
                let (lo, hi) = int_bounds(&r);
                // Against libm's rounding, the definition the bounds replace.
                let want = |f: f64, up: bool| (if up { f.ceil() } else { f.floor() }) as i64;
                let (want_lo, want_hi) = match (r.gte, r.gt, r.lte, r.lt) {
                    (Some(g), ..) => (Bound::Included(want(g, true)), Bound::Unbounded),
                    (_, Some(g), ..) => (
                        Bound::Included(want(g, false).saturating_add(1)),
                        Bound::Unbounded,
                    ),
                    (_, _, Some(l), _) => (Bound::Unbounded, Bound::Included(want(l, false))),
                    (.., Some(l)) => (
                        Bound::Unbounded,
                        Bound::Included(want(l, true).saturating_sub(1)),
                    ),
                    _ => unreachable!("one bound each"),
                };
                assert_eq!((lo, hi), (want_lo, want_hi), "{r:?}");
                for i in [-3i64, -2, -1, 0, 1, 2, 3] {
                    assert_eq!(
                        std::ops::RangeBounds::contains(&(lo, hi), &i),
                        r.contains(i as f64),
                        "{r:?} {i}"
                    );
                }
            }
        }
    }
}

/// A geo point, ordered by its 1° × 1° cell (latitude row first) so a shape's bounding box is a
/// few key ranges, one per row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct GeoKey {
    pub lat_cell: i16,
    pub lon_cell: i16,
    pub lat: Float,
    pub lon: Float,
}

impl Eq for GeoKey {}

impl PartialOrd for GeoKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for GeoKey {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.lat_cell, self.lon_cell, self.lat, self.lon).cmp(&(
            other.lat_cell,
            other.lon_cell,
            other.lat,
            other.lon,
        ))
    }
}

fn cell(deg: f64) -> i16 {
    deg.floor().clamp(-181.0, 181.0) as i16
}

impl GeoKey {
    fn row_bounds(row: i16, lon_lo: i16, lon_hi: i16) -> (Bound<Self>, Bound<Self>) {
        let low = Float(f64::NEG_INFINITY);
        let high = Float(f64::INFINITY);
        (
            Bound::Included(GeoKey {
                lat_cell: row,
                lon_cell: lon_lo,
                lat: low,
                lon: low,
            }),
            Bound::Included(GeoKey {
                lat_cell: row,
                lon_cell: lon_hi,
                lat: high,
                lon: high,
            }),
        )
    }

    /// Key ranges covering the box lat in [s, n], lon in [w, e] (w > e crosses the antimeridian).
    fn boxed(s: f64, n: f64, w: f64, e: f64) -> Vec<(Bound<Self>, Bound<Self>)> {
        let lon_spans: Vec<(i16, i16)> = if w > e {
            vec![(cell(w), 181), (-181, cell(e))]
        } else {
            vec![(cell(w), cell(e))]
        };
        (cell(s)..=cell(n))
            .flat_map(|row| {
                lon_spans
                    .iter()
                    .map(move |&(a, b)| Self::row_bounds(row, a, b))
            })
            .collect()
    }
}

impl IndexKey for GeoKey {
    fn extract(v: &Value) -> Option<Self> {
        let p = crate::geo::point_of(v)?;
        (p.lat.is_finite() && p.lon.is_finite()).then(|| GeoKey {
            lat_cell: cell(p.lat),
            lon_cell: cell(p.lon),
            lat: Float(p.lat),
            lon: Float(p.lon),
        })
    }
    /// The point as `{"lat", "lon"}`: geo conditions are decided exactly on it; a payload
    /// object with more fields is the same point to every condition but `match` (which no
    /// object passes).
    fn to_value(&self) -> Option<Value> {
        Some(serde_json::json!({"lat": self.lat.0, "lon": self.lon.0}))
    }
    fn keys_passing(check: &FieldCheck) -> Option<Vec<Self>> {
        match check {
            FieldCheck::Match(Match::Except(_)) => None,
            FieldCheck::Match(_) | FieldCheck::Range(_) | FieldCheck::DatetimeRange(_) => {
                Some(Vec::new())
            }
            _ => None,
        }
    }
    fn candidate_ranges(check: &FieldCheck) -> Option<Vec<(Bound<Self>, Bound<Self>)>> {
        // One degree of latitude is at least 110,574 m; margins absorb rounding.
        const M_PER_DEG: f64 = 110_574.0;
        match check {
            FieldCheck::GeoBoundingBox(b) => Some(Self::boxed(
                b.bottom_right.lat,
                b.top_left.lat,
                b.top_left.lon,
                b.bottom_right.lon,
            )),
            FieldCheck::GeoRadius(r) => {
                let dlat = r.radius / M_PER_DEG + 0.01;
                let (s, n) = (r.center.lat - dlat, r.center.lat + dlat);
                let widest = s.abs().max(n.abs());
                if widest >= 89.0 || r.radius >= 5_000_000.0 {
                    return Some(Self::boxed(s.max(-90.0), n.min(90.0), -180.0, 180.0));
                }
                let dlon = dlat / widest.to_radians().cos();
                if dlon >= 180.0 {
                    return Some(Self::boxed(s, n, -180.0, 180.0));
                }
                let (w, e) = (r.center.lon - dlon, r.center.lon + dlon);
                Some(if w < -180.0 {
                    Self::boxed(s, n, w + 360.0, e)
                } else if e > 180.0 {
                    Self::boxed(s, n, w, e - 360.0)
                } else {
                    Self::boxed(s, n, w, e)
                })
            }
            FieldCheck::GeoPolygon(p) => {
                let lats = p.exterior.iter().map(|q| q.lat);
                let lons = p.exterior.iter().map(|q| q.lon);
                let (s, n) = (
                    lats.clone().fold(f64::INFINITY, f64::min),
                    lats.fold(f64::NEG_INFINITY, f64::max),
                );
                let (w, e) = (
                    lons.clone().fold(f64::INFINITY, f64::min),
                    lons.fold(f64::NEG_INFINITY, f64::max),
                );
                Some(Self::boxed(s, n, w, e))
            }
            _ => None,
        }
    }
    fn others_never_pass(check: &FieldCheck) -> bool {
        matches!(
            check,
            FieldCheck::GeoBoundingBox(_) | FieldCheck::GeoRadius(_) | FieldCheck::GeoPolygon(_)
        )
    }
}
