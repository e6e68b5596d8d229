//! Collections: list, create, info, update, delete, exists; payload
//! indexes; aliases.

use std::time::Instant;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde_json::{Value, json};
use sextant_payload_index::FieldType;
use sextant_shard::UpdateOp;

use super::blocking;
use crate::AppState;
use crate::body::{JsonBody, ok};
use crate::collection_config::{config_json, index_pending};
use crate::collections::AliasChange;
use crate::error::{Error, Result};
use crate::metrics::segments;
use crate::routes::updates::{Wait, update_result};

/// `GET /collections`.
pub(crate) async fn list(State(app): State<AppState>) -> Response {
    let t = Instant::now();
    let names: Vec<Value> = app
        .collections
        .all()
        .iter()
        .map(|c| json!({"name": c.name}))
        .collect();
    ok(json!({"collections": names}), t)
}

/// `PUT /collections/{name}`.
pub(crate) async fn create(
    State(app): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let t = Instant::now();
    blocking(move || app.collections.create(&name, body)).await?;
    Ok(ok(json!(true), t))
}

/// `GET /collections/{name}`: Qdrant's collection info.
pub(crate) async fn info(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response> {
    let t = Instant::now();
    let c = app.collections.get(&name)?;
    let info = c.shard.info();
    let create = c.create.read().unwrap_or_else(|e| e.into_inner()).clone();
    let mut schema = serde_json::Map::new();
    for (key, kind) in c.shard.payload_schema() {
        let holding = sextant_payload_index::Filter::from_value(
            &json!({"must_not": [{"is_empty": {"key": key}}]}),
        )
        .map(|f| c.shard.count(Some(&f)))
        .unwrap_or(0);
        schema.insert(
            key,
            json!({"data_type": kind, "params": null, "points": holding}),
        );
    }
    let config = c.shard.config();
    let dense = config.vectors.len();
    // Qdrant's colours: yellow while the optimizer builds, grey while enough points wait
    // for it (the next tick starts it), green otherwise; clients poll for green after an
    // upload.
    let status = if c.optimizing.load(std::sync::atomic::Ordering::Acquire) {
        "yellow"
    } else if index_pending(&create, &config, &info) {
        "grey"
    } else {
        "green"
    };
    Ok(ok(
        json!({
            "status": status,
            "optimizer_status": "ok",
            "warnings": [],
            "segments_count": segments(&info),
            "points_count": info.points,
            "indexed_vectors_count": info.indexed_points * dense,
            "config": config_json(&create),
            "payload_schema": schema,
        }),
        t,
    ))
}

/// `PATCH /collections/{name}`: Qdrant's collection update (the `collection_update`
/// module's table of what each field does).
pub(crate) async fn update(
    State(app): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let t = Instant::now();
    blocking(move || app.collections.update(&name, &body)).await?;
    Ok(ok(json!(true), t))
}

/// `DELETE /collections/{name}`.
pub(crate) async fn drop(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response> {
    let t = Instant::now();
    let gone = blocking(move || app.collections.delete(&name)).await?;
    Ok(ok(json!(gone), t))
}

/// `GET /collections/{name}/exists`.
pub(crate) async fn exists(State(app): State<AppState>, Path(name): Path<String>) -> Response {
    let t = Instant::now();
    ok(json!({"exists": app.collections.get(&name).is_ok()}), t)
}

fn aliases_json(list: Vec<(String, String)>) -> Value {
    let list: Vec<Value> = list
        .into_iter()
        .map(|(a, c)| json!({"alias_name": a, "collection_name": c}))
        .collect();
    json!({"aliases": list})
}

/// `GET /aliases`.
pub(crate) async fn aliases(State(app): State<AppState>) -> Response {
    ok(aliases_json(app.collections.aliases(None)), Instant::now())
}

/// `GET /collections/{name}/aliases`.
pub(crate) async fn collection_aliases(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response> {
    let t = Instant::now();
    let c = app.collections.get(&name)?;
    Ok(ok(aliases_json(app.collections.aliases(Some(&c.name))), t))
}

/// `POST /collections/aliases`: `{"actions": [{"create_alias": {...}}, {"delete_alias": ...},
/// {"rename_alias": ...}]}`, applied in order, all or none.
pub(crate) async fn change_aliases(
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let t = Instant::now();
    let bad = |what: &str| Error::bad(format!("Format error in JSON body: {what}"));
    let text = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| bad(&format!("{k}: expected a string")))
    };
    let actions = body
        .get("actions")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("actions: expected a list"))?;
    let mut changes = Vec::new();
    for a in actions {
        changes.push(if let Some(c) = a.get("create_alias") {
            AliasChange::Create {
                alias: text(c, "alias_name")?,
                collection: text(c, "collection_name")?,
            }
        } else if let Some(d) = a.get("delete_alias") {
            AliasChange::Delete {
                alias: text(d, "alias_name")?,
            }
        } else if let Some(r) = a.get("rename_alias") {
            AliasChange::Rename {
                old: text(r, "old_alias_name")?,
                new: text(r, "new_alias_name")?,
            }
        } else {
            return Err(bad(
                "actions: expected create_alias, delete_alias or rename_alias",
            ));
        });
    }
    blocking(move || app.collections.change_aliases(&changes)).await?;
    Ok(ok(json!(true), t))
}

/// `PUT /collections/{name}/index`: `{"field_name", "field_schema"}` (a type name, or
/// `{"type": ...}` whose other parameters are not read).
pub(crate) async fn create_index(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Query(wait): Query<Wait>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let t = Instant::now();
    let key = body
        .get("field_name")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::bad("Format error in JSON body: field_name: expected a string"))?
        .to_string();
    let schema = match body.get("field_schema") {
        Some(Value::Object(m)) => m.get("type").cloned().unwrap_or(Value::Null),
        Some(v) => v.clone(),
        None => Value::Null,
    };
    let schema: FieldType = serde_json::from_value(schema)
        .map_err(|e| Error::bad(format!("Format error in JSON body: field_schema: {e}")))?;
    let c = app.collections.get(&name)?;
    let version =
        blocking(move || Ok(c.shard.update(UpdateOp::CreateFieldIndex { key, schema })?)).await?;
    Ok(update_result(version, &wait, t))
}

/// `DELETE /collections/{name}/index/{field}`.
pub(crate) async fn delete_index(
    State(app): State<AppState>,
    Path((name, key)): Path<(String, String)>,
    Query(wait): Query<Wait>,
) -> Result<Response> {
    let t = Instant::now();
    let c = app.collections.get(&name)?;
    let version = blocking(move || Ok(c.shard.update(UpdateOp::DeleteFieldIndex { key })?)).await?;
    Ok(update_result(version, &wait, t))
}
