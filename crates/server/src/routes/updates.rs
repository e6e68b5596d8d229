//! Point updates: upsert, delete, payload and vector operations, batches. Each is logged and
//! applied (durable per the shard's log policy) before the answer, `wait` or not: `wait=false`
//! answers `acknowledged`, `wait=true` `completed`.

use std::time::Instant;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use sextant_shard::UpdateOp;

use super::blocking;
use crate::AppState;
use crate::body::{JsonBody, ok};
use crate::error::Result;
use crate::points;

/// The `wait` query parameter (other parameters, such as `ordering`, are not read).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Wait {
    #[serde(default)]
    wait: Option<bool>,
}

/// Qdrant's `UpdateResult` for the operation logged at `version`.
pub(crate) fn update_result(version: u64, wait: &Wait, t: Instant) -> Response {
    let status = if wait.wait == Some(true) {
        "completed"
    } else {
        "acknowledged"
    };
    ok(json!({"operation_id": version, "status": status}), t)
}

/// Applies one operation parsed from the body.
async fn apply(app: AppState, name: String, wait: Wait, op: Result<UpdateOp>) -> Result<Response> {
    let t = Instant::now();
    let op = op?;
    let c = app.collections.get(&name)?;
    let version = blocking(move || Ok(c.shard.update(op)?)).await?;
    Ok(update_result(version, &wait, t))
}

/// `PUT /collections/{name}/points`: upsert (list or batch form).
pub(crate) async fn upsert(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Query(wait): Query<Wait>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    apply(app, name, wait, points::upsert(&body)).await
}

/// `POST /collections/{name}/points/delete`.
pub(crate) async fn delete(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Query(wait): Query<Wait>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    apply(app, name, wait, points::delete(&body)).await
}

/// `POST /collections/{name}/points/payload`: set (merge, or at `key`).
pub(crate) async fn set_payload(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Query(wait): Query<Wait>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    apply(app, name, wait, points::set_payload(&body, false)).await
}

/// `PUT /collections/{name}/points/payload`: overwrite.
pub(crate) async fn overwrite_payload(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Query(wait): Query<Wait>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    apply(app, name, wait, points::set_payload(&body, true)).await
}

/// `POST /collections/{name}/points/payload/delete`.
pub(crate) async fn delete_payload(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Query(wait): Query<Wait>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    apply(app, name, wait, points::delete_payload(&body)).await
}

/// `POST /collections/{name}/points/payload/clear`.
pub(crate) async fn clear_payload(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Query(wait): Query<Wait>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    apply(app, name, wait, points::clear_payload(&body)).await
}

/// `PUT /collections/{name}/points/vectors`.
pub(crate) async fn update_vectors(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Query(wait): Query<Wait>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    apply(app, name, wait, points::update_vectors(&body)).await
}

/// `POST /collections/{name}/points/vectors/delete`.
pub(crate) async fn delete_vectors(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Query(wait): Query<Wait>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    apply(app, name, wait, points::delete_vectors(&body)).await
}

/// `POST /collections/{name}/points/batch`: the operations in order, each its own log entry;
/// the first refused one stops the batch (the ones before it stay applied, as in Qdrant).
pub(crate) async fn batch(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Query(wait): Query<Wait>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let t = Instant::now();
    let ops = points::batch(&body)?;
    let c = app.collections.get(&name)?;
    let versions = blocking(move || {
        ops.into_iter()
            .map(|op| Ok(c.shard.update(op)?))
            .collect::<Result<Vec<u64>>>()
    })
    .await?;
    let status = if wait.wait == Some(true) {
        "completed"
    } else {
        "acknowledged"
    };
    let results: Vec<Value> = versions
        .into_iter()
        .map(|v| json!({"operation_id": v, "status": status}))
        .collect();
    Ok(ok(json!(results), t))
}
