//! A filter tested on one point's JSON payload: the reference semantics every index-backed
//! path must agree with, and what serves conditions no index can.
//!
//! The semantics are those of `qdrant-client`'s Local Mode, except where Local Mode follows a
//! Python accident rather than Qdrant (each difference is listed in the crate docs): a bool is
//! never equal to an integer (Python's `True == 1`), a bool is not a number for `range`,
//! `text` on a non-string is false (Local Mode raises), `phrase` without a full-text index
//! is a substring test (Local Mode raises), and the field-condition spellings `is_empty: b` /
//! `is_null: b` mean what Qdrant says (Local Mode passes nothing).

use serde_json::Value;
use sextant_core::{PointId, PointOffset};

use crate::filter::{AnyVariants, Condition, FieldCheck, Filter, Match, MatchValue};
use crate::geo::point_of;
use crate::path::JsonPath;

/// What a filter needs to know about a point besides its payload (`has_id`, `has_vector`).
pub trait PointContext {
    /// Is `offset` the point of one of `ids`?
    fn has_id(&self, offset: PointOffset, ids: &[PointId]) -> bool;
    /// Does `offset` have the named vector?
    fn has_vector(&self, offset: PointOffset, name: &str) -> bool;
}

/// No ids, no vectors: what the elements of a `nested` condition see.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoContext;

impl PointContext for NoContext {
    fn has_id(&self, _: PointOffset, _: &[PointId]) -> bool {
        false
    }
    fn has_vector(&self, _: PointOffset, _: &str) -> bool {
        false
    }
}

/// Does the point (`offset`, its `payload`) pass `filter`?
pub fn check_filter(
    filter: &Filter,
    payload: &Value,
    offset: PointOffset,
    ctx: &dyn PointContext,
) -> bool {
    let check = |c: &Condition| check_condition(c, payload, offset, ctx);
    filter.must.as_ref().is_none_or(|m| m.iter().all(check))
        && filter
            .must_not
            .as_ref()
            .is_none_or(|m| !m.iter().any(check))
        && filter.should.as_ref().is_none_or(|s| s.iter().any(check))
        && filter
            .min_should
            .as_ref()
            .is_none_or(|ms| ms.conditions.iter().filter(|c| check(c)).count() >= ms.min_count)
}

/// Does the point pass one condition?
pub fn check_condition(
    c: &Condition,
    payload: &Value,
    offset: PointOffset,
    ctx: &dyn PointContext,
) -> bool {
    match c {
        Condition::Field(fc) => check_field(&fc.key, &fc.check, payload),
        Condition::IsEmpty(key) => is_empty(key, payload),
        Condition::IsNull(key) => is_null(key, payload),
        Condition::HasId(ids) => ctx.has_id(offset, ids),
        Condition::HasVector(name) => ctx.has_vector(offset, name),
        Condition::Nested { key, filter } => key
            .values(payload)
            .into_iter()
            .any(|element| check_filter(filter, element, offset, &NoContext)),
        Condition::Filter(f) => check_filter(f, payload, offset, ctx),
    }
}

/// Does the payload pass a test on `key`?
pub fn check_field(key: &JsonPath, check: &FieldCheck, payload: &Value) -> bool {
    match check {
        FieldCheck::ValuesCount(r) => {
            let Some(values) = key.values_unflattened(payload) else {
                return false;
            };
            let (min, max) = value_counts(&values);
            r.lt.is_none_or(|b| min < b)
                && r.lte.is_none_or(|b| min <= b)
                && r.gt.is_none_or(|b| max > b)
                && r.gte.is_none_or(|b| max >= b)
        }
        FieldCheck::IsEmpty(want) => is_empty(key, payload) == *want,
        FieldCheck::IsNull(want) => is_null(key, payload) == *want,
        other => key
            .values(payload)
            .into_iter()
            .any(|v| check_value(other, v)),
    }
}

/// The smallest and largest value count of a key's values (a null counts 0, an array its
/// length, anything else 1; all nulls count as one 0).
pub fn value_counts(values: &[&Value]) -> (usize, usize) {
    let counts = values.iter().map(|v| match v {
        Value::Null => 0,
        Value::Array(a) => a.len(),
        _ => 1,
    });
    counts.fold((usize::MAX, 0), |(lo, hi), c| (lo.min(c), hi.max(c)))
}

/// Missing, or nothing but nulls and empty arrays.
pub fn is_empty(key: &JsonPath, payload: &Value) -> bool {
    key.values_unflattened(payload).is_none_or(|values| {
        values
            .iter()
            .all(|v| v.is_null() || v.as_array().is_some_and(Vec::is_empty))
    })
}

/// Holds a null (as the key's value, or reached through an array path).
pub fn is_null(key: &JsonPath, payload: &Value) -> bool {
    key.values_unflattened(payload)
        .is_some_and(|values| values.iter().any(|v| v.is_null()))
}

/// Does one value pass a per-value test (`match`, `range`, geo)?
pub fn check_value(check: &FieldCheck, v: &Value) -> bool {
    match check {
        FieldCheck::Match(m) => check_match(m, v),
        FieldCheck::Range(r) => as_number(v).is_some_and(|x| r.contains(x)),
        FieldCheck::DatetimeRange(r) => v
            .as_str()
            .and_then(crate::datetime::parse_value)
            .is_some_and(|t| r.contains(t)),
        FieldCheck::GeoBoundingBox(b) => point_of(v).is_some_and(|p| b.contains(p)),
        FieldCheck::GeoRadius(r) => point_of(v).is_some_and(|p| r.contains(p)),
        FieldCheck::GeoPolygon(p) => point_of(v).is_some_and(|pt| p.contains(pt)),
        FieldCheck::ValuesCount(_) | FieldCheck::IsEmpty(_) | FieldCheck::IsNull(_) => false,
    }
}

/// A JSON number (not a bool) as f64.
pub fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// A JSON number equal to the integer `i` (floats too, when exactly integral).
pub fn equals_integer(v: &Value, i: i64) -> bool {
    let Value::Number(n) = v else {
        return false;
    };
    if let Some(x) = n.as_i64() {
        return x == i;
    }
    if n.is_u64() {
        return false; // above i64::MAX
    }
    n.as_f64()
        .is_some_and(|f| f.fract() == 0.0 && f == i as f64 && f as i64 == i)
}

fn in_any(list: &AnyVariants, v: &Value) -> bool {
    match list {
        AnyVariants::Keywords(ks) => v.as_str().is_some_and(|s| ks.iter().any(|k| k == s)),
        AnyVariants::Integers(is) => is.iter().any(|&i| equals_integer(v, i)),
    }
}

fn check_match(m: &Match, v: &Value) -> bool {
    match m {
        Match::Value(MatchValue::Keyword(k)) => v.as_str() == Some(k.as_str()),
        Match::Value(MatchValue::Integer(i)) => equals_integer(v, *i),
        Match::Value(MatchValue::Bool(b)) => v.as_bool() == Some(*b),
        Match::Any(list) => in_any(list, v),
        Match::Except(list) => !in_any(list, v),
        Match::Text(t) | Match::Phrase(t) => v.as_str().is_some_and(|s| s.contains(t.as_str())),
        Match::TextAny(t) => v
            .as_str()
            .is_some_and(|s| t.split_whitespace().any(|w| s.contains(w))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn passes(filter: &str, payload: Value) -> bool {
        check_filter(&Filter::from_json(filter).unwrap(), &payload, 0, &NoContext)
    }

    #[test]
    fn local_mode_semantics() {
        let p = json!({"city": ["London", "Berlin"], "n": 3, "f": 2.0, "b": true, "d": "2024-05-01",
                       "g": {"lat": 52.52, "lon": 13.40}, "z": null, "e": [], "arr": [[1, 2], 3],
                       "items": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]});
        assert!(passes(
            r#"{"must": {"key": "city", "match": {"value": "Berlin"}}}"#,
            p.clone()
        ));
        assert!(
            passes(
                r#"{"must": {"key": "f", "match": {"value": 2}}}"#,
                p.clone()
            ),
            "2.0 == 2"
        );
        assert!(
            !passes(
                r#"{"must": {"key": "b", "match": {"value": 1}}}"#,
                p.clone()
            ),
            "true != 1"
        );
        assert!(passes(
            r#"{"must": {"key": "city", "match": {"except": ["London"]}}}"#,
            p.clone()
        ));
        assert!(!passes(
            r#"{"must": {"key": "missing", "match": {"except": ["x"]}}}"#,
            p.clone()
        ));
        assert!(
            passes(
                r#"{"must": {"key": "z", "match": {"except": ["x"]}}}"#,
                p.clone()
            ),
            "null is not x"
        );
        assert!(passes(
            r#"{"must": {"key": "n", "range": {"gt": 2.5, "lte": 3}}}"#,
            p.clone()
        ));
        assert!(!passes(
            r#"{"must": {"key": "b", "range": {"gte": 0}}}"#,
            p.clone()
        ));
        assert!(passes(
            r#"{"must": {"key": "d", "range": {"gte": "2024-05-01T00:00:00Z"}}}"#,
            p.clone()
        ));
        assert!(passes(
            r#"{"must": {"key": "g", "geo_radius": {"center": {"lat": 52.5, "lon": 13.4}, "radius": 5000}}}"#,
            p.clone()
        ));
        assert!(passes(
            r#"{"must": [{"is_null": {"key": "z"}}, {"is_empty": {"key": "e"}}, {"is_empty": {"key": "nope"}}]}"#,
            p.clone()
        ));
        assert!(!passes(
            r#"{"must": {"is_empty": {"key": "city"}}}"#,
            p.clone()
        ));
        assert!(passes(
            r#"{"must": {"key": "arr", "values_count": {"gte": 2}}}"#,
            p.clone()
        ));
        assert!(passes(
            r#"{"must": {"key": "city", "values_count": {"gt": 1, "lt": 3}}}"#,
            p.clone()
        ));
        assert!(passes(
            r#"{"must": {"nested": {"key": "items", "filter": {"must": [{"key": "a", "match": {"value": 2}}, {"key": "b", "match": {"value": "y"}}]}}}}"#,
            p.clone()
        ));
        assert!(!passes(
            r#"{"must": {"nested": {"key": "items", "filter": {"must": [{"key": "a", "match": {"value": 1}}, {"key": "b", "match": {"value": "y"}}]}}}}"#,
            p.clone()
        ));
        assert!(passes(
            r#"{"must": {"key": "items[].b", "match": {"text_any": "q y"}}}"#,
            p.clone()
        ));
        assert!(
            !passes(r#"{"should": []}"#, p.clone()),
            "an empty should passes nothing"
        );
        assert!(passes(r#"{"must": [], "must_not": []}"#, p.clone()));
        assert!(passes(
            r#"{"min_should": {"conditions": [{"key": "n", "match": {"value": 3}}, {"key": "n", "match": {"value": 4}}, {"key": "b", "match": {"value": true}}], "min_count": 2}}"#,
            p.clone()
        ));
        assert!(passes(
            r#"{"must_not": {"key": "city", "match": {"any": ["Paris"]}}}"#,
            p.clone()
        ));
        assert!(passes(
            r#"{"must": {"key": "z", "is_null": true}}"#,
            p.clone()
        ));
    }
}
