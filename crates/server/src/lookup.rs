//! Reads across collections: a query's `lookup_from` (point ids among its examples taken from
//! another collection's vectors, those points not left out of the results), and query groups'
//! `with_lookup` (each group's id read as a point of another collection).

use serde_json::{Map, Value, json};
use sextant_core::PointId;
use sextant_shard::{Shard, Vector, WithPayload, WithVector};

use crate::collections::Collections;
use crate::error::{Error, Result};
use crate::points::{RecordJson, point_id};

fn bad(what: &str, why: impl std::fmt::Display) -> Error {
    Error::bad(format!("Format error in JSON body: {what}: {why}"))
}

/// Replaces, in every stage of a query body holding `lookup_from`, the point ids among the
/// examples by those points' vectors in the lookup collection (and drops `lookup_from`).
pub fn resolve(body: &mut Value, collections: &Collections) -> Result<()> {
    let Some(stage) = body.as_object_mut() else {
        return Ok(());
    };
    match stage.get_mut("prefetch") {
        Some(Value::Array(list)) => {
            for p in list {
                resolve(p, collections)?;
            }
        }
        Some(p @ Value::Object(_)) => resolve(p, collections)?,
        _ => {}
    }
    let Some(from) = stage.remove("lookup_from").filter(|v| !v.is_null()) else {
        return Ok(());
    };
    let name = from
        .get("collection")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("lookup_from.collection", "expected a string"))?;
    let using = stage.get("using").and_then(Value::as_str).unwrap_or("");
    let vector = from
        .get("vector")
        .and_then(Value::as_str)
        .unwrap_or(using)
        .to_string();
    let c = collections.get(name)?;
    let Some(query) = stage.get_mut("query") else {
        return Ok(());
    };
    let fetch = |v: &mut Value| -> Result<()> { swap(v, &c.shard, &vector) };
    match query {
        Value::Object(q) => {
            if let Some(n) = q.get_mut("nearest") {
                fetch(n)?;
            }
            if let Some(Value::Object(r)) = q.get_mut("recommend") {
                for side in ["positive", "negative"] {
                    if let Some(Value::Array(list)) = r.get_mut(side) {
                        list.iter_mut().try_for_each(fetch)?;
                    }
                }
            }
            if let Some(Value::Object(d)) = q.get_mut("discover") {
                if let Some(t) = d.get_mut("target") {
                    fetch(t)?;
                }
                if let Some(pairs) = d.get_mut("context") {
                    each_pair(pairs, &fetch)?;
                }
            }
            if let Some(pairs) = q.get_mut("context") {
                each_pair(pairs, &fetch)?;
            }
        }
        other => fetch(other)?,
    }
    Ok(())
}

/// Applies `fetch` to both sides of each context pair (a list of pairs, or one).
fn each_pair(pairs: &mut Value, fetch: &dyn Fn(&mut Value) -> Result<()>) -> Result<()> {
    let one = |p: &mut Value| -> Result<()> {
        if let Value::Object(p) = p {
            for side in ["positive", "negative"] {
                if let Some(v) = p.get_mut(side) {
                    fetch(v)?;
                }
            }
        }
        Ok(())
    };
    match pairs {
        Value::Array(list) => list.iter_mut().try_for_each(one),
        p => one(p),
    }
}

/// `v`, when it is a point id, replaced by that point's vector `name` in `shard`.
fn swap(v: &mut Value, shard: &Shard, name: &str) -> Result<()> {
    if !(v.is_number() || v.is_string()) {
        return Ok(());
    }
    let id = point_id(v)?;
    let found = shard.retrieve(
        &[id],
        WithPayload::None,
        WithVector::Names(vec![name.to_string()]),
    );
    let record = found
        .first()
        .ok_or_else(|| Error::NotFound(format!("No point with id {id} found")))?;
    let vector = record
        .vectors
        .as_ref()
        .and_then(|m| m.get(name))
        .ok_or_else(|| Error::bad(format!("Wrong input: point {id} has no vector {name:?}")))?;
    *v = match vector {
        Vector::Dense(d) => json!(d),
        Vector::Sparse { indices, values } => json!({"indices": indices, "values": values}),
        Vector::Multi(rows) => json!(rows),
    };
    Ok(())
}

/// Query groups' `with_lookup`: a collection name, or `{collection, with_payload,
/// with_vectors}`; each group's record read from it by the group's id (a point id), or null.
pub fn group_lookups(
    with_lookup: &Value,
    ids: &[Value],
    collections: &Collections,
) -> Result<Vec<Value>> {
    let (name, payload, vector) = match with_lookup {
        Value::String(s) => (s.clone(), WithPayload::All, WithVector::None),
        Value::Object(m) => {
            let name = m
                .get("collection")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("with_lookup.collection", "expected a string"))?;
            // The shard's scroll parser reads the two selectors (true / false / lists).
            let selectors = Map::from_iter([
                (
                    "with_payload".to_string(),
                    m.get("with_payload").cloned().unwrap_or(json!(true)),
                ),
                (
                    "with_vector".to_string(),
                    m.get("with_vectors").cloned().unwrap_or(json!(false)),
                ),
            ]);
            let s = sextant_shard::ScrollRequest::from_json(&Value::Object(selectors))?;
            (name.to_string(), s.with_payload, s.with_vector)
        }
        v => return Err(bad("with_lookup", format!("unexpected {v}"))),
    };
    let c = collections.get(&name)?;
    Ok(ids
        .iter()
        .map(|id| {
            let Ok(id) = serde_json::from_value::<PointId>(id.clone()) else {
                return Value::Null;
            };
            c.shard
                .retrieve(&[id], payload.clone(), vector.clone())
                .first()
                .map_or(Value::Null, |r| json!(RecordJson(r)))
        })
        .collect())
}
