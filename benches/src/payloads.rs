//! A dataset's `payload.jsonl` for the payload benchmarks: loading it, the payload index's
//! view of it, and the field types its values have.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};
use sextant_core::{PointId, PointOffset};
use sextant_payload_index::{FieldType, PayloadIndex, Points};

/// The payloads of a dataset, one per base vector, as the payload index reads them.
pub struct Payloads(pub Vec<Value>);

impl Points for Payloads {
    fn payload(&self, o: PointOffset) -> Option<Cow<'_, Value>> {
        self.0.get(o as usize).map(Cow::Borrowed)
    }
    fn offsets_of(&self, ids: &[PointId]) -> Vec<PointOffset> {
        ids.iter()
            .filter_map(|id| match id {
                PointId::Num(n) if (*n as usize) < self.0.len() => Some(*n as PointOffset),
                _ => None,
            })
            .collect()
    }
    fn has_vector(&self, _: PointOffset, _: &str) -> bool {
        true
    }
}

/// The type most of a field's (non-null, flattened) values have.
pub fn infer_types(payloads: &[Value]) -> BTreeMap<String, FieldType> {
    let mut votes: BTreeMap<String, BTreeMap<&'static str, usize>> = BTreeMap::new();
    for p in payloads {
        for (k, v) in p.as_object().into_iter().flatten() {
            let items: Vec<&Value> = match v {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            for v in items {
                let kind = match v {
                    Value::Bool(_) => "bool",
                    Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
                    Value::Number(_) => "float",
                    Value::String(s)
                        if sextant_payload_index::datetime::parse_value(s).is_some() =>
                    {
                        "datetime"
                    }
                    Value::String(_) => "keyword",
                    _ => continue,
                };
                *votes.entry(k.clone()).or_default().entry(kind).or_default() += 1;
            }
        }
    }
    votes
        .into_iter()
        .filter_map(|(k, v)| {
            let has_float = v.contains_key("float");
            let (kind, _) = v.into_iter().max_by_key(|(_, n)| *n)?;
            let t = match kind {
                "bool" => FieldType::Bool,
                "integer" if has_float => FieldType::Float,
                "integer" => FieldType::Integer,
                "float" => FieldType::Float,
                "datetime" => FieldType::Datetime,
                _ => FieldType::Keyword,
            };
            Some((k, t))
        })
        .collect()
}

/// Reads `payload.jsonl` of a dataset folder.
pub fn load(dataset: &Path) -> Result<Payloads, String> {
    let path = dataset.join("payload.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))
        })
        .collect::<Result<_, _>>()
        .map(Payloads)
}

/// A payload index over every field of `payloads`, each with the type its values have.
pub fn index_all(
    payloads: &Payloads,
    types: &BTreeMap<String, FieldType>,
) -> Result<PayloadIndex, String> {
    let mut index = PayloadIndex::new();
    for (k, t) in types {
        index
            .create_field(k, *t, payloads)
            .map_err(|e| e.to_string())?;
    }
    for (i, p) in payloads.0.iter().enumerate() {
        index.set(i as PointOffset, p).map_err(|e| e.to_string())?;
    }
    Ok(index)
}

/// Filters, one Qdrant filter JSON object per line of `path`.
pub fn read_filters(path: &Path) -> Result<Vec<Value>, String> {
    std::fs::read_to_string(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| format!("{}: {e}", path.display())))
        .collect()
}

/// The filters `filtered` and `shard` run by default: about 50%, 10%, 1% and 0.1% of
/// minilm-pypi-20k's payloads.
pub fn default_filters() -> Vec<Value> {
    vec![
        json!({"must": [{"key": "year", "range": {"gte": 2025}}]}),
        json!({"must": [{"key": "category", "match": {"value": "web"}}]}),
        json!({"must": [{"key": "name_len", "range": {"gte": 40}}]}),
        json!({"must": [{"key": "category", "match": {"value": "cli"}}, {"key": "year", "match": {"value": 2019}}]}),
    ]
}
