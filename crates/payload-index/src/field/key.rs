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
    /// The keys passing `check` as one range of keys, when they form one.
    fn key_range(_check: &FieldCheck) -> Option<(Bound<Self>, Bound<Self>)> {
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
    let clamp = |f: f64| f.clamp(i64::MIN as f64, i64::MAX as f64) as i64;
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
        lo = tighter_lo(lo, clamp(g.ceil()));
    }
    if let Some(g) = r.gt {
        lo = tighter_lo(lo, clamp(g.floor()).saturating_add(1));
    }
    if let Some(l) = r.lte {
        hi = tighter_hi(hi, clamp(l.floor()));
    }
    if let Some(l) = r.lt {
        hi = tighter_hi(hi, clamp(l.ceil()).saturating_sub(1));
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
    fn key_range(check: &FieldCheck) -> Option<(Bound<Self>, Bound<Self>)> {
        match check {
            FieldCheck::Range(r) => Some(int_bounds(r)),
            _ => None,
        }
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
}
