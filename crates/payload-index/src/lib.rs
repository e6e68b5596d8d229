//! # sextant-payload-index
//!
//! Qdrant's filter language over JSON payloads: filters parsed from the JSON `qdrant-client`
//! sends, field indexes that answer them as sets of points, estimates, facets and order-by.
//!
//! - [`path`]: payload keys (`a.b`, `a[]`, `a[0]`, `"quoted"`) and the values they reach.
//! - [`filter`]: the filter types, parsed with errors that name the JSON path.
//! - [`check`]: a filter on one payload (the reference semantics).
//! - [`PayloadIndex`]: the field indexes of a segment ([`FieldType`]: keyword, integer, float,
//!   bool, datetime, uuid, geo, full text with [`TextParams`]); [`PayloadIndex::filter`]
//!   materializes the passing points, [`PayloadIndex::count`] counts them,
//!   [`PayloadIndex::estimate`] bounds the count from index statistics, [`PayloadIndex::plan`]
//!   checks points one by one (a [`sextant_core::PointFilter`] for graph search),
//!   [`PayloadIndex::facet`] and [`PayloadIndex::order_by`] read values in order.
//! - [`facet`]: facet hits and order-by values.
//! - [`datetime`], [`geo`]: the value formats and geometry conditions use.
//!
//! ```
//! use sextant_payload_index::{check::{check_filter, NoContext}, filter::Filter};
//!
//! let filter = Filter::from_json(r#"{"must": [{"key": "city", "match": {"value": "Lisbon"}},
//!                                              {"key": "year", "range": {"gte": 2024}}]}"#)?;
//! let payload = serde_json::json!({"city": ["Porto", "Lisbon"], "year": 2025});
//! assert!(check_filter(&filter, &payload, 0, &NoContext));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Where we differ from `qdrant-client`'s Local Mode
//!
//! Local Mode (the contract for what Qdrant's documentation leaves open) is Python; where its
//! result comes from a Python accident rather than from Qdrant, we follow Qdrant:
//! - a bool never equals an integer (`match: {value: 1}` does not pass `true`; Python's
//!   `True == 1` does), and a bool is not a number for `range`;
//! - `text` / `text_any` on a value that is not a string is false (Local Mode raises), and
//!   `phrase` without a full-text index is a substring test (Local Mode raises);
//! - `{"key": k, "is_empty": true}` and `{"key": k, "is_null": true}` mean what
//!   `is_empty` / `is_null` conditions mean (Local Mode passes nothing);
//! - a field condition carries exactly one test (Local Mode takes the first set);
//! - geo points must lie within -90..=90 / -180..=180, polygon rings must be closed with at
//!   least 4 points (Qdrant's validation; Local Mode does not check);
//! - datetimes need two-digit months, days and hours, and array indexes in keys are plain
//!   digits (Python's `strptime` and `int()` are laxer);
//! - on a key with a full-text index, `text`, `text_any` and `phrase` compare tokens, as Qdrant
//!   does (Local Mode, which has no indexes, always tests substrings);
//! - facets count the values of the index's type only, and order-by uses the values its
//!   integer, float or datetime index holds (Local Mode also orders bools as integers and
//!   facets any int / bool / string, normalizing UUID-like strings).

pub mod check;
pub mod datetime;
mod error;
pub mod facet;
mod field;
mod fields;
pub mod filter;
#[doc(hidden)]
pub mod fuzzing;
pub mod geo;
mod index;
pub mod path;
mod plan;
mod postings;
mod store;

pub use error::{Error, Result};
pub use field::text::{Stemmer, TextParams, Tokenizer};
pub use field::{FieldIndex, FieldType};
pub use filter::Filter;
pub use index::{PayloadIndex, Points};
pub use plan::Plan;
