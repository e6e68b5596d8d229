//! Criterion bench `kernels`: every kernel at dims 64..4096 on every SIMD level of this CPU
//! (the nibble kernels: `dim` 4-bit codes against an i8 query, one record and four per call)
//! (scalar = the reference), reported as time per call and bytes/s of input read; plus a
//! `memory` group that puts the kernels next to the machine's memory bandwidth (a large copy, a
//! large read, and a dot-product scan over the same 256 MiB).
//!
//! Run: `cargo bench -p sextant-core --bench kernels` (filter: `-- dot_f32/`).

// criterion_group! generates public functions without docs.
#![allow(missing_docs)]

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use half::{bf16, f16};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sextant_core::Kernels;
use std::hint::black_box;
use std::time::Duration;

const DIMS: [usize; 6] = [64, 128, 384, 768, 1536, 4096];

fn bench_kernel<T: Copy, R>(
    c: &mut Criterion,
    name: &str,
    make: impl Fn(&mut ChaCha8Rng, usize) -> Vec<T>,
    pick: impl Fn(&Kernels) -> fn(&[T], &[T]) -> R,
    // Elements per "dimension": 1, except bits packed in u64 words.
    dims_per_elem: usize,
) {
    let mut group = c.benchmark_group(name);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for dim in DIMS {
        let n = dim / dims_per_elem;
        let (a, b) = (make(&mut rng, n), make(&mut rng, n));
        group.throughput(Throughput::Bytes((2 * n * size_of::<T>()) as u64));
        for k in Kernels::available() {
            let f = pick(k);
            group.bench_with_input(BenchmarkId::new(k.level.name(), dim), &dim, |bench, _| {
                bench.iter(|| f(black_box(&a), black_box(&b)))
            });
        }
    }
    group.finish();
}

fn f32s(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
}
fn f16s(rng: &mut ChaCha8Rng, n: usize) -> Vec<f16> {
    f32s(rng, n).into_iter().map(f16::from_f32).collect()
}
fn bf16s(rng: &mut ChaCha8Rng, n: usize) -> Vec<bf16> {
    f32s(rng, n).into_iter().map(bf16::from_f32).collect()
}
fn u8s(rng: &mut ChaCha8Rng, n: usize) -> Vec<u8> {
    (0..n).map(|_| rng.random()).collect()
}
fn i8s(rng: &mut ChaCha8Rng, n: usize) -> Vec<i8> {
    (0..n).map(|_| rng.random()).collect()
}
fn words(rng: &mut ChaCha8Rng, n: usize) -> Vec<u64> {
    (0..n).map(|_| rng.random()).collect()
}

fn kernels(c: &mut Criterion) {
    bench_kernel(c, "dot_f32", f32s, |k| k.float.dot_f32, 1);
    bench_kernel(c, "l2sq_f32", f32s, |k| k.float.l2sq_f32, 1);
    bench_kernel(c, "l1_f32", f32s, |k| k.float.l1_f32, 1);
    bench_kernel(c, "dot_f16", f16s, |k| k.float.dot_f16, 1);
    bench_kernel(c, "l2sq_f16", f16s, |k| k.float.l2sq_f16, 1);
    bench_kernel(c, "l1_f16", f16s, |k| k.float.l1_f16, 1);
    bench_kernel(c, "dot_bf16", bf16s, |k| k.float.dot_bf16, 1);
    dot4(c, "dot4_f32", f32s, |k| k.float.dot4_f32);
    dot4(c, "dot4_bf16", bf16s, |k| k.float.dot4_bf16);
    bench_kernel(c, "dot_i8", i8s, |k| k.bytes.dot_i8, 1);
    bench_kernel(c, "l2sq_i8", i8s, |k| k.bytes.l2sq_i8, 1);
    bench_kernel(c, "l1_i8", i8s, |k| k.bytes.l1_i8, 1);
    bench_kernel(c, "dot_u8", u8s, |k| k.bytes.dot_u8, 1);
    bench_kernel(c, "l2sq_u8", u8s, |k| k.bytes.l2sq_u8, 1);
    bench_kernel(c, "l1_u8", u8s, |k| k.bytes.l1_u8, 1);
    // Binary vectors: `dim` bits packed in dim/64 words.
    bench_kernel(c, "hamming", words, |k| k.bytes.hamming, 64);
    dot_i16_i8(c);
}

/// One row against four per call (a graph build's neighbour selection: a candidate against
/// four kept links).
fn dot4<T: Copy>(
    c: &mut Criterion,
    name: &str,
    make: impl Fn(&mut ChaCha8Rng, usize) -> Vec<T>,
    pick: impl Fn(&Kernels) -> fn(&[T], [&[T]; 4]) -> [f32; 4],
) {
    let mut group = c.benchmark_group(name);
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    for dim in DIMS {
        let d = make(&mut rng, dim);
        let rows: Vec<Vec<T>> = (0..4).map(|_| make(&mut rng, dim)).collect();
        group.throughput(Throughput::Bytes((5 * dim * size_of::<T>()) as u64));
        for k in Kernels::available() {
            let f = pick(k);
            group.bench_with_input(BenchmarkId::new(k.level.name(), dim), &dim, |bench, _| {
                bench.iter(|| {
                    let q = [0, 1, 2, 3].map(|i| black_box(&rows[i][..]));
                    f(black_box(&d), q)
                })
            });
        }
    }
    group.finish();
}

/// An i16 query grid against i8 codes (the per-dimension int8 codec's score).
fn dot_i16_i8(c: &mut Criterion) {
    let mut group = c.benchmark_group("dot_i16_i8");
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for dim in DIMS {
        let q: Vec<i16> = (0..dim).map(|_| rng.random_range(-2048..2048)).collect();
        let codes = i8s(&mut rng, dim);
        group.throughput(Throughput::Bytes(3 * dim as u64));
        for k in Kernels::available() {
            let f = k.bytes.dot_i16_i8;
            group.bench_with_input(BenchmarkId::new(k.level.name(), dim), &dim, |bench, _| {
                bench.iter(|| f(black_box(&q), black_box(&codes)))
            });
        }
    }
    group.finish();
}

/// A sparse search's accumulator of 16,384 sums taken back after a window: 3% of them
/// touched (bm25-pypi-120k short queries touch ~490 per window), a few reaching the cut. Each
/// iteration sifts a fresh copy (made outside the timing).
fn sift(c: &mut Criterion) {
    const WINDOW: usize = 16384;
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let sums: Vec<f32> = (0..WINDOW)
        .map(|_| match rng.random_range(0..100) {
            0..3 => rng.random_range(0.0..10.0),
            _ => 0.0,
        })
        .collect();
    let mut group = c.benchmark_group("sift_f32");
    group.throughput(Throughput::Bytes((WINDOW * 4) as u64));
    for k in Kernels::available() {
        let f = k.float.sift_f32;
        let mut at = vec![0u32; WINDOW];
        group.bench_with_input(
            BenchmarkId::new(k.level.name(), WINDOW),
            &WINDOW,
            |bench, _| {
                bench.iter_batched_ref(
                    || sums.clone(),
                    |work| f(black_box(work), black_box(9.5), &mut at),
                    BatchSize::SmallInput,
                )
            },
        );
    }
    group.finish();
}

/// 4-bit codes (`dim / 2` bytes) against an i8 query of `dim` values: one record per call,
/// and four per call (how a graph expansion scores its batch).
fn nibbles(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut one = c.benchmark_group("nibbles_dot_i8");
    let cases: Vec<(usize, Vec<i8>, Vec<Vec<u8>>)> = DIMS
        .iter()
        .map(|&dim| {
            let records = (0..4).map(|_| u8s(&mut rng, dim / 2)).collect();
            (dim, i8s(&mut rng, dim), records)
        })
        .collect();
    for (dim, query, records) in &cases {
        one.throughput(Throughput::Bytes((dim / 2 + dim) as u64));
        for k in Kernels::available() {
            let f = k.nibbles.nibbles_dot_i8;
            one.bench_with_input(BenchmarkId::new(k.level.name(), dim), dim, |bench, _| {
                bench.iter(|| f(black_box(&records[0]), black_box(query)))
            });
        }
    }
    one.finish();
    let mut four = c.benchmark_group("nibbles_dot_i8_x4");
    for (dim, query, records) in &cases {
        four.throughput(Throughput::Bytes((4 * (dim / 2) + dim) as u64));
        let batch = [&records[0][..], &records[1], &records[2], &records[3]];
        for k in Kernels::available() {
            let f = k.nibbles.nibbles_dot_i8_x4;
            four.bench_with_input(BenchmarkId::new(k.level.name(), dim), dim, |bench, _| {
                bench.iter(|| f(black_box(batch), black_box(query)))
            });
        }
    }
    four.finish();
}

/// Fast-scan candidates: runs of 8 blocks of 32 vectors of `m` 4-bit codes against `m`
/// 16-entry 6-bit tables, as a top-k scan calls the kernel, at a floor that keeps about one
/// vector in 64 (as a top-k scan's floor keeps few).
fn fast_scan(c: &mut Criterion) {
    const BLOCKS: usize = 8;
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut group = c.benchmark_group("fast_scan_candidates");
    for m in [24usize, 48, 96] {
        let codes = u8s(&mut rng, BLOCKS * 16 * m);
        let lut: Vec<u8> = u8s(&mut rng, 16 * m).iter().map(|t| t >> 2).collect();
        group.throughput(Throughput::Elements(32 * BLOCKS as u64));
        let mut out = [0u32; 32 * BLOCKS];
        // At floor 0 every vector's key comes out.
        (Kernels::scalar().fast_scan.fast_scan_candidates)(&codes, &lut, 0, &mut out);
        let mut sums: Vec<u16> = out.iter().map(|&key| (key >> 16) as u16).collect();
        sums.sort_unstable();
        let floor = sums[sums.len() - sums.len() / 64];
        for k in Kernels::available() {
            let f = k.fast_scan.fast_scan_candidates;
            group.bench_with_input(BenchmarkId::new(k.level.name(), m), &m, |bench, _| {
                bench.iter(|| black_box(f(black_box(&codes), black_box(&lut), floor, &mut out)))
            });
        }
    }
    group.finish();
}

/// The machine's limits next to the kernels: 256 MiB, far beyond the last-level cache.
fn memory(c: &mut Criterion) {
    const BYTES: usize = 256 << 20;
    const DIM: usize = 384;
    let mut group = c.benchmark_group("memory");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Bytes(BYTES as u64));
    let src = vec![1u8; BYTES];
    let mut dst = vec![0u8; BYTES];
    group.bench_function("memcpy_256MiB", |b| {
        b.iter(|| dst.copy_from_slice(black_box(&src)))
    });
    let words: Vec<u64> = vec![3; BYTES / 8];
    group.bench_function("read_sum_256MiB", |b| {
        b.iter(|| {
            black_box(&words)
                .iter()
                .fold(0u64, |s, &w| s.wrapping_add(w))
        })
    });
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let rows = f32s(&mut rng, BYTES / 4);
    let query = f32s(&mut rng, DIM);
    let best = Kernels::best();
    group.bench_function(
        format!("dot_f32_scan_256MiB_dim{DIM}_{}", best.level.name()),
        |b| {
            b.iter(|| {
                rows.chunks_exact(DIM)
                    .map(|row| (best.float.dot_f32)(black_box(&query), row))
                    .fold(f32::MIN, f32::max)
            })
        },
    );
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(700))
        .sample_size(20);
    targets = kernels, nibbles, fast_scan, sift, memory
}
criterion_main!(benches);
