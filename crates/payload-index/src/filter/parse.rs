//! JSON → [`Filter`]: every field checked, and an error that names the JSON path and what was
//! expected there (`must[1].range.gte: expected a number or a datetime string, found true`).

use serde_json::{Map, Value};
use sextant_core::PointId;

use super::*;

/// A filter that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("filter{}{path}: expected {expected}", if path.is_empty() { "" } else { "." })]
pub struct FilterError {
    /// Where in the JSON (`must[1].range.gte`; empty for the filter itself).
    pub path: String,
    /// What was expected there (and what was found).
    pub expected: String,
}

/// The JSON path being parsed, for errors.
#[derive(Debug, Default)]
pub(super) struct Path(Vec<String>);

impl Path {
    fn with<T>(&mut self, step: impl Into<String>, f: impl FnOnce(&mut Path) -> T) -> T {
        self.0.push(step.into());
        let out = f(self);
        self.0.pop();
        out
    }

    fn error(&self, expected: impl Into<String>) -> FilterError {
        let mut path = String::new();
        for step in &self.0 {
            if !step.starts_with('[') && !path.is_empty() {
                path.push('.');
            }
            path.push_str(step);
        }
        FilterError {
            path,
            expected: expected.into(),
        }
    }
}

type R<T> = Result<T, FilterError>;

fn describe(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(40) {
        Some((cut, _)) => format!("found {}…", &s[..cut]),
        None => format!("found {s}"),
    }
}

fn object<'a>(v: &'a Value, path: &Path, what: &str) -> R<&'a Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| path.error(format!("{what} (an object), {}", describe(v))))
}

/// The fields of `map` that are present and not null; unknown fields are an error.
fn fields<'a>(
    map: &'a Map<String, Value>,
    known: &[&str],
    path: &Path,
) -> R<Vec<(&'a str, &'a Value)>> {
    let mut out = Vec::new();
    for (k, v) in map {
        if !known.contains(&k.as_str()) {
            return Err(path.error(format!(
                "one of the fields {known:?}, found unknown field {k:?}"
            )));
        }
        if !v.is_null() {
            out.push((k.as_str(), v));
        }
    }
    Ok(out)
}

fn get<'a>(found: &[(&str, &'a Value)], name: &str) -> Option<&'a Value> {
    found.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
}

fn required<'a>(found: &[(&str, &'a Value)], name: &str, path: &Path) -> R<&'a Value> {
    get(found, name).ok_or_else(|| path.error(format!("the field {name:?}")))
}

fn string(v: &Value, path: &Path) -> R<String> {
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| path.error(format!("a string, {}", describe(v))))
}

fn number(v: &Value, path: &Path) -> R<f64> {
    v.as_f64()
        .ok_or_else(|| path.error(format!("a number, {}", describe(v))))
}

fn count(v: &Value, path: &Path) -> R<usize> {
    v.as_u64()
        .map(|n| n as usize)
        .ok_or_else(|| path.error(format!("a non-negative integer, {}", describe(v))))
}

fn key(v: &Value, path: &mut Path) -> R<JsonPath> {
    path.with("key", |p| {
        string(v, p)?
            .parse()
            .map_err(|e: crate::path::PathError| p.error(format!("a payload key ({})", e.why)))
    })
}

pub(super) fn filter(v: &Value, path: &mut Path) -> R<Filter> {
    let map = object(v, path, "a filter")?;
    let found = fields(map, &["must", "should", "must_not", "min_should"], path)?;
    let list = |name: &str, path: &mut Path| -> R<Option<Vec<Condition>>> {
        get(&found, name)
            .map(|v| path.with(name, |p| conditions(v, p)))
            .transpose()
    };
    let must = list("must", path)?;
    let should = list("should", path)?;
    let must_not = list("must_not", path)?;
    let min_should = get(&found, "min_should")
        .map(|v| path.with("min_should", |p| min_should(v, p)))
        .transpose()?;
    Ok(Filter {
        must,
        should,
        must_not,
        min_should,
    })
}

/// A list of conditions, or one condition on its own.
fn conditions(v: &Value, path: &mut Path) -> R<Vec<Condition>> {
    match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, c)| path.with(format!("[{i}]"), |p| condition(c, p)))
            .collect(),
        other => Ok(vec![condition(other, path)?]),
    }
}

fn min_should(v: &Value, path: &mut Path) -> R<MinShould> {
    let map = object(v, path, "min_should")?;
    let found = fields(map, &["conditions", "min_count"], path)?;
    let list = required(&found, "conditions", path)?;
    let conditions = path.with("conditions", |p| match list {
        Value::Array(_) => conditions(list, p),
        other => Err(p.error(format!("a list of conditions, {}", describe(other)))),
    })?;
    let min_count = path.with("min_count", |p| count(required(&found, "min_count", p)?, p))?;
    Ok(MinShould {
        conditions,
        min_count,
    })
}

pub(super) fn condition(v: &Value, path: &mut Path) -> R<Condition> {
    let map = object(v, path, "a condition")?;
    let has = |k: &str| map.get(k).is_some_and(|v| !v.is_null());
    if map.contains_key("key") {
        return field_condition(map, path).map(Condition::Field);
    }
    if has("is_empty") || has("is_null") {
        let name = if has("is_empty") {
            "is_empty"
        } else {
            "is_null"
        };
        let found = fields(map, &[name], path)?;
        let inner = path.with(name, |p| {
            let m = object(found[0].1, p, "{\"key\": ...}")?;
            let f = fields(m, &["key"], p)?;
            key(required(&f, "key", p)?, p)
        })?;
        return Ok(if name == "is_empty" {
            Condition::IsEmpty(inner)
        } else {
            Condition::IsNull(inner)
        });
    }
    if has("has_id") {
        let found = fields(map, &["has_id"], path)?;
        return path.with("has_id", |p| {
            let Value::Array(ids) = found[0].1 else {
                return Err(p.error(format!("a list of point ids, {}", describe(found[0].1))));
            };
            ids.iter()
                .enumerate()
                .map(|(i, id)| p.with(format!("[{i}]"), |p| point_id(id, p)))
                .collect::<R<Vec<_>>>()
                .map(Condition::HasId)
        });
    }
    if has("has_vector") {
        let found = fields(map, &["has_vector"], path)?;
        return path
            .with("has_vector", |p| string(found[0].1, p))
            .map(Condition::HasVector);
    }
    if has("nested") {
        let found = fields(map, &["nested"], path)?;
        return path.with("nested", |p| {
            let m = object(found[0].1, p, "{\"key\": ..., \"filter\": ...}")?;
            let f = fields(m, &["key", "filter"], p)?;
            let key = key(required(&f, "key", p)?, p)?;
            let inner = p.with("filter", |p| filter(required(&f, "filter", p)?, p))?;
            Ok(Condition::Nested {
                key,
                filter: Box::new(inner),
            })
        });
    }
    filter(v, path)
        .map(|f| Condition::Filter(Box::new(f)))
        .map_err(|e| {
            if e.expected.starts_with("one of the fields") && e.path == path.error("").path {
                path.error(format!(
                    "a condition (a field condition with \"key\", is_empty, is_null, has_id, has_vector, nested, or a filter), found fields {:?}",
                    map.keys().collect::<Vec<_>>()
                ))
            } else {
                e
            }
        })
}

fn point_id(v: &Value, path: &Path) -> R<PointId> {
    match v {
        Value::Number(n) => n.as_u64().map(PointId::Num).ok_or_else(|| {
            path.error(format!("a non-negative integer or a UUID, {}", describe(v)))
        }),
        Value::String(s) => PointId::parse_uuid(s).map_err(|e| path.error(e.to_string())),
        other => Err(path.error(format!(
            "a point id (integer or UUID string), {}",
            describe(other)
        ))),
    }
}

const FIELD_CHECKS: [&str; 9] = [
    "match",
    "range",
    "geo_bounding_box",
    "geo_radius",
    "geo_polygon",
    "values_count",
    "is_empty",
    "is_null",
    "key",
];

fn field_condition(map: &Map<String, Value>, path: &mut Path) -> R<FieldCondition> {
    let found = fields(map, &FIELD_CHECKS, path)?;
    let key = key(required(&found, "key", path)?, path)?;
    let checks: Vec<&(&str, &Value)> = found.iter().filter(|(k, _)| *k != "key").collect();
    let [(name, v)] = checks.as_slice() else {
        return Err(path.error(format!(
            "exactly one of match, range, geo_bounding_box, geo_radius, geo_polygon, values_count, is_empty, is_null next to \"key\", found {}",
            checks.len()
        )));
    };
    let check = path.with(*name, |p| -> R<FieldCheck> {
        Ok(match *name {
            "match" => FieldCheck::Match(match_(v, p)?),
            "range" => range(v, p)?,
            "geo_bounding_box" => {
                let m = object(v, p, "a bounding box")?;
                let f = fields(m, &["top_left", "bottom_right"], p)?;
                FieldCheck::GeoBoundingBox(GeoBoundingBox {
                    top_left: p.with("top_left", |p| geo_point(required(&f, "top_left", p)?, p))?,
                    bottom_right: p.with("bottom_right", |p| {
                        geo_point(required(&f, "bottom_right", p)?, p)
                    })?,
                })
            }
            "geo_radius" => {
                let m = object(v, p, "a radius")?;
                let f = fields(m, &["center", "radius"], p)?;
                let center = p.with("center", |p| geo_point(required(&f, "center", p)?, p))?;
                let radius = p.with("radius", |p| number(required(&f, "radius", p)?, p))?;
                if !(radius >= 0.0 && radius.is_finite()) {
                    return Err(p.with("radius", |p| p.error("a finite radius >= 0 in meters")));
                }
                FieldCheck::GeoRadius(GeoRadius { center, radius })
            }
            "geo_polygon" => {
                let m = object(v, p, "a polygon")?;
                let f = fields(m, &["exterior", "interiors"], p)?;
                let exterior = p.with("exterior", |p| ring(required(&f, "exterior", p)?, p))?;
                let interiors = match get(&f, "interiors") {
                    None => Vec::new(),
                    Some(Value::Array(rings)) => p.with("interiors", |p| {
                        rings
                            .iter()
                            .enumerate()
                            .map(|(i, r)| p.with(format!("[{i}]"), |p| ring(r, p)))
                            .collect::<R<Vec<_>>>()
                    })?,
                    Some(other) => {
                        return Err(p.with("interiors", |p| {
                            p.error(format!("a list of rings, {}", describe(other)))
                        }));
                    }
                };
                FieldCheck::GeoPolygon(GeoPolygon {
                    exterior,
                    interiors,
                })
            }
            "values_count" => {
                let m = object(v, p, "values_count bounds")?;
                let f = fields(m, &["lt", "gt", "gte", "lte"], p)?;
                let b = |name: &str, p: &mut Path| {
                    get(&f, name)
                        .map(|v| p.with(name, |p| count(v, p)))
                        .transpose()
                };
                FieldCheck::ValuesCount(Range {
                    lt: b("lt", p)?,
                    gt: b("gt", p)?,
                    gte: b("gte", p)?,
                    lte: b("lte", p)?,
                })
            }
            "is_empty" | "is_null" => {
                let flag = v
                    .as_bool()
                    .ok_or_else(|| p.error(format!("true or false, {}", describe(v))))?;
                if *name == "is_empty" {
                    FieldCheck::IsEmpty(flag)
                } else {
                    FieldCheck::IsNull(flag)
                }
            }
            _ => unreachable!("fields() admits only FIELD_CHECKS"),
        })
    })?;
    Ok(FieldCondition { key, check })
}

fn match_(v: &Value, path: &mut Path) -> R<Match> {
    let map = object(v, path, "a match")?;
    let found = fields(
        map,
        &["value", "any", "except", "text", "text_any", "phrase"],
        path,
    )?;
    let [(name, v)] = found.as_slice() else {
        return Err(path.error(format!(
            "exactly one of value, any, except, text, text_any, phrase, found {}",
            found.len()
        )));
    };
    path.with(*name, |p| {
        Ok(match *name {
            "value" => Match::Value(match v {
                Value::String(s) => MatchValue::Keyword(s.clone()),
                Value::Bool(b) => MatchValue::Bool(*b),
                Value::Number(n) if n.as_i64().is_some() => {
                    MatchValue::Integer(n.as_i64().expect("checked"))
                }
                other => {
                    return Err(p.error(format!(
                        "a string, an integer or a bool, {}",
                        describe(other)
                    )));
                }
            }),
            "any" => Match::Any(any_variants(v, p)?),
            "except" => Match::Except(any_variants(v, p)?),
            "text" => Match::Text(string(v, p)?),
            "text_any" => Match::TextAny(string(v, p)?),
            _ => Match::Phrase(string(v, p)?),
        })
    })
}

fn any_variants(v: &Value, path: &Path) -> R<AnyVariants> {
    let bad = || {
        path.error(format!(
            "a list of strings or a list of integers, {}",
            describe(v)
        ))
    };
    let Value::Array(items) = v else {
        return Err(bad());
    };
    if items.iter().all(Value::is_string) {
        return Ok(AnyVariants::Keywords(
            items
                .iter()
                .map(|s| s.as_str().expect("checked").to_string())
                .collect(),
        ));
    }
    items
        .iter()
        .map(Value::as_i64)
        .collect::<Option<Vec<_>>>()
        .map(AnyVariants::Integers)
        .ok_or_else(bad)
}

fn range(v: &Value, path: &mut Path) -> R<FieldCheck> {
    let map = object(v, path, "range bounds")?;
    let found = fields(map, &["lt", "gt", "gte", "lte"], path)?;
    if found.iter().all(|(_, v)| v.is_number()) {
        let b = |name: &str| get(&found, name).and_then(Value::as_f64);
        return Ok(FieldCheck::Range(Range {
            lt: b("lt"),
            gt: b("gt"),
            gte: b("gte"),
            lte: b("lte"),
        }));
    }
    let mut bound = |name: &str| -> R<Option<i64>> {
        get(&found, name)
            .map(|v| {
                path.with(name, |p| {
                    v.as_str().and_then(crate::datetime::parse_bound).ok_or_else(|| {
                        p.error(format!(
                            "a datetime (RFC 3339 or YYYY-MM-DD[ HH:MM[:SS[.f]]][zone]) like the other bounds, {}",
                            describe(v)
                        ))
                    })
                })
            })
            .transpose()
    };
    Ok(FieldCheck::DatetimeRange(Range {
        lt: bound("lt")?,
        gt: bound("gt")?,
        gte: bound("gte")?,
        lte: bound("lte")?,
    }))
}

fn geo_point(v: &Value, path: &mut Path) -> R<GeoPoint> {
    let map = object(v, path, "a geo point {\"lon\", \"lat\"}")?;
    let f = fields(map, &["lon", "lat"], path)?;
    let lat = path.with("lat", |p| number(required(&f, "lat", p)?, p))?;
    let lon = path.with("lon", |p| number(required(&f, "lon", p)?, p))?;
    if !(-90.0..=90.0).contains(&lat) {
        return Err(path.with("lat", |p| {
            p.error(format!("a latitude in -90..=90, found {lat}"))
        }));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(path.with("lon", |p| {
            p.error(format!("a longitude in -180..=180, found {lon}"))
        }));
    }
    Ok(GeoPoint { lat, lon })
}

/// `{"points": [...]}`: a closed ring of at least 4 points.
fn ring(v: &Value, path: &mut Path) -> R<Vec<GeoPoint>> {
    let map = object(v, path, "a ring {\"points\": [...]}")?;
    let f = fields(map, &["points"], path)?;
    path.with("points", |p| {
        let Value::Array(items) = required(&f, "points", p)? else {
            return Err(p.error("a list of geo points"));
        };
        let points = items
            .iter()
            .enumerate()
            .map(|(i, pt)| p.with(format!("[{i}]"), |p| geo_point(pt, p)))
            .collect::<R<Vec<_>>>()?;
        if points.len() < 4 || points.first() != points.last() {
            return Err(p.error(format!(
                "a closed ring: at least 4 points, the first equal to the last (found {})",
                points.len()
            )));
        }
        Ok(points)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qdrant_filters_parse() {
        let f = Filter::from_json(
            r#"{"must": [{"key": "city", "match": {"value": "London"}},
                         {"key": "n", "range": {"gte": 1, "lt": 2.5}}],
                "should": {"key": "d", "range": {"gt": "2024-01-01T00:00:00Z"}},
                "must_not": [{"is_empty": {"key": "tags"}}, {"has_id": [1, "550e8400-e29b-41d4-a716-446655440000"]},
                             {"nested": {"key": "a", "filter": {"must": {"key": "b", "match": {"any": [1, 2]}}}}}],
                "min_should": {"conditions": [{"has_vector": "v"}, {"must": []}], "min_count": 1}}"#,
        )
        .unwrap();
        assert_eq!(f.must.as_ref().unwrap().len(), 2);
        assert!(matches!(
            &f.should.as_ref().unwrap()[0],
            Condition::Field(FieldCondition { check: FieldCheck::DatetimeRange(r), .. }) if r.gt == Some(1_704_067_200_000_000)
        ));
        assert_eq!(f.must_not.as_ref().unwrap().len(), 3);
        assert_eq!(f.min_should.as_ref().unwrap().min_count, 1);
        assert_eq!(Filter::from_value(&f.to_json()).unwrap(), f);
        assert_eq!(Filter::from_json("{}").unwrap(), Filter::default());
    }

    #[test]
    fn errors_name_the_json_path() {
        let err = |json: &str| Filter::from_json(json).unwrap_err().to_string();
        let e = err(
            r#"{"must": [{"key": "a", "match": {"value": "x"}}, {"key": "b", "range": {"gte": true}}]}"#,
        );
        assert!(
            e.starts_with("filter.must[1].range.gte: expected a datetime"),
            "{e}"
        );
        let e = err(r#"{"must": {"key": "a", "match": {"value": 1.5}}}"#);
        assert!(
            e.starts_with(
                "filter.must.match.value: expected a string, an integer or a bool, found 1.5"
            ),
            "{e}"
        );
        let e = err(r#"{"must": [{"key": "a"}]}"#);
        assert!(e.contains("must[0]: expected exactly one of match"), "{e}");
        let e = err(r#"{"shuold": []}"#);
        assert!(e.contains("unknown field \"shuold\""), "{e}");
        let e = err(r#"{"must": [{"key": "a..b", "match": {"value": 1}}]}"#);
        assert!(e.contains("must[0].key: expected a payload key"), "{e}");
        let e = err(
            r#"{"must": [{"key": "g", "geo_radius": {"center": {"lat": 91, "lon": 0}, "radius": 5}}]}"#,
        );
        assert!(e.contains("center.lat: expected a latitude"), "{e}");
        let e = err(r#"{"must": [{"key": "a", "match": {"any": [1, "x"]}}]}"#);
        assert!(
            e.contains("match.any: expected a list of strings or a list of integers"),
            "{e}"
        );
        let e = err(r#"{"must": [{"has_id": [-1]}]}"#);
        assert!(e.contains("has_id[0]"), "{e}");
        let e = err(r#"{"must": [{"foo": 1}]}"#);
        assert!(e.contains("must[0]: expected a condition"), "{e}");
        assert!(err("{").starts_with("filter: expected valid JSON"));
    }
}
