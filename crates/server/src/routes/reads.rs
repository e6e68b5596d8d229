//! Point reads: retrieve (by ids, or one point), scroll, count, the universal query (single,
//! batch, groups), facets, the distance matrix (pairs and offsets). Reads run on the request's thread: they do not wait on I/O beyond
//! page faults of the mapped files.

use std::time::Instant;

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;
use serde_json::{Value, json};
use sextant_core::PointId;
use sextant_payload_index::Filter;
use sextant_payload_index::facet::FacetValue;
use sextant_shard::{
    GroupId, GroupsRequest, Matrix, MatrixRequest, QueryRequest, Record, ScrollRequest,
    WithPayload, WithVector,
};

use super::blocking;
use crate::AppState;
use crate::body::{JsonBody, ok};
use crate::error::{Error, Result};
use crate::lookup;
use crate::points::{RecordJson, ScoredJson, field, point_id, point_ids};

fn bad(what: &str, why: impl std::fmt::Display) -> Error {
    Error::bad(format!("Format error in JSON body: {what}: {why}"))
}

fn filter(body: &Value) -> Result<Option<Filter>> {
    match body.get("filter").filter(|f| !f.is_null()) {
        None => Ok(None),
        Some(f) => Filter::from_value(f)
            .map(Some)
            .map_err(|e| bad("filter", e)),
    }
}

/// `with_payload` (`true` by default here, as Qdrant's retrieve) and `with_vector`.
fn selectors(body: &Value) -> Result<(WithPayload, WithVector)> {
    let present = |key| body.get(key).filter(|v| !v.is_null());
    Ok((
        WithPayload::from_json(present("with_payload"), true)?,
        WithVector::from_json(present("with_vector"))?,
    ))
}

/// `POST /collections/{name}/points`: `{"ids", "with_payload", "with_vector"}`.
pub(crate) async fn retrieve(
    State(app): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let t = Instant::now();
    let c = app.collections.get(&name)?;
    let ids = point_ids(body.get("ids").unwrap_or(&Value::Null), "ids")?;
    let (payload, vector) = selectors(&body)?;
    let records = c.shard.retrieve(&ids, payload, vector);
    Ok(ok(records.iter().map(RecordJson).collect::<Vec<_>>(), t))
}

/// `GET /collections/{name}/points/{id}`.
pub(crate) async fn point(
    State(app): State<AppState>,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response> {
    let t = Instant::now();
    let c = app.collections.get(&name)?;
    let id = match id.parse::<u64>() {
        Ok(n) => json!(n),
        Err(_) => json!(id),
    };
    let id = point_id(&id)?;
    let found = c.shard.retrieve(&[id], true, true);
    let record = found
        .first()
        .ok_or_else(|| Error::NotFound(format!("No point with id {id} found")))?;
    Ok(ok(RecordJson(record), t))
}

/// `POST /collections/{name}/points/scroll`.
pub(crate) async fn scroll(
    State(app): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let t = Instant::now();
    let c = app.collections.get(&name)?;
    let page = c.shard.scroll(&ScrollRequest::from_json(&body)?)?;
    /// Fields in the order `json!` wrote them (sorted).
    #[derive(Serialize)]
    struct Page<'a> {
        next_page_offset: Option<PointId>,
        points: Vec<RecordJson<'a>>,
    }
    let points = page.points.iter().map(RecordJson).collect();
    Ok(ok(
        Page {
            next_page_offset: page.next_page_offset,
            points,
        },
        t,
    ))
}

/// `POST /collections/{name}/points/count`: exact (an estimate is the exact count too).
pub(crate) async fn count(
    State(app): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let t = Instant::now();
    let c = app.collections.get(&name)?;
    let n = c.shard.count(filter(&body)?.as_ref());
    Ok(ok(json!({"count": n}), t))
}

/// Scored points as Qdrant's list of `ScoredPoint`s.
pub(super) fn scored_list(records: &[Record]) -> Vec<ScoredJson<'_>> {
    records.iter().map(ScoredJson).collect()
}

/// A query's answer: `{"points": [ScoredPoint, ...]}`.
#[derive(Serialize)]
struct Hits<'a> {
    points: Vec<ScoredJson<'a>>,
}

fn hits(records: &[Record]) -> Hits<'_> {
    Hits {
        points: scored_list(records),
    }
}

/// The points a query body (its lookups resolved) finds in collection `name`.
pub(super) fn run_query(app: &AppState, name: &str, mut body: Value) -> Result<Vec<Record>> {
    let c = app.collections.get(name)?;
    lookup::resolve(&mut body, &app.collections)?;
    Ok(c.shard.query(&QueryRequest::from_json(&body)?)?)
}

/// The points each query body finds in collection `name`, one state for all.
pub(super) fn run_batch(
    app: &AppState,
    name: &str,
    mut bodies: Vec<Value>,
) -> Result<Vec<Vec<Record>>> {
    let c = app.collections.get(name)?;
    for b in &mut bodies {
        lookup::resolve(b, &app.collections)?;
    }
    let reqs = bodies
        .iter()
        .map(QueryRequest::from_json)
        .collect::<sextant_shard::Result<Vec<_>>>()?;
    Ok(c.shard
        .query_batch(&reqs)
        .into_iter()
        .collect::<sextant_shard::Result<Vec<_>>>()?)
}

/// The list of a batch body's `searches`.
pub(super) fn searches(mut body: Value) -> Result<Vec<Value>> {
    match body.get_mut("searches") {
        Some(Value::Array(list)) => Ok(std::mem::take(list)),
        _ => Err(bad("searches", "expected a list of queries")),
    }
}

/// `POST /collections/{name}/points/query`.
pub(crate) async fn query(
    State(app): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let t = Instant::now();
    Ok(ok(hits(&run_query(&app, &name, body)?), t))
}

/// `POST /collections/{name}/points/query/batch`: `{"searches": [query, ...]}`, one state for
/// all.
pub(crate) async fn query_batch(
    State(app): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let t = Instant::now();
    let answers = run_batch(&app, &name, searches(body)?)?;
    Ok(ok(answers.iter().map(|r| hits(r)).collect::<Vec<_>>(), t))
}

/// `POST /collections/{name}/points/query/groups`.
pub(crate) async fn query_groups(
    State(app): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let t = Instant::now();
    Ok(ok(run_groups(&app, &name, body)?, t))
}

/// A groups body answered as Qdrant's `{"groups": [{"id", "hits", "lookup"}]}`.
pub(super) fn run_groups(app: &AppState, name: &str, mut body: Value) -> Result<Value> {
    let c = app.collections.get(name)?;
    let with_lookup = body
        .as_object_mut()
        .and_then(|m| m.remove("with_lookup"))
        .filter(|v| !v.is_null());
    lookup::resolve(&mut body, &app.collections)?;
    let groups = c.shard.query_groups(&GroupsRequest::from_json(&body)?)?;
    let ids: Vec<Value> = groups
        .iter()
        .map(|g| match &g.id {
            GroupId::Int(i) => json!(i),
            GroupId::Str(s) => json!(s),
        })
        .collect();
    let lookups = match &with_lookup {
        Some(w) => lookup::group_lookups(w, &ids, &app.collections)?,
        None => vec![Value::Null; ids.len()],
    };
    let groups: Vec<Value> = groups
        .iter()
        .zip(ids)
        .zip(lookups)
        .map(|((g, id), lookup)| json!({"id": id, "hits": scored_list(&g.hits), "lookup": lookup}))
        .collect();
    Ok(json!({"groups": groups}))
}

/// `POST /collections/{name}/facet`: `{"key", "filter", "limit" (10), "exact"}` (counts are
/// exact either way).
pub(crate) async fn facet(
    State(app): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let t = Instant::now();
    let c = app.collections.get(&name)?;
    let key = body
        .get("key")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("key", "expected a string"))?;
    let limit = match body.as_object().and_then(|m| field(m, "limit")) {
        None => 10,
        Some(l) => l.as_u64().ok_or_else(|| bad("limit", "expected a count"))? as usize,
    };
    let found = c.shard.facet(key, filter(&body)?.as_ref(), limit)?;
    let hits: Vec<Value> = found
        .iter()
        .map(|h| {
            let value = match &h.value {
                FacetValue::Bool(b) => json!(b),
                FacetValue::Integer(i) => json!(i),
                FacetValue::Keyword(s) => json!(s),
            };
            json!({"value": value, "count": h.count})
        })
        .collect();
    Ok(ok(json!({"hits": hits}), t))
}

/// The distance matrix of a body (`POST .../points/search/matrix/{pairs,offsets}`), computed
/// on a blocking thread: a sample of `n` points costs `n` exact searches among them.
async fn matrix(app: AppState, name: String, body: Value) -> Result<Matrix> {
    let c = app.collections.get(&name)?;
    let req = MatrixRequest::from_json(&body)?;
    blocking(move || Ok(c.shard.distance_matrix(&req)?)).await
}

/// `POST /collections/{name}/points/search/matrix/pairs`: `{a, b, score}` per neighbour.
pub(crate) async fn matrix_pairs(
    State(app): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let t = Instant::now();
    let m = matrix(app, name, body).await?;
    let mut pairs = Vec::new();
    for (a, row) in m.ids.iter().zip(&m.rows) {
        for &(b, score) in row {
            pairs.push(json!({"a": a, "b": m.ids[b], "score": score}));
        }
    }
    Ok(ok(json!({"pairs": pairs}), t))
}

/// `POST /collections/{name}/points/search/matrix/offsets`: the neighbours as a sparse
/// matrix over `ids` (row, column and score arrays).
pub(crate) async fn matrix_offsets(
    State(app): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let t = Instant::now();
    let m = matrix(app, name, body).await?;
    let (mut rows, mut cols, mut scores) = (Vec::new(), Vec::new(), Vec::new());
    for (r, row) in m.rows.iter().enumerate() {
        for &(c, s) in row {
            rows.push(r);
            cols.push(c);
            scores.push(s);
        }
    }
    Ok(ok(
        json!({"offsets_row": rows, "offsets_col": cols, "scores": scores, "ids": m.ids}),
        t,
    ))
}
