//! Criterion bench `filters`: the payload index's hot paths over 100,000 synthetic points
//! (a keyword of 20 values, an integer of 1,000, a float, a bool): materializing and counting
//! single-field and combined filters, the per-point check a graph search makes, and an
//! estimate.
//!
//! Run: `cargo bench -p sextant-payload-index --bench filters`.

// criterion_group! generates public functions without docs.
#![allow(missing_docs)]

use std::borrow::Cow;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use sextant_core::{PointId, PointOffset};
use sextant_payload_index::{FieldType, Filter, PayloadIndex, Points};

const N: u32 = 100_000;

struct Payloads(Vec<Value>);

impl Points for Payloads {
    fn payload(&self, o: PointOffset) -> Option<Cow<'_, Value>> {
        self.0.get(o as usize).map(Cow::Borrowed)
    }
    fn offsets_of(&self, _: &[PointId]) -> Vec<PointOffset> {
        Vec::new()
    }
    fn has_vector(&self, _: PointOffset, _: &str) -> bool {
        true
    }
}

fn filters(c: &mut Criterion) {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let payloads = Payloads(
        (0..N)
            .map(|_| {
                json!({"kw": format!("k{}", next() % 20), "n": next() % 1000,
                       "f": (next() % 10_000) as f64 / 100.0, "b": next() % 2 == 0})
            })
            .collect(),
    );
    let mut index = PayloadIndex::new();
    for (key, t) in [
        ("kw", FieldType::Keyword),
        ("n", FieldType::Integer),
        ("f", FieldType::Float),
        ("b", FieldType::Bool),
    ] {
        index.create_field(key, t, &payloads).unwrap();
    }
    for (i, p) in payloads.0.iter().enumerate() {
        index.set(i as PointOffset, p).unwrap();
    }
    let cases = [
        (
            "keyword_5pct",
            r#"{"must": [{"key": "kw", "match": {"value": "k3"}}]}"#,
        ),
        (
            "range_10pct",
            r#"{"must": [{"key": "n", "range": {"gte": 900}}]}"#,
        ),
        (
            "range_50pct",
            r#"{"must": [{"key": "f", "range": {"lt": 50}}]}"#,
        ),
        (
            "and_of_three",
            r#"{"must": [{"key": "kw", "match": {"any": ["k1", "k2"]}}, {"key": "n", "range": {"lt": 500}}, {"key": "b", "match": {"value": true}}]}"#,
        ),
        (
            "should_not",
            r#"{"should": [{"key": "kw", "match": {"value": "k1"}}, {"key": "f", "range": {"gt": 99}}], "must_not": [{"key": "b", "match": {"value": false}}]}"#,
        ),
    ];
    let mut group = c.benchmark_group("payload_index_100k");
    for (name, json) in cases {
        let f = Filter::from_json(json).unwrap();
        group.bench_function(format!("{name}/materialize"), |b| {
            b.iter(|| index.filter(black_box(&f), &payloads))
        });
        group.bench_function(format!("{name}/count"), |b| {
            b.iter(|| index.count(black_box(&f), &payloads))
        });
        group.bench_function(format!("{name}/estimate"), |b| {
            b.iter(|| index.estimate(black_box(&f), &payloads))
        });
        let plan = index.plan(&f, &payloads);
        let mut o = 0u32;
        group.bench_function(format!("{name}/check_point"), |b| {
            b.iter(|| {
                o = (o + 7919) % N;
                plan.check(black_box(o))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, filters);
criterion_main!(benches);
