//! Collection snapshots: create (one file of the collection's shard, taken while updates go
//! on), list, download, delete, and recover a collection from an uploaded file, a `file://`
//! location or an `http://` one (fetched to disk first; `https://` needs TLS, not built).

use std::path::{Path as FsPath, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use sextant_shard::Shard;
use tokio::io::AsyncWriteExt;
use tokio_util::io::ReaderStream;

use super::blocking;
use crate::AppState;
use crate::body::{JsonBody, ok};
use crate::error::{Error, Result};

/// Bytes read from a snapshot file per chunk of a download.
const CHUNK: usize = 1 << 20;

fn io(what: &str, path: &FsPath, e: std::io::Error) -> Error {
    Error::Internal(format!("{what} {}: {e}", path.display()))
}

/// Qdrant's `SnapshotDescription` of a snapshot file.
fn describe(path: &FsPath) -> Result<Value> {
    let meta = std::fs::metadata(path).map_err(|e| io("read", path, e))?;
    let micros = meta
        .modified()
        .ok()
        .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_micros() as i64);
    let created = sextant_payload_index::datetime::format(micros);
    Ok(json!({
        "name": path.file_name().and_then(|n| n.to_str()).unwrap_or_default(),
        "creation_time": created.trim_end_matches('Z'),
        "size": meta.len(),
        "checksum": null,
    }))
}

/// A snapshot file of `name`'s folder (its name checked to stay inside it).
fn snapshot_path(app: &AppState, name: &str, file: &str) -> Result<PathBuf> {
    if file.is_empty() || file.contains(['/', '\\']) || file.starts_with('.') {
        return Err(Error::bad(format!(
            "Wrong input: bad snapshot name {file:?}"
        )));
    }
    Ok(app.collections.snapshots_dir(name).join(file))
}

/// `POST /collections/{name}/snapshots`.
pub(crate) async fn create(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response> {
    let t = Instant::now();
    let c = app.collections.get(&name)?;
    let dir = app.collections.snapshots_dir(&name);
    let description = blocking(move || {
        std::fs::create_dir_all(&dir).map_err(|e| io("create", &dir, e))?;
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let path = dir.join(format!("{}-{ms}.snapshot", c.name));
        c.shard.snapshot(&path)?;
        describe(&path)
    })
    .await?;
    Ok(ok(description, t))
}

/// `GET /collections/{name}/snapshots`.
pub(crate) async fn list(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response> {
    let t = Instant::now();
    app.collections.get(&name)?;
    let dir = app.collections.snapshots_dir(&name);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "snapshot"))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    let list = files
        .iter()
        .map(|p| describe(p))
        .collect::<Result<Vec<_>>>()?;
    Ok(ok(json!(list), t))
}

/// `GET /collections/{name}/snapshots/{snapshot}`: the file, streamed in chunks (a snapshot
/// may be far larger than the memory a request should take).
pub(crate) async fn download(
    State(app): State<AppState>,
    Path((name, file)): Path<(String, String)>,
) -> Result<Response> {
    app.collections.get(&name)?;
    let path = snapshot_path(&app, &name, &file)?;
    let not_found = || Error::NotFound(format!("Snapshot {file} not found"));
    let opened = tokio::fs::File::open(&path)
        .await
        .map_err(|_| not_found())?;
    let len = opened.metadata().await.map_err(|_| not_found())?.len();
    let body = Body::from_stream(ReaderStream::with_capacity(opened, CHUNK));
    Ok((
        [
            ("content-type", "application/octet-stream".to_string()),
            ("content-length", len.to_string()),
        ],
        body,
    )
        .into_response())
}

/// `DELETE /collections/{name}/snapshots/{snapshot}`.
pub(crate) async fn delete(
    State(app): State<AppState>,
    Path((name, file)): Path<(String, String)>,
) -> Result<Response> {
    let t = Instant::now();
    app.collections.get(&name)?;
    let path = snapshot_path(&app, &name, &file)?;
    std::fs::remove_file(&path)
        .map_err(|_| Error::NotFound(format!("Snapshot {file} not found")))?;
    Ok(ok(json!(true), t))
}

/// A fresh file name in the storage's `uploads/` folder (created if missing), for a snapshot
/// received before it is restored.
fn upload_path(app: &AppState) -> Result<PathBuf> {
    let dir = app.collections.root().join("uploads");
    std::fs::create_dir_all(&dir).map_err(|e| io("create", &dir, e))?;
    let ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    Ok(dir.join(format!("{ns}.snapshot")))
}

/// Downloads `url` (plain HTTP/1.1, no redirects) into `file`, chunk by chunk.
async fn fetch(url: &str, file: &FsPath) -> Result<()> {
    let wrong = |why: String| Error::bad(format!("Wrong input: snapshot location {url}: {why}"));
    let uri: hyper::Uri = url.parse().map_err(|e| wrong(format!("{e}")))?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let response = client.get(uri).await.map_err(|e| wrong(format!("{e}")))?;
    if !response.status().is_success() {
        return Err(wrong(format!("answered {}", response.status())));
    }
    let mut body = response.into_body();
    let mut out = tokio::fs::File::create(file)
        .await
        .map_err(|e| io("create", file, e))?;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| wrong(format!("{e}")))?;
        if let Ok(data) = frame.into_data() {
            out.write_all(&data)
                .await
                .map_err(|e| io("write", file, e))?;
        }
    }
    out.sync_all().await.map_err(|e| io("sync", file, e))
}

/// Replaces (or creates) collection `name` from the snapshot file at `file`.
async fn restore(app: AppState, name: String, file: PathBuf) -> Result<()> {
    blocking(move || {
        app.collections
            .replace(&name, |dir| Ok(Shard::restore(&file, dir)?))
    })
    .await
}

/// `POST /collections/{name}/snapshots/upload`: a multipart form whose `snapshot` field is
/// the file, written to disk as it arrives (the request size limit does not apply to this
/// route: a snapshot is as large as its collection).
pub(crate) async fn upload(
    State(app): State<AppState>,
    Path(name): Path<String>,
    mut form: Multipart,
) -> Result<Response> {
    let t = Instant::now();
    let file = upload_path(&app)?;
    let mut got = false;
    while let Some(mut field) = form
        .next_field()
        .await
        .map_err(|e| Error::bad(format!("Format error in multipart body: {e}")))?
    {
        if field.name() != Some("snapshot") {
            continue;
        }
        // Written chunk by chunk as it arrives, never held whole.
        let mut out = tokio::fs::File::create(&file)
            .await
            .map_err(|e| io("create", &file, e))?;
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| Error::bad(format!("Format error in multipart body: {e}")))?
        {
            out.write_all(&chunk)
                .await
                .map_err(|e| io("write", &file, e))?;
        }
        out.sync_all().await.map_err(|e| io("sync", &file, e))?;
        got = true;
    }
    if !got {
        return Err(Error::bad(
            "Format error in multipart body: no snapshot field",
        ));
    }
    let restored = restore(app, name, file.clone()).await;
    let _ = std::fs::remove_file(&file);
    restored?;
    Ok(ok(json!(true), t))
}

/// `PUT /collections/{name}/snapshots/recover`: `{"location": "file:///..."}`, an `http://`
/// URL (another server's snapshot download, say), or a file name in the collection's
/// snapshot folder.
pub(crate) async fn recover(
    State(app): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let t = Instant::now();
    let location = body
        .get("location")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::bad("Format error in JSON body: location: expected a string"))?;
    let file = if let Some(p) = location.strip_prefix("file://") {
        PathBuf::from(p)
    } else if location.starts_with("http://") {
        let file = upload_path(&app)?;
        let fetched = fetch(location, &file).await;
        let restored = match fetched {
            Ok(()) => restore(app, name, file.clone()).await,
            Err(e) => Err(e),
        };
        let _ = std::fs::remove_file(&file);
        restored?;
        return Ok(ok(json!(true), t));
    } else if location.contains("://") {
        return Err(Error::bad(
            "Wrong input: snapshot locations are file:// or http:// (https:// needs TLS, not built: upload the file instead)",
        ));
    } else {
        snapshot_path(&app, &name, location)?
    };
    if !file.is_file() {
        return Err(Error::NotFound(format!(
            "Snapshot file {} not found",
            file.display()
        )));
    }
    restore(app, name, file).await?;
    Ok(ok(json!(true), t))
}
