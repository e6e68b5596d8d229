//! Facets (the most common values of a field, with exact counts) and order-by (points in
//! value order of a numeric or datetime field), both straight from the field indexes.

use serde::Serialize;
use sextant_core::{BitSet, PointOffset};

use crate::field::{FieldIndex, FieldType};
use crate::{Error, Result};

/// A value a facet counts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(untagged)]
pub enum FacetValue {
    /// From a bool index (orders first, `false` before `true`).
    Bool(bool),
    /// From an integer index.
    Integer(i64),
    /// From a keyword index, or a UUID index (hyphenated, lower-case).
    Keyword(String),
}

/// One value and the number of points holding it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetHit {
    /// The value.
    pub value: FacetValue,
    /// Points holding it (each point once, however often it repeats the value).
    pub count: usize,
}

/// Direction of an order-by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Smallest first.
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

/// An order-by value: an integer, a float, or a datetime as microseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
#[serde(untagged)]
pub enum OrderValue {
    /// Integer and datetime fields.
    Int(i64),
    /// Float fields.
    Float(f64),
}

impl FieldIndex {
    /// The `limit` most common values among `among` (all live points when `None`), by count
    /// descending, then value ascending. Keyword, integer, bool and uuid indexes only.
    pub fn facet(&self, among: &BitSet, limit: usize) -> Result<Vec<FacetHit>> {
        let mut hits = self
            .value_postings()
            .ok_or_else(|| Error::Unsupported {
                key: self.key().to_string(),
                what: format!(
                    "facets need a keyword, integer, bool or uuid index, not {:?}",
                    self.kind()
                ),
            })?
            .into_iter()
            .map(|(value, postings)| FacetHit {
                value,
                count: postings.count_in(among),
            })
            .filter(|h| h.count > 0)
            .collect::<Vec<_>>();
        hits.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        hits.truncate(limit);
        Ok(hits)
    }

    /// `(value, offset)` pairs of the points in `among`, in value order (ties by offset,
    /// ascending, in both directions), from `start` on (inclusive); a point appears once per
    /// distinct value it holds. Integer, float and datetime indexes only.
    pub fn order_by(
        &self,
        among: &BitSet,
        direction: Direction,
        start: Option<OrderValue>,
    ) -> Result<Vec<(OrderValue, PointOffset)>> {
        let mut pairs = self.ordered_pairs().ok_or_else(|| Error::Unsupported {
            key: self.key().to_string(),
            what: format!(
                "order_by needs an integer, float or datetime index, not {:?}",
                self.kind()
            ),
        })?;
        pairs.retain(|(_, o)| among.contains(*o));
        if direction == Direction::Desc {
            // Reverse the value groups, keeping offsets ascending inside each.
            pairs.sort_by(|a, b| {
                b.0.partial_cmp(&a.0)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(a.1.cmp(&b.1))
            });
        }
        if let Some(s) = start {
            let as_f = |v: OrderValue| match v {
                OrderValue::Int(i) => i as f64,
                OrderValue::Float(f) => f,
            };
            pairs.retain(|(v, _)| match direction {
                Direction::Asc => as_f(*v) >= as_f(s),
                Direction::Desc => as_f(*v) <= as_f(s),
            });
        }
        Ok(pairs)
    }
}

/// The field types facets and order-by serve, for error messages and the bench.
pub fn facet_types() -> [FieldType; 4] {
    [
        FieldType::Keyword,
        FieldType::Integer,
        FieldType::Bool,
        FieldType::Uuid,
    ]
}
