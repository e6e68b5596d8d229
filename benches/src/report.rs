//! Result files (the record format shared with `benches/peers/peers.py`) and markdown tables.

use serde_json::{Value, json};
use std::path::Path;

/// Name of this harness in result files.
pub const HARNESS: &str = "sextant-bench";

/// A result file: header fields plus one record per measurement.
pub struct Report {
    header: serde_json::Map<String, Value>,
    records: Vec<Value>,
}

impl Report {
    /// A report for `dataset` (its meta) run with `params` (the command-line knobs).
    pub fn new(dataset: Value, params: Value) -> Self {
        let mut header = serde_json::Map::new();
        header.insert("harness".into(), json!(HARNESS));
        header.insert("version".into(), json!(env!("CARGO_PKG_VERSION")));
        header.insert("host".into(), crate::host::host_info());
        header.insert("loadavg_start".into(), json!(crate::host::loadavg()));
        header.insert("dataset".into(), dataset);
        header.insert("params".into(), params);
        Self {
            header,
            records: Vec::new(),
        }
    }

    /// Adds a record.
    pub fn push(&mut self, record: Value) {
        self.records.push(record);
    }

    /// Writes the report as pretty JSON.
    pub fn write(mut self, path: &Path) -> Result<(), String> {
        self.header
            .insert("loadavg_end".into(), json!(crate::host::loadavg()));
        self.header
            .insert("records".into(), Value::Array(self.records));
        let text =
            serde_json::to_string_pretty(&Value::Object(self.header)).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// The `dataset` header of a result file: name, sizes, metric and the folder's meta.json.
pub fn dataset_header(ds: &sextant_datasets::Dataset, n_query: usize) -> Value {
    let meta = ds.meta();
    json!({"name": meta.name, "n_base": meta.n_base, "n_query": n_query, "dim": meta.dim,
        "metric": meta.metric, "meta": meta})
}

/// A markdown table, printed with aligned columns.
pub struct Table {
    head: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column names.
    pub fn new(head: &[&str]) -> Self {
        Self {
            head: head.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (as many cells as columns).
    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.head.len());
        self.rows.push(cells);
    }

    /// Renders the table as markdown.
    pub fn render(&self) -> String {
        let widths: Vec<usize> = (0..self.head.len())
            .map(|c| {
                self.rows
                    .iter()
                    .map(|r| r[c].len())
                    .chain([self.head[c].len(), 3])
                    .max()
                    .unwrap_or(3)
            })
            .collect();
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .map(|(c, &w)| format!("{c:<w$}"))
                .collect();
            format!("| {} |\n", padded.join(" | "))
        };
        let mut out = line(&self.head);
        let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
        out.push_str(&line(&rule));
        self.rows.iter().for_each(|r| out.push_str(&line(r)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_renders_markdown() {
        let mut t = Table::new(&["lib", "qps"]);
        t.row(vec!["sextant-exact".into(), "1234".into()]);
        assert_eq!(
            t.render(),
            "| lib           | qps  |\n| ------------- | ---- |\n| sextant-exact | 1234 |\n"
        );
    }

    #[test]
    fn report_has_the_peer_record_shape() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.json");
        let mut r = Report::new(json!({"name": "x"}), json!({"k": 10}));
        r.push(json!({"lib": "sextant-exact", "kind": "search", "recall": 1.0, "qps": 5.0}));
        r.write(&p).unwrap();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(v["harness"], "sextant-bench");
        assert_eq!(v["records"][0]["lib"], "sextant-exact");
        assert!(v["host"]["nproc"].as_u64().unwrap() >= 1);
    }
}
