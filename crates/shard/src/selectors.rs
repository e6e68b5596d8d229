//! Which parts of a point a read returns: Qdrant's `with_payload` (all, none, or keys to
//! include or exclude) and `with_vector` (all, none, or some names).

use serde_json::{Map, Value};

/// Qdrant's `with_payload`: the whole payload, none, or the keys given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum WithPayload {
    /// No payload.
    #[default]
    None,
    /// The whole payload.
    All,
    /// Only these keys (paths such as `a.b` or `a[].c` keep that part; a key keeps
    /// everything under it).
    Include(Vec<String>),
    /// Everything but these keys (and what is under them).
    Exclude(Vec<String>),
}

impl From<bool> for WithPayload {
    fn from(all: bool) -> Self {
        if all { Self::All } else { Self::None }
    }
}

/// Qdrant's `with_vector`: every vector of the point, none, or the ones named.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum WithVector {
    /// No vectors.
    #[default]
    None,
    /// Every vector the point has.
    All,
    /// The named ones the point has.
    Names(Vec<String>),
}

impl From<bool> for WithVector {
    fn from(all: bool) -> Self {
        if all { Self::All } else { Self::None }
    }
}

impl WithVector {
    /// Is the vector `name` returned?
    pub(crate) fn wants(&self, name: &str) -> bool {
        match self {
            Self::None => false,
            Self::All => true,
            Self::Names(names) => names.iter().any(|n| n == name),
        }
    }
}

impl WithPayload {
    /// The part of `payload` this selector returns (`None`: no payload).
    pub(crate) fn select(&self, payload: &Value) -> Option<Value> {
        match self {
            Self::None => None,
            Self::All => Some(payload.clone()),
            Self::Include(keys) => Some(filtered(payload, "", &|path| {
                keys.iter().any(|k| prefix_agrees(k, path))
            })),
            Self::Exclude(keys) => Some(filtered(payload, "", &|path| {
                !keys
                    .iter()
                    .any(|k| k.len() <= path.len() && prefix_agrees(k, path))
            })),
        }
    }
}

/// Do the two paths agree on the steps both have (one is a prefix of the other, step by
/// step)? Local Mode's test for `include`, and, with the key no longer than the path, for
/// `exclude`.
fn prefix_agrees(key: &str, path: &str) -> bool {
    let norm = |p: &str| {
        let with_dots: String = p.replace('.', "[.");
        with_dots.split('[').map(str::to_string).collect::<Vec<_>>()
    };
    let (k, p) = (norm(key), norm(path));
    k.iter().zip(&p).all(|(a, b)| a == b)
}

/// `value` with only the parts whose path passes `keep` (an object's keys by `path.key`,
/// an array's elements all by `path[]`).
fn filtered(value: &Value, path: &str, keep: &dyn Fn(&str) -> bool) -> Value {
    match value {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if keep(&p) {
                    out.insert(k.clone(), filtered(v, &p, keep));
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => {
            let p = format!("{path}[]");
            if keep(&p) {
                Value::Array(a.iter().map(|v| filtered(v, &p, keep)).collect())
            } else {
                Value::Array(Vec::new())
            }
        }
        v => v.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Cases checked against Local Mode's `_process_payload`.
    #[test]
    fn payload_selectors_follow_local_mode() {
        let p = json!({"a": {"b": 1, "c": [{"d": 2, "e": 3}]}, "aa": 4, "f": [1, 2]});
        let inc = |k: &[&str]| WithPayload::Include(k.iter().map(|s| s.to_string()).collect());
        let exc = |k: &[&str]| WithPayload::Exclude(k.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            inc(&["a"]).select(&p),
            Some(json!({"a": {"b": 1, "c": [{"d": 2, "e": 3}]}}))
        );
        assert_eq!(
            inc(&["a.b", "f"]).select(&p),
            Some(json!({"a": {"b": 1}, "f": [1, 2]}))
        );
        assert_eq!(
            inc(&["a.c[].d"]).select(&p),
            Some(json!({"a": {"c": [{"d": 2}]}}))
        );
        assert_eq!(inc(&["a.c.d"]).select(&p), Some(json!({"a": {"c": []}})));
        assert_eq!(exc(&["a"]).select(&p), Some(json!({"aa": 4, "f": [1, 2]})));
        assert_eq!(
            exc(&["a.c[].e", "f"]).select(&p),
            Some(json!({"a": {"b": 1, "c": [{"d": 2}]}, "aa": 4}))
        );
        assert_eq!(WithPayload::None.select(&p), None);
        assert_eq!(WithPayload::All.select(&p), Some(p.clone()));
    }
}
