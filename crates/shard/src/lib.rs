//! # sextant-shard
//!
//! An embeddable vector store like Qdrant Edge's `EdgeShard`, with Qdrant's data model: points
//! with u64 or UUID ids, named dense and sparse vectors, a JSON payload filtered with Qdrant's
//! filter language. Every operation goes to a write-ahead log before it is acknowledged;
//! [`Shard::optimize`] builds a graph per dense vector (on codes, rescored, when the config
//! names a codec; the last build's graph grown, at a cost in proportion to the changes, when
//! few points changed since), an inverted index per sparse vector and a base file of every
//! point read in place; `flush` writes what changed since; `open` maps the base and replays
//! the log's tail.
//! [`Shard::snapshot`] writes one file of all that, [`Shard::restore`] checks and opens it.
//! Not built: several segments merged by the optimizer, an automatic optimizer, MMR and
//! relevance feedback on multivectors (the crate README has the list).
//!
//! - [`ShardConfig`], [`VectorParams`], [`SparseVectorParams`], [`OptimizerConfig`]: named
//!   dense vectors (size, Qdrant's distance names, graph parameters, codec, [`Datatype`]:
//!   f32, f16 rows at half the bytes or u8 rows at a quarter, as Qdrant stores them; `on_disk`:
//!   rows mapped into memory at open, or paged in as searches touch them), named sparse
//!   vectors (optional IDF [`Modifier`]), named multivectors ([`MultivectorParams`]: lists
//!   of vectors scored by MaxSim, [`Comparator`]), the log's durability and the optimizer's
//!   thresholds, persisted as `config.json`.
//! - [`UpdateOp`], [`Point`], [`Vector`]: upsert (with Qdrant's `update_filter` and
//!   [`UpdateMode`]), delete by ids or by filter, set (at a nested `key` too) / overwrite /
//!   delete / clear payload and delete vectors by ids or by filter, update named vectors
//!   ([`PointVectors`]), create / delete a payload field index.
//! - [`Shard`]: `create`, `open` (maps the base, replays the log), `update`, `retrieve`,
//!   `query`, `query_batch`, `scroll`, `count`, `facet`, `payload_schema`, `info`,
//!   `optimize`, `reconfigure` (graph parameters, codecs, modifiers, thresholds of an open
//!   shard), `flush`, `snapshot`, `restore`, `close`; a second open of the same folder
//!   fails with [`Error::Locked`].
//! - [`ScrollRequest`], [`ScrollPage`]: points in id order (integers, then UUIDs), a page at a
//!   time with the next page's first id, or in a payload value's order ([`OrderBy`]).
//! - [`QueryRequest`], [`Query`], [`VectorInput`], [`Prefetch`], [`Fusion`], [`Recommend`],
//!   [`ContextPair`], [`SearchParams`], [`Record`]: Qdrant's universal query: nearest points
//!   by a dense vector, a sparse one (points sharing a term; the IDF modifier over live
//!   points) or a point's own vector (the point left out); recommendations (average vector,
//!   best score, sum of scores), discovery and context searches; a payload order; a random
//!   sample; prefetch stages (nested) fused by RRF or DBSF, scored again by a [`Formula`]
//!   ([`Expression`]: prefetch scores, payload values, conditions, arithmetic, decays), or
//!   ranked again by any of those;
//!   filter, offset, limit, score threshold, search params (`hnsw_ef`, `exact`,
//!   `quantization`), payload and vector selectors ([`WithPayload`], [`WithVector`]);
//!   Qdrant's scores (similarity for Cosine, Dot and sparse, distance for Euclid and
//!   Manhattan). [`GroupsRequest`]: the same grouped by a payload key. Each request also
//!   reads Qdrant's REST body (`QueryRequest::from_json`, `GroupsRequest::from_json`,
//!   `ScrollRequest::from_json`, `MatrixRequest::from_json`).
//! - [`MatrixRequest`], [`Matrix`]: Qdrant's distance matrix of a random sample
//!   ([`Shard::distance_matrix`]), each sampled point's nearest others among the sample.
//!
//! ```
//! use sextant_shard::{Point, QueryRequest, Shard, ShardConfig, UpdateOp, VectorParams};
//! use sextant_core::Distance;
//! use serde_json::json;
//!
//! let dir = tempfile::tempdir()?;
//! let config = ShardConfig::new([("".to_string(), VectorParams::new(2, Distance::Cosine))]);
//! let shard = Shard::create(dir.path(), config)?;
//! shard.update(UpdateOp::upsert(vec![
//!     Point::new(1u64, "", vec![1.0, 0.0]).with_payload(json!({"city": "Lisbon"})),
//!     Point::new(2u64, "", vec![0.0, 1.0]).with_payload(json!({"city": "Porto"})),
//! ]))?;
//! let mut req = QueryRequest::new("", vec![0.9, 0.1], 1);
//! req.filter = Some(sextant_payload_index::Filter::from_json(
//!     r#"{"must": [{"key": "city", "match": {"value": "Porto"}}]}"#)?);
//! assert_eq!(shard.query(&req)?[0].id, 2u64.into());
//! drop(shard);
//! assert_eq!(Shard::open(dir.path())?.info().points, 2); // replayed from the log
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod apply;
mod base;
mod checkpoint;
mod columns;
mod config;
mod error;
mod formula;
mod formula_json;
mod fusion;
#[doc(hidden)]
pub mod fuzzing;
mod grow;
mod index_files;
mod indexed;
mod json;
mod matrix;
mod mmr;
mod multi;
mod ops;
mod query;
mod reader;
mod reco;
mod scroll;
mod search;
mod selectors;
mod shard;
mod snapshot;
mod state;

pub use config::{
    Comparator, Datatype, MAX_DIM, Modifier, MultivectorParams, OptimizerConfig, ShardConfig,
    SparseVectorParams, VectorParams,
};
pub use error::{Error, Result};
pub use formula::{Decay, DecayKind, Expression, Formula};
pub use fusion::Fusion;
pub use matrix::{Matrix, MatrixRequest};
pub use ops::{Point, PointVectors, UpdateMode, UpdateOp, Vector};
pub use query::{
    ContextPair, FeedbackItem, Group, GroupId, GroupsRequest, Mmr, OrderBy, Prefetch,
    QuantizationParams, Query, QueryRequest, Recommend, RecommendStrategy, Record,
    RelevanceFeedback, SearchParams, VectorInput,
};
pub use scroll::{ScrollPage, ScrollRequest};
pub use selectors::{WithPayload, WithVector};
pub use sextant_payload_index::facet::{Direction, OrderValue};
pub use shard::{Shard, ShardInfo};
