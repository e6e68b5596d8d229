//! The server's error: an HTTP status and a message, answered in Qdrant's error envelope
//! `{"status": {"error": "..."}, "time": t}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answered to the client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request is wrong (400): bad JSON, wrong dimension, unknown vector name, ...
    #[error("{0}")]
    BadRequest(String),
    /// What the request names does not exist (404).
    #[error("Not found: {0}")]
    NotFound(String),
    /// A collection with the name exists already (409).
    #[error("Wrong input: {0}")]
    Conflict(String),
    /// No API key, or a wrong one (401).
    #[error("Must provide an API key or an Authorization bearer token")]
    Unauthorized,
    /// The key is read-only and the request writes (403).
    #[error("Forbidden: the read-only API key cannot {0}")]
    Forbidden(&'static str),
    /// The body is larger than the limit (413).
    #[error("Payload too large: the request body is over the server's limit (--max-request-mib)")]
    TooLarge,
    /// The storage failed (500).
    #[error("Service internal error: {0}")]
    Internal(String),
}

/// The server's result.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A 400 with this message.
    pub fn bad(message: impl Into<String>) -> Self {
        Error::BadRequest(message.into())
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Unauthorized => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sextant_shard::Error> for Error {
    fn from(e: sextant_shard::Error) -> Self {
        match e {
            sextant_shard::Error::BadInput(m) if m.starts_with("Not found: ") => {
                Error::NotFound(m.trim_start_matches("Not found: ").to_string())
            }
            sextant_shard::Error::BadInput(m) if m.starts_with("No point with id") => {
                Error::NotFound(m)
            }
            sextant_shard::Error::BadInput(m) => Error::BadRequest(m),
            sextant_shard::Error::Config { what, .. } => Error::bad(format!("Wrong input: {what}")),
            e => Error::Internal(e.to_string()),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let body = json!({"status": {"error": self.to_string()}, "time": 0.0});
        (self.status(), axum::Json(body)).into_response()
    }
}
