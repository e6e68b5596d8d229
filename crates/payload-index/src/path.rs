//! Payload keys as Qdrant writes them (`a.b`, `a[]`, `a[].b`, `a[0]`, `"quoted.key"`), and the
//! values a key reaches in a JSON payload.
//!
//! The grammar and the extraction follow `qdrant-client`'s Local Mode: a key is a run of
//! letters, digits, `_` and `-`, or any text between double quotes; each key may be followed
//! by `[]` (every element) or `[n]` (element `n`); keys are joined by `.`. A plain key does not
//! step into arrays (`a.b` on `{"a": [{"b": 1}]}` reaches nothing; `a[].b` reaches `1`), and an
//! array at the end of the path is flattened one level for matching (`a` on `{"a": [1, 2]}`
//! reaches `1` and `2`).

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathItem {
    /// An object key.
    Key(String),
    /// One element of an array.
    Index(usize),
    /// Every element of an array (`[]`).
    Wildcard,
}

/// A parsed payload key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JsonPath {
    items: Vec<PathItem>,
    text: String,
}

/// Why a key is not a valid path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid payload key {key:?}: {why}")]
pub struct PathError {
    /// The key as given.
    pub key: String,
    /// What is wrong with it.
    pub why: &'static str,
}

impl FromStr for JsonPath {
    type Err = PathError;

    fn from_str(key: &str) -> Result<Self, PathError> {
        let err = |why| PathError {
            key: key.to_string(),
            why,
        };
        let mut items = Vec::new();
        let mut rest = key;
        if rest.is_empty() {
            return Err(err("empty key"));
        }
        loop {
            if let Some(quoted) = rest.strip_prefix('"') {
                let end = quoted.find('"').ok_or(err("unclosed quote"))?;
                items.push(PathItem::Key(quoted[..end].to_string()));
                rest = &quoted[end + 1..];
            } else {
                let end = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
                    .unwrap_or(rest.len());
                if end == 0 {
                    return Err(err("expected a key"));
                }
                items.push(PathItem::Key(rest[..end].to_string()));
                rest = &rest[end..];
            }
            while let Some(inner) = rest.strip_prefix('[') {
                let end = inner.find(']').ok_or(err("unclosed bracket"))?;
                let index = &inner[..end];
                if index.is_empty() {
                    items.push(PathItem::Wildcard);
                } else if index.bytes().all(|b| b.is_ascii_digit()) {
                    items.push(PathItem::Index(
                        index.parse().map_err(|_| err("array index too large"))?,
                    ));
                } else {
                    return Err(err("an array index must be digits or empty"));
                }
                rest = &inner[end + 1..];
            }
            if rest.is_empty() {
                return Ok(Self {
                    items,
                    text: key.to_string(),
                });
            }
            rest = rest.strip_prefix('.').ok_or(err("expected '.' or '['"))?;
            if rest.is_empty() {
                return Err(err("ends with '.'"));
            }
        }
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl JsonPath {
    /// The key as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The steps of the path.
    pub fn items(&self) -> &[PathItem] {
        &self.items
    }

    /// The values the path reaches, an array at the end flattened one level: what `match`,
    /// `range` and the geo conditions test (any of them may pass). Empty when the key is
    /// missing (or holds an empty array).
    pub fn values<'a>(&self, payload: &'a Value) -> Vec<&'a Value> {
        let mut out = Vec::new();
        collect(payload, &self.items, true, &mut out);
        out
    }

    /// The values the path reaches, an array at the end kept whole: what `is_null`,
    /// `is_empty` and `values_count` test. `None` when the key is missing.
    pub fn values_unflattened<'a>(&self, payload: &'a Value) -> Option<Vec<&'a Value>> {
        let mut out = Vec::new();
        collect(payload, &self.items, false, &mut out);
        (!out.is_empty()).then_some(out)
    }
}

impl JsonPath {
    /// Sets `value`'s keys at the path in `payload`, as Qdrant's `set_payload` with a `key`
    /// does (and Local Mode): an object found at the end is merged into, anything else there
    /// is replaced by `value`; missing keys on the way are created as objects; `[]` sets in
    /// every element, `[n]` in element `n` when it exists; a key met on a non-object
    /// replaces it with an object, an index met on a non-array replaces it with `[]` (and
    /// sets nothing further).
    pub fn set(&self, payload: &mut Map<String, Value>, value: &Map<String, Value>) {
        let Some((PathItem::Key(first), rest)) = self.items.split_first() else {
            return; // the parser makes every path start with a key
        };
        let slot = payload
            .entry(first.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        set_in(slot, rest, value);
    }
}

/// Sets `value` in `slot` along `items` (see [`JsonPath::set`]); `slot` itself is replaced
/// when its type does not fit the next step.
fn set_in(slot: &mut Value, items: &[PathItem], value: &Map<String, Value>) {
    let Some((item, rest)) = items.split_first() else {
        match slot {
            Value::Object(m) => m.extend(value.clone()),
            other => *other = Value::Object(value.clone()),
        }
        return;
    };
    match (item, &mut *slot) {
        (PathItem::Key(k), Value::Object(m)) => {
            let next = m
                .entry(k.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            set_in(next, rest, value);
        }
        (PathItem::Key(k), _) => {
            let mut next = Value::Object(Map::new());
            set_in(&mut next, rest, value);
            *slot = Value::Object(Map::from_iter([(k.clone(), next)]));
        }
        (PathItem::Index(i), Value::Array(a)) => {
            if let Some(next) = a.get_mut(*i) {
                set_in(next, rest, value);
            }
        }
        (PathItem::Wildcard, Value::Array(a)) => {
            a.iter_mut().for_each(|next| set_in(next, rest, value));
        }
        (PathItem::Index(_) | PathItem::Wildcard, _) => *slot = Value::Array(Vec::new()),
    }
}

fn collect<'a>(data: &'a Value, items: &[PathItem], flat: bool, out: &mut Vec<&'a Value>) {
    let Some((item, rest)) = items.split_first() else {
        return;
    };
    let last = rest.is_empty();
    match (item, data) {
        (PathItem::Key(k), Value::Object(map)) => {
            if let Some(v) = map.get(k) {
                match (last, v) {
                    (true, Value::Array(a)) if flat => out.extend(a),
                    (true, v) => out.push(v),
                    (false, v) => collect(v, rest, flat, out),
                }
            }
        }
        (PathItem::Index(i), Value::Array(a)) => {
            if let Some(v) = a.get(*i) {
                if last {
                    out.push(v);
                } else {
                    collect(v, rest, flat, out);
                }
            }
        }
        (PathItem::Wildcard, Value::Array(a)) => {
            if last {
                out.extend(a);
            } else {
                a.iter().for_each(|v| collect(v, rest, flat, out));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(s: &str) -> JsonPath {
        s.parse().unwrap()
    }

    #[test]
    fn keys_parse_like_qdrant_writes_them() {
        use PathItem::*;
        let k = |s: &str| Key(s.to_string());
        assert_eq!(path("a").items(), [k("a")]);
        assert_eq!(path("a.b-c_d").items(), [k("a"), k("b-c_d")]);
        assert_eq!(path("a[].b").items(), [k("a"), Wildcard, k("b")]);
        assert_eq!(path("a[0][12]").items(), [k("a"), Index(0), Index(12)]);
        assert_eq!(path(r#""a.b[]".c"#).items(), [k("a.b[]"), k("c")]);
        assert_eq!(path("café.名").items(), [k("café"), k("名")]);
        for bad in [
            "", ".a", "a.", "a..b", "a[", "a[x]", "a[-1]", "a b", r#""a"#, "a]",
        ] {
            assert!(bad.parse::<JsonPath>().is_err(), "{bad:?}");
        }
    }

    /// Cases checked against Local Mode's `set_payload(..., key=...)`.
    #[test]
    fn set_at_a_key_follows_local_mode() {
        let set = |payload: Value, key: &str, value: Value| {
            let (Value::Object(mut p), Value::Object(v)) = (payload, value) else {
                panic!("objects")
            };
            path(key).set(&mut p, &v);
            Value::Object(p)
        };
        let v = json!({"x": 1});
        assert_eq!(set(json!({}), "a", v.clone()), json!({"a": {"x": 1}}));
        assert_eq!(
            set(json!({"a": {"y": 2, "x": 0}}), "a", v.clone()),
            json!({"a": {"y": 2, "x": 1}})
        );
        assert_eq!(set(json!({"a": 5}), "a", v.clone()), json!({"a": {"x": 1}}));
        assert_eq!(
            set(json!({"a": 5}), "a.b", v.clone()),
            json!({"a": {"b": {"x": 1}}})
        );
        assert_eq!(
            set(json!({}), "a.b.c", v.clone()),
            json!({"a": {"b": {"c": {"x": 1}}}})
        );
        assert_eq!(
            set(json!({"a": [{"b": 1}, 7, {"c": 2}]}), "a[]", v.clone()),
            json!({"a": [{"b": 1, "x": 1}, {"x": 1}, {"c": 2, "x": 1}]})
        );
        assert_eq!(
            set(json!({"a": [{"b": 1}, 7]}), "a[].b", v.clone()),
            json!({"a": [{"b": {"x": 1}}, {"b": {"x": 1}}]})
        );
        assert_eq!(
            set(json!({"a": [1, 2]}), "a[1]", v.clone()),
            json!({"a": [1, {"x": 1}]})
        );
        assert_eq!(
            set(json!({"a": [1, 2]}), "a[5]", v.clone()),
            json!({"a": [1, 2]})
        );
        assert_eq!(
            set(json!({"a": {"b": 1}}), "a[0].c", v.clone()),
            json!({"a": []})
        );
        assert_eq!(set(json!({}), "a[]", v.clone()), json!({"a": []}));
    }

    #[test]
    fn values_follow_local_mode() {
        let p = json!({
            "a": [1, [2, 3]],
            "o": {"b": "x"},
            "list": [{"b": 1}, {"b": [2, 3]}, {"c": 4}],
            "null": null,
            "empty": []
        });
        let vals = |k: &str| path(k).values(&p).into_iter().cloned().collect::<Vec<_>>();
        assert_eq!(vals("a"), [json!(1), json!([2, 3])]);
        assert_eq!(vals("a[]"), [json!(1), json!([2, 3])]);
        assert_eq!(vals("a[1]"), [json!([2, 3])]);
        assert_eq!(vals("o.b"), [json!("x")]);
        assert!(
            vals("list.b").is_empty(),
            "a plain key does not step into arrays"
        );
        assert_eq!(vals("list[].b"), [json!(1), json!(2), json!(3)]);
        assert_eq!(vals("list[1].b"), [json!(2), json!(3)]);
        assert_eq!(vals("null"), [json!(null)]);
        assert!(vals("empty").is_empty() && vals("missing").is_empty());
        let raw = |k: &str| path(k).values_unflattened(&p);
        assert_eq!(raw("empty").unwrap(), [&json!([])]);
        assert_eq!(raw("list[].b").unwrap(), [&json!(1), &json!([2, 3])]);
        assert_eq!(raw("missing"), None);
    }
}
