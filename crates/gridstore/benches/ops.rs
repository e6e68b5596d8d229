//! Criterion bench `ops`: the store's hot paths on a warm page cache: put of 1 KiB values
//! (allocation, write, pending pointer), random get (lookup, checksum, no copy), and a flush
//! of 1,000 puts.
//!
//! Run: `cargo bench -p sextant-gridstore --bench ops`.

// criterion_group! generates public functions without docs.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sextant_gridstore::{Gridstore, GridstoreConfig};

const N: u32 = 100_000;

fn value(i: u32, len: usize) -> Vec<u8> {
    (0..len).map(|j| (i as usize * 31 + j) as u8).collect()
}

fn ops(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Gridstore::create(dir.path(), GridstoreConfig::default()).unwrap();
    for i in 0..N {
        store.put(i, &value(i, 1024)).unwrap();
    }
    store.flush().unwrap();

    let mut group = c.benchmark_group("gridstore");
    group.throughput(Throughput::Bytes(1024));
    let mut next = 0u32;
    group.bench_function("get_1k_random", |b| {
        b.iter(|| {
            next = next.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            store.get_with(black_box(next % N), |v| v.len()).unwrap()
        })
    });
    let payload = value(7, 1024);
    let mut offset = 0u32;
    group.bench_function("put_1k_overwrite", |b| {
        b.iter(|| {
            offset = (offset + 1) % N;
            store.put(offset, black_box(&payload)).unwrap();
        })
    });
    group.throughput(Throughput::Elements(1000));
    group.sample_size(20);
    group.bench_function("flush_1000_puts", |b| {
        b.iter(|| {
            for _ in 0..1000 {
                offset = (offset + 1) % N;
                store.put(offset, &payload).unwrap();
            }
            store.flush().unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, ops);
criterion_main!(benches);
