//! `/`, health and readiness, metrics, and the answer to an unknown path.

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::AppState;
use crate::error::Error;

/// The Qdrant REST API version spoken (what `qdrant-client` checks its own against).
pub(crate) const QDRANT_API_VERSION: &str = "1.18.0";

/// `GET /`: title and version, as Qdrant answers them.
pub(crate) async fn root() -> Response {
    axum::Json(json!({
        "title": "sextant - vector search engine (Qdrant REST API)",
        "version": QDRANT_API_VERSION,
        "commit": null,
        "sextant_version": env!("CARGO_PKG_VERSION"),
    }))
    .into_response()
}

/// `GET /healthz`, `GET /livez`.
pub(crate) async fn healthz() -> &'static str {
    "healthz check passed"
}

/// `GET /readyz`: 200 once serving, 503 while stopping.
pub(crate) async fn readyz(State(app): State<AppState>) -> Response {
    if app.ready.load(Ordering::Acquire) {
        "all shards are ready".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "stopping").into_response()
    }
}

/// `GET /metrics`.
pub(crate) async fn metrics(State(app): State<AppState>) -> Response {
    let text = app.metrics.render(&app);
    ([("content-type", "text/plain; version=0.0.4")], text).into_response()
}

/// Any other path: 404 in Qdrant's envelope.
pub(crate) async fn not_found(uri: Uri) -> Response {
    Error::NotFound(format!("no such endpoint {}", uri.path())).into_response()
}
