//! The Rust side of the Local Mode conformance test (`conformance/shard.py`): reads a script
//! `{"config": ..., "steps": [...]}` on stdin, runs it on a fresh shard in a temporary folder
//! and prints one JSON result per step on stdout. Steps: `{"update": op}` → `{"ok": version}`
//! or `{"error": message}`; `{"query": body}` (Qdrant's REST query body) →
//! `[[id, score, payload, order_value], ...]`; `{"groups": body}` (Qdrant's REST query
//! groups body) → `[[group id, [[id, score, payload], ...]], ...]`;
//! `{"count": filter or null}` → n; `{"retrieve": [ids]}` → `[[id, payload, vectors], ...]`;
//! `{"scroll": body}` (Qdrant's REST scroll body) → `{"points": [[id, payload], ...],
//! "next": id}`; a refused read → `{"error": message}`;
//! `{"facet": {"key", "filter", "limit"}}` → `[[value, count], ...]` or `{"error": message}`;
//! `{"reopen": true}` → `null` (the shard closed and opened again).

use std::io::Read;

use serde_json::{Value, json};
use sextant_payload_index::Filter;
use sextant_shard::{
    GroupId, GroupsRequest, QueryRequest, ScrollRequest, Shard, ShardConfig, UpdateOp,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let script: Value = serde_json::from_str(&input)?;
    let config: ShardConfig = serde_json::from_value(script["config"].clone())?;
    let dir = std::env::temp_dir().join(format!("sextant-shard-script-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut shard = Some(Shard::create(&dir, config)?);
    let empty = Vec::new();
    for step in script["steps"].as_array().unwrap_or(&empty) {
        let s = shard.as_ref().expect("open");
        let out = if let Some(op) = step.get("update") {
            let op: UpdateOp = serde_json::from_value(op.clone())?;
            match s.update(op) {
                Ok(v) => json!({"ok": v}),
                Err(e) => json!({"error": e.to_string()}),
            }
        } else if let Some(q) = step.get("query") {
            match QueryRequest::from_json(q).and_then(|req| s.query(&req)) {
                Ok(hits) => hits
                    .iter()
                    .map(|h| json!([h.id, h.score, h.payload, h.order_value]))
                    .collect(),
                Err(e) => json!({"error": e.to_string()}),
            }
        } else if let Some(q) = step.get("groups") {
            match GroupsRequest::from_json(q).and_then(|req| s.query_groups(&req)) {
                Ok(groups) => groups
                    .iter()
                    .map(|g| {
                        let id = match &g.id {
                            GroupId::Int(i) => json!(i),
                            GroupId::Str(s) => json!(s),
                        };
                        let hits: Vec<Value> = g
                            .hits
                            .iter()
                            .map(|h| json!([h.id, h.score, h.payload]))
                            .collect();
                        json!([id, hits])
                    })
                    .collect(),
                Err(e) => json!({"error": e.to_string()}),
            }
        } else if let Some(f) = step.get("count") {
            let filter = (!f.is_null()).then(|| Filter::from_value(f)).transpose()?;
            json!(s.count(filter.as_ref()))
        } else if let Some(ids) = step.get("retrieve") {
            let ids: Vec<sextant_core::PointId> = serde_json::from_value(ids.clone())?;
            s.retrieve(&ids, true, true)
                .iter()
                .map(|r| json!([r.id, r.payload, r.vectors]))
                .collect()
        } else if let Some(q) = step.get("scroll") {
            match ScrollRequest::from_json(q).and_then(|req| s.scroll(&req)) {
                Ok(page) => {
                    let points: Vec<Value> = page
                        .points
                        .iter()
                        .map(|r| json!([r.id, r.payload, r.order_value]))
                        .collect();
                    json!({"points": points, "next": page.next_page_offset})
                }
                Err(e) => json!({"error": e.to_string()}),
            }
        } else if let Some(q) = step.get("facet") {
            let filter = (!q["filter"].is_null())
                .then(|| Filter::from_value(&q["filter"]))
                .transpose()?;
            let key = q["key"].as_str().unwrap_or("");
            let limit = q["limit"].as_u64().unwrap_or(10) as usize;
            match s.facet(key, filter.as_ref(), limit) {
                Ok(hits) => hits.iter().map(|h| json!([h.value, h.count])).collect(),
                Err(e) => json!({"error": e.to_string()}),
            }
        } else if step.get("reopen").is_some() {
            drop(shard.take());
            shard = Some(Shard::open(&dir)?);
            Value::Null
        } else {
            return Err(format!("unknown step {step}").into());
        };
        println!("{out}");
    }
    drop(shard);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
