//! # sextant-payload-index
//!
//! Qdrant's filter language over JSON payloads: filters parsed from the JSON `qdrant-client`
//! sends, evaluated point by point with Qdrant's semantics.
//!
//! - [`path`]: payload keys (`a.b`, `a[]`, `a[0]`, `"quoted"`) and the values they reach.
//! - [`filter`]: the filter types, parsed with errors that name the JSON path.
//! - [`check`]: a filter on one payload (the reference semantics).
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
//!   digits (Python's `strptime` and `int()` are laxer).

pub mod check;
pub mod datetime;
mod error;
pub mod facet;
mod field;
pub mod filter;
#[doc(hidden)]
pub mod fuzzing;
pub mod geo;
mod index;
pub mod path;
mod plan;
mod postings;

pub use error::{Error, Result};
pub use field::{FieldIndex, FieldType};
pub use filter::Filter;
pub use index::{PayloadIndex, Points};
pub use plan::Plan;
