//! The saved index file: a golden file pins the format (it opens, answers known filters, and
//! a fresh build writes it byte for byte; `SEXTANT_BLESS=1` rewrites it deliberately), every
//! field type and a phrase-matching text index survive the round trip, and damaged files
//! are refused with an error naming the byte.

use std::path::Path;

use serde_json::{Value, json};
use sextant_core::PointOffset;
use sextant_payload_index::{Error, FieldType, Filter, PayloadIndex, TextParams};

mod common;
use common::Store;

/// Ten points with a value of every field type (some missing, null, multi-valued, or of
/// another type), point 4 deleted.
fn small() -> (PayloadIndex, Store) {
    let mut store = Store(Vec::new());
    for i in 0..10u32 {
        let city = ["Lisbon", "Porto", "Faro"][i as usize % 3];
        let p = json!({
            "city": city,
            "year": 2020 + i as i64 % 4,
            "score": if i == 7 { json!("n/a") } else { json!(i as f64 / 4.0) },
            "ok": i % 2 == 0,
            "at": format!("2024-0{}-01T10:00:00Z", 1 + i % 5),
            "uid": format!("00000000-0000-0000-0000-00000000000{i}"),
            "loc": {"lat": 38.0 + f64::from(i) / 10.0, "lon": -9.0},
            "title": if i == 3 { Value::Null } else { json!(format!("fast vector search number {i}")) },
            "tags": if i % 4 == 0 { json!(["a", "b"]) } else { json!([]) },
        });
        store.0.push(Some(p));
    }
    let mut index = PayloadIndex::new();
    for (o, p) in store.0.iter().enumerate() {
        index.set(o as u32, p.as_ref().unwrap()).unwrap();
    }
    let fields = [
        ("city", FieldType::Keyword),
        ("year", FieldType::Integer),
        ("score", FieldType::Float),
        ("ok", FieldType::Bool),
        ("at", FieldType::Datetime),
        ("uid", FieldType::Uuid),
        ("loc", FieldType::Geo),
        ("tags[]", FieldType::Keyword),
    ];
    for (k, t) in fields {
        index.create_field(k, t, &store).unwrap();
    }
    let params = TextParams {
        phrase_matching: true,
        ..TextParams::default()
    };
    index.create_text_field("title", params, &store).unwrap();
    index.delete(4);
    store.0[4] = None;
    (index, store)
}

/// Known answers of the small index.
fn assert_answers(index: &PayloadIndex, store: &Store) {
    let ids = |f: &str| -> Vec<PointOffset> {
        index
            .filter(&Filter::from_json(f).unwrap(), store)
            .iter()
            .collect()
    };
    assert_eq!(
        ids(r#"{"must": {"key": "city", "match": {"value": "Porto"}}}"#),
        [1, 7]
    );
    assert_eq!(
        ids(r#"{"must": {"key": "year", "range": {"gte": 2022}}}"#),
        [2, 3, 6, 7]
    );
    assert_eq!(
        ids(r#"{"must": {"key": "score", "range": {"lt": 0.5}}}"#),
        [0, 1]
    );
    assert_eq!(
        ids(r#"{"must": {"key": "ok", "match": {"value": true}}}"#),
        [0, 2, 6, 8]
    );
    assert_eq!(
        ids(r#"{"must": {"key": "at", "range": {"gte": "2024-04-01"}}}"#),
        [3, 8, 9]
    );
    assert_eq!(
        ids(
            r#"{"must": {"key": "uid", "match": {"value": "00000000-0000-0000-0000-000000000005"}}}"#
        ),
        [5]
    );
    assert_eq!(
        ids(
            r#"{"must": {"key": "loc", "geo_radius": {"center": {"lat": 38.0, "lon": -9.0}, "radius": 12000}}}"#
        ),
        [0, 1]
    );
    assert_eq!(
        ids(r#"{"must": {"key": "title", "match": {"phrase": "vector search"}}}"#).len(),
        8
    );
    assert_eq!(
        ids(r#"{"must": {"key": "title", "match": {"text": "number 9"}}}"#),
        [9]
    );
    assert_eq!(
        ids(r#"{"must": {"is_empty": {"key": "tags"}}}"#),
        [1, 2, 3, 5, 6, 7, 9]
    );
    assert_eq!(ids(r#"{"must": {"is_null": {"key": "title"}}}"#), [3]);
    assert_eq!(
        ids(r#"{"must": {"key": "tags[]", "match": {"value": "b"}}}"#),
        [0, 8]
    );
    let f =
        Filter::from_json(r#"{"must_not": {"key": "city", "match": {"value": "Faro"}}}"#).unwrap();
    assert_eq!(index.count(&f, store), 6);
    let hits = index.facet("city", None, 10, store).unwrap();
    let counts: Vec<usize> = hits.iter().map(|h| h.count).collect();
    assert_eq!(counts, [4, 3, 2]);
}

#[test]
fn golden_index_file() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/small-v1.idx");
    let (index, store) = small();
    if std::env::var_os("SEXTANT_BLESS").is_some() {
        index.save(&golden).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh.idx");
    index.save(&fresh).unwrap();
    assert_eq!(
        std::fs::read(&fresh).unwrap(),
        std::fs::read(&golden).unwrap(),
        "format changed: bless deliberately"
    );
    assert_answers(&index, &store);
    let opened = PayloadIndex::open_mapped(&golden).unwrap();
    assert_answers(&opened, &store);
    // Saved again from the mapped form: the same bytes.
    let again = dir.path().join("again.idx");
    opened.save(&again).unwrap();
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&golden).unwrap()
    );
}

#[test]
fn mapped_index_takes_deletes_and_updates() {
    let (index, mut store) = small();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.idx");
    index.save(&path).unwrap();
    let mut opened = PayloadIndex::open_mapped(&path).unwrap();
    let porto =
        Filter::from_json(r#"{"must": {"key": "city", "match": {"value": "Porto"}}}"#).unwrap();
    opened.delete(7);
    store.0[7] = None;
    assert_eq!(
        opened.filter(&porto, &store).iter().collect::<Vec<_>>(),
        [1]
    );
    assert_eq!(opened.count(&porto, &store), 1);
    let e = opened.estimate(&porto, &store);
    assert!(e.min <= 1 && 1 <= e.max, "{e:?}");
    let p = json!({"city": "Porto", "title": "vector search again"});
    opened.set(4, &p).unwrap();
    store.0[4] = Some(p);
    assert_eq!(
        opened.filter(&porto, &store).iter().collect::<Vec<_>>(),
        [1, 4]
    );
    assert_eq!(opened.count(&porto, &store), 2);
    let phrase =
        Filter::from_json(r#"{"must": {"key": "title", "match": {"phrase": "search again"}}}"#)
            .unwrap();
    assert_eq!(
        opened.filter(&phrase, &store).iter().collect::<Vec<_>>(),
        [4]
    );
}

#[test]
fn damaged_files_are_refused_with_the_byte() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/small-v1.idx");
    let bytes = std::fs::read(&golden).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.idx");
    let expect_corrupt = |b: &[u8], what: &str| {
        std::fs::write(&path, b).unwrap();
        match PayloadIndex::open_mapped(&path) {
            Err(Error::Corrupt { path: p, .. }) => assert_eq!(p, path, "{what}"),
            other => panic!("{what}: {other:?}"),
        }
    };
    for cut in [0, 7, 12, 100, bytes.len() / 2, bytes.len() - 1] {
        expect_corrupt(&bytes[..cut], &format!("truncated at {cut}"));
    }
    for at in (0..bytes.len()).step_by(97) {
        let mut b = bytes.clone();
        b[at] ^= 0x20;
        expect_corrupt(&b, &format!("flipped byte {at}"));
    }
    // Damage behind a valid checksum: the structure checks catch it.
    let mut b = bytes[..bytes.len() - 4].to_vec();
    b[12] = 0xff; // point slots
    let crc = crc32c(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    expect_corrupt(&b, "slot count");
    let missing = dir.path().join("missing.idx");
    assert!(matches!(
        PayloadIndex::open_mapped(&missing),
        Err(Error::Map(_))
    ));
}

/// CRC32C (Castagnoli), bit by bit: the tests need it without a dependency.
fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82f6_3b78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
