//! Request bodies and responses in Qdrant's shapes: a JSON body extractor whose errors are
//! Qdrant's 400 / 413 envelopes, and the `{"result", "status", "time"}` envelope.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::Error;

/// A request's JSON body (an empty body reads as `{}`).
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Error::TooLarge
            } else {
                Error::bad(format!("Format error in JSON body: {}", e.body_text()))
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(json!({})));
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| Error::bad(format!("Format error in JSON body: {e}")))
    }
}

/// Qdrant's success envelope around `result` (a `Value`, or a type written straight to the
/// bytes such as the scored points), `time` in seconds since `started`.
pub fn ok<T: Serialize>(result: T, started: Instant) -> Response {
    /// Fields in the order `json!` wrote them (sorted).
    #[derive(Serialize)]
    struct Envelope<T> {
        result: T,
        status: &'static str,
        time: f64,
    }
    let time = started.elapsed().as_secs_f64();
    axum::Json(Envelope {
        result,
        status: "ok",
        time,
    })
    .into_response()
}
