//! API keys: with `--api-key`, every request but `/`, `/healthz`, `/livez` and `/readyz`
//! carries the key in the `api-key` header or as `Authorization: Bearer <key>` (else 401);
//! a request with the read-only key that writes is refused (403).

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::Error;

/// Paths that answer without a key.
const OPEN: [&str; 4] = ["/", "/healthz", "/livez", "/readyz"];

/// Does the request only read? GETs, and the POSTs that read points.
fn reads(method: &Method, path: &str) -> bool {
    const READ_POSTS: [&str; 8] = [
        "/points/query",
        "/points/query/batch",
        "/points/query/groups",
        "/points/scroll",
        "/points/count",
        "/points",
        "/facet",
        "/points/search",
    ];
    *method == Method::GET
        || (*method == Method::POST && READ_POSTS.iter().any(|s| path.ends_with(s)))
}

/// The key a request carries.
fn key_of(req: &Request) -> Option<&str> {
    let headers = req.headers();
    if let Some(k) = headers.get("api-key").and_then(|v| v.to_str().ok()) {
        return Some(k);
    }
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

/// The middleware.
pub async fn check(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let config = &app.config;
    if config.api_key.is_none() && config.read_only_api_key.is_none()
        || OPEN.contains(&req.uri().path())
    {
        return next.run(req).await;
    }
    let key = key_of(&req);
    let full = key.is_some() && key == config.api_key.as_deref();
    let read_only = key.is_some() && key == config.read_only_api_key.as_deref();
    if full || (read_only && reads(req.method(), req.uri().path())) {
        return next.run(req).await;
    }
    if read_only {
        return Error::Forbidden("write").into_response();
    }
    Error::Unauthorized.into_response()
}
