//! Qdrant's REST request bodies for reads, parsed into the shard's requests: `query`
//! (`POST /collections/{name}/points/query`), query groups (`.../query/groups`), scroll
//! (`.../points/scroll`) and the distance matrix (`.../points/search/matrix/pairs` and
//! `.../offsets`). The server hands the bodies over as they come; a test or a program
//! can do the same. Fields the shard does not read (`shard_key`, `consistency`, `timeout`,
//! `lookup_from` once resolved...) are for the caller; unknown fields are ignored, as Qdrant
//! ignores them; a field of the wrong shape is an error naming it.
//!
//! Not read here (an error says so): multivectors, inference objects (documents, images).

use serde_json::{Map, Value};
use sextant_core::PointId;
use sextant_payload_index::Filter;
use sextant_payload_index::facet::{Direction, OrderValue};

use crate::error::{Error, Result};
use crate::formula_json;
use crate::fusion::Fusion;
use crate::matrix::{self, MatrixRequest};
use crate::ops::Vector;
use crate::query::{
    ContextPair, FeedbackItem, GroupsRequest, Mmr, OrderBy, Prefetch, QuantizationParams, Query,
    QueryRequest, Recommend, RecommendStrategy, RelevanceFeedback, SearchParams, VectorInput,
};
use crate::scroll::ScrollRequest;
use crate::selectors::{WithPayload, WithVector};

/// Qdrant's default `limit`.
const LIMIT: usize = 10;
/// Qdrant's default `group_size`.
const GROUP_SIZE: usize = 3;

fn bad(what: &str, why: impl std::fmt::Display) -> Error {
    Error::bad(format!("Format error in JSON body: {what}: {why}"))
}

/// The field `key` of `body`, `None` when missing or null.
fn field<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    body.get(key).filter(|v| !v.is_null())
}

fn object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| bad(what, "expected an object"))
}

fn count(body: &Map<String, Value>, key: &str, default: usize) -> Result<usize> {
    match field(body, key) {
        None => Ok(default),
        Some(v) => v
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| bad(key, format!("expected a non-negative integer, got {v}"))),
    }
}

fn float(body: &Map<String, Value>, key: &str) -> Result<Option<f64>> {
    field(body, key)
        .map(|v| {
            v.as_f64()
                .ok_or_else(|| bad(key, format!("expected a number, got {v}")))
        })
        .transpose()
}

fn boolean(body: &Map<String, Value>, key: &str) -> Result<bool> {
    match field(body, key) {
        None => Ok(false),
        Some(v) => v
            .as_bool()
            .ok_or_else(|| bad(key, format!("expected true or false, got {v}"))),
    }
}

fn text(v: &Value, what: &str) -> Result<String> {
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| bad(what, format!("expected a string, got {v}")))
}

fn filter(body: &Map<String, Value>, key: &str) -> Result<Option<Filter>> {
    field(body, key)
        .map(|v| Filter::from_value(v).map_err(|e| bad(key, e)))
        .transpose()
}

/// A point id: an unsigned integer or a UUID string.
pub(crate) fn point_id(v: &Value, what: &str) -> Result<PointId> {
    match v {
        Value::Number(n) => n.as_u64().map(PointId::from),
        Value::String(s) => PointId::parse_uuid(s).ok(),
        _ => None,
    }
    .ok_or_else(|| {
        bad(
            what,
            format!("{v} is not a point id (an unsigned integer or a UUID)"),
        )
    })
}

impl Vector {
    /// A vector in Qdrant's JSON: a list of numbers (dense), a list of such lists
    /// (multivector) or `{indices, values}` (sparse); inference objects are refused with a
    /// message naming `what`.
    pub fn from_json(v: &Value, what: &str) -> Result<Self> {
        match v {
            Value::Array(a) if a.first().is_some_and(Value::is_array) => a
                .iter()
                .map(|r| match Vector::from_json(r, what)? {
                    Vector::Dense(r) => Ok(r),
                    _ => Err(bad(what, "a multivector is a list of lists of numbers")),
                })
                .collect::<Result<Vec<_>>>()
                .map(Vector::Multi),
            Value::Array(a) => a
                .iter()
                .map(|x| x.as_f64().map(|x| x as f32))
                .collect::<Option<Vec<f32>>>()
                .map(Vector::Dense)
                .ok_or_else(|| {
                    bad(
                        what,
                        "expected a list of numbers (NaN and inf are not JSON)",
                    )
                }),
            Value::Object(m) if m.contains_key("indices") => serde_json::from_value(v.clone())
                .map_err(|e| bad(what, format!("a sparse vector is {{indices, values}}: {e}"))),
            Value::Object(_) => Err(bad(
                what,
                "inference objects (documents, images) are not supported: send vectors",
            )),
            _ => Err(bad(what, "expected a vector")),
        }
    }
}

/// A vector input: dense values, a sparse `{indices, values}`, or a point id.
fn vector_input(v: &Value, what: &str) -> Result<VectorInput> {
    match v {
        Value::Array(_) | Value::Object(_) => Vector::from_json(v, what).map(VectorInput::Vector),
        _ => point_id(v, what).map(VectorInput::Id),
    }
}

fn pair(v: &Value, what: &str) -> Result<ContextPair> {
    let m = object(v, what)?;
    let side = |k: &str| {
        let v = field(m, k).ok_or_else(|| bad(what, format!("a context pair needs {k:?}")))?;
        vector_input(v, &format!("{what}.{k}"))
    };
    Ok(ContextPair {
        positive: side("positive")?,
        negative: side("negative")?,
    })
}

/// Context pairs: a list, or one pair.
fn pairs(v: Option<&Value>, what: &str) -> Result<Vec<ContextPair>> {
    match v {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => a.iter().map(|p| pair(p, what)).collect(),
        Some(p) => Ok(vec![pair(p, what)?]),
    }
}

fn inputs(m: &Map<String, Value>, key: &str) -> Result<Vec<VectorInput>> {
    match field(m, key) {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| vector_input(v, &format!("recommend.{key}")))
            .collect(),
        Some(v) => Err(bad(key, format!("expected a list of examples, got {v}"))),
    }
}

fn order_value(v: &Value) -> Result<OrderValue> {
    match v {
        Value::Number(n) if n.is_i64() => Ok(OrderValue::Int(n.as_i64().expect("an i64"))),
        Value::Number(n) => Ok(OrderValue::Float(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) => sextant_payload_index::datetime::parse_bound(s)
            .map(OrderValue::Int)
            .ok_or_else(|| bad("order_by.start_from", format!("{s:?} is not a datetime"))),
        v => Err(bad(
            "order_by.start_from",
            format!("expected a number or a datetime, got {v}"),
        )),
    }
}

fn order_by(v: &Value) -> Result<OrderBy> {
    if let Value::String(key) = v {
        return Ok(OrderBy::new(key));
    }
    let m = object(v, "order_by")?;
    let key = text(field(m, "key").unwrap_or(&Value::Null), "order_by.key")?;
    let direction = match field(m, "direction").map(|d| d.as_str()) {
        None | Some(Some("asc")) => Direction::Asc,
        Some(Some("desc")) => Direction::Desc,
        Some(_) => return Err(bad("order_by.direction", "expected \"asc\" or \"desc\"")),
    };
    let start_from = field(m, "start_from").map(order_value).transpose()?;
    Ok(OrderBy {
        key,
        direction,
        start_from,
    })
}

/// A `query` field: a vector input (nearest), or an object naming the kind.
fn query(v: &Value) -> Result<Query> {
    let Value::Object(m) = v else {
        return vector_input(v, "query").map(Query::Nearest);
    };
    if ["indices", "text", "image", "object"]
        .iter()
        .any(|k| m.contains_key(*k))
    {
        return vector_input(v, "query").map(Query::Nearest);
    }
    if field(m, "formula").is_some() {
        return formula_json::formula(m).map(Query::Formula);
    }
    let mut kinds = m.iter().filter(|(_, v)| !v.is_null());
    let (kind, body) = match (m.get_key_value("nearest"), kinds.next(), kinds.next()) {
        (Some((k, b)), _, _) | (None, Some((k, b)), None) => (k.as_str(), b),
        _ => return Err(bad("query", "expected one kind of query")),
    };
    match kind {
        "nearest" => {
            let nearest = vector_input(body, "query.nearest")?;
            let Some(mmr) = field(m, "mmr") else {
                return Ok(Query::Nearest(nearest));
            };
            let mmr = object(mmr, "query.mmr")?;
            if let Some(k) = mmr
                .keys()
                .find(|k| !["diversity", "candidates_limit"].contains(&k.as_str()))
            {
                return Err(bad("query.mmr", format!("unknown field {k:?}")));
            }
            let mmr = Mmr {
                diversity: float(mmr, "diversity")?,
                candidates_limit: field(mmr, "candidates_limit")
                    .map(|_| count(mmr, "candidates_limit", 0))
                    .transpose()?,
            };
            mmr.lambda()?;
            Ok(Query::NearestMmr { nearest, mmr })
        }
        "recommend" => {
            let r = object(body, "query.recommend")?;
            let strategy = match field(r, "strategy").map(|s| s.as_str()) {
                None | Some(Some("average_vector")) => RecommendStrategy::AverageVector,
                Some(Some("best_score")) => RecommendStrategy::BestScore,
                Some(Some("sum_scores")) => RecommendStrategy::SumScores,
                Some(_) => {
                    return Err(bad(
                        "query.recommend.strategy",
                        "expected average_vector, best_score or sum_scores",
                    ));
                }
            };
            Ok(Query::Recommend(Recommend {
                positive: inputs(r, "positive")?,
                negative: inputs(r, "negative")?,
                strategy,
            }))
        }
        "discover" => {
            let d = object(body, "query.discover")?;
            let target =
                field(d, "target").ok_or_else(|| bad("query.discover", "a target is needed"))?;
            Ok(Query::Discover {
                target: vector_input(target, "query.discover.target")?,
                context: pairs(field(d, "context"), "query.discover.context")?,
            })
        }
        "context" => Ok(Query::Context(pairs(Some(body), "query.context")?)),
        "order_by" => order_by(body).map(Query::OrderBy),
        "fusion" => match body.as_str() {
            Some("rrf") => Ok(Query::Fusion(Fusion::Rrf {
                k: None,
                weights: None,
            })),
            Some("dbsf") => Ok(Query::Fusion(Fusion::Dbsf)),
            _ => Err(bad("query.fusion", "expected \"rrf\" or \"dbsf\"")),
        },
        "rrf" => {
            let r = object(body, "query.rrf")?;
            let k = field(r, "k")
                .map(|k| k.as_u64().and_then(|k| u32::try_from(k).ok()))
                .map(|k| k.ok_or_else(|| bad("query.rrf.k", "expected a positive integer")))
                .transpose()?;
            let weights = field(r, "weights")
                .map(|w| serde_json::from_value::<Vec<f32>>(w.clone()))
                .transpose()
                .map_err(|e| bad("query.rrf.weights", e))?;
            Ok(Query::Fusion(Fusion::Rrf { k, weights }))
        }
        "sample" => match body.as_str() {
            Some("random") => Ok(Query::Sample),
            _ => Err(bad("query.sample", "expected \"random\"")),
        },
        "relevance_feedback" => {
            let r = object(body, "query.relevance_feedback")?;
            let what = "query.relevance_feedback";
            let target = field(r, "target").ok_or_else(|| bad(what, "expected a target"))?;
            let target = vector_input(target, "query.relevance_feedback.target")?;
            let Some(Value::Array(items)) = field(r, "feedback") else {
                return Err(bad(what, "expected a feedback list"));
            };
            let feedback = items
                .iter()
                .map(|item| {
                    let item = object(item, "query.relevance_feedback.feedback")?;
                    let example = field(item, "example")
                        .ok_or_else(|| bad(what, "expected an example in each feedback item"))?;
                    Ok(FeedbackItem {
                        example: vector_input(example, "query.relevance_feedback.example")?,
                        score: float(item, "score")?
                            .ok_or_else(|| bad(what, "expected a score in each feedback item"))?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let strategy = field(r, "strategy").ok_or_else(|| bad(what, "expected a strategy"))?;
            let naive = field(
                object(strategy, "query.relevance_feedback.strategy")?,
                "naive",
            )
            .ok_or_else(|| bad("query.relevance_feedback.strategy", "expected naive"))?;
            let naive = object(naive, "query.relevance_feedback.strategy.naive")?;
            let weight = |k: &str| {
                float(naive, k)?.ok_or_else(|| {
                    bad(
                        "query.relevance_feedback.strategy.naive",
                        format!("expected {k}"),
                    )
                })
            };
            Ok(Query::RelevanceFeedback(RelevanceFeedback {
                target,
                feedback,
                naive: [weight("a")?, weight("b")?, weight("c")?],
            }))
        }
        other => Err(bad("query", format!("unknown kind of query {other:?}"))),
    }
}

fn params(v: Option<&Value>) -> Result<SearchParams> {
    let Some(v) = v else {
        return Ok(SearchParams::default());
    };
    let m = object(v, "params")?;
    let mut p = SearchParams {
        hnsw_ef: field(m, "hnsw_ef")
            .map(|_| count(m, "hnsw_ef", 0))
            .transpose()?,
        exact: boolean(m, "exact")?,
        quantization: QuantizationParams::default(),
    };
    if let Some(q) = field(m, "quantization") {
        let q = object(q, "params.quantization")?;
        p.quantization.ignore = boolean(q, "ignore")?;
        if field(q, "rescore").is_some() {
            p.quantization.rescore = boolean(q, "rescore")?;
        }
        if let Some(o) = float(q, "oversampling")? {
            p.quantization.oversampling = o;
        }
    }
    Ok(p)
}

impl WithPayload {
    /// Qdrant's `with_payload` (a bool, a list of keys, `{include}` or `{exclude}`); `default`
    /// when missing.
    pub fn from_json(v: Option<&Value>, default: bool) -> Result<Self> {
        let keys = |v: &Value, what| -> Result<Vec<String>> {
            match v {
                Value::String(s) => Ok(vec![s.clone()]),
                Value::Array(a) => a.iter().map(|k| text(k, what)).collect(),
                _ => Err(bad(what, "expected a key or a list of keys")),
            }
        };
        Ok(match v {
            None => default.into(),
            Some(Value::Bool(b)) => (*b).into(),
            Some(a @ Value::Array(_)) => WithPayload::Include(keys(a, "with_payload")?),
            Some(Value::Object(m)) => match (field(m, "include"), field(m, "exclude")) {
                (Some(k), None) => WithPayload::Include(keys(k, "with_payload.include")?),
                (None, Some(k)) => WithPayload::Exclude(keys(k, "with_payload.exclude")?),
                _ => return Err(bad("with_payload", "expected include or exclude")),
            },
            Some(v) => return Err(bad("with_payload", format!("unexpected {v}"))),
        })
    }
}

impl WithVector {
    /// Qdrant's `with_vector` (a bool or a list of vector names); none when missing.
    pub fn from_json(v: Option<&Value>) -> Result<Self> {
        Ok(match v {
            None => WithVector::None,
            Some(Value::Bool(b)) => (*b).into(),
            Some(Value::Array(a)) => WithVector::Names(
                a.iter()
                    .map(|n| text(n, "with_vector"))
                    .collect::<Result<_>>()?,
            ),
            Some(v) => return Err(bad("with_vector", format!("unexpected {v}"))),
        })
    }
}

fn prefetches(v: Option<&Value>) -> Result<Vec<Prefetch>> {
    match v {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => a.iter().map(prefetch).collect(),
        Some(p) => Ok(vec![prefetch(p)?]),
    }
}

fn prefetch(v: &Value) -> Result<Prefetch> {
    let m = object(v, "prefetch")?;
    if field(m, "lookup_from").is_some() {
        return Err(bad("prefetch.lookup_from", "not supported"));
    }
    Ok(Prefetch {
        prefetch: prefetches(field(m, "prefetch"))?,
        query: field(m, "query").map(query).transpose()?,
        using: field(m, "using")
            .map(|u| text(u, "using"))
            .transpose()?
            .unwrap_or_default(),
        filter: filter(m, "filter")?,
        limit: count(m, "limit", LIMIT)?,
        score_threshold: float(m, "score_threshold")?.map(|t| t as f32),
        params: params(field(m, "params"))?,
    })
}

impl QueryRequest {
    /// A request from Qdrant's REST query body (`with_payload` defaults to false, as in
    /// Qdrant's REST API; `qdrant-client` sends `true` unless told otherwise).
    pub fn from_json(body: &Value) -> Result<Self> {
        let m = object(body, "query request")?;
        if field(m, "lookup_from").is_some() {
            return Err(bad("lookup_from", "not supported"));
        }
        Ok(Self {
            query: field(m, "query").map(query).transpose()?,
            prefetch: prefetches(field(m, "prefetch"))?,
            using: field(m, "using")
                .map(|u| text(u, "using"))
                .transpose()?
                .unwrap_or_default(),
            filter: filter(m, "filter")?,
            limit: count(m, "limit", LIMIT)?,
            offset: count(m, "offset", 0)?,
            score_threshold: float(m, "score_threshold")?.map(|t| t as f32),
            with_payload: WithPayload::from_json(field(m, "with_payload"), false)?,
            with_vector: WithVector::from_json(field(m, "with_vector"))?,
            params: params(field(m, "params"))?,
        })
    }
}

impl GroupsRequest {
    /// A request from Qdrant's REST query-groups body (`group_by` required, `group_size` 3
    /// by default).
    pub fn from_json(body: &Value) -> Result<Self> {
        let m = object(body, "query groups request")?;
        let group_by = field(m, "group_by").ok_or_else(|| bad("group_by", "missing"))?;
        if field(m, "with_lookup").is_some() {
            return Err(bad("with_lookup", "not supported"));
        }
        Ok(Self {
            request: QueryRequest::from_json(body)?,
            group_by: text(group_by, "group_by")?,
            group_size: count(m, "group_size", GROUP_SIZE)?,
        })
    }
}

impl ScrollRequest {
    /// A request from Qdrant's REST scroll body (`with_payload` defaults to true there).
    pub fn from_json(body: &Value) -> Result<Self> {
        let m = object(body, "scroll request")?;
        Ok(Self {
            filter: filter(m, "filter")?,
            limit: count(m, "limit", LIMIT)?,
            offset: field(m, "offset")
                .map(|v| point_id(v, "offset"))
                .transpose()?,
            order_by: field(m, "order_by").map(order_by).transpose()?,
            with_payload: WithPayload::from_json(field(m, "with_payload"), true)?,
            with_vector: WithVector::from_json(field(m, "with_vector"))?,
        })
    }
}

impl MatrixRequest {
    /// A request from Qdrant's REST distance-matrix body (`sample` 10 and `limit` 3 by
    /// default).
    pub fn from_json(body: &Value) -> Result<Self> {
        let m = object(body, "distance matrix request")?;
        Ok(Self {
            using: field(m, "using")
                .map(|u| text(u, "using"))
                .transpose()?
                .unwrap_or_default(),
            filter: filter(m, "filter")?,
            sample: count(m, "sample", matrix::SAMPLE)?,
            limit: count(m, "limit", matrix::LIMIT)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_query_kind_parses() {
        let q = |v: Value| QueryRequest::from_json(&json!({"query": v})).unwrap().query;
        assert_eq!(
            q(json!([1.0, 2])),
            Some(Query::Nearest(vec![1.0, 2.0].into()))
        );
        assert_eq!(
            q(json!(7)),
            Some(Query::Nearest(PointId::from(7u64).into()))
        );
        assert_eq!(
            q(json!({"nearest": 7})),
            Some(Query::Nearest(PointId::from(7u64).into()))
        );
        assert_eq!(
            q(json!({"nearest": [1.0], "mmr": {"diversity": 0.3, "candidates_limit": 20}})),
            Some(Query::NearestMmr {
                nearest: vec![1.0].into(),
                mmr: Mmr {
                    diversity: Some(0.3),
                    candidates_limit: Some(20)
                }
            })
        );
        let sparse = Vector::Sparse {
            indices: vec![3],
            values: vec![0.5],
        };
        assert_eq!(
            q(json!({"indices": [3], "values": [0.5]})),
            Some(Query::Nearest(sparse.into()))
        );
        let r = q(json!({"recommend": {"positive": [1, [0.5, 0.5]], "strategy": "best_score"}}));
        assert!(
            matches!(r, Some(Query::Recommend(Recommend { strategy: RecommendStrategy::BestScore, ref positive, .. })) if positive.len() == 2)
        );
        let d = q(json!({"discover": {"target": 1, "context": {"positive": 2, "negative": 3}}}));
        assert!(matches!(d, Some(Query::Discover { ref context, .. }) if context.len() == 1));
        let c = q(json!({"context": [{"positive": 2, "negative": 3}]}));
        assert!(matches!(c, Some(Query::Context(ref p)) if p.len() == 1));
        let o = q(
            json!({"order_by": {"key": "t", "direction": "desc", "start_from": "2024-01-02T00:00:00Z"}}),
        );
        assert!(matches!(
            o,
            Some(Query::OrderBy(OrderBy {
                direction: Direction::Desc,
                start_from: Some(OrderValue::Int(_)),
                ..
            }))
        ));
        assert_eq!(
            q(json!({"order_by": "t"})),
            Some(Query::OrderBy(OrderBy::new("t")))
        );
        assert_eq!(
            q(json!({"fusion": "dbsf"})),
            Some(Query::Fusion(Fusion::Dbsf))
        );
        assert_eq!(
            q(json!({"rrf": {"k": 3, "weights": [1, 2]}})),
            Some(Query::Fusion(Fusion::Rrf {
                k: Some(3),
                weights: Some(vec![1.0, 2.0])
            }))
        );
        assert_eq!(q(json!({"sample": "random"})), Some(Query::Sample));
        assert_eq!(q(Value::Null), None);
    }

    #[test]
    fn the_rest_of_the_body_parses() {
        let r = QueryRequest::from_json(&json!({
            "prefetch": {"query": [1.0], "using": "a", "limit": 5, "prefetch": [{"query": [2.0]}]},
            "query": {"fusion": "rrf"}, "limit": 3, "offset": 1, "score_threshold": 0.5,
            "with_payload": {"exclude": ["x"]}, "with_vector": ["a"],
            "params": {"hnsw_ef": 64, "exact": true, "quantization": {"rescore": false, "oversampling": 2.0}},
            "filter": {"must": [{"key": "g", "match": {"value": 1}}]}, "shard_key": null,
        }))
        .unwrap();
        assert_eq!((r.limit, r.offset, r.score_threshold), (3, 1, Some(0.5)));
        assert_eq!(r.prefetch.len(), 1);
        assert_eq!(
            (r.prefetch[0].limit, r.prefetch[0].prefetch[0].limit),
            (5, LIMIT)
        );
        assert_eq!(r.with_payload, WithPayload::Exclude(vec!["x".into()]));
        assert_eq!(r.with_vector, WithVector::Names(vec!["a".into()]));
        assert_eq!(r.params.hnsw_ef, Some(64));
        assert!(r.params.exact && !r.params.quantization.rescore);
        assert!(r.filter.is_some());
        let g = GroupsRequest::from_json(&json!({"query": [1.0], "group_by": "g"})).unwrap();
        assert_eq!((g.group_by.as_str(), g.group_size), ("g", GROUP_SIZE));
        let s = ScrollRequest::from_json(
            &json!({"offset": "550e8400-e29b-41d4-a716-446655440000", "limit": 2}),
        )
        .unwrap();
        assert!(s.offset.is_some() && s.with_payload == WithPayload::All);
    }

    #[test]
    fn wrong_shapes_are_named() {
        for (body, names) in [
            (json!({"query": [[1.0], [true]]}), "a list of numbers"),
            (json!({"query": {"text": "hi", "model": "m"}}), "inference"),
            (json!({"query": "not-a-uuid"}), "not a point id"),
            (
                json!({"query": {"recommend": {"strategy": "best"}}}),
                "strategy",
            ),
            (
                json!({"query": {"formula": {"sqrt": [1]}}}),
                "query.formula.sqrt",
            ),
            (
                json!({"query": {"nearest": [1.0], "mmr": {"diversity": 2.0}}}),
                "mmr",
            ),
            (json!({"limit": -1}), "limit"),
            (json!({"filter": {"must": [{"key": "a"}]}}), "filter"),
            (json!({"with_payload": 3}), "with_payload"),
            (json!({"params": {"exact": "yes"}}), "exact"),
            (json!([]), "expected an object"),
        ] {
            let e = QueryRequest::from_json(&body).unwrap_err().to_string();
            assert!(e.contains(names), "{body}: {e}");
        }
    }
}
