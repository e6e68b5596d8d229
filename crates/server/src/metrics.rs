//! `GET /metrics` in the Prometheus text format: requests and their total time by endpoint
//! and status, points, indexed points and segments per collection; and the request log line
//! (debug level).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// Method, route and status of answered requests.
type Endpoint = (String, String, u16);

/// Requests seen, by endpoint and status: count and total seconds.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<Endpoint, (u64, f64)>>,
}

/// The middleware: times each request, counts it, logs it.
pub async fn record(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let uri = req.uri().clone();
    let response = next.run(req).await;
    let secs = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    tracing::debug!("{method} {uri} {status} {:.3} ms", secs * 1e3);
    let mut requests = app
        .metrics
        .requests
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let entry = requests.entry((method, route, status)).or_default();
    entry.0 += 1;
    entry.1 += secs;
    response
}

/// Escapes a label value.
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    /// The exposition text.
    pub fn render(&self, app: &AppState) -> String {
        let mut out = String::new();
        let requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        out.push_str(
            "# HELP rest_responses_total REST requests answered, by endpoint and status.\n",
        );
        out.push_str("# TYPE rest_responses_total counter\n");
        for ((m, r, s), (n, _)) in requests.iter() {
            let _ = writeln!(
                out,
                "rest_responses_total{{method=\"{m}\",endpoint=\"{}\",status=\"{s}\"}} {n}",
                label(r)
            );
        }
        out.push_str("# HELP rest_responses_duration_seconds_total Time spent answering, by endpoint and status.\n");
        out.push_str("# TYPE rest_responses_duration_seconds_total counter\n");
        for ((m, r, s), (_, t)) in requests.iter() {
            let _ = writeln!(
                out,
                "rest_responses_duration_seconds_total{{method=\"{m}\",endpoint=\"{}\",status=\"{s}\"}} {t}",
                label(r)
            );
        }
        drop(requests);
        let collections = app.collections.all();
        let _ = writeln!(
            out,
            "# HELP collections_total Collections.\n# TYPE collections_total gauge\ncollections_total {}",
            collections.len()
        );
        out.push_str(
            "# HELP collection_points Points per collection.\n# TYPE collection_points gauge\n",
        );
        let infos: Vec<_> = collections
            .iter()
            .map(|c| (c.name.clone(), c.shard.info()))
            .collect();
        for (name, info) in &infos {
            let _ = writeln!(
                out,
                "collection_points{{collection=\"{}\"}} {}",
                label(name),
                info.points
            );
        }
        out.push_str("# HELP collection_indexed_points Points the indexes answer for, per collection.\n# TYPE collection_indexed_points gauge\n");
        for (name, info) in &infos {
            let _ = writeln!(
                out,
                "collection_indexed_points{{collection=\"{}\"}} {}",
                label(name),
                info.indexed_points
            );
        }
        out.push_str("# HELP collection_segments Segments per collection (the indexed base, and the points changed since).\n# TYPE collection_segments gauge\n");
        for (name, info) in &infos {
            let _ = writeln!(
                out,
                "collection_segments{{collection=\"{}\"}} {}",
                label(name),
                segments(info)
            );
        }
        out
    }
}

/// Segments as Qdrant would count them: the indexed base (when built) and the appendable
/// part (when it holds points).
pub fn segments(info: &sextant_shard::ShardInfo) -> usize {
    usize::from(info.indexed_points > 0)
        + usize::from(info.points > info.indexed_points || info.points == 0)
}
