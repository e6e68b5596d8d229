//! Updates as hnswlib makes them: `add` with a label the index holds replaces its vector (and
//! revives it when deleted), `add_replacing_deleted` puts new labels in deleted points'
//! places; searches then agree with brute force over what the index holds, on floats, on
//! codes rescored and behind bounds, and a saved index keeps it all.

use sextant_core::Distance;
use sextant_index::{Error, IndexConfig, LabeledIndex};

const DIM: usize = 8;

fn rows(n: usize, seed: u64) -> Vec<f32> {
    (0..n * DIM)
        .map(|i| {
            let h = (i as u64 + 1).wrapping_mul(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1) >> 40;
            (h % 2001) as f32 / 1000.0 - 1.0
        })
        .collect()
}

/// The `k` nearest live labels by brute force over the index's own vectors.
fn brute(idx: &LabeledIndex, q: &[f32], k: usize) -> Vec<u64> {
    let mut all: Vec<(f32, u64)> = idx
        .labels()
        .iter()
        .filter(|&&l| !idx.is_deleted(l).unwrap())
        .map(|&l| {
            let v = idx.vector(l).unwrap();
            (v.iter().zip(q).map(|(a, b)| (a - b) * (a - b)).sum(), l)
        })
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    all.iter().take(k).map(|p| p.1).collect()
}

fn agree(idx: &LabeledIndex, queries: &[f32]) -> f64 {
    let mut hits = 0;
    let n = queries.len() / DIM;
    for q in queries.chunks_exact(DIM) {
        let found: Vec<u64> = idx
            .search(q, 10, 200, None)
            .unwrap()
            .iter()
            .map(|p| p.0)
            .collect();
        let truth = brute(idx, q, 10);
        hits += found.iter().filter(|l| truth.contains(l)).count();
    }
    hits as f64 / (10 * n) as f64
}

fn configs() -> Vec<(&'static str, IndexConfig)> {
    let plain = IndexConfig::new(Distance::Euclid, DIM, 1_000);
    let codes = IndexConfig {
        codec: Some("sq8d".parse().unwrap()),
        oversampling: 4.0,
        ..plain.clone()
    };
    let bounds = IndexConfig {
        bounds: true,
        ..plain.clone()
    };
    vec![("floats", plain), ("codes", codes), ("bounds", bounds)]
}

#[test]
fn a_held_label_is_updated_in_place() {
    for (name, config) in configs() {
        let mut idx = LabeledIndex::new(config).unwrap();
        let labels: Vec<u64> = (0..600).collect();
        idx.add(&rows(600, 1), &labels, 2).unwrap();
        idx.set_deleted(7, true).unwrap();
        // 60 labels move elsewhere, 7 among them (deleted: it comes back).
        let moved: Vec<u64> = (0..60).map(|i| i * 10 + 7).collect();
        let new_rows = rows(60, 2);
        idx.add(&new_rows, &moved, 1).unwrap();
        assert_eq!(idx.len(), 600, "{name}");
        assert_eq!(idx.live(), 600, "{name}");
        assert!(!idx.is_deleted(7).unwrap());
        for (l, v) in moved.iter().zip(new_rows.chunks_exact(DIM)) {
            assert_eq!(idx.vector(*l).unwrap(), v, "{name}");
            let top = idx.search(v, 1, 64, None).unwrap();
            assert_eq!(
                top[0].0, *l,
                "{name}: an updated label is found at its new place"
            );
        }
        let recall = agree(&idx, &rows(50, 3));
        assert!(
            recall >= 0.97,
            "{name}: recall {recall} against brute force"
        );
    }
}

#[test]
fn new_labels_take_deleted_places_when_asked() {
    for (name, config) in configs() {
        let mut idx = LabeledIndex::new(config).unwrap();
        idx.add(&rows(300, 4), &(0..300).collect::<Vec<_>>(), 2)
            .unwrap();
        for l in 100..110 {
            idx.set_deleted(l, true).unwrap();
        }
        // 15 new labels: 10 take the deleted places, 5 are appended; 50 is updated.
        let mut labels: Vec<u64> = (1_000..1_015).collect();
        labels.push(50);
        let new_rows = rows(16, 5);
        idx.add_replacing_deleted(new_rows.clone(), &labels, 1)
            .unwrap();
        assert_eq!(idx.len(), 305, "{name}");
        assert_eq!(idx.live(), 305, "{name}");
        for l in 100..110 {
            assert!(
                matches!(idx.vector(l), Err(Error::NoLabel(_))),
                "{name}: {l} forgotten"
            );
        }
        for (l, v) in labels.iter().zip(new_rows.chunks_exact(DIM)) {
            assert_eq!(idx.vector(*l).unwrap(), v);
            assert_eq!(idx.search(v, 1, 64, None).unwrap()[0].0, *l, "{name}");
        }
        let recall = agree(&idx, &rows(50, 6));
        assert!(recall >= 0.97, "{name}: recall {recall}");
        // Saved and loaded: the same answers.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index");
        idx.save(&path).unwrap();
        let again = LabeledIndex::load(&path).unwrap();
        let q = rows(1, 7);
        assert_eq!(
            again.search(&q, 10, 64, None).unwrap(),
            idx.search(&q, 10, 64, None).unwrap()
        );
        assert_eq!(again.labels(), idx.labels());
    }
}

#[test]
fn bad_updates_change_nothing() {
    let mut idx = LabeledIndex::new(IndexConfig::new(Distance::Euclid, DIM, 10)).unwrap();
    idx.add(&rows(10, 8), &(0..10).collect::<Vec<_>>(), 1)
        .unwrap();
    let before = idx.vector(3).unwrap().to_vec();
    let mut bad = rows(2, 9);
    bad[DIM + 1] = f32::NAN;
    assert!(idx.add(&bad, &[3, 4], 1).is_err());
    assert!(idx.add(&rows(2, 9), &[3, 3], 1).is_err());
    // Full: a new label does not fit, so the update beside it is not made either.
    assert!(matches!(
        idx.add(&rows(2, 9), &[3, 11], 1),
        Err(Error::Full(10))
    ));
    assert_eq!(idx.vector(3).unwrap(), before);
    // An update needs no room.
    idx.add(&rows(1, 9), &[3], 1).unwrap();
    assert_eq!(idx.vector(3).unwrap(), &rows(1, 9)[..]);
}
