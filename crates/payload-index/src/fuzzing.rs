//! Entry point for the `filter_json` fuzz target and its corpus replay test: arbitrary bytes
//! as a filter must parse or be refused with an error, never panic; whatever parses must
//! write back to JSON that parses to the same filter, and evaluate on a payload without
//! panicking.

use crate::check::{NoContext, check_filter};
use crate::filter::Filter;

/// Parses `data` as filter JSON and exercises what accepted it.
pub fn filter_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(filter) = Filter::from_json(text) else {
        return;
    };
    let again = Filter::from_value(&filter.to_json()).expect("written filters parse");
    assert_eq!(again, filter, "a filter survives writing and parsing");
    let payload = serde_json::json!({"a": [1, "x", null, {"b": 2.5}], "b": true,
        "d": "2024-01-01T00:00:00Z", "g": {"lat": 1.0, "lon": 2.0}, "e": []});
    let _ = check_filter(&filter, &payload, 0, &NoContext);
}
