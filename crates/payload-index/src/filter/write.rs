//! [`Filter`] → Qdrant's JSON, in the shape `qdrant-client` writes (lists for clauses, only
//! the bounds that are set).

use serde_json::{Map, Value, json};

use super::*;

pub(super) fn filter(f: &Filter) -> Value {
    let mut m = Map::new();
    let clauses = [
        ("must", &f.must),
        ("should", &f.should),
        ("must_not", &f.must_not),
    ];
    for (name, list) in clauses {
        if let Some(list) = list {
            m.insert(
                name.into(),
                Value::Array(list.iter().map(condition).collect()),
            );
        }
    }
    if let Some(ms) = &f.min_should {
        m.insert(
            "min_should".into(),
            json!({"conditions": ms.conditions.iter().map(condition).collect::<Vec<_>>(), "min_count": ms.min_count}),
        );
    }
    Value::Object(m)
}

fn condition(c: &Condition) -> Value {
    match c {
        Condition::Field(fc) => field(fc),
        Condition::IsEmpty(k) => json!({"is_empty": {"key": k.as_str()}}),
        Condition::IsNull(k) => json!({"is_null": {"key": k.as_str()}}),
        Condition::HasId(ids) => json!({"has_id": ids}),
        Condition::HasVector(name) => json!({"has_vector": name}),
        Condition::Nested { key, filter: f } => {
            json!({"nested": {"key": key.as_str(), "filter": filter(f)}})
        }
        Condition::Filter(f) => filter(f),
    }
}

fn range<T: Copy>(r: &Range<T>, to: impl Fn(T) -> Value) -> Value {
    let mut m = Map::new();
    for (name, b) in [("lt", r.lt), ("gt", r.gt), ("gte", r.gte), ("lte", r.lte)] {
        if let Some(b) = b {
            m.insert(name.into(), to(b));
        }
    }
    Value::Object(m)
}

fn point(p: &GeoPoint) -> Value {
    json!({"lon": p.lon, "lat": p.lat})
}

fn ring(points: &[GeoPoint]) -> Value {
    json!({"points": points.iter().map(point).collect::<Vec<_>>()})
}

fn any(a: &AnyVariants) -> Value {
    match a {
        AnyVariants::Keywords(k) => json!(k),
        AnyVariants::Integers(i) => json!(i),
    }
}

fn field(fc: &FieldCondition) -> Value {
    let (name, body) = match &fc.check {
        FieldCheck::Match(m) => (
            "match",
            match m {
                Match::Value(MatchValue::Keyword(s)) => json!({"value": s}),
                Match::Value(MatchValue::Integer(i)) => json!({"value": i}),
                Match::Value(MatchValue::Bool(b)) => json!({"value": b}),
                Match::Any(a) => json!({"any": any(a)}),
                Match::Except(a) => json!({"except": any(a)}),
                Match::Text(t) => json!({"text": t}),
                Match::TextAny(t) => json!({"text_any": t}),
                Match::Phrase(t) => json!({"phrase": t}),
            },
        ),
        FieldCheck::Range(r) => ("range", range(r, |v| json!(v))),
        FieldCheck::DatetimeRange(r) => ("range", range(r, |v| json!(crate::datetime::format(v)))),
        FieldCheck::GeoBoundingBox(b) => (
            "geo_bounding_box",
            json!({"top_left": point(&b.top_left), "bottom_right": point(&b.bottom_right)}),
        ),
        FieldCheck::GeoRadius(r) => (
            "geo_radius",
            json!({"center": point(&r.center), "radius": r.radius}),
        ),
        FieldCheck::GeoPolygon(p) => (
            "geo_polygon",
            json!({"exterior": ring(&p.exterior), "interiors": p.interiors.iter().map(|r| ring(r)).collect::<Vec<_>>()}),
        ),
        FieldCheck::ValuesCount(r) => ("values_count", range(r, |v| json!(v))),
        FieldCheck::IsEmpty(b) => ("is_empty", json!(b)),
        FieldCheck::IsNull(b) => ("is_null", json!(b)),
    };
    json!({"key": fc.key.as_str(), name: body})
}
