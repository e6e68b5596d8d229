//! Qdrant's collection update (`PATCH /collections/{name}`) applied to the create body a
//! collection keeps: the body after the update is translated again
//! ([`shard_config`](crate::collection_config::shard_config)) and handed to
//! `Shard::reconfigure`, and it is what the collection info echoes from then on.
//!
//! | field | effect |
//! | --- | --- |
//! | `vectors.{name}.hnsw_config`, `hnsw_config` | merged; a changed graph is rebuilt by the next optimize (`m` 0: none) |
//! | `vectors.{name}.quantization_config`, `quantization_config` | replaced (`"Disabled"` removes it); codes rebuilt by the next optimize |
//! | `vectors.{name}.on_disk` | applied at once (the rows mapped into memory, or let go) |
//! | `sparse_vectors.{name}` | merged; the IDF `modifier` applies at once |
//! | `optimizers_config` | merged; the thresholds apply at once |
//! | `params` | `on_disk_payload`, replication and consistency factors: echoed |
//! | `metadata` | merged key by key, as Local Mode does |
//! | `strict_mode_config` | merged and echoed, not enforced |
//!
//! A vector the collection does not have, or a field Qdrant's update does not take, is an
//! error and changes nothing. Qdrant keeps serving the old indexes while it rebuilds; the
//! shard drops them at once, so searches scan exactly until the optimizer has rebuilt them.

use serde_json::{Map, Value};

use crate::collection_config::merged;
use crate::error::{Error, Result};

fn bad(why: impl std::fmt::Display) -> Error {
    Error::bad(format!("Wrong input: {why}"))
}

/// `given`'s non-null fields written over `target`'s (made an object if it is not one).
fn merge_into(target: &mut Value, given: &Value, what: &str) -> Result<()> {
    if !given.is_object() {
        return Err(bad(format!("{what}: expected an object")));
    }
    let base = match target.take() {
        Value::Object(o) => Value::Object(o),
        _ => Value::Object(Map::new()),
    };
    *target = merged(base, Some(given));
    Ok(())
}

/// Sets `key` of `target` to a quantization diff: `"Disabled"` removes it.
fn set_quantization(target: &mut Map<String, Value>, diff: &Value) -> Result<()> {
    match diff {
        Value::String(s) if s == "Disabled" => {
            target.remove("quantization_config");
        }
        Value::Object(_) => {
            target.insert("quantization_config".into(), diff.clone());
        }
        other => {
            return Err(bad(format!(
                "quantization_config: expected an object or \"Disabled\", got {other}"
            )));
        }
    }
    Ok(())
}

/// One vector's diff applied to its params.
fn patch_vector(params: &mut Map<String, Value>, diff: &Value, name: &str) -> Result<()> {
    let diff = diff
        .as_object()
        .ok_or_else(|| bad(format!("vectors.{name}: expected an object")))?;
    for (k, v) in diff.iter().filter(|(_, v)| !v.is_null()) {
        match k.as_str() {
            "hnsw_config" => {
                let own = params.entry("hnsw_config").or_insert(Value::Null);
                merge_into(own, v, &format!("vectors.{name}.hnsw_config"))?;
            }
            "quantization_config" => set_quantization(params, v)?,
            "on_disk" => {
                params.insert(k.clone(), v.clone());
            }
            other => {
                return Err(bad(format!(
                    "vectors.{name}: {other} cannot be updated (hnsw_config, quantization_config and on_disk can)"
                )));
            }
        }
    }
    Ok(())
}

/// The create body `create` after Qdrant's update `diff`.
pub fn patched(create: &Value, diff: &Value) -> Result<Value> {
    let diff = diff.as_object().ok_or_else(|| bad("expected an object"))?;
    let mut body = create.as_object().cloned().unwrap_or_default();
    for (k, v) in diff.iter().filter(|(_, v)| !v.is_null()) {
        match k.as_str() {
            "vectors" => {
                let changes = v
                    .as_object()
                    .ok_or_else(|| bad("vectors: expected an object"))?;
                let vectors = body.get_mut("vectors").and_then(Value::as_object_mut);
                let Some(vectors) = vectors else {
                    let name = changes.keys().next().map_or("", String::as_str);
                    return Err(bad(format!("Not existing vector name error: {name}")));
                };
                let unnamed = vectors.contains_key("size");
                for (name, change) in changes {
                    let params = match (unnamed, name.as_str()) {
                        (true, "") => Some(&mut *vectors),
                        (true, _) => None,
                        (false, _) => vectors.get_mut(name).and_then(Value::as_object_mut),
                    }
                    .ok_or_else(|| bad(format!("Not existing vector name error: {name}")))?;
                    patch_vector(params, change, name)?;
                }
            }
            "sparse_vectors" => {
                let changes = v
                    .as_object()
                    .ok_or_else(|| bad("sparse_vectors: expected an object"))?;
                for (name, change) in changes {
                    let target = body
                        .get_mut("sparse_vectors")
                        .and_then(|s| s.get_mut(name))
                        .ok_or_else(|| bad(format!("Not existing vector name error: {name}")))?;
                    merge_into(target, change, &format!("sparse_vectors.{name}"))?;
                }
            }
            "quantization_config" => set_quantization(&mut body, v)?,
            "params" => {
                let p = v
                    .as_object()
                    .ok_or_else(|| bad("params: expected an object"))?;
                for (key, value) in p.iter().filter(|(_, v)| !v.is_null()) {
                    match key.as_str() {
                        "replication_factor"
                        | "write_consistency_factor"
                        | "read_fan_out_factor"
                        | "on_disk_payload" => {
                            body.insert(key.clone(), value.clone());
                        }
                        other => return Err(bad(format!("params: {other} cannot be updated"))),
                    }
                }
            }
            "hnsw_config" | "optimizers_config" | "metadata" | "strict_mode_config" => {
                let target = body.entry(k.clone()).or_insert(Value::Null);
                merge_into(target, v, k)?;
            }
            other => {
                return Err(bad(format!(
                    "{other} is not a field of a collection update"
                )));
            }
        }
    }
    Ok(Value::Object(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collection_config::shard_config;
    use serde_json::json;

    #[test]
    fn an_update_merges_into_the_create_body() {
        let create = json!({
            "vectors": {"a": {"size": 4, "distance": "Dot"}, "b": {"size": 2, "distance": "Cosine",
                "quantization_config": {"scalar": {"type": "int8"}}}},
            "sparse_vectors": {"s": {}},
            "hnsw_config": {"m": 0},
            "metadata": {"owner": "x", "n": 1},
        });
        let next = patched(
            &create,
            &json!({
                "vectors": {"a": {"hnsw_config": {"ef_construct": 64}}, "b": {"quantization_config": "Disabled", "on_disk": true}},
                "sparse_vectors": {"s": {"modifier": "idf"}},
                "hnsw_config": {"m": 16},
                "optimizers_config": {"indexing_threshold": 1},
                "params": {"on_disk_payload": false},
                "metadata": {"n": 2},
                "quantization_config": null,
            }),
        )
        .unwrap();
        assert_eq!(
            next["vectors"]["a"]["hnsw_config"],
            json!({"ef_construct": 64})
        );
        assert_eq!(
            next["vectors"]["b"],
            json!({"size": 2, "distance": "Cosine", "on_disk": true})
        );
        assert_eq!(next["hnsw_config"], json!({"m": 16}));
        assert_eq!(next["metadata"], json!({"owner": "x", "n": 2}));
        assert_eq!(next["on_disk_payload"], json!(false));
        let before = shard_config(&create).unwrap();
        let after = shard_config(&next).unwrap();
        assert!(!before.vectors["a"].indexed() && after.vectors["a"].indexed());
        assert_eq!(after.vectors["a"].hnsw.unwrap().ef_construction, 64);
        assert!(
            before.vectors["b"].quantization.is_some() && after.vectors["b"].quantization.is_none()
        );
        assert!(after.sparse_vectors["s"].modifier.is_some());
        assert!(before.fixed_difference(&after).is_none());
    }

    #[test]
    fn the_unnamed_vector_is_updated_by_the_empty_name() {
        let create = json!({"vectors": {"size": 4, "distance": "Dot"}});
        let next = patched(
            &create,
            &json!({"vectors": {"": {"hnsw_config": {"m": 8}}}}),
        )
        .unwrap();
        assert_eq!(next["vectors"]["hnsw_config"], json!({"m": 8}));
        assert_eq!(shard_config(&next).unwrap().vectors[""].hnsw.unwrap().m, 8);
    }

    #[test]
    fn what_an_update_cannot_do_is_refused() {
        let create =
            json!({"vectors": {"a": {"size": 4, "distance": "Dot"}}, "sparse_vectors": {"s": {}}});
        for (diff, says) in [
            (
                json!({"vectors": {"nope": {"on_disk": true}}}),
                "Not existing vector name error: nope",
            ),
            (
                json!({"vectors": {"": {"on_disk": true}}}),
                "Not existing vector name error: ",
            ),
            (
                json!({"sparse_vectors": {"t": {"modifier": "idf"}}}),
                "Not existing vector name error: t",
            ),
            (
                json!({"vectors": {"a": {"size": 8}}}),
                "size cannot be updated",
            ),
            (
                json!({"quantization_config": 3}),
                "expected an object or \"Disabled\"",
            ),
            (
                json!({"params": {"shard_number": 2}}),
                "shard_number cannot be updated",
            ),
            (json!({"shards": 2}), "shards is not a field"),
            (json!([1]), "expected an object"),
        ] {
            let e = patched(&create, &diff).unwrap_err().to_string();
            assert!(e.contains(says), "{diff}: {e}");
        }
    }
}
