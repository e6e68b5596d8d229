//! The index against brute force: random sparse documents (weights of both signs, repeated
//! values so scores tie) inserted at increasing offsets with gaps, random deletes, random
//! queries with and without the IDF modifier, no filter / a bit set (scored through the
//! postings or point by point) / a closure. The top-k must equal scoring every live point:
//! same offsets, same scores, same tie order.

use proptest::prelude::*;
use sextant_core::{BitSet, PointOffset, SparseVector};
use sextant_sparse_index::{SparseIndex, SparseRequest, WeightType, idf};

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
}

/// A random vector; `skewed`: low term ids far likelier (long lists next to short ones, so
/// the search probes long lists it does not walk).
fn vector(
    r: &mut Rng,
    vocab: usize,
    max_len: usize,
    weights: &[f32],
    skewed: bool,
) -> SparseVector {
    let n = r.below(max_len + 1);
    let term = |r: &mut Rng| {
        if skewed {
            r.below(vocab) * r.below(vocab) * r.below(vocab) / (vocab * vocab)
        } else {
            r.below(vocab)
        }
    };
    let mut terms: Vec<u32> = (0..n).map(|_| term(r) as u32).collect();
    terms.sort_unstable();
    terms.dedup();
    let values = terms
        .iter()
        .map(|_| weights[r.below(weights.len())])
        .collect();
    SparseVector::new(terms, values).unwrap()
}

/// Every live point passing `allow` and sharing a term with the query, scored as the index
/// must score it, best first.
fn brute_force(
    docs: &[Option<SparseVector>],
    query: &SparseVector,
    use_idf: bool,
    allow: &dyn Fn(PointOffset) -> bool,
    k: usize,
) -> Vec<(PointOffset, f32)> {
    let live = docs.iter().flatten().count();
    let df = |t: u32| {
        docs.iter()
            .flatten()
            .filter(|d| d.indices().contains(&t))
            .count()
    };
    let weights: Vec<f32> = query
        .iter()
        .map(|(t, w)| if use_idf { w * idf(live, df(t)) } else { w })
        .collect();
    let q = SparseVector::new(query.indices().to_vec(), weights).unwrap();
    let mut all: Vec<(PointOffset, f32)> = docs
        .iter()
        .enumerate()
        .filter_map(|(o, d)| Some((o as PointOffset, d.as_ref()?)))
        .filter(|(o, d)| allow(*o) && d.indices().iter().any(|t| q.indices().contains(t)))
        .map(|(o, d)| (o, q.dot(d)))
        .collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    all.truncate(k);
    all
}

fn run(seed: u64) {
    let mut r = Rng(seed | 1);
    let vocab = 5 + r.below(60);
    // A few values (scores tie) or many (u8 codes then rarely hit a weight exactly), of
    // both signs or (as BM25's) all positive: then every list can put a floor under the
    // k-th score of a query with positive weights.
    let doc_weights: Vec<f32> = match r.below(3) {
        0 => vec![0.5, 1.0, 1.0, 2.0, 0.25, -1.0, 3.0],
        1 => (0..40)
            .map(|_| (r.below(1000) as f32 - 200.0) / 97.0)
            .collect(),
        _ => (0..40).map(|_| (1 + r.below(1000)) as f32 / 97.0).collect(),
    };
    let types = [WeightType::F32, WeightType::F16, WeightType::U8];
    let mut docs: Vec<Option<SparseVector>> = Vec::new();
    let n = 1 + r.below(1500);
    // Gaps up to 60 spread the points over several windows of the accumulator (16,384).
    let widest = if r.below(3) == 0 { 60 } else { 12 };
    let skewed = r.below(2) == 0;
    let gap = 1 + r.below(widest);
    let mut offset = 0usize;
    let mut points = Vec::new();
    for _ in 0..n {
        offset += r.below(gap);
        let v = vector(&mut r, vocab, 8, &doc_weights, skewed);
        points.push((offset as PointOffset, v.clone()));
        docs.resize(offset, None);
        docs.push(Some(v));
        offset += 1;
    }
    // Inserted one by one, or built at once (the same index: later inserts and saves agree).
    let mut index = if r.below(2) == 0 {
        SparseIndex::build(points).unwrap()
    } else {
        let mut index = SparseIndex::new();
        for (o, v) in points {
            index.insert(o, v).unwrap();
        }
        index
    };
    // Before any delete: unfiltered windows with few postings take their sums from the list
    // of points they touched (a mask turns that off).
    check(&index, &docs, &mut r, seed, "in RAM, nothing deleted");
    for _ in 0..r.below(n / 3 + 1) {
        let o = r.below(docs.len());
        let was_live = docs[o].is_some();
        assert_eq!(index.delete(o as PointOffset), was_live);
        docs[o] = None;
    }
    check(&index, &docs, &mut r, seed, "in RAM");

    // Saved (weights of any type), opened in place: the same answers; then changed like the
    // RAM index (deletes only set bits, inserts copy the lists they touch), the same answers
    // and the same file again.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sparse.idx");
    let ty = types[r.below(3)];
    index.save(&path, ty).unwrap();
    let mut opened = SparseIndex::open_mapped(&path).unwrap();
    check(&opened, &docs, &mut r, seed, "opened");
    for _ in 0..r.below(n / 4 + 1) {
        let o = r.below(docs.len());
        let was_live = docs[o].is_some();
        assert_eq!(opened.delete(o as PointOffset), was_live);
        assert_eq!(index.delete(o as PointOffset), was_live);
        docs[o] = None;
    }
    let mut offset = docs.len();
    for _ in 0..r.below(n / 4 + 1) {
        offset += r.below(gap);
        let v = vector(&mut r, vocab + 2, 8, &doc_weights, skewed);
        opened.insert(offset as PointOffset, v.clone()).unwrap();
        index.insert(offset as PointOffset, v.clone()).unwrap();
        docs.resize(offset, None);
        docs.push(Some(v));
        offset += 1;
    }
    check(&opened, &docs, &mut r, seed, "opened, then changed");
    assert_eq!(
        opened.to_bytes(ty).unwrap(),
        index.to_bytes(ty).unwrap(),
        "seed {seed}"
    );
    opened.save(&path, types[r.below(3)]).unwrap();
    let again = SparseIndex::open_mapped(&path).unwrap();
    check(&again, &docs, &mut r, seed, "saved again");
}

/// Every search path of `index` against brute force over `docs`, on 20 random queries.
fn check(index: &SparseIndex, docs: &[Option<SparseVector>], r: &mut Rng, seed: u64, stage: &str) {
    let vocab = 70;
    assert_eq!(
        index.len(),
        docs.iter().flatten().count(),
        "seed {seed}, {stage}"
    );
    let query_weights: &[f32] = if r.below(2) == 0 {
        &[1.0, 1.0, 0.5, 2.0, -0.5]
    } else {
        &[1.0, 1.0, 0.5, 2.0]
    };
    for _ in 0..20 {
        let query = vector(r, vocab + 3, 6, query_weights, false);
        let k = 1 + r.below(15);
        let use_idf = r.below(2) == 0;
        let mut bits = BitSet::new(docs.len());
        let keep = 1 + r.below(10);
        for o in 0..docs.len() {
            if r.below(keep) == 0 {
                bits.insert(o as PointOffset);
            }
        }
        let passing = bits.count();
        let got = |found: Vec<sextant_core::ScoredPoint>| -> Vec<(PointOffset, f32)> {
            found.iter().map(|p| (p.offset, p.score)).collect()
        };
        let base = SparseRequest::new(k).idf(use_idf);
        let want = brute_force(docs, &query, use_idf, &|_| true, k);
        assert_eq!(
            got(index.search(&query, &base)),
            want,
            "seed {seed}, {stage}: unfiltered"
        );
        let want = brute_force(docs, &query, use_idf, &|o| bits.contains(o), k);
        let through_postings = base.filter(&bits);
        assert_eq!(
            got(index.search(&query, &through_postings)),
            want,
            "seed {seed}, {stage}: bit set"
        );
        let point_by_point = base.filter(&bits).passing(passing);
        assert_eq!(
            got(index.search(&query, &point_by_point)),
            want,
            "seed {seed}, {stage}: direct"
        );
        let closure = |o: PointOffset| bits.contains(o);
        assert_eq!(
            got(index.search(&query, &base.filter(&closure))),
            want,
            "seed {seed}, {stage}: closure"
        );
        // Approximate: factor 1 is the exact search; above it, fewer or other points, each
        // with its exact score, in order.
        let exact = base.approximate(1.0).unwrap();
        let unfiltered = brute_force(docs, &query, use_idf, &|_| true, usize::MAX);
        assert_eq!(
            got(index.search(&query, &exact)),
            unfiltered[..k.min(unfiltered.len())]
        );
        let loose = base.approximate(1.5).unwrap();
        let found = got(index.search(&query, &loose));
        assert!(found.len() <= k, "seed {seed}, {stage}: approximate");
        for pair in found.windows(2) {
            assert!(pair[0].1 > pair[1].1 || (pair[0].1 == pair[1].1 && pair[0].0 < pair[1].0));
        }
        for (o, s) in &found {
            assert!(
                unfiltered.contains(&(*o, *s)),
                "seed {seed}, {stage}: {o} scored {s}"
            );
        }
        // The heaviest terms only: as many as the query has is the exact search; fewer give
        // points with their scores on the whole query, in order, passing the filter.
        let all_terms = base.max_terms(query.len().max(1)).unwrap();
        assert_eq!(
            got(index.search(&query, &all_terms)),
            unfiltered[..k.min(unfiltered.len())],
            "seed {seed}, {stage}: max_terms = query length"
        );
        for n in [1, 2] {
            let some = base.max_terms(n).unwrap();
            let found = got(index.search(&query, &some.filter(&bits)));
            assert!(found.len() <= k, "seed {seed}, {stage}: max_terms {n}");
            for pair in found.windows(2) {
                assert!(pair[0].1 > pair[1].1 || (pair[0].1 == pair[1].1 && pair[0].0 < pair[1].0));
            }
            for (o, s) in &found {
                assert!(
                    bits.contains(*o) && unfiltered.contains(&(*o, *s)),
                    "seed {seed}, {stage}: max_terms {n}: {o} scored {s}"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]
    #[test]
    fn top_k_equals_brute_force(seed in any::<u64>()) {
        run(seed);
    }
}

/// Lists long enough that a window walks thousands of postings (its sums then scanned, no
/// point marked): 12,000 skewed documents of up to 16 terms over two windows, weights all
/// positive or of both signs, in RAM, after deletes, and saved and opened.
#[test]
fn long_lists_scan_their_windows() {
    for seed in [3u64, 8] {
        let mut r = Rng(seed);
        let doc_weights: Vec<f32> = (0..40)
            .map(|_| match seed % 2 {
                1 => (1 + r.below(1000)) as f32 / 97.0,
                _ => (r.below(1000) as f32 - 200.0) / 97.0,
            })
            .collect();
        let (mut docs, mut points) = (Vec::new(), Vec::new());
        for _ in 0..12_000 {
            let offset = docs.len() + r.below(2);
            let v = vector(&mut r, 70, 16, &doc_weights, true);
            points.push((offset as PointOffset, v.clone()));
            docs.resize(offset, None);
            docs.push(Some(v));
        }
        let mut index = SparseIndex::build(points).unwrap();
        let (df, t) = (0..5u32)
            .map(|t| (index.document_frequency(t), t))
            .max()
            .unwrap();
        assert!(df > 4 * 2048, "seed {seed}: the longest list holds {df}");
        // No k-th score above 0 (every score negative; or k past the lists' largest weights,
        // so no floor before the first window): sums of 0 are then points that may enter,
        // and the windows must mark what they touch.
        for (pairs, k) in [(vec![(t, -1.0)], 10), (vec![(t, 1.0), (t + 1, 0.5)], 40)] {
            let (i, w) = pairs.into_iter().unzip();
            let query = SparseVector::new(i, w).unwrap();
            let found: Vec<(PointOffset, f32)> = index
                .search(&query, &SparseRequest::new(k))
                .iter()
                .map(|p| (p.offset, p.score))
                .collect();
            let want = brute_force(&docs, &query, false, &|_| true, k);
            assert_eq!(found, want, "seed {seed}: k {k}");
        }
        check(&index, &docs, &mut r, seed, "long lists");
        for _ in 0..2_000 {
            let o = r.below(docs.len());
            index.delete(o as PointOffset);
            docs[o] = None;
        }
        check(&index, &docs, &mut r, seed, "long lists, some deleted");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sparse.idx");
        index.save(&path, WeightType::U8).unwrap();
        let opened = SparseIndex::open_mapped(&path).unwrap();
        check(&opened, &docs, &mut r, seed, "long lists, opened");
    }
}

#[test]
fn approximation_factors_below_one_are_refused() {
    for bad in [0.5, f32::NAN, f32::INFINITY] {
        let err = SparseRequest::new(3).approximate(bad).unwrap_err();
        assert!(err.to_string().contains("approximation factor"), "{err}");
    }
}

#[test]
fn max_terms_zero_is_refused() {
    let err = SparseRequest::new(3).max_terms(0).unwrap_err();
    assert!(err.to_string().contains("max_terms"), "{err}");
}

#[test]
fn offsets_must_increase() {
    let mut index = SparseIndex::new();
    let v = SparseVector::new(vec![1], vec![1.0]).unwrap();
    index.insert(5, v.clone()).unwrap();
    let err = index.insert(5, v.clone()).unwrap_err();
    assert!(err.to_string().contains("increasing"), "{err}");
    assert!(index.insert(3, v.clone()).is_err());
    index.insert(6, v.clone()).unwrap();
    assert!(!index.delete(4), "never inserted");
    assert!(index.delete(5) && !index.delete(5));
    assert_eq!(index.len(), 1);
    let err = SparseIndex::build([(5, v.clone()), (5, v.clone())]).unwrap_err();
    assert!(err.to_string().contains("increasing"), "{err}");
    let built = SparseIndex::build([(2, v.clone()), (7, v)]).unwrap();
    assert_eq!((built.len(), built.end(), built.postings()), (2, 8, 2));
}

#[test]
fn overflowing_products_leave_no_trace() {
    // A product that overflows to inf at a point a filter leaves out must add nothing there
    // (inf · 0 would leave NaN in the reused accumulator and poison later searches).
    let v = |pairs: &[(u32, f32)]| {
        let (i, w) = pairs.iter().copied().unzip();
        SparseVector::new(i, w).unwrap()
    };
    let mut index = SparseIndex::new();
    index.insert(0, v(&[(1, 1e30)])).unwrap();
    index.insert(1, v(&[(1, 1e30), (2, 1.0)])).unwrap();
    let mut only_one = BitSet::new(2);
    only_one.insert(1);
    let got = |found: Vec<sextant_core::ScoredPoint>| -> Vec<(PointOffset, f32)> {
        found.iter().map(|p| (p.offset, p.score)).collect()
    };
    let huge = v(&[(1, 1e30)]);
    let filtered = SparseRequest::new(10).filter(&only_one);
    assert_eq!(got(index.search(&huge, &filtered)), [(1, f32::INFINITY)]);
    let plain = v(&[(1, 1.0)]);
    assert_eq!(
        got(index.search(&plain, &SparseRequest::new(10))),
        [(0, 1e30), (1, 1e30)]
    );
}
