//! The indexes against brute force: random payloads through inserts, updates and deletes,
//! random filters over indexed and unindexed keys; materialized sets, counts and per-point
//! checks must equal `check_filter` on every payload, and estimates must bracket the count.
//! Some runs save the index and go on with the mapped file (facets and order-by must equal
//! the index that was saved), some then change it further.

use proptest::prelude::*;
use serde_json::{Value, json};
use sextant_core::PointOffset;
use sextant_payload_index::{FieldType, Filter, PayloadIndex};

mod common;
use common::Store;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 1000) as f64 / 1000.0 < p
    }
    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}

const KWS: [&str; 4] = ["red", "green", "blue", "x y"];
const UIDS: [&str; 3] = [
    "550e8400-e29b-41d4-a716-446655440000",
    "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
    "6BA7B810-9DAD-11D1-80B4-00C04FD430C8",
];

fn scalar(r: &mut Rng) -> Value {
    match r.below(9) {
        0 => json!(r.pick(&KWS)),
        1 => json!(r.below(6) as i64 - 1),
        2 => json!(r.below(60) as f64 / 10.0),
        3 => json!(r.chance(0.5)),
        4 => Value::Null,
        5 => json!(format!("2024-0{}-1{} 10:00", 1 + r.below(9), r.below(9))),
        6 => json!(r.pick(&UIDS)),
        7 => json!({"lat": r.below(20) as f64, "lon": r.below(20) as f64}),
        _ => json!([]),
    }
}

fn field_value(r: &mut Rng, typical: impl Fn(&mut Rng) -> Value) -> Value {
    match r.below(10) {
        0 => scalar(r),
        1 => json!([typical(r), typical(r)]),
        2 => json!([typical(r), scalar(r)]),
        _ => typical(r),
    }
}

fn payload(r: &mut Rng) -> Value {
    let mut p = serde_json::Map::new();
    let mut put = |r: &mut Rng, k: &str, v: fn(&mut Rng) -> Value| {
        if r.chance(0.85) {
            let value = field_value(r, v);
            p.insert(k.to_string(), value);
        }
    };
    put(r, "kw", |r| json!(r.pick(&KWS)));
    put(r, "int", |r| json!(r.below(6) as i64 - 1));
    put(r, "num", |r| json!(r.below(60) as f64 / 10.0));
    put(r, "flag", |r| json!(r.chance(0.5)));
    put(r, "when", |r| {
        json!(format!("2024-0{}-1{}", 1 + r.below(9), r.below(9)))
    });
    put(r, "uid", |r| json!(r.pick(&UIDS)));
    put(r, "free", scalar);
    put(
        r,
        "geo",
        |r| json!({"lat": r.below(1800) as f64 / 10.0 - 90.0, "lon": r.below(3600) as f64 / 10.0 - 180.0}),
    );
    if r.chance(0.7) {
        let inner = json!({"kw": r.pick(&KWS), "int": r.below(4)});
        p.insert("o".into(), inner);
    }
    Value::Object(p)
}

fn condition(r: &mut Rng, depth: usize) -> Value {
    let key = r.pick(&[
        "kw", "int", "num", "flag", "when", "uid", "free", "o.kw", "o.int", "nope", "geo",
    ]);
    let lat = |r: &mut Rng| r.below(1700) as f64 / 10.0 - 85.0;
    let lon = |r: &mut Rng| r.below(3600) as f64 / 10.0 - 180.0;
    let range = |r: &mut Rng| {
        let mut m = serde_json::Map::new();
        for b in ["lt", "gt", "gte", "lte"] {
            if r.chance(0.4) {
                m.insert(b.into(), json!(r.below(70) as f64 / 10.0 - 1.0));
            }
        }
        Value::Object(m)
    };
    match r.below(19) {
        16 => {
            json!({"key": key, "geo_radius": {"center": {"lat": lat(r), "lon": lon(r)},
                "radius": r.pick(&[1e5, 1e6, 3e6, 6e6, 1.5e7])}})
        }
        17 => {
            let (a, b) = (lat(r), lat(r));
            json!({"key": key, "geo_bounding_box": {"top_left": {"lat": a.max(b), "lon": lon(r)},
                "bottom_right": {"lat": a.min(b), "lon": lon(r)}}})
        }
        18 => {
            let (c, d, w) = (lat(r) / 2.0, lon(r) / 2.0, 1.0 + r.below(40) as f64);
            let ring = json!([{"lat": c - w, "lon": d - w}, {"lat": c - w, "lon": d + w}, {"lat": c + w, "lon": d + w},
                {"lat": c + w, "lon": d - w}, {"lat": c - w, "lon": d - w}]);
            json!({"key": key, "geo_polygon": {"exterior": {"points": ring}}})
        }
        0 if depth < 2 => filter(r, depth + 1),
        1 => json!({"key": key, "match": {"value": r.pick(&KWS)}}),
        2 => json!({"key": key, "match": {"value": r.below(6) as i64 - 1}}),
        3 => json!({"key": key, "match": {"value": r.chance(0.5)}}),
        4 => json!({"key": key, "match": {"any": [r.pick(&KWS), r.pick(&KWS)]}}),
        5 => json!({"key": key, "match": {"any": [r.below(5), r.below(5)]}}),
        6 => json!({"key": key, "match": {"except": [r.pick(&KWS)]}}),
        7 => json!({"key": key, "match": {"except": [r.below(5)]}}),
        8 => json!({"key": key, "match": {"text": r.pick(&["e", "re", "x", " "])}}),
        9 => json!({"key": key, "range": range(r)}),
        10 => json!({"key": key, "range": {"gte": format!("2024-0{}-15", 1 + r.below(9))}}),
        11 => json!({"key": key, "match": {"value": r.pick(&UIDS)}}),
        12 => json!({"is_empty": {"key": key}}),
        13 => json!({"is_null": {"key": key}}),
        14 => json!({"key": key, "values_count": {"gte": r.below(3), "lt": 1 + r.below(3)}}),
        _ => json!({"has_id": [r.below(60), r.below(60)]}),
    }
}

fn filter(r: &mut Rng, depth: usize) -> Value {
    let mut f = serde_json::Map::new();
    for clause in ["must", "should", "must_not"] {
        if r.chance(0.5) {
            let n = r.below(3) + usize::from(clause == "should");
            f.insert(
                clause.into(),
                Value::Array((0..n).map(|_| condition(r, depth)).collect()),
            );
        }
    }
    if r.chance(0.15) {
        let n = 1 + r.below(3);
        let conds: Vec<Value> = (0..n).map(|_| condition(r, depth)).collect();
        f.insert(
            "min_should".into(),
            json!({"conditions": conds, "min_count": r.below(n + 1)}),
        );
    }
    Value::Object(f)
}

fn run(seed: u64) {
    let mut r = Rng(seed | 1);
    let mut store = Store(Vec::new());
    let mut index = PayloadIndex::new();
    let types = [
        ("kw", FieldType::Keyword),
        (
            "int",
            r.pick(&[FieldType::Integer, FieldType::Float, FieldType::Keyword]),
        ),
        ("num", r.pick(&[FieldType::Float, FieldType::Integer])),
        ("flag", FieldType::Bool),
        ("when", FieldType::Datetime),
        ("uid", r.pick(&[FieldType::Uuid, FieldType::Keyword])),
        ("o.kw", FieldType::Keyword),
        (
            "free",
            r.pick(&[
                FieldType::Keyword,
                FieldType::Integer,
                FieldType::Bool,
                FieldType::Datetime,
            ]),
        ),
    ];
    // Some fields indexed before the points arrive, the others after.
    let (early, late) = types.split_at(r.below(types.len() + 1));
    for (k, t) in early {
        index.create_field(k, *t, &store).unwrap();
    }
    for o in 0..60u32 {
        let p = payload(&mut r);
        index.set(o, &p).unwrap();
        store.0.push(Some(p));
    }
    for (k, t) in late {
        index.create_field(k, *t, &store).unwrap();
    }
    let change = |r: &mut Rng, index: &mut PayloadIndex, store: &mut Store, n: usize| {
        for _ in 0..n {
            let o = r.below(60) as u32;
            if r.chance(0.3) {
                index.delete(o);
                store.0[o as usize] = None;
            } else {
                let p = payload(r);
                index.set(o, &p).unwrap();
                store.0[o as usize] = Some(p);
            }
        }
    };
    change(&mut r, &mut index, &mut store, 25);
    let mode = r.below(4);
    let dir = tempfile::tempdir().unwrap();
    if mode >= 1 {
        let path = dir.path().join("payload.idx");
        index.save(&path).unwrap();
        let opened = PayloadIndex::open_mapped(&path).unwrap();
        assert_same_values(&index, &opened, &store, seed);
        index = opened;
    }
    match mode {
        // Deletes only: marked in the mapped lists.
        2 => {
            for _ in 0..10 {
                let o = r.below(60) as u32;
                index.delete(o);
                store.0[o as usize] = None;
            }
        }
        // Updates too: the lists are copied into RAM.
        3 => change(&mut r, &mut index, &mut store, 15),
        _ => {}
    }
    if mode >= 2 && r.chance(0.5) {
        // Saved again (stale points dropped) and reopened.
        let path = dir.path().join("again.idx");
        index.save(&path).unwrap();
        let opened = PayloadIndex::open_mapped(&path).unwrap();
        assert_same_values(&index, &opened, &store, seed);
        index = opened;
    }
    for _ in 0..30 {
        let json = filter(&mut r, 0);
        let f = Filter::from_value(&json).unwrap();
        let want: Vec<PointOffset> = store.passing(&f);
        let got: Vec<PointOffset> = index.filter(&f, &store).iter().collect();
        assert_eq!(got, want, "seed {seed}: materialized {json}");
        let plan = index.plan(&f, &store);
        let checked: Vec<PointOffset> = (0..60u32).filter(|&o| plan.check(o)).collect();
        assert_eq!(checked, want, "seed {seed}: per point {json}");
        assert_eq!(
            index.count(&f, &store),
            want.len(),
            "seed {seed}: count {json}"
        );
        let e = index.estimate(&f, &store);
        assert!(
            e.min <= want.len() && want.len() <= e.max,
            "seed {seed}: {} outside {e:?} for {json}",
            want.len()
        );
    }
}

/// Facets and order-by of every field are the same in `a` and `b`.
fn assert_same_values(a: &PayloadIndex, b: &PayloadIndex, store: &Store, seed: u64) {
    use sextant_payload_index::facet::Direction;
    assert_eq!(a.len(), b.len());
    assert_eq!(
        a.schema().collect::<Vec<_>>(),
        b.schema().collect::<Vec<_>>()
    );
    for (key, _) in a.schema() {
        let facet = |i: &PayloadIndex| i.facet(key, None, 10, store).ok();
        assert_eq!(facet(a), facet(b), "seed {seed}: facet {key}");
        let order = |i: &PayloadIndex| i.order_by(key, Direction::Desc, None, None, store).ok();
        assert_eq!(order(a), order(b), "seed {seed}: order_by {key}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn indexes_agree_with_brute_force(seed in any::<u64>()) {
        run(seed);
    }
}

/// Geo shapes at the antimeridian and the poles, on a 3° grid of points: the index's cell
/// ranges must not miss a point the shape holds.
#[test]
fn geo_index_agrees_at_the_antimeridian_and_the_poles() {
    let mut store = Store(Vec::new());
    let mut index = PayloadIndex::new();
    index.create_field("g", FieldType::Geo, &store).unwrap();
    let mut o = 0u32;
    for lat in (-30..=30).map(|i| i as f64 * 3.0) {
        for lon in (-60..=60).map(|i| i as f64 * 3.0) {
            let p = json!({"g": {"lat": lat, "lon": lon}});
            index.set(o, &p).unwrap();
            store.0.push(Some(p));
            o += 1;
        }
    }
    let shapes = [
        json!({"geo_radius": {"center": {"lat": 0.0, "lon": 179.5}, "radius": 800_000.0}}),
        json!({"geo_radius": {"center": {"lat": 88.0, "lon": 10.0}, "radius": 900_000.0}}),
        json!({"geo_radius": {"center": {"lat": -60.0, "lon": -178.0}, "radius": 2_500_000.0}}),
        json!({"geo_radius": {"center": {"lat": 45.0, "lon": 0.0}, "radius": 7_000_000.0}}),
        json!({"geo_radius": {"center": {"lat": 10.0, "lon": 30.0}, "radius": 19_000_000.0}}),
        json!({"geo_bounding_box": {"top_left": {"lat": 20.0, "lon": 170.0}, "bottom_right": {"lat": -20.0, "lon": -170.0}}}),
        json!({"geo_bounding_box": {"top_left": {"lat": 90.0, "lon": -180.0}, "bottom_right": {"lat": 80.0, "lon": 180.0}}}),
        json!({"geo_polygon": {"exterior": {"points": [{"lat": -10, "lon": 170}, {"lat": -10, "lon": 179.9},
            {"lat": 10, "lon": 179.9}, {"lat": 10, "lon": 170}, {"lat": -10, "lon": 170}]}}}),
    ];
    for shape in shapes {
        let mut cond = shape.clone();
        cond["key"] = json!("g");
        let f = Filter::from_value(&json!({"must": [cond]})).unwrap();
        let want: Vec<PointOffset> = store.passing(&f);
        let got: Vec<PointOffset> = index.filter(&f, &store).iter().collect();
        assert!(!want.is_empty(), "{shape}");
        assert_eq!(got, want, "{shape}");
        assert_eq!(index.count(&f, &store), want.len(), "{shape}");
    }
}

/// "Index required" reports keys without an index able to decide the condition, and a
/// sampled estimate lands near the truth when the bounds straddle the threshold.
#[test]
fn unindexed_keys_and_sampled_estimates() {
    let mut store = Store(Vec::new());
    let mut index = PayloadIndex::new();
    index
        .create_field("kw", FieldType::Keyword, &store)
        .unwrap();
    index.create_field("n", FieldType::Integer, &store).unwrap();
    for o in 0..1000u32 {
        let kw = ["a", "b", "c"][o as usize % 3];
        let p = json!({"kw": kw, "n": o % 10, "free": o % 7});
        index.set(o, &p).unwrap();
        store.0.push(Some(p));
    }
    let f = Filter::from_json(
        r#"{"must": [{"key": "kw", "match": {"value": "a"}}, {"key": "kw", "range": {"gte": 1}},
                     {"key": "free", "match": {"value": 3}}, {"is_null": {"key": "n"}}],
            "should": [{"key": "n", "range": {"lt": 5}}]}"#,
    )
    .unwrap();
    assert_eq!(index.unindexed_keys(&f), ["free", "kw"]);
    // Two independent conditions: bounds [0, 334], truth 167.
    let f = Filter::from_json(
        r#"{"must": [{"key": "kw", "match": {"value": "a"}}, {"key": "free", "range": {"lt": 4}}]}"#,
    )
    .unwrap();
    let truth = index.count(&f, &store);
    let plan = index.plan(&f, &store);
    let rough = plan.estimate();
    assert!(rough.min <= truth && truth <= rough.max);
    let sampled = plan.estimate_near(truth, 200);
    assert!(sampled.min <= truth && truth <= sampled.max);
    assert!(
        sampled.exp.abs_diff(truth) * 5 <= truth,
        "{sampled:?} vs {truth}"
    );
    assert_eq!(
        plan.estimate_near(rough.max + 1, 200),
        rough,
        "no sampling outside the bounds"
    );
}

/// Values held by thousands of points keep bit sets: results stay those of brute force
/// through deletes that shrink them back to lists.
#[test]
fn dense_values_answer_like_sparse_ones() {
    let mut store = Store(Vec::new());
    let mut index = PayloadIndex::new();
    index.create_field("c", FieldType::Keyword, &store).unwrap();
    index.create_field("n", FieldType::Integer, &store).unwrap();
    for o in 0..20_000u32 {
        let p = json!({"c": if o % 3 == 0 { "common" } else { "rare" }, "n": o % 4});
        index.set(o, &p).unwrap();
        store.0.push(Some(p));
    }
    let filters = [
        r#"{"must": [{"key": "c", "match": {"value": "common"}}]}"#,
        r#"{"must": [{"key": "n", "range": {"gte": 1}}], "must_not": [{"key": "c", "match": {"value": "rare"}}]}"#,
        r#"{"should": [{"key": "c", "match": {"except": ["rare"]}}, {"key": "n", "match": {"any": [3]}}]}"#,
        r#"{"must": [{"key": "c", "match": {"except": ["common"]}}, {"key": "n", "range": {"lt": 3}}]}"#,
    ];
    for round in 0..2 {
        for text in filters {
            let f = Filter::from_json(text).unwrap();
            let want: Vec<PointOffset> = store.passing(&f);
            let got: Vec<PointOffset> = index.filter(&f, &store).iter().collect();
            assert_eq!(got, want, "round {round}: {text}");
            assert_eq!(index.count(&f, &store), want.len());
        }
        let hits = index.facet("c", None, 10, &store).unwrap();
        let common = (0..20_000usize)
            .filter(|&o| store.0[o].as_ref().is_some_and(|p| p["c"] == "common"))
            .count();
        assert_eq!(
            hits.iter()
                .find(|h| h.value
                    == sextant_payload_index::facet::FacetValue::Keyword("common".into()))
                .unwrap()
                .count,
            common
        );
        // Delete most points: the dense values fall back to lists.
        for o in (0..20_000u32).filter(|o| o % 10 != 0) {
            index.delete(o);
            store.0[o as usize] = None;
        }
    }
}

/// Single-valued integer, float and datetime fields count ranges from prefix sums: exact
/// against brute force at every bound (inclusive, exclusive, between and on stored values),
/// before and after a save, and through deletes of the mapped form.
#[test]
fn single_valued_ranges_count_exactly() {
    let mut r = Rng(77);
    let mut store = Store(Vec::new());
    let mut index = PayloadIndex::new();
    index.create_field("i", FieldType::Integer, &store).unwrap();
    index.create_field("f", FieldType::Float, &store).unwrap();
    index
        .create_field("d", FieldType::Datetime, &store)
        .unwrap();
    for o in 0..400u32 {
        let mut p = serde_json::Map::new();
        if r.chance(0.9) {
            p.insert("i".into(), json!(r.below(50) as i64 - 10));
        }
        if r.chance(0.9) {
            p.insert("f".into(), json!(r.below(40) as f64 / 4.0));
        }
        if r.chance(0.9) {
            p.insert("d".into(), json!(format!("2024-01-{:02}", 1 + r.below(28))));
        }
        let p = Value::Object(p);
        index.set(o, &p).unwrap();
        store.0.push(Some(p));
    }
    let dir = tempfile::tempdir().unwrap();
    for round in 0..3 {
        for _ in 0..200 {
            type Bound = fn(&mut Rng) -> Value;
            let (key, bound): (&str, Bound) = match r.below(3) {
                0 => ("i", |r| json!(r.below(60) as i64 - 15)),
                1 => ("f", |r| json!(r.below(90) as f64 / 8.0)),
                _ => ("d", |r| json!(format!("2024-01-{:02}", 1 + r.below(28)))),
            };
            let mut range = serde_json::Map::new();
            for b in ["lt", "gt", "gte", "lte"] {
                if r.chance(0.5) {
                    range.insert(b.into(), bound(&mut r));
                }
            }
            let json = json!({"must": {"key": key, "range": range}});
            let f = Filter::from_value(&json).unwrap();
            let want = store.passing(&f).len();
            assert_eq!(index.count(&f, &store), want, "round {round}: {json}");
            let e = index.estimate(&f, &store);
            assert!(
                e.min <= want && want <= e.max,
                "round {round}: {json} {e:?}"
            );
            if round == 0 {
                assert_eq!((e.min, e.max), (want, want), "exact from the keys: {json}");
            }
        }
        let path = dir.path().join(format!("r{round}.idx"));
        index.save(&path).unwrap();
        index = PayloadIndex::open_mapped(&path).unwrap();
        for _ in 0..30 {
            let o = r.below(400) as u32;
            index.delete(o);
            store.0[o as usize] = None;
        }
    }
}
