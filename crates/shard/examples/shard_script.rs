//! The Rust side of the Local Mode conformance test (`conformance/shard.py`): reads a script
//! `{"config": ..., "steps": [...]}` on stdin, runs it on a fresh shard in a temporary folder
//! and prints one JSON result per step on stdout. Steps: `{"update": op}` → `{"ok": version}`
//! or `{"error": message}`; `{"query": {...}}` (a vector or a fusion, with nested prefetches)
//! → `[[id, score, payload], ...]`;
//! `{"count": filter or null}` → n; `{"retrieve": [ids]}` → `[[id, payload, vectors], ...]`;
//! `{"scroll": {"filter", "limit", "offset"}}` → `{"points": [[id, payload], ...], "next": id}`;
//! `{"facet": {"key", "filter", "limit"}}` → `[[value, count], ...]` or `{"error": message}`;
//! `{"reopen": true}` → `null` (the shard closed and opened again).

use std::io::Read;

use serde_json::{Value, json};
use sextant_payload_index::Filter;
use sextant_shard::{
    Fusion, Prefetch, Query, QueryRequest, ScrollRequest, Shard, ShardConfig, UpdateOp, Vector,
};

/// A query or prefetch stage from the script's JSON: `using`, `vector` or `fusion` (`"rrf"`,
/// `"dbsf"`, or `{"k", "weights"}` for RRF), `prefetch` (stages), `limit`, `filter`,
/// `score_threshold`.
fn prefetch(q: &Value) -> Result<Prefetch, Box<dyn std::error::Error>> {
    let query = match &q["fusion"] {
        Value::Null => Query::Nearest(serde_json::from_value::<Vector>(q["vector"].clone())?),
        Value::String(f) if f == "dbsf" => Query::Fusion(Fusion::Dbsf),
        Value::String(_) => Query::Fusion(Fusion::Rrf {
            k: None,
            weights: None,
        }),
        rrf => Query::Fusion(Fusion::Rrf {
            k: rrf["k"].as_u64().map(|k| k as u32),
            weights: serde_json::from_value(rrf["weights"].clone())?,
        }),
    };
    let mut p = Prefetch::new(
        q["using"].as_str().unwrap_or(""),
        query,
        q["limit"].as_u64().unwrap_or(10) as usize,
    );
    if let Some(stages) = q["prefetch"].as_array() {
        p.prefetch = stages.iter().map(prefetch).collect::<Result<_, _>>()?;
    }
    if !q["filter"].is_null() {
        p.filter = Some(Filter::from_value(&q["filter"])?);
    }
    p.score_threshold = q["score_threshold"].as_f64().map(|t| t as f32);
    Ok(p)
}

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
            let stage = prefetch(q)?;
            let mut req = QueryRequest::new(&stage.using, stage.query, stage.limit);
            req.prefetch = stage.prefetch;
            req.filter = stage.filter;
            req.score_threshold = stage.score_threshold;
            req.offset = q["offset"].as_u64().unwrap_or(0) as usize;
            req.with_payload = true;
            match s.query(&req) {
                Ok(hits) => hits
                    .iter()
                    .map(|h| json!([h.id, h.score, h.payload]))
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
            let mut req = ScrollRequest::new(q["limit"].as_u64().unwrap_or(10) as usize);
            req.with_payload = true;
            if !q["offset"].is_null() {
                req.offset = Some(serde_json::from_value(q["offset"].clone())?);
            }
            if !q["filter"].is_null() {
                req.filter = Some(Filter::from_value(&q["filter"])?);
            }
            let page = s.scroll(&req);
            let points: Vec<Value> = page
                .points
                .iter()
                .map(|r| json!([r.id, r.payload]))
                .collect();
            json!({"points": points, "next": page.next_page_offset})
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
