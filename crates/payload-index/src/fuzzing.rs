//! Entry points for the fuzz targets and their corpus replay tests.
//!
//! - `filter_json`: arbitrary bytes as a filter must parse or be refused with an error, never
//!   panic; whatever parses must write back to JSON that parses to the same filter, and
//!   evaluate on a payload without panicking.
//! - `index_file`: arbitrary bytes, resealed with a valid checksum so the structure checks
//!   are what is exercised, opened as an index file: refused with an error, or opened and
//!   queried, changed and saved again without panicking.

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

/// Opens `data` (with its checksum recomputed) as a payload index file and exercises it.
pub fn index_file(data: &[u8]) {
    use std::borrow::Cow;
    use std::sync::atomic::{AtomicU64, Ordering};

    use serde_json::Value;
    use sextant_core::{PointId, PointOffset};

    struct NoPayloads;
    impl crate::Points for NoPayloads {
        fn payload(&self, _: PointOffset) -> Option<Cow<'_, Value>> {
            None
        }
        fn offsets_of(&self, _: &[PointId]) -> Vec<PointOffset> {
            Vec::new()
        }
        fn has_vector(&self, _: PointOffset, _: &str) -> bool {
            false
        }
    }

    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "sextant-fuzz-payload-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let path = dir.join("index.idx");
    let mut bytes = data.to_vec();
    sextant_mmap_advice::header::seal(&mut bytes);
    if std::fs::write(&path, &bytes).is_ok()
        && let Ok(mut index) = crate::PayloadIndex::open_mapped(&path)
    {
        let keys: Vec<String> = index.schema().map(|(k, _)| k.to_string()).collect();
        for key in &keys {
            for test in [
                serde_json::json!({"match": {"value": "a"}}),
                serde_json::json!({"match": {"any": [1, 2]}}),
                serde_json::json!({"range": {"gte": 0.5}}),
                serde_json::json!({"range": {"gt": "2024-01-01"}}),
                serde_json::json!({"match": {"text": "a b"}}),
                serde_json::json!({"geo_radius": {"center": {"lat": 0.0, "lon": 0.0}, "radius": 1e6}}),
            ] {
                let mut c = test;
                c["key"] = Value::from(key.as_str());
                let f = serde_json::json!({"must": [c], "must_not": [{"is_empty": {"key": key}}]});
                if let Ok(f) = Filter::from_value(&f) {
                    let _ = index.filter(&f, &NoPayloads);
                    let _ = index.count(&f, &NoPayloads);
                    let _ = index.estimate(&f, &NoPayloads);
                    let plan = index.plan(&f, &NoPayloads);
                    for o in 0..64 {
                        let _ = plan.check(o);
                    }
                }
            }
            let _ = index.facet(key, None, 5, &NoPayloads);
            let _ = index.order_by(key, Default::default(), None, None, &NoPayloads);
        }
        index.delete(0);
        let _ = index.set(1, &serde_json::json!({"a": 1}));
        let _ = index.save(dir.join("again.idx"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
