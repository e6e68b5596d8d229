//! Qdrant's older search endpoints, still in its REST API and still called by older
//! `qdrant-client` versions and by clients in other languages: `search`, `recommend` and
//! `discover`, each single, batched (`.../batch`, `{"searches": [...]}`) and, for the first
//! two, grouped (`.../groups`). Each body is rewritten as the universal query it stands for
//! and answered by the same code as `points/query`; a single search answers the list of
//! points itself (not `{"points": ...}`), a batch a list of lists.
//!
//! - `search`: `vector` is a list (the unnamed vector), `{"name", "vector": [...]}` or a named
//!   sparse vector `{"name", "vector": {"indices", "values"}}` → `query` and `using`;
//! - `recommend`: `positive`, `negative`, `strategy` → `{"recommend": ...}`; `using` and
//!   `lookup_from` as given;
//! - `discover`: `target` and `context` → `{"discover": ...}`, or without a target the context
//!   search `{"context": ...}`.
//!
//! `limit` is required, as Qdrant's request types require it; the other fields (`filter`,
//! `params`, `offset`, `with_payload`, `with_vector`, `score_threshold`, `group_by`,
//! `group_size`, `with_lookup`) mean what they mean in a query.

use std::time::Instant;

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::reads::{run_batch, run_groups, run_query, scored_list, searches};
use crate::AppState;
use crate::body::{JsonBody, ok};
use crate::error::{Error, Result};

/// The older endpoints' kinds.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Search,
    Recommend,
    Discover,
}

fn bad(what: &str, why: impl std::fmt::Display) -> Error {
    Error::bad(format!("Format error in JSON body: {what}: {why}"))
}

/// Field `k` of `m` taken out (`None` when missing or null).
fn take(m: &mut Map<String, Value>, k: &str) -> Option<Value> {
    m.remove(k).filter(|v| !v.is_null())
}

/// `body` of `kind` as the universal query's body.
fn as_query(kind: Kind, body: Value) -> Result<Value> {
    let Value::Object(mut m) = body else {
        return Err(bad("body", "expected an object"));
    };
    if m.get("limit").is_none_or(Value::is_null) {
        return Err(bad("limit", "missing field `limit`"));
    }
    let query = match kind {
        Kind::Search => {
            let vector =
                take(&mut m, "vector").ok_or_else(|| bad("vector", "missing field `vector`"))?;
            match vector {
                Value::Object(mut named) => {
                    let name = named
                        .remove("name")
                        .and_then(|n| n.as_str().map(str::to_string))
                        .ok_or_else(|| bad("vector", "a named vector needs a `name`"))?;
                    let values = named
                        .remove("vector")
                        .ok_or_else(|| bad("vector", "a named vector needs a `vector`"))?;
                    if let Some(k) = named.keys().next() {
                        return Err(bad("vector", format!("unknown field {k:?}")));
                    }
                    m.insert("using".into(), json!(name));
                    values
                }
                list @ Value::Array(_) => list,
                other => {
                    return Err(bad(
                        "vector",
                        format!("expected a list of numbers or a named vector, got {other}"),
                    ));
                }
            }
        }
        Kind::Recommend => {
            let mut r = Map::new();
            for k in ["positive", "negative", "strategy"] {
                if let Some(v) = take(&mut m, k) {
                    r.insert(k.into(), v);
                }
            }
            json!({ "recommend": r })
        }
        Kind::Discover => {
            let context = take(&mut m, "context").unwrap_or_else(|| json!([]));
            match take(&mut m, "target") {
                Some(target) => json!({"discover": {"target": target, "context": context}}),
                None => json!({ "context": context }),
            }
        }
    };
    m.insert("query".into(), query);
    Ok(Value::Object(m))
}

async fn single(app: AppState, name: String, kind: Kind, body: Value) -> Result<Response> {
    let t = Instant::now();
    let found = run_query(&app, &name, as_query(kind, body)?)?;
    Ok(ok(scored_list(&found), t))
}

async fn batch(app: AppState, name: String, kind: Kind, body: Value) -> Result<Response> {
    let t = Instant::now();
    let bodies = searches(body)?
        .into_iter()
        .map(|b| as_query(kind, b))
        .collect::<Result<Vec<_>>>()?;
    let answers = run_batch(&app, &name, bodies)?;
    Ok(ok(
        answers.iter().map(|r| scored_list(r)).collect::<Vec<_>>(),
        t,
    ))
}

async fn groups(app: AppState, name: String, kind: Kind, body: Value) -> Result<Response> {
    let t = Instant::now();
    Ok(ok(run_groups(&app, &name, as_query(kind, body)?)?, t))
}

/// `POST /collections/{name}/points/search`.
pub(crate) async fn search(
    State(app): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    single(app, name, Kind::Search, body).await
}

/// `POST /collections/{name}/points/search/batch`.
pub(crate) async fn search_batch(
    State(app): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    batch(app, name, Kind::Search, body).await
}

/// `POST /collections/{name}/points/search/groups`.
pub(crate) async fn search_groups(
    State(app): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    groups(app, name, Kind::Search, body).await
}

/// `POST /collections/{name}/points/recommend`.
pub(crate) async fn recommend(
    State(app): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    single(app, name, Kind::Recommend, body).await
}

/// `POST /collections/{name}/points/recommend/batch`.
pub(crate) async fn recommend_batch(
    State(app): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    batch(app, name, Kind::Recommend, body).await
}

/// `POST /collections/{name}/points/recommend/groups`.
pub(crate) async fn recommend_groups(
    State(app): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    groups(app, name, Kind::Recommend, body).await
}

/// `POST /collections/{name}/points/discover`.
pub(crate) async fn discover(
    State(app): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    single(app, name, Kind::Discover, body).await
}

/// `POST /collections/{name}/points/discover/batch`.
pub(crate) async fn discover_batch(
    State(app): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    batch(app, name, Kind::Discover, body).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_become_the_queries_they_stand_for() {
        let q = as_query(
            Kind::Search,
            json!({"vector": {"name": "s", "vector": {"indices": [1], "values": [2.0]}},
                   "limit": 3, "filter": {"must": []}, "with_vector": true}),
        )
        .unwrap();
        assert_eq!(
            q,
            json!({"query": {"indices": [1], "values": [2.0]}, "using": "s", "limit": 3,
                   "filter": {"must": []}, "with_vector": true})
        );
        let q = as_query(Kind::Search, json!({"vector": [1.0, 2.0], "limit": 1})).unwrap();
        assert_eq!(q, json!({"query": [1.0, 2.0], "limit": 1}));
        let q = as_query(
            Kind::Recommend,
            json!({"positive": [1], "negative": [[0.5]], "strategy": "best_score",
                   "using": "a", "limit": 2}),
        )
        .unwrap();
        assert_eq!(
            q,
            json!({"query": {"recommend": {"positive": [1], "negative": [[0.5]],
                                           "strategy": "best_score"}},
                   "using": "a", "limit": 2})
        );
        let pair = json!([{"positive": 1, "negative": 2}]);
        let q = as_query(Kind::Discover, json!({"context": pair, "limit": 2})).unwrap();
        assert_eq!(q, json!({"query": {"context": pair}, "limit": 2}));
        let q = as_query(
            Kind::Discover,
            json!({"target": 3, "context": pair, "limit": 2}),
        )
        .unwrap();
        assert_eq!(
            q,
            json!({"query": {"discover": {"target": 3, "context": pair}}, "limit": 2})
        );
    }

    #[test]
    fn wrong_bodies_are_named() {
        for (kind, body, says) in [
            (Kind::Search, json!({"vector": [1.0]}), "limit"),
            (Kind::Search, json!({"limit": 1}), "vector"),
            (
                Kind::Search,
                json!({"vector": {"vector": [1.0]}, "limit": 1}),
                "name",
            ),
            (
                Kind::Search,
                json!({"vector": "x", "limit": 1}),
                "named vector",
            ),
            (Kind::Recommend, json!([]), "object"),
        ] {
            let e = as_query(kind, body).unwrap_err().to_string();
            assert!(e.contains(says), "{e}");
        }
    }
}
