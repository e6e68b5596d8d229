//! Qdrant's point bodies translated to and from the shard's types: upserts (list and batch
//! forms), point selectors (ids or a filter), update operations of every kind, records and
//! scored points with Qdrant's JSON shapes.

use std::collections::BTreeMap;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value, json};
use sextant_core::PointId;
use sextant_shard::{Point, PointVectors, Record, UpdateMode, UpdateOp, Vector};

use crate::error::{Error, Result};

fn bad(what: &str, why: impl std::fmt::Display) -> Error {
    Error::bad(format!("Format error in JSON body: {what}: {why}"))
}

fn object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| bad(what, "expected an object"))
}

/// `body[key]` unless missing or null.
pub(crate) fn field<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    body.get(key).filter(|v| !v.is_null())
}

/// A point id: an unsigned integer or a UUID string (`PointId`'s own JSON form).
pub(crate) fn point_id(v: &Value) -> Result<PointId> {
    serde_json::from_value(v.clone()).map_err(|e| bad("id", format!("{v}: {e}")))
}

/// A list of point ids.
pub(crate) fn point_ids(v: &Value, what: &str) -> Result<Vec<PointId>> {
    v.as_array()
        .ok_or_else(|| bad(what, "expected a list of point ids"))?
        .iter()
        .map(point_id)
        .collect()
}

/// One vector: dense values (a `null` in them is a NaN sent as JSON: refused), or sparse.
fn vector(v: &Value, name: &str) -> Result<Vector> {
    Ok(Vector::from_json(v, &format!("vector {name:?}"))?)
}

/// Qdrant's `VectorStruct`: one list (the unnamed vector `""`), or name → vector.
pub(crate) fn vectors(v: Option<&Value>) -> Result<BTreeMap<String, Vector>> {
    match v {
        None => Ok(BTreeMap::new()),
        Some(Value::Array(_)) => Ok(BTreeMap::from([(String::new(), vector(v.unwrap(), "")?)])),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(name, v)| Ok((name.clone(), vector(v, name)?)))
            .collect(),
        Some(v) => Err(bad(
            "vector",
            format!("expected a list or an object, got {v}"),
        )),
    }
}

fn payload(v: Option<&Value>) -> Result<Map<String, Value>> {
    match v {
        None => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(v) => Err(bad("payload", format!("expected an object, got {v}"))),
    }
}

fn filter_value(body: &Map<String, Value>, key: &str) -> Result<Option<Value>> {
    field(body, key)
        .map(|f| {
            sextant_payload_index::Filter::from_value(f).map_err(|e| bad(key, e))?;
            Ok(f.clone())
        })
        .transpose()
}

/// The points of an upsert body: `{"points": [{id, vector, payload}]}` or
/// `{"batch": {ids, vectors, payloads}}`.
fn upsert_points(body: &Map<String, Value>) -> Result<Vec<Point>> {
    if let Some(points) = field(body, "points") {
        let list = points
            .as_array()
            .ok_or_else(|| bad("points", "expected a list"))?;
        return list
            .iter()
            .map(|p| {
                let p = object(p, "point")?;
                Ok(Point {
                    id: point_id(field(p, "id").unwrap_or(&Value::Null))?,
                    vectors: vectors(field(p, "vector"))?,
                    payload: payload(field(p, "payload"))?,
                })
            })
            .collect();
    }
    let batch = object(
        field(body, "batch").ok_or_else(|| bad("upsert", "needs points or batch"))?,
        "batch",
    )?;
    let ids = point_ids(field(batch, "ids").unwrap_or(&Value::Null), "batch.ids")?;
    let n = ids.len();
    let mut per_point: Vec<BTreeMap<String, Vector>> = vec![BTreeMap::new(); n];
    let column = |list: &Value, name: &str, per_point: &mut Vec<BTreeMap<String, Vector>>| {
        let list = list
            .as_array()
            .filter(|l| l.len() == n)
            .ok_or_else(|| bad("batch.vectors", format!("expected {n} vectors")))?;
        for (slot, v) in per_point.iter_mut().zip(list) {
            slot.insert(name.to_string(), vector(v, name)?);
        }
        Ok::<(), Error>(())
    };
    match field(batch, "vectors") {
        None => {}
        Some(list @ Value::Array(_)) => column(list, "", &mut per_point)?,
        Some(Value::Object(named)) => {
            for (name, list) in named {
                column(list, name, &mut per_point)?;
            }
        }
        Some(v) => return Err(bad("batch.vectors", format!("unexpected {v}"))),
    }
    let payloads: Vec<Map<String, Value>> = match field(batch, "payloads") {
        None => vec![Map::new(); n],
        Some(Value::Array(list)) if list.len() == n => list
            .iter()
            .map(|p| payload((!p.is_null()).then_some(p)))
            .collect::<Result<_>>()?,
        Some(_) => return Err(bad("batch.payloads", format!("expected {n} payloads"))),
    };
    Ok(ids
        .into_iter()
        .zip(per_point)
        .zip(payloads)
        .map(|((id, vectors), payload)| Point {
            id,
            vectors,
            payload,
        })
        .collect())
}

/// An upsert body (`PointInsertOperations`, with `update_filter` and `update_mode`).
pub(crate) fn upsert(body: &Value) -> Result<UpdateOp> {
    let m = object(body, "upsert")?;
    let update_mode = match field(m, "update_mode").map(|v| v.as_str()) {
        None => None,
        Some(Some("upsert")) => Some(UpdateMode::Upsert),
        Some(Some("insert_only")) => Some(UpdateMode::InsertOnly),
        Some(Some("update_only")) => Some(UpdateMode::UpdateOnly),
        Some(_) => {
            return Err(bad(
                "update_mode",
                "expected upsert, insert_only or update_only",
            ));
        }
    };
    Ok(UpdateOp::Upsert {
        points: upsert_points(m)?,
        update_filter: filter_value(m, "update_filter")?,
        update_mode,
    })
}

/// A points selector: `{"points": [ids]}` or `{"filter": {...}}` (both: refused by the shard).
fn selector(m: &Map<String, Value>) -> Result<(Vec<PointId>, Option<Value>)> {
    let ids = match field(m, "points") {
        Some(p) => point_ids(p, "points")?,
        None => Vec::new(),
    };
    let filter = filter_value(m, "filter")?;
    if field(m, "points").is_none() && filter.is_none() {
        return Err(bad("points selector", "needs points or filter"));
    }
    Ok((ids, filter))
}

/// A delete body: `{"points": [ids]}` or `{"filter": {...}}`.
pub(crate) fn delete(body: &Value) -> Result<UpdateOp> {
    let (ids, filter) = selector(object(body, "delete")?)?;
    Ok(match filter {
        Some(filter) if ids.is_empty() => UpdateOp::DeleteByFilter { filter },
        Some(_) => return Err(bad("delete", "give either points or a filter, not both")),
        None => UpdateOp::Delete { ids },
    })
}

/// A set-payload body (`overwrite`: replace the whole payload).
pub(crate) fn set_payload(body: &Value, overwrite: bool) -> Result<UpdateOp> {
    let m = object(body, "set_payload")?;
    let (ids, filter) = selector(m)?;
    let payload = match field(m, "payload") {
        Some(Value::Object(p)) => p.clone(),
        _ => return Err(bad("payload", "expected an object")),
    };
    if overwrite {
        return Ok(UpdateOp::OverwritePayload {
            ids,
            filter,
            payload,
        });
    }
    let key = field(m, "key")
        .map(|k| {
            k.as_str()
                .map(str::to_string)
                .ok_or_else(|| bad("key", "expected a string"))
        })
        .transpose()?;
    Ok(UpdateOp::SetPayload {
        ids,
        filter,
        payload,
        key,
    })
}

fn names(v: Option<&Value>, what: &str) -> Result<Vec<String>> {
    v.and_then(Value::as_array)
        .ok_or_else(|| bad(what, "expected a list of names"))?
        .iter()
        .map(|k| {
            k.as_str()
                .map(str::to_string)
                .ok_or_else(|| bad(what, "expected strings"))
        })
        .collect()
}

/// A delete-payload body: `{"keys": [...], points or filter}`.
pub(crate) fn delete_payload(body: &Value) -> Result<UpdateOp> {
    let m = object(body, "delete_payload")?;
    let (ids, filter) = selector(m)?;
    Ok(UpdateOp::DeletePayload {
        ids,
        filter,
        keys: names(field(m, "keys"), "keys")?,
    })
}

/// A clear-payload body (a points selector).
pub(crate) fn clear_payload(body: &Value) -> Result<UpdateOp> {
    let (ids, filter) = selector(object(body, "clear_payload")?)?;
    Ok(UpdateOp::ClearPayload { ids, filter })
}

/// An update-vectors body: `{"points": [{id, vector}], "update_filter"}`.
pub(crate) fn update_vectors(body: &Value) -> Result<UpdateOp> {
    let m = object(body, "update_vectors")?;
    let points = field(m, "points")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("points", "expected a list"))?
        .iter()
        .map(|p| {
            let p = object(p, "point")?;
            Ok(PointVectors {
                id: point_id(field(p, "id").unwrap_or(&Value::Null))?,
                vectors: vectors(field(p, "vector"))?,
            })
        })
        .collect::<Result<_>>()?;
    Ok(UpdateOp::UpdateVectors {
        points,
        update_filter: filter_value(m, "update_filter")?,
    })
}

/// A delete-vectors body: `{"vector": [names], points or filter}`.
pub(crate) fn delete_vectors(body: &Value) -> Result<UpdateOp> {
    let m = object(body, "delete_vectors")?;
    let (ids, filter) = selector(m)?;
    Ok(UpdateOp::DeleteVectors {
        ids,
        filter,
        vectors: names(field(m, "vector"), "vector")?,
    })
}

/// The operations of a batch-update body (`{"operations": [{"upsert": ...}, ...]}`).
pub(crate) fn batch(body: &Value) -> Result<Vec<UpdateOp>> {
    let ops = field(object(body, "batch")?, "operations")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("operations", "expected a list"))?;
    ops.iter()
        .map(|op| {
            let m = object(op, "operation")?;
            let (kind, body) = m
                .iter()
                .find(|(_, v)| !v.is_null())
                .ok_or_else(|| bad("operation", "empty"))?;
            match kind.as_str() {
                "upsert" => upsert(body),
                "delete" => delete(body),
                "set_payload" => set_payload(body, false),
                "overwrite_payload" => set_payload(body, true),
                "delete_payload" => delete_payload(body),
                "clear_payload" => clear_payload(body),
                "update_vectors" => update_vectors(body),
                "delete_vectors" => delete_vectors(body),
                other => Err(bad("operation", format!("unknown operation {other:?}"))),
            }
        })
        .collect()
}

/// A record's vectors as Qdrant writes them: the unnamed vector alone as a list, else an
/// object of name → vector.
fn vectors_json(vectors: &Option<BTreeMap<String, Vector>>) -> Value {
    match vectors {
        None => Value::Null,
        Some(v) if v.len() == 1 && v.contains_key("") => json!(v[""]),
        Some(v) => json!(v),
    }
}

/// A point read by id or scroll, as Qdrant's `Record`, written straight to the response
/// bytes (see [`ScoredJson`]).
pub(crate) struct RecordJson<'a>(pub &'a Record);

impl Serialize for RecordJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        write_point(self.0, false, s)
    }
}

/// A point found by a query, as Qdrant's `ScoredPoint`, written straight to the response
/// bytes: a query's answer of ten points with a one-key payload took 26.8 µs through
/// `json!` trees (a map and its allocations per field) and takes 3.9 µs this way, envelope
/// included.
pub(crate) struct ScoredJson<'a>(pub &'a Record);

impl Serialize for ScoredJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        write_point(self.0, true, s)
    }
}

/// `r` as a `ScoredPoint` (with `score` and `version`) or a `Record`, keys in the order the
/// `json!` objects wrote them (sorted) so answers keep their bytes; the score widened to f64,
/// as Local Mode returns it (a float32 turned into a Python float).
fn write_point<S: Serializer>(
    r: &Record,
    scored: bool,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(if scored { 7 } else { 5 }))?;
    m.serialize_entry("id", &r.id)?;
    m.serialize_entry("order_value", &r.order_value)?;
    m.serialize_entry("payload", &r.payload)?;
    if scored {
        m.serialize_entry("score", &f64::from(r.score))?;
    }
    m.serialize_entry("shard_key", &())?;
    m.serialize_entry("vector", &vectors_json(&r.vectors))?;
    if scored {
        m.serialize_entry("version", &r.version)?;
    }
    m.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The records written straight to bytes read exactly as the `json!` objects the
    /// answers were built from before (key order, scores widened to f64, vectors, ids).
    #[test]
    fn records_are_written_as_json_trees_wrote_them() {
        let with_all = Record {
            id: PointId::Uuid(0x1234_5678_9abc_def0_1234_5678_9abc_def0),
            version: 7,
            score: 0.51,
            payload: Some(json!({"b": [1.5, "x"], "a": {"c": null}})),
            vectors: Some(BTreeMap::from([(
                "".to_string(),
                Vector::Dense(vec![0.1, -2.5e-8]),
            )])),
            order_value: Some(sextant_shard::OrderValue::Float(2.25)),
        };
        let named = Record {
            id: PointId::Num(3),
            version: 0,
            score: -1.0e-7,
            payload: None,
            vectors: Some(BTreeMap::from([
                ("d".to_string(), Vector::Dense(vec![1.0])),
                (
                    "s".to_string(),
                    Vector::Sparse {
                        indices: vec![2],
                        values: vec![0.3],
                    },
                ),
            ])),
            order_value: Some(sextant_shard::OrderValue::Int(-4)),
        };
        for r in [&with_all, &named] {
            let scored = json!({
                "id": r.id, "version": r.version, "score": r.score, "payload": r.payload,
                "vector": vectors_json(&r.vectors), "shard_key": null, "order_value": r.order_value,
            });
            assert_eq!(
                serde_json::to_string(&ScoredJson(r)).unwrap(),
                scored.to_string()
            );
            let record = json!({
                "id": r.id, "payload": r.payload, "vector": vectors_json(&r.vectors),
                "shard_key": null, "order_value": r.order_value,
            });
            assert_eq!(
                serde_json::to_string(&RecordJson(r)).unwrap(),
                record.to_string()
            );
        }
    }

    #[test]
    fn both_upsert_forms_give_the_same_points() {
        let list = upsert(&json!({"points": [
            {"id": 1, "vector": {"a": [1.0, 2.0], "s": {"indices": [3], "values": [0.5]}}, "payload": {"k": 1}},
            {"id": "550e8400-e29b-41d4-a716-446655440000", "vector": {"a": [0.0, 1.0]}, "payload": null},
        ]}))
        .unwrap();
        let batch = upsert(&json!({"batch": {
            "ids": [1, "550e8400-e29b-41d4-a716-446655440000"],
            "vectors": {"a": [[1.0, 2.0], [0.0, 1.0]]},
            "payloads": [{"k": 1}, null],
        }}))
        .unwrap();
        let (UpdateOp::Upsert { points: l, .. }, UpdateOp::Upsert { points: b, .. }) =
            (list, batch)
        else {
            panic!("upserts")
        };
        assert_eq!(l[1], b[1]);
        assert_eq!((l[0].id, &l[0].payload), (b[0].id, &b[0].payload));
        assert_eq!(l[0].vectors["a"], b[0].vectors["a"]);
    }

    #[test]
    fn bad_bodies_say_what() {
        for (body, says) in [
            (json!({"points": [{"id": 1, "vector": [1.0, null]}]}), "NaN"),
            (json!({"points": [{"id": -1, "vector": [1.0]}]}), "point id"),
            (
                json!({"points": [{"id": 1, "vector": [[1.0], [1.0, "x"]]}]}),
                "expected a list of numbers",
            ),
            (
                json!({"batch": {"ids": [1, 2], "vectors": [[1.0]]}}),
                "expected 2 vectors",
            ),
            (json!({"points": [{"id": 1, "payload": 3}]}), "payload"),
            (json!({"nothing": 1}), "needs points or batch"),
        ] {
            let e = upsert(&body).unwrap_err().to_string();
            assert!(e.contains(says), "{body}: {e}");
        }
        assert!(delete(&json!({})).is_err());
        assert!(set_payload(&json!({"points": [1], "payload": 5}), false).is_err());
    }
}
