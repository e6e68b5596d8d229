//! The Rust side of the conformance test (`conformance/filters.py`): reads points
//! (`{"id": n, "payload": {...}, "vectors": ["a", ...]}` per line) and filters (one Qdrant
//! filter JSON per line), and prints, per filter, `{"ids": [...]}` with the ids of the points
//! that pass, or `{"error": "..."}` when the filter does not parse.
//!
//! ```text
//! cargo run --example filter_ids -- POINTS.jsonl FILTERS.jsonl > RESULTS.jsonl
//! ```

use std::io::{BufRead, Write};

use serde_json::{Value, json};
use sextant_core::{PointId, PointOffset};
use sextant_payload_index::Filter;
use sextant_payload_index::check::{PointContext, check_filter};

/// Ids and vector names per point offset.
struct Points {
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
    let [points_path, filters_path] = args.as_slice() else {
        return Err("usage: filter_ids POINTS.jsonl FILTERS.jsonl".into());
    };
    let rows = lines(points_path)?;
    let mut payloads = Vec::with_capacity(rows.len());
    let mut points = Points {
        ids: Vec::new(),
        vectors: Vec::new(),
    };
    for row in &rows {
        points.ids.push(serde_json::from_value(row["id"].clone())?);
        payloads.push(row["payload"].clone());
        let names = row["vectors"].as_array().cloned().unwrap_or_default();
        points.vectors.push(
            names
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
        );
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for f in lines(filters_path)? {
        let line = match Filter::from_value(&f) {
            Err(e) => json!({ "error": e.to_string() }),
            Ok(filter) => {
                let ids: Vec<&PointId> = (0..payloads.len())
                    .filter(|&i| check_filter(&filter, &payloads[i], i as PointOffset, &points))
                    .map(|i| &points.ids[i])
                    .collect();
                json!({ "ids": ids })
            }
        };
        writeln!(out, "{line}")?;
    }
    Ok(())
}
