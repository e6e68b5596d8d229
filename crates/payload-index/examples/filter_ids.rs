//! The Rust side of the conformance test (`conformance/filters.py`): reads points
//! (`{"id": n, "payload": {...}, "vectors": ["a", ...]}` per line), filters (one Qdrant
//! filter JSON per line) and a schema (`{"key": "keyword", ...}`: the field indexes to build),
//! and prints, per filter, `{"ids": [...]}` with the ids of the points that pass as the
//! indexes evaluate it, or `{"error": "..."}` when the filter does not parse or when the
//! index-backed result differs from evaluating every payload on its own.
//!
//! ```text
//! cargo run --example filter_ids -- POINTS.jsonl FILTERS.jsonl SCHEMA.json > RESULTS.jsonl
//! ```

use std::io::{BufRead, Write};

use serde_json::{Value, json};
use sextant_core::{PointId, PointOffset};
use sextant_payload_index::check::{PointContext, check_filter};
use sextant_payload_index::facet::{Direction, OrderValue};
use sextant_payload_index::{FieldType, Filter, PayloadIndex};

/// Payloads, ids and vector names per point offset.
struct Points {
    payloads: Vec<Value>,
    ids: Vec<PointId>,
    vectors: Vec<Vec<String>>,
}

impl PointContext for Points {
    fn has_id(&self, offset: PointOffset, ids: &[PointId]) -> bool {
        ids.contains(&self.ids[offset as usize])
    }
    fn has_vector(&self, offset: PointOffset, name: &str) -> bool {
        self.vectors[offset as usize].iter().any(|v| v == name)
    }
}

impl sextant_payload_index::Points for Points {
    fn payload(&self, offset: PointOffset) -> Option<std::borrow::Cow<'_, Value>> {
        self.payloads
            .get(offset as usize)
            .map(std::borrow::Cow::Borrowed)
    }
    fn offsets_of(&self, ids: &[PointId]) -> Vec<PointOffset> {
        let mut out = Vec::new();
        for (i, id) in self.ids.iter().enumerate() {
            if ids.contains(id) {
                out.push(i as PointOffset);
            }
        }
        out
    }
    fn has_vector(&self, offset: PointOffset, name: &str) -> bool {
        PointContext::has_vector(self, offset, name)
    }
}

fn lines(path: &str) -> Result<Vec<Value>, Box<dyn std::error::Error>> {
    let file = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut out = Vec::new();
    for line in file.lines() {
        let line = line?;
        if !line.trim().is_empty() {
            out.push(serde_json::from_str(&line)?);
        }
    }
    Ok(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [points_path, filters_path, schema_path] = args.as_slice() else {
        return Err("usage: filter_ids POINTS.jsonl FILTERS.jsonl SCHEMA.json".into());
    };
    let rows = lines(points_path)?;
    let mut points = Points {
        payloads: Vec::with_capacity(rows.len()),
        ids: Vec::new(),
        vectors: Vec::new(),
    };
    let mut index = PayloadIndex::new();
    for (i, row) in rows.iter().enumerate() {
        points.ids.push(serde_json::from_value(row["id"].clone())?);
        points.payloads.push(row["payload"].clone());
        index.set(i as PointOffset, &row["payload"])?;
        let names = row["vectors"].as_array().cloned().unwrap_or_default();
        points.vectors.push(
            names
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
        );
    }
    let schema: std::collections::BTreeMap<String, FieldType> =
        serde_json::from_str(&std::fs::read_to_string(schema_path)?)?;
    for (key, kind) in &schema {
        index.create_field(key, *kind, &points)?;
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for f in lines(filters_path)? {
        if let Some(q) = f.get("facet") {
            writeln!(out, "{}", facet(&index, &points, q))?;
            continue;
        }
        if let Some(q) = f.get("order_by") {
            writeln!(out, "{}", order_by(&index, &points, q))?;
            continue;
        }
        let line = match Filter::from_value(&f) {
            Err(e) => json!({ "error": e.to_string() }),
            Ok(filter) => {
                let brute: Vec<PointOffset> = (0..points.payloads.len() as PointOffset)
                    .filter(|&o| check_filter(&filter, &points.payloads[o as usize], o, &points))
                    .collect();
                let indexed: Vec<PointOffset> = index.filter(&filter, &points).iter().collect();
                if indexed == brute {
                    let ids: Vec<&PointId> =
                        indexed.iter().map(|&o| &points.ids[o as usize]).collect();
                    json!({ "ids": ids })
                } else {
                    json!({ "error": format!("index gives {} points, payloads {}", indexed.len(), brute.len()) })
                }
            }
        };
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn optional_filter(q: &Value) -> Result<Option<Filter>, String> {
    match q.get("filter") {
        None | Some(Value::Null) => Ok(None),
        Some(f) => Filter::from_value(f).map(Some).map_err(|e| e.to_string()),
    }
}

/// `{"facet": {"key", "filter", "limit"}}` → `{"hits": [[value, count], ...]}`.
fn facet(index: &PayloadIndex, points: &Points, q: &Value) -> Value {
    let run = || -> Result<Value, String> {
        let filter = optional_filter(q)?;
        let key = q["key"].as_str().ok_or("facet.key")?;
        let limit = q["limit"].as_u64().unwrap_or(10) as usize;
        let hits = index
            .facet(key, filter.as_ref(), limit, points)
            .map_err(|e| e.to_string())?;
        Ok(json!({ "hits": hits.iter().map(|h| json!([h.value, h.count])).collect::<Vec<_>>() }))
    };
    run().unwrap_or_else(|e| json!({ "error": e }))
}

/// `{"order_by": {"key", "direction", "start_from", "filter", "limit"}}` → `{"ids": [...]}`.
fn order_by(index: &PayloadIndex, points: &Points, q: &Value) -> Value {
    let run = || -> Result<Value, String> {
        let filter = optional_filter(q)?;
        let key = q["key"].as_str().ok_or("order_by.key")?;
        let direction = match q["direction"].as_str() {
            Some("desc") => Direction::Desc,
            _ => Direction::Asc,
        };
        let start = match &q["start_from"] {
            Value::Number(n) if n.is_i64() => Some(OrderValue::Int(n.as_i64().unwrap_or(0))),
            Value::Number(n) => n.as_f64().map(OrderValue::Float),
            Value::String(s) => {
                sextant_payload_index::datetime::parse_bound(s).map(OrderValue::Int)
            }
            _ => None,
        };
        let limit = q["limit"].as_u64().unwrap_or(10) as usize;
        let pairs = index
            .order_by(key, direction, start, filter.as_ref(), points)
            .map_err(|e| e.to_string())?;
        let ids: Vec<&PointId> = pairs
            .iter()
            .take(limit)
            .map(|(_, o)| &points.ids[*o as usize])
            .collect();
        Ok(json!({ "ids": ids }))
    };
    run().unwrap_or_else(|e| json!({ "error": e }))
}
