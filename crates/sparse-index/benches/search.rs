//! Criterion bench `search`: the sparse index's hot paths over 50,000 synthetic documents of
//! 12 terms drawn from a Zipf-like vocabulary of 30,000 (BM25-shaped positive weights):
//! building the growing form, and top-10 search with 4-term queries in RAM and saved (f32
//! and u8 weights) and read in place.
//!
//! Run: `cargo bench -p sextant-sparse-index --bench search`. Real data: `sextant-bench sparse`.

// criterion_group! generates public functions without docs.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sextant_core::SparseVector;
use sextant_sparse_index::{SparseIndex, SparseRequest, WeightType};

const DOCS: u32 = 50_000;
const VOCAB: f64 = 30_000.0;

/// xorshift64: the same corpus every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// A term index, frequent ones likelier (density ~ 1/rank).
    fn term(&mut self) -> u32 {
        (VOCAB.powf(self.unit()) - 1.0) as u32
    }
    fn vector(&mut self, terms: usize) -> SparseVector {
        let indices: Vec<u32> = (0..terms).map(|_| self.term()).collect();
        let weights = indices
            .iter()
            .map(|_| 0.5 + 2.5 * self.unit() as f32)
            .collect();
        let (mut pairs, mut seen): (Vec<(u32, f32)>, Vec<u32>) = (Vec::new(), Vec::new());
        for (t, w) in indices.into_iter().zip::<Vec<f32>>(weights) {
            if !seen.contains(&t) {
                seen.push(t);
                pairs.push((t, w));
            }
        }
        let (i, w) = pairs.into_iter().unzip();
        SparseVector::from_unsorted(i, w).expect("finite weights, distinct terms")
    }
}

fn search(c: &mut Criterion) {
    let mut r = Rng(0x2545_F491_4F6C_DD1D);
    let docs: Vec<SparseVector> = (0..DOCS).map(|_| r.vector(12)).collect();
    let queries: Vec<SparseVector> = (0..256).map(|_| r.vector(4)).collect();
    c.bench_function("insert 50k docs", |b| {
        b.iter(|| {
            let mut index = SparseIndex::new();
            for (o, d) in docs.iter().enumerate() {
                index.insert(o as u32, d.clone()).expect("offsets increase");
            }
            black_box(index.postings())
        })
    });
    c.bench_function("build 50k docs", |b| {
        b.iter(|| {
            let points = docs.iter().enumerate().map(|(o, d)| (o as u32, d.clone()));
            black_box(
                SparseIndex::build(points)
                    .expect("offsets increase")
                    .postings(),
            )
        })
    });
    let points = docs.iter().enumerate().map(|(o, d)| (o as u32, d.clone()));
    let index = SparseIndex::build(points).expect("offsets increase");
    let dir = tempfile::tempdir().expect("a scratch folder");
    let mut forms = vec![("ram", index.clone())];
    for (name, ty) in [("mmap f32", WeightType::F32), ("mmap u8", WeightType::U8)] {
        let path = dir.path().join(format!("{ty:?}.idx"));
        index.save(&path, ty).expect("saved");
        forms.push((name, SparseIndex::open_mapped(&path).expect("opened")));
    }
    let req = SparseRequest::new(10);
    for (name, form) in &forms {
        let mut q = 0;
        c.bench_function(&format!("top-10 of 4 terms, {name}"), |b| {
            b.iter(|| {
                q = (q + 1) % queries.len();
                black_box(form.search(&queries[q], &req))
            })
        });
    }
}

criterion_group!(benches, search);
criterion_main!(benches);
