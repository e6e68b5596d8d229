//! Criterion bench `batch_read`: 256 random 4 KiB reads from a 64 MiB file, through one
//! io_uring submission against one `pread` per range (and, in the page cache, straight from a
//! map). Group `warm`: the file is in the page cache. Group `cold`: the file's cached pages are
//! dropped (`POSIX_FADV_DONTNEED`) before every batch, so the reads go to the device, where
//! io_uring keeps many in flight.
//!
//! Run: `cargo bench -p sextant-mmap-advice --bench batch_read`.

// criterion_group! generates public functions without docs.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sextant_mmap_advice::{BatchBuf, BatchReader, MmapFile, ReadRange};

const FILE: usize = 64 << 20;
const READS: usize = 256;
const LEN: usize = 4096;

fn batch_read(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data");
    std::fs::write(&path, vec![0x5Au8; FILE]).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    // Written back, so the cold group can drop the pages (dirty ones would stay cached).
    file.sync_all().unwrap();
    let mut x = 7u64;
    let ranges: Vec<ReadRange> = (0..READS)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            ReadRange {
                offset: (x >> 20) % (FILE - LEN) as u64,
                len: LEN,
            }
        })
        .collect();
    let mut group = c.benchmark_group("batch_read_256x4k/warm");
    group.throughput(Throughput::Bytes((READS * LEN) as u64));
    let mut out = BatchBuf::default();
    for (name, mut reader) in [
        ("io_uring", BatchReader::new(64)),
        ("pread", BatchReader::pread_only()),
    ] {
        let label = format!("{name}({:?})", reader.backend());
        group.bench_function(label, |b| {
            b.iter(|| {
                reader
                    .read(&file, &path, black_box(&ranges), &mut out)
                    .unwrap()
            })
        });
    }
    let map = MmapFile::open(&path).unwrap();
    group.bench_function("mmap_copy", |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for r in &ranges {
                sum += u64::from(map.bytes()[r.offset as usize + r.len - 1]);
                out_copy(&map.bytes()[r.offset as usize..r.offset as usize + r.len]);
            }
            sum
        })
    });
    group.finish();

    let mut group = c.benchmark_group("batch_read_256x4k/cold");
    group.throughput(Throughput::Bytes((READS * LEN) as u64));
    group.sample_size(20);
    for (name, mut reader) in [
        ("io_uring", BatchReader::new(64)),
        ("pread", BatchReader::pread_only()),
    ] {
        let label = format!("{name}({:?})", reader.backend());
        group.bench_function(label, |b| {
            b.iter_batched(
                || drop_cache(&file),
                |()| {
                    reader
                        .read(&file, &path, black_box(&ranges), &mut out)
                        .unwrap()
                },
                criterion::BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

/// Drops the file's clean pages from the page cache.
fn drop_cache(file: &std::fs::File) {
    use std::os::fd::AsRawFd;
    // SAFETY: fadvise on a descriptor we own; advice only, no memory involved.
    unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
}

fn out_copy(bytes: &[u8]) {
    black_box(bytes.to_vec());
}

criterion_group!(benches, batch_read);
criterion_main!(benches);
