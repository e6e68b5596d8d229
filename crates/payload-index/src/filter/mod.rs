//! Qdrant's filter language as Rust types: what a filter says, parsed from the JSON
//! `qdrant-client` sends ([`Filter::from_json`]) and written back ([`Filter::to_json`]).

mod parse;
mod write;

pub use parse::FilterError;
use sextant_core::PointId;

use crate::path::JsonPath;

/// A filter: every `must` condition, at least one `should` condition (when `should` is
/// given; an empty list passes nothing), at least `min_count` of `min_should`, and no
/// `must_not` condition.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    /// All of these must hold.
    pub must: Option<Vec<Condition>>,
    /// At least one of these must hold.
    pub should: Option<Vec<Condition>>,
    /// None of these may hold.
    pub must_not: Option<Vec<Condition>>,
    /// At least `min_count` of these must hold.
    pub min_should: Option<MinShould>,
}

/// At least `min_count` of `conditions`.
#[derive(Debug, Clone, PartialEq)]
pub struct MinShould {
    /// The conditions counted.
    pub conditions: Vec<Condition>,
    /// How many must hold.
    pub min_count: usize,
}

/// One condition of a filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// A test on the values of one payload key.
    Field(FieldCondition),
    /// The key is missing, null, or holds only empty arrays and nulls.
    IsEmpty(JsonPath),
    /// The key holds `null` (or an array path reaches a `null`).
    IsNull(JsonPath),
    /// The point's id is one of these.
    HasId(Vec<PointId>),
    /// The point has the named vector.
    HasVector(String),
    /// Some element of the array at `key` passes `filter` on its own.
    Nested {
        /// The array key.
        key: JsonPath,
        /// The filter each element is tested against.
        filter: Box<Filter>,
    },
    /// A nested filter.
    Filter(Box<Filter>),
}

/// A test on the values of `key`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldCondition {
    /// The payload key.
    pub key: JsonPath,
    /// What its values are tested for.
    pub check: FieldCheck,
}

/// What a [`FieldCondition`] tests. A condition holds when **any** value of the key passes
/// (except `values_count`, `is_empty` and `is_null`, which look at the values as a whole).
#[derive(Debug, Clone, PartialEq)]
pub enum FieldCheck {
    /// `match`.
    Match(Match),
    /// `range` with number bounds: numbers only.
    Range(Range<f64>),
    /// `range` with datetime bounds (microseconds since the epoch): datetime strings only.
    DatetimeRange(Range<i64>),
    /// `geo_bounding_box`.
    GeoBoundingBox(GeoBoundingBox),
    /// `geo_radius`.
    GeoRadius(GeoRadius),
    /// `geo_polygon`.
    GeoPolygon(GeoPolygon),
    /// `values_count`.
    ValuesCount(Range<usize>),
    /// `is_empty: true|false` (the field-condition spelling of [`Condition::IsEmpty`]).
    IsEmpty(bool),
    /// `is_null: true|false` (the field-condition spelling of [`Condition::IsNull`]).
    IsNull(bool),
}

/// The forms of `match`.
#[derive(Debug, Clone, PartialEq)]
pub enum Match {
    /// `value`: equal to this keyword, integer or bool.
    Value(MatchValue),
    /// `any`: equal to one of these.
    Any(AnyVariants),
    /// `except`: not equal to any of these (a value that is not a keyword / integer counts).
    Except(AnyVariants),
    /// `text`: without a full-text index, the string contains this text; with one, every
    /// token of the text is among the value's tokens.
    Text(String),
    /// `text_any`: any token (whitespace-separated word) of the text.
    TextAny(String),
    /// `phrase`: the tokens in this order (full-text index only).
    Phrase(String),
}

/// A single value to match.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchValue {
    /// A string.
    Keyword(String),
    /// An integer.
    Integer(i64),
    /// A bool.
    Bool(bool),
}

/// The values of `any` / `except`: all strings or all integers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyVariants {
    /// Strings (an empty list parses as this).
    Keywords(Vec<String>),
    /// Integers.
    Integers(Vec<i64>),
}

/// Bounds of a range; absent bounds do not limit.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Range<T> {
    /// Value < lt.
    pub lt: Option<T>,
    /// Value > gt.
    pub gt: Option<T>,
    /// Value >= gte.
    pub gte: Option<T>,
    /// Value <= lte.
    pub lte: Option<T>,
}

impl<T: PartialOrd + Copy> Range<T> {
    /// Does `v` lie within every bound?
    pub fn contains(&self, v: T) -> bool {
        self.lt.is_none_or(|b| v < b)
            && self.gt.is_none_or(|b| v > b)
            && self.gte.is_none_or(|b| v >= b)
            && self.lte.is_none_or(|b| v <= b)
    }
}

/// A point on Earth, in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    /// Latitude, -90..=90.
    pub lat: f64,
    /// Longitude, -180..=180.
    pub lon: f64,
}

/// Points strictly inside a box; `top_left.lon > bottom_right.lon` crosses the antimeridian.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoBoundingBox {
    /// North-west corner.
    pub top_left: GeoPoint,
    /// South-east corner.
    pub bottom_right: GeoPoint,
}

/// Points closer than `radius` meters to `center` (haversine on a sphere of 6,371,008.8 m).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoRadius {
    /// Center.
    pub center: GeoPoint,
    /// Radius in meters.
    pub radius: f64,
}

/// Points inside `exterior` and outside every interior ring (each a closed ring of at least
/// 4 points, first = last).
#[derive(Debug, Clone, PartialEq)]
pub struct GeoPolygon {
    /// The outer ring.
    pub exterior: Vec<GeoPoint>,
    /// Holes.
    pub interiors: Vec<Vec<GeoPoint>>,
}

impl Filter {
    /// Parses a filter from Qdrant's JSON; the error names the JSON path and what was
    /// expected there.
    pub fn from_json(json: &str) -> Result<Filter, FilterError> {
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| FilterError {
            path: String::new(),
            expected: format!("valid JSON ({e})"),
        })?;
        Self::from_value(&value)
    }

    /// Parses a filter from a JSON value.
    pub fn from_value(value: &serde_json::Value) -> Result<Filter, FilterError> {
        parse::filter(value, &mut parse::Path::default())
    }

    /// The filter as Qdrant's JSON (what [`from_value`](Self::from_value) reads back).
    pub fn to_json(&self) -> serde_json::Value {
        write::filter(self)
    }
}

impl Condition {
    /// Parses one condition from Qdrant's JSON (a field condition, `is_empty`, `is_null`,
    /// `has_id`, `has_vector`, `nested`, or a filter): what a score formula's condition is.
    pub fn from_value(value: &serde_json::Value) -> Result<Condition, FilterError> {
        parse::condition(value, &mut parse::Path::default())
    }
}

impl serde::Serialize for Filter {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Filter {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        Filter::from_value(&value).map_err(serde::de::Error::custom)
    }
}
