//! The point operations a shard logs and applies: Qdrant's upsert, delete and payload
//! operations. Each is checked against the config before it is logged.
//!
//! A log entry is a format byte, `2`, then the operation in MessagePack with its field
//! names (the same names and shapes as the operation's JSON, but each dense vector one byte
//! string of little-endian f32, a multivector a list of such strings); format `1` (dense vectors as MessagePack f32 values) and an
//! entry starting with `{` (the operation's JSON, logged before format 1) still read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sextant_core::PointId;

use sextant_payload_index::FieldType;

use crate::config::{Datatype, ShardConfig};
use crate::error::{Error, Result};

/// A named vector's values: dense (a list of floats) or sparse (`indices` and `values`, in
/// any order, indices distinct; stored sorted by index). In JSON a list of numbers or an
/// object of the two lists; in binary formats (the log) a dense vector is one byte string of
/// little-endian f32.
#[derive(Debug, Clone, PartialEq)]
pub enum Vector {
    /// A dense vector.
    Dense(Vec<f32>),
    /// A sparse vector.
    Sparse {
        /// Term ids.
        indices: Vec<u32>,
        /// Their weights.
        values: Vec<f32>,
    },
    /// A multivector: one or more dense vectors of the same size (a list of lists in JSON).
    Multi(Vec<Vec<f32>>),
}

impl Serialize for Vector {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        match self {
            // One copy of the values instead of a MessagePack float per value: a third of
            // an upsert's time at 384 dimensions went to encoding them one by one.
            Vector::Dense(v) if !s.is_human_readable() => {
                let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                s.serialize_bytes(&bytes)
            }
            Vector::Dense(v) => v.serialize(s),
            Vector::Multi(rows) if !s.is_human_readable() => {
                use serde::ser::SerializeSeq;
                let mut seq = s.serialize_seq(Some(rows.len()))?;
                for r in rows {
                    let bytes: Vec<u8> = r.iter().flat_map(|x| x.to_le_bytes()).collect();
                    seq.serialize_element(&serde_bytes_of(&bytes))?;
                }
                seq.end()
            }
            Vector::Multi(rows) => rows.serialize(s),
            Vector::Sparse { indices, values } => {
                let mut m = s.serialize_struct("Vector", 2)?;
                m.serialize_field("indices", indices)?;
                m.serialize_field("values", values)?;
                m.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Vector {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(VectorVisitor)
    }
}

/// A byte string for a serializer (serde serializes a `&[u8]` as a list of numbers).
fn serde_bytes_of(bytes: &[u8]) -> impl Serialize + '_ {
    struct Bytes<'a>(&'a [u8]);
    impl Serialize for Bytes<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }
    Bytes(bytes)
}

/// Little-endian f32 values of a byte string.
fn floats_of<E: serde::de::Error>(b: &[u8]) -> std::result::Result<Vec<f32>, E> {
    if !b.len().is_multiple_of(4) {
        return Err(E::invalid_length(b.len(), &"a multiple of 4 bytes"));
    }
    Ok(b.chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect())
}

/// One element of a list read as a vector: a number (a dense vector's value) or a list of
/// numbers / a byte string (a multivector's vector).
enum Element {
    Value(f32),
    Row(Vec<f32>),
}

impl<'de> Deserialize<'de> for Element {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Element;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number or a list of numbers")
            }
            fn visit_f64<E: serde::de::Error>(self, x: f64) -> std::result::Result<Element, E> {
                Ok(Element::Value(x as f32))
            }
            fn visit_f32<E: serde::de::Error>(self, x: f32) -> std::result::Result<Element, E> {
                Ok(Element::Value(x))
            }
            fn visit_i64<E: serde::de::Error>(self, x: i64) -> std::result::Result<Element, E> {
                Ok(Element::Value(x as f32))
            }
            fn visit_u64<E: serde::de::Error>(self, x: u64) -> std::result::Result<Element, E> {
                Ok(Element::Value(x as f32))
            }
            fn visit_bytes<E: serde::de::Error>(self, b: &[u8]) -> std::result::Result<Element, E> {
                floats_of(b).map(Element::Row)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> std::result::Result<Element, A::Error> {
                match VectorVisitor.visit_seq(seq)? {
                    Vector::Dense(v) => Ok(Element::Row(v)),
                    _ => Err(serde::de::Error::custom(
                        "a multivector's vector holds numbers",
                    )),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// Reads a [`Vector`] from a list of numbers, a byte string of little-endian f32 (log
/// format 2), a list of either for a multivector, or an object of `indices` and `values`
/// (other keys ignored).
struct VectorVisitor;

impl<'de> serde::de::Visitor<'de> for VectorVisitor {
    type Value = Vector;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of numbers or an object of indices and values")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Vector, A::Error> {
        use serde::de::Error as _;
        let hint = seq.size_hint().unwrap_or(0).min(crate::config::MAX_DIM);
        let (mut values, mut rows) = (Vec::with_capacity(hint), Vec::new());
        while let Some(e) = seq.next_element::<Element>()? {
            match e {
                Element::Value(x) if rows.is_empty() => values.push(x),
                Element::Row(r) if values.is_empty() => rows.push(r),
                _ => return Err(A::Error::custom("a vector mixes numbers and lists")),
            }
        }
        Ok(match rows.is_empty() {
            true => Vector::Dense(values),
            false => Vector::Multi(rows),
        })
    }

    fn visit_bytes<E: serde::de::Error>(self, b: &[u8]) -> std::result::Result<Vector, E> {
        floats_of(b).map(Vector::Dense)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Vector, A::Error> {
        use serde::de::Error as _;
        let (mut indices, mut values) = (None, None);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match &*key {
                "indices" => indices = Some(map.next_value()?),
                "values" => values = Some(map.next_value()?),
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(Vector::Sparse {
            indices: indices.ok_or_else(|| A::Error::missing_field("indices"))?,
            values: values.ok_or_else(|| A::Error::missing_field("values"))?,
        })
    }
}

impl From<Vec<f32>> for Vector {
    fn from(v: Vec<f32>) -> Self {
        Vector::Dense(v)
    }
}

/// A point: its id, its named vectors (any subset of the config's) and its payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Point {
    /// An unsigned integer or a UUID.
    pub id: PointId,
    /// Vector name → values.
    #[serde(default)]
    pub vectors: BTreeMap<String, Vector>,
    /// A JSON object.
    #[serde(default)]
    pub payload: Map<String, Value>,
}

impl Point {
    /// A point with one vector under `name` and an empty payload.
    pub fn new(id: impl Into<PointId>, name: &str, vector: impl Into<Vector>) -> Self {
        Self {
            id: id.into(),
            vectors: BTreeMap::from([(name.to_string(), vector.into())]),
            payload: Map::new(),
        }
    }

    /// This point with one more vector under `name`.
    pub fn with_vector(mut self, name: &str, vector: impl Into<Vector>) -> Self {
        self.vectors.insert(name.to_string(), vector.into());
        self
    }

    /// This point with `payload` (a JSON object; anything else becomes an empty payload).
    pub fn with_payload(mut self, payload: Value) -> Self {
        self.payload = match payload {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        self
    }
}

/// A point's id and some of its named vectors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointVectors {
    /// The point.
    pub id: PointId,
    /// Vector name → new values.
    pub vectors: BTreeMap<String, Vector>,
}

/// Which points an upsert writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateMode {
    /// New points and existing ones (the default).
    Upsert,
    /// New points only: existing ones are left as they are.
    InsertOnly,
    /// Existing points only: ids not in the shard are skipped.
    UpdateOnly,
}

/// One update, applied whole or not at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum UpdateOp {
    /// Insert the points, replacing whole (vectors and payload) any with the same id.
    Upsert {
        /// The points (ids unique within the batch: the last one of an id would win).
        points: Vec<Point>,
        /// Qdrant's `update_filter`: an existing point is replaced only if it passes this
        /// filter (new points are inserted regardless). Points are taken in order: one
        /// earlier in the batch is an existing point for a later one with its id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        update_filter: Option<Value>,
        /// Qdrant's `update_mode`: insert new points only, replace existing ones only, or
        /// both (`None`: both).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        update_mode: Option<UpdateMode>,
    },
    /// Delete the points with these ids (unknown ids are ignored, as Qdrant does).
    Delete {
        /// The ids.
        ids: Vec<PointId>,
    },
    /// Delete the points passing a filter (Qdrant's filter JSON).
    DeleteByFilter {
        /// The filter.
        filter: Value,
    },
    /// Merge `payload`'s keys into each point's payload (or into the object at `key`).
    SetPayload {
        /// The points (each must exist; none when `filter` selects them).
        #[serde(default)]
        ids: Vec<PointId>,
        /// Or the points passing this filter (Qdrant's filter JSON), when no ids are given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filter: Option<Value>,
        /// Keys and values to set.
        payload: Map<String, Value>,
        /// A payload path (`a.b`, `a[].b`, `a[0]`) to set them at, as Qdrant's `key`:
        /// an object there is merged into, anything else replaced, missing keys created.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
    },
    /// Replace each point's payload by `payload`.
    OverwritePayload {
        /// The points (each must exist; none when `filter` selects them).
        #[serde(default)]
        ids: Vec<PointId>,
        /// Or the points passing this filter (Qdrant's filter JSON), when no ids are given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filter: Option<Value>,
        /// The new payload.
        payload: Map<String, Value>,
    },
    /// Remove these top-level keys from each point's payload.
    DeletePayload {
        /// The points (each must exist; none when `filter` selects them).
        #[serde(default)]
        ids: Vec<PointId>,
        /// Or the points passing this filter (Qdrant's filter JSON), when no ids are given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filter: Option<Value>,
        /// The keys.
        keys: Vec<String>,
    },
    /// Empty each point's payload.
    ClearPayload {
        /// The points (each must exist; none when `filter` selects them).
        #[serde(default)]
        ids: Vec<PointId>,
        /// Or the points passing this filter (Qdrant's filter JSON), when no ids are given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filter: Option<Value>,
    },
    /// Replace the named vectors given for each point, keeping its others and its payload.
    UpdateVectors {
        /// The points (each must exist) and their new vectors.
        points: Vec<PointVectors>,
        /// Only points passing this filter are changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        update_filter: Option<Value>,
    },
    /// Remove the named vectors from each point (names the shard has).
    DeleteVectors {
        /// The points (each must exist; none when `filter` selects them).
        #[serde(default)]
        ids: Vec<PointId>,
        /// Or the points passing this filter (Qdrant's filter JSON), when no ids are given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filter: Option<Value>,
        /// The vector names.
        vectors: Vec<String>,
    },
    /// Index the payload key `key` as `schema` (Qdrant's field types; replaces an index of
    /// another type on the key). Filters give the same results with or without it.
    CreateFieldIndex {
        /// A payload key (`a.b`, `a[]`, ...).
        key: String,
        /// The field type.
        schema: FieldType,
    },
    /// Drop the index of `key` (none there: nothing happens).
    DeleteFieldIndex {
        /// The payload key.
        key: String,
    },
}

impl UpdateOp {
    /// A plain upsert of `points` (no update filter, both new and existing points).
    pub fn upsert(points: Vec<Point>) -> Self {
        UpdateOp::Upsert {
            points,
            update_filter: None,
            update_mode: None,
        }
    }

    /// Merge `payload`'s keys into the payloads of the points `ids`.
    pub fn set_payload(ids: Vec<PointId>, payload: Map<String, Value>) -> Self {
        UpdateOp::SetPayload {
            ids,
            filter: None,
            payload,
            key: None,
        }
    }

    /// Replace the payloads of the points `ids` by `payload`.
    pub fn overwrite_payload(ids: Vec<PointId>, payload: Map<String, Value>) -> Self {
        UpdateOp::OverwritePayload {
            ids,
            filter: None,
            payload,
        }
    }

    /// Remove the top-level `keys` from the payloads of the points `ids`.
    pub fn delete_payload(ids: Vec<PointId>, keys: Vec<String>) -> Self {
        UpdateOp::DeletePayload {
            ids,
            filter: None,
            keys,
        }
    }

    /// Empty the payloads of the points `ids`.
    pub fn clear_payload(ids: Vec<PointId>) -> Self {
        UpdateOp::ClearPayload { ids, filter: None }
    }

    /// Remove the named `vectors` from the points `ids`.
    pub fn delete_vectors(ids: Vec<PointId>, vectors: Vec<String>) -> Self {
        UpdateOp::DeleteVectors {
            ids,
            filter: None,
            vectors,
        }
    }

    /// The filter this operation carries (an upsert's update filter, a delete's selector),
    /// parsed.
    pub(crate) fn filter(&self) -> Result<Option<sextant_payload_index::Filter>> {
        let json = match self {
            UpdateOp::Upsert {
                update_filter: Some(f),
                ..
            }
            | UpdateOp::UpdateVectors {
                update_filter: Some(f),
                ..
            }
            | UpdateOp::DeleteByFilter { filter: f }
            | UpdateOp::SetPayload {
                filter: Some(f), ..
            }
            | UpdateOp::OverwritePayload {
                filter: Some(f), ..
            }
            | UpdateOp::DeletePayload {
                filter: Some(f), ..
            }
            | UpdateOp::ClearPayload {
                filter: Some(f), ..
            }
            | UpdateOp::DeleteVectors {
                filter: Some(f), ..
            } => f,
            _ => return Ok(None),
        };
        sextant_payload_index::Filter::from_value(json)
            .map(Some)
            .map_err(|e| Error::bad(format!("Format error in JSON body: filter: {e}")))
    }

    /// Checks what the config alone can tell: vector names, dimensions, finite values.
    pub(crate) fn check(&self, config: &ShardConfig) -> Result<()> {
        self.filter()?;
        if let UpdateOp::SetPayload { ids, filter, .. }
        | UpdateOp::OverwritePayload { ids, filter, .. }
        | UpdateOp::DeletePayload { ids, filter, .. }
        | UpdateOp::ClearPayload { ids, filter }
        | UpdateOp::DeleteVectors { ids, filter, .. } = self
            && filter.is_some()
            && !ids.is_empty()
        {
            return Err(Error::bad(
                "Wrong input: give either point ids or a filter to select points, not both",
            ));
        }
        if let UpdateOp::SetPayload { key: Some(key), .. } = self {
            key.parse::<sextant_payload_index::path::JsonPath>()
                .map_err(|e| Error::bad(format!("Wrong input: set_payload key: {e}")))?;
        }
        if let UpdateOp::CreateFieldIndex { key, .. } = self {
            key.parse::<sextant_payload_index::path::JsonPath>()
                .map_err(|e| Error::bad(format!("field index key {key:?}: {e}")))?;
        }
        if let UpdateOp::DeleteVectors { vectors, .. } = self
            && let Some(name) = vectors.iter().find(|n| {
                !config.vectors.contains_key(*n)
                    && !config.sparse_vectors.contains_key(*n)
                    && !config.multivectors.contains_key(*n)
            })
        {
            return Err(Error::bad(format!(
                "Wrong input: Not existing vector name error: {name:?}"
            )));
        }
        let named: Vec<(&PointId, &BTreeMap<String, Vector>)> = match self {
            UpdateOp::Upsert { points, .. } => points.iter().map(|p| (&p.id, &p.vectors)).collect(),
            UpdateOp::UpdateVectors { points, .. } => {
                points.iter().map(|p| (&p.id, &p.vectors)).collect()
            }
            _ => return Ok(()),
        };
        for (id, vectors) in named {
            for (name, v) in vectors {
                check_vector(config, name, v)
                    .map_err(|e| Error::bad(format!("{e} (point {id}, vector {name:?})")))?;
            }
        }
        Ok(())
    }

    /// The ids a payload or vector operation names (each must exist), or none.
    pub(crate) fn must_exist(&self) -> Vec<&PointId> {
        match self {
            UpdateOp::SetPayload { ids, .. }
            | UpdateOp::OverwritePayload { ids, .. }
            | UpdateOp::DeletePayload { ids, .. }
            | UpdateOp::ClearPayload { ids, .. }
            | UpdateOp::DeleteVectors { ids, .. } => ids.iter().collect(),
            UpdateOp::UpdateVectors { points, .. } => points.iter().map(|p| &p.id).collect(),
            UpdateOp::Upsert { .. }
            | UpdateOp::Delete { .. }
            | UpdateOp::DeleteByFilter { .. }
            | UpdateOp::CreateFieldIndex { .. }
            | UpdateOp::DeleteFieldIndex { .. } => Vec::new(),
        }
    }
}

/// Checks one named vector against the config: a known name of its kind, the dimension,
/// finite values, distinct sparse indices. The message follows Qdrant's where it has one.
pub(crate) fn check_vector(config: &ShardConfig, name: &str, v: &Vector) -> Result<()> {
    match v {
        Vector::Dense(_) if config.multivectors.contains_key(name) => {
            return Err(Error::bad(format!(
                "Wrong input: {name:?} is a multivector: expected a list of vectors"
            )));
        }
        Vector::Multi(rows) => {
            let Some(params) = config.multivectors.get(name) else {
                return Err(Error::bad(format!(
                    "Not existing vector name error: {name:?} is not a multivector of the shard (multivectors: {:?})",
                    config.multivectors.keys().collect::<Vec<_>>()
                )));
            };
            check_rows(rows, params.size, name)?;
        }
        Vector::Dense(v) => {
            let Some(params) = config.vectors.get(name) else {
                return Err(Error::bad(format!(
                    "Not existing vector name error: {name:?} is not a dense vector of the shard (dense: {:?}, sparse: {:?})",
                    config.vectors.keys().collect::<Vec<_>>(),
                    config.sparse_vectors.keys().collect::<Vec<_>>()
                )));
            };
            if v.len() != params.size {
                return Err(Error::bad(format!(
                    "Wrong input: Vector dimension error: expected dim: {}, got {}",
                    params.size,
                    v.len()
                )));
            }
            if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                return Err(Error::bad(format!(
                    "value {} at {i} is not a finite number",
                    v[i]
                )));
            }
            // Cosine vectors are normalized first: every value fits.
            let f16_max = f32::from(half::f16::MAX);
            if params.datatype == Datatype::Float16
                && params.distance != sextant_core::Distance::Cosine
                && let Some(i) = v.iter().position(|x| x.abs() > f16_max)
            {
                return Err(Error::bad(format!(
                    "Wrong input: value {} at {i} is beyond float16's range (±{f16_max}) of vector {name:?}",
                    v[i]
                )));
            }
            if params.datatype == Datatype::Uint8
                && let Some(i) = v
                    .iter()
                    .position(|x| !(0.0..=255.0).contains(x) || x.fract() != 0.0)
            {
                return Err(Error::bad(format!(
                    "Wrong input: value {} at {i} is not an integer in 0..=255, what the uint8 vector {name:?} holds",
                    v[i]
                )));
            }
        }
        Vector::Sparse { indices, values } => {
            if !config.sparse_vectors.contains_key(name) {
                return Err(Error::bad(format!(
                    "Not existing vector name error: {name:?} is not a sparse vector of the shard (sparse: {:?})",
                    config.sparse_vectors.keys().collect::<Vec<_>>()
                )));
            }
            sextant_core::SparseVector::from_unsorted(indices.clone(), values.clone())
                .map_err(|e| Error::bad(format!("Wrong input: sparse vector: {e}")))?;
        }
    }
    Ok(())
}

/// Checks the vectors of a multivector `name` of `size` (a point's or a query's): one or
/// more, each of the size, finite.
pub(crate) fn check_rows(rows: &[Vec<f32>], size: usize, name: &str) -> Result<()> {
    if rows.is_empty() {
        return Err(Error::bad(format!(
            "Wrong input: multivector {name:?} holds no vector"
        )));
    }
    for (j, r) in rows.iter().enumerate() {
        if r.len() != size {
            return Err(Error::bad(format!(
                "Wrong input: Vector dimension error: expected dim: {size}, got {} (vector {j} of {name:?})",
                r.len()
            )));
        }
        if let Some(i) = r.iter().position(|x| !x.is_finite()) {
            return Err(Error::bad(format!(
                "value {} at {i} of vector {j} is not a finite number",
                r[i]
            )));
        }
    }
    Ok(())
}

/// A log entry's first byte when MessagePack follows: 2 (dense vectors as byte strings), or
/// 1 (dense vectors as MessagePack floats; still read).
const MSGPACK: u8 = 2;
/// The first byte of entries written before dense vectors were byte strings.
const MSGPACK_FLOATS: u8 = 1;

impl UpdateOp {
    /// The operation as a log entry.
    pub(crate) fn to_entry(&self) -> Vec<u8> {
        let mut out = vec![MSGPACK];
        rmp_serde::encode::write_named(&mut out, self).expect("an operation serializes");
        out
    }

    /// The operation of a log entry (MessagePack, or JSON when it starts with `{`).
    pub(crate) fn from_entry(bytes: &[u8]) -> std::result::Result<Self, String> {
        match bytes.first() {
            Some(&(MSGPACK | MSGPACK_FLOATS)) => {
                rmp_serde::from_slice(&bytes[1..]).map_err(|e| e.to_string())
            }
            Some(b'{') => serde_json::from_slice(bytes).map_err(|e| e.to_string()),
            Some(b) => Err(format!("unknown entry format {b}")),
            None => Err("an empty entry".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::VectorParams;
    use sextant_core::Distance;

    fn config() -> ShardConfig {
        ShardConfig::new([("v".to_string(), VectorParams::new(2, Distance::Dot))])
    }

    #[test]
    fn bad_vectors_are_refused_with_where() {
        let up = |name: &str, v: Vec<f32>| UpdateOp::upsert(vec![Point::new(7u64, name, v)]);
        assert!(up("v", vec![1.0, 2.0]).check(&config()).is_ok());
        let e = up("w", vec![1.0, 2.0]).check(&config()).unwrap_err();
        assert!(e.to_string().contains("Not existing vector name"), "{e}");
        let e = up("v", vec![1.0]).check(&config()).unwrap_err();
        assert!(e.to_string().contains("expected dim: 2, got 1"), "{e}");
        let e = up("v", vec![1.0, f32::NAN]).check(&config()).unwrap_err();
        assert!(
            e.to_string().contains("point 7") && e.to_string().contains("at 1"),
            "{e}"
        );
    }

    /// The MessagePack entry of the first golden operation, in hex (format 2: the vector
    /// `c408 0000003f 000080bf`, a byte string of two little-endian f32).
    const GOLDEN_ENTRY: &str = concat!(
        "0282a26f70a6757073657274a6706f696e74739283a2696401a7766563746f727381a176c4080000",
        "003f000080bfa77061796c6f616481a1610183a26964d92435353065383430302d653239622d3431",
        "64342d613731362d343436363535343430303030a7766563746f727380a77061796c6f616480",
    );

    /// The same operation as format 1 wrote it (the vector `92 ca3f000000 cabf800000`, two
    /// MessagePack f32): still read.
    const GOLDEN_ENTRY_V1: &str = concat!(
        "0182a26f70a6757073657274a6706f696e74739283a2696401a7766563746f727381a17692ca3f00",
        "0000cabf800000a77061796c6f616481a1610183a26964d92435353065383430302d653239622d34",
        "3164342d613731362d343436363535343430303030a7766563746f727380a77061796c6f616480",
    );

    /// The log's entry format: these exact bytes must keep decoding to these operations.
    #[test]
    fn logged_form_is_stable() {
        let golden = [
            r#"{"op":"upsert","points":[{"id":1,"vectors":{"v":[0.5,-1.0]},"payload":{"a":1}},{"id":"550e8400-e29b-41d4-a716-446655440000","vectors":{},"payload":{}}]}"#,
            r#"{"op":"upsert","points":[],"update_filter":{"must":[{"key":"a","match":{"value":1}}]},"update_mode":"insert_only"}"#,
            r#"{"op":"delete","ids":[1,2]}"#,
            r#"{"op":"delete_by_filter","filter":{"must_not":[{"has_id":[3]}]}}"#,
            r#"{"op":"set_payload","ids":[1],"payload":{"b":[true,null]}}"#,
            r#"{"op":"overwrite_payload","ids":[1],"payload":{}}"#,
            r#"{"op":"delete_payload","ids":[1],"keys":["a","b"]}"#,
            r#"{"op":"clear_payload","ids":[1]}"#,
            r#"{"op":"set_payload","ids":[],"filter":{"must":[{"key":"a","match":{"value":1}}]},"payload":{"c":2},"key":"n[].m"}"#,
            r#"{"op":"clear_payload","ids":[],"filter":{"must":[{"is_empty":{"key":"b"}}]}}"#,
            r#"{"op":"delete_vectors","ids":[],"filter":{"must":[{"has_id":[2]}]},"vectors":["v"]}"#,
            r#"{"op":"create_field_index","key":"a.b[]","schema":"keyword"}"#,
            r#"{"op":"delete_field_index","key":"a"}"#,
            r#"{"op":"update_vectors","points":[{"id":2,"vectors":{"s":{"indices":[1],"values":[0.5]}}}],"update_filter":{"must":[{"has_id":[2]}]}}"#,
            r#"{"op":"delete_vectors","ids":[2],"vectors":["v"]}"#,
        ];
        for g in golden {
            let op: UpdateOp = serde_json::from_str(g).unwrap();
            assert_eq!(serde_json::to_string(&op).unwrap(), g);
            // Logged as MessagePack, read back the same; a JSON entry still reads.
            assert_eq!(UpdateOp::from_entry(&op.to_entry()).unwrap(), op);
            assert_eq!(UpdateOp::from_entry(g.as_bytes()).unwrap(), op);
        }
        // The MessagePack entry of the first operation, byte for byte.
        let op: UpdateOp = serde_json::from_str(golden[0]).unwrap();
        let hex: String = op.to_entry().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, GOLDEN_ENTRY);
        let v1: Vec<u8> = (0..GOLDEN_ENTRY_V1.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&GOLDEN_ENTRY_V1[i..i + 2], 16).unwrap())
            .collect();
        assert_eq!(UpdateOp::from_entry(&v1).unwrap(), op);
        // A byte string that is not whole f32 values is refused.
        let mut torn = op.to_entry();
        let at = torn.windows(2).position(|w| w == [0xc4, 0x08]).unwrap();
        torn[at + 1] = 0x07;
        torn.remove(at + 2);
        assert!(UpdateOp::from_entry(&torn).is_err());
        for bad in [&b""[..], &b"\x03"[..], &b"\x01\xc1"[..], &b"{\"op\":"[..]] {
            assert!(UpdateOp::from_entry(bad).is_err());
        }
    }

    #[test]
    fn operations_round_trip_through_json() {
        let payload = serde_json::json!({"a": [1, 2.5]});
        let op = UpdateOp::set_payload(vec![3u64.into()], payload.as_object().unwrap().clone());
        let json = serde_json::to_string(&op).unwrap();
        assert_eq!(serde_json::from_str::<UpdateOp>(&json).unwrap(), op);
    }
}
