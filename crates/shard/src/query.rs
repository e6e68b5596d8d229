//! The universal query's request and answer types (Qdrant's `query`): what a stage ranks by
//! (a vector or a point's own vector, recommendation and discovery examples, a payload order,
//! a random sample, a fusion of prefetches), prefetch stages, search params, selectors, and
//! the records returned. `search.rs` answers them.

use std::collections::BTreeMap;

use serde_json::Value;
use sextant_core::PointId;
use sextant_payload_index::Filter;
use sextant_payload_index::facet::{Direction, OrderValue};

use crate::formula::Formula;
use crate::fusion::Fusion;
use crate::ops::Vector;
use crate::selectors::{WithPayload, WithVector};

/// A vector given as values, or as the id of a point whose vector (in the stage's `using`)
/// is taken; a point named so is left out of the stage's results, as Qdrant does.
#[derive(Debug, Clone, PartialEq)]
pub enum VectorInput {
    /// The values.
    Vector(Vector),
    /// A point of the shard.
    Id(PointId),
}

impl From<Vector> for VectorInput {
    fn from(v: Vector) -> Self {
        VectorInput::Vector(v)
    }
}

impl From<Vec<f32>> for VectorInput {
    fn from(v: Vec<f32>) -> Self {
        VectorInput::Vector(Vector::Dense(v))
    }
}

impl From<PointId> for VectorInput {
    fn from(id: PointId) -> Self {
        VectorInput::Id(id)
    }
}

/// How recommendation examples are turned into scores (Qdrant's `strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecommendStrategy {
    /// Nearest to `2·mean(positive) − mean(negative)` (to `mean(positive)` without
    /// negatives): an ordinary search, through the indexes.
    #[default]
    AverageVector,
    /// Each point scored by its most similar example: `σ(best positive)` when that beats the
    /// best negative, else `−σ(best negative)` (σ: Qdrant's scaled fast sigmoid).
    BestScore,
    /// Each point scored by the sum of its similarities to the positives minus the negatives'.
    SumScores,
}

/// Qdrant's `recommend` query: points like the positive examples and unlike the negative ones.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Recommend {
    /// Examples to be near.
    pub positive: Vec<VectorInput>,
    /// Examples to be far from.
    pub negative: Vec<VectorInput>,
    /// How they are combined.
    pub strategy: RecommendStrategy,
}

/// Qdrant's `relevance_feedback` query with the naive strategy: a target and examples
/// scored by a judge (say a reranker). A point scores
/// `a·sim(target) + Σ c·(sᵢ − sⱼ)^b · (sim(eᵢ) − sim(eⱼ))` over the ordered pairs of examples
/// whose judged scores differ (`sᵢ > sⱼ`); dense vectors only.
#[derive(Debug, Clone, PartialEq)]
pub struct RelevanceFeedback {
    /// What the search is for.
    pub target: VectorInput,
    /// The judged examples.
    pub feedback: Vec<FeedbackItem>,
    /// The naive strategy's weights: `a` for the target, `b` and `c` for the pairs.
    pub naive: [f64; 3],
}

/// One judged example of a [`RelevanceFeedback`] query.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedbackItem {
    /// The example (a vector or a point id, left out of the results).
    pub example: VectorInput,
    /// The judge's score of it.
    pub score: f64,
}

/// Two examples: results should be nearer the positive than the negative.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextPair {
    /// The example to be nearer to.
    pub positive: VectorInput,
    /// The example to be farther from.
    pub negative: VectorInput,
}

/// Points in the order of a payload value (Qdrant's `order_by`): the key needs an integer,
/// float or datetime index, as Qdrant's server requires; a point holding several values
/// comes once per value.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderBy {
    /// The payload key.
    pub key: String,
    /// Smallest (`Asc`, the default) or largest first.
    pub direction: Direction,
    /// Only values from this one on (inclusive) in the direction's order.
    pub start_from: Option<OrderValue>,
}

impl OrderBy {
    /// Ascending by `key`.
    pub fn new(key: &str) -> Self {
        Self {
            key: key.to_string(),
            direction: Direction::Asc,
            start_from: None,
        }
    }
}

/// What a query (or a prefetch) ranks points by.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// Nearest to a dense vector, or best by dot product with a sparse one (in the vector
    /// named by `using`).
    Nearest(VectorInput),
    /// The nearest points re-ranked for diversity by maximal marginal relevance (Qdrant's
    /// `{"nearest": ..., "mmr": ...}`).
    NearestMmr {
        /// The query.
        nearest: VectorInput,
        /// How diverse, among how many candidates.
        mmr: Mmr,
    },
    /// Like the positive examples, unlike the negative ones.
    Recommend(Recommend),
    /// Qdrant's discovery search: points ranked first by how many context pairs they are on
    /// the positive side of (+1 nearer the positive, −1 nearer the negative, 0 equal), then
    /// by `σ(similarity to the target)`.
    Discover {
        /// The target.
        target: VectorInput,
        /// The pairs.
        context: Vec<ContextPair>,
    },
    /// Qdrant's context search: each pair adds `s / (1 + |s|)` with
    /// `s = min(sim(positive) − sim(negative) − ε, 0)`: 0 for a point on the positive side of
    /// every pair.
    Context(Vec<ContextPair>),
    /// Relevance feedback: the target's similarity corrected by judged examples.
    RelevanceFeedback(RelevanceFeedback),
    /// Points by a payload value; score 1 (as Local Mode), the value in
    /// [`Record::order_value`].
    OrderBy(OrderBy),
    /// The prefetches' lists fused.
    Fusion(Fusion),
    /// The prefetched points scored by a formula over their prefetch scores and payload.
    Formula(Formula),
    /// Passing points in random order; score 1.
    Sample,
}

/// Maximal marginal relevance's parameters (Qdrant's `mmr`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Mmr {
    /// From 0 (the nearest points, as a plain query) to 1 (the most different ones);
    /// 0.5 when not given.
    pub diversity: Option<f64>,
    /// The nearest points re-ranked (`limit` when not given).
    pub candidates_limit: Option<usize>,
}

/// How a vector search is answered (Qdrant's `params`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SearchParams {
    /// The graph search's list size (default: the graph's `ef_construction`; at least the
    /// number of results asked).
    pub hnsw_ef: Option<usize>,
    /// Scan every point exactly, graph or not.
    pub exact: bool,
    /// How codes are used when the vector has them.
    pub quantization: QuantizationParams,
}

/// How a search uses a vector's codes (Qdrant's `quantization` search params).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuantizationParams {
    /// Search the floats, not the codes.
    pub ignore: bool,
    /// Rescore the candidates found on codes with the floats (default); without, the
    /// scores returned are the codes' estimates.
    pub rescore: bool,
    /// Candidates found on codes per result asked, before rescoring (default 1, as Qdrant).
    pub oversampling: f64,
}

impl Default for QuantizationParams {
    fn default() -> Self {
        Self {
            ignore: false,
            rescore: true,
            oversampling: 1.0,
        }
    }
}

/// A stage of a query that feeds the next: its own query (a vector, a fusion of its own
/// prefetches, ...), vector name, filter, limit and threshold.
#[derive(Debug, Clone)]
pub struct Prefetch {
    /// Stages feeding this one (then `query` ranks or fuses their points).
    pub prefetch: Vec<Prefetch>,
    /// What this stage ranks by (`None`: points in id order).
    pub query: Option<Query>,
    /// The named vector `query` searches.
    pub using: String,
    /// Only points passing this filter.
    pub filter: Option<Filter>,
    /// Points this stage passes on (Qdrant's default: 10).
    pub limit: usize,
    /// Only points at least this good.
    pub score_threshold: Option<f32>,
    /// How this stage's vector search is answered.
    pub params: SearchParams,
}

impl Prefetch {
    /// The `limit` best points for `query` in the vector named `using`.
    pub fn new(using: &str, query: impl Into<Query>, limit: usize) -> Self {
        Self {
            prefetch: Vec::new(),
            query: Some(query.into()),
            using: using.to_string(),
            filter: None,
            limit,
            score_threshold: None,
            params: SearchParams::default(),
        }
    }
}

impl From<VectorInput> for Query {
    fn from(v: VectorInput) -> Self {
        Query::Nearest(v)
    }
}

impl From<Vector> for Query {
    fn from(v: Vector) -> Self {
        Query::Nearest(v.into())
    }
}

impl From<Vec<f32>> for Query {
    fn from(v: Vec<f32>) -> Self {
        Query::Nearest(v.into())
    }
}

impl From<PointId> for Query {
    fn from(id: PointId) -> Self {
        Query::Nearest(id.into())
    }
}

impl From<Fusion> for Query {
    fn from(f: Fusion) -> Self {
        Query::Fusion(f)
    }
}

/// Qdrant's universal query over the live points: a query, or prefetches fused or re-ranked
/// by a query (only the prefetched points are ranked then).
#[derive(Debug, Clone)]
pub struct QueryRequest {
    /// What the final stage ranks by (`None`: points in id order, score 1, as Local Mode).
    pub query: Option<Query>,
    /// Stages feeding the final one (none: `query` runs over every point).
    pub prefetch: Vec<Prefetch>,
    /// The named vector searched (`""`: the unnamed one).
    pub using: String,
    /// Only points passing this filter (a fusion or a formula applies its prefetches'
    /// filters only, as Local Mode does).
    pub filter: Option<Filter>,
    /// Results returned.
    pub limit: usize,
    /// Results skipped first.
    pub offset: usize,
    /// Only results at least this good: a similarity or fused score at least it, a distance
    /// (Euclid, Manhattan) at most it.
    pub score_threshold: Option<f32>,
    /// The payload returned with each point.
    pub with_payload: WithPayload,
    /// The vectors returned with each point.
    pub with_vector: WithVector,
    /// How the final stage's vector search is answered.
    pub params: SearchParams,
}

impl QueryRequest {
    /// The `limit` best points for `query` (a vector, a point id, a [`Fusion`] of
    /// prefetches, ...) in the vector named `using`, nothing else asked.
    pub fn new(using: &str, query: impl Into<Query>, limit: usize) -> Self {
        Self {
            query: Some(query.into()),
            prefetch: Vec::new(),
            using: using.to_string(),
            filter: None,
            limit,
            offset: 0,
            score_threshold: None,
            with_payload: WithPayload::None,
            with_vector: WithVector::None,
            params: SearchParams::default(),
        }
    }
}

/// Qdrant's query groups: the best points of [`QueryRequest`] grouped by the values of a
/// payload key, at most `group_size` per group, `request.limit` groups.
#[derive(Debug, Clone)]
pub struct GroupsRequest {
    /// The query (its `limit` counts groups; `offset` is not read).
    pub request: QueryRequest,
    /// The payload key whose values (strings and integers; others are skipped) name groups.
    pub group_by: String,
    /// Points per group at most (Qdrant's default: 3).
    pub group_size: usize,
}

/// A group's value: a payload string or integer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GroupId {
    /// An integer value.
    Int(i64),
    /// A string value.
    Str(String),
}

/// The points of one group, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The value the points share.
    pub id: GroupId,
    /// The points.
    pub hits: Vec<Record>,
}

/// A point found by a query, or read by id.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The point's id.
    pub id: PointId,
    /// The log index of the last operation that changed it.
    pub version: u64,
    /// Qdrant's score: the similarity for Cosine (of normalized vectors) and Dot, the distance
    /// for Euclid and Manhattan; 0 for a point read by id.
    pub score: f32,
    /// The payload (as selected), when asked.
    pub payload: Option<Value>,
    /// The vectors (as stored: cosine vectors normalized, sparse ones sorted by index), when
    /// asked.
    pub vectors: Option<BTreeMap<String, Vector>>,
    /// The payload value an order-by query ranked the point by.
    pub order_value: Option<OrderValue>,
}
