//! Exact (brute-force) search: one query on one thread, and parallel ground truth for many.

use crate::error::{Error, Result};
use sextant_core::{DenseVectorSource, Distance, Kernels, PointOffset, ScoredPoint, TopK};

/// Queries per block and base rows per block of [`ground_truth`]: 8 queries share each pass
/// over 256 base rows (384 KiB at 384 dims), so a block of base rows is read from memory once
/// and stays in L2 while all 8 queries are scored against it.
const QUERY_BLOCK: usize = 8;
const BASE_BLOCK: usize = 256;

/// Rows a single-query scan prefetches ahead of the one it scores.
const PREFETCH_AHEAD: PointOffset = 8;

/// Scores every base vector against one prepared `query` and keeps the best `k`, best first
/// (ties: smaller offset first). Both must be prepared for `distance` (normalized for
/// Cosine; see [`Distance::prepare`]).
pub fn exact_search<S>(base: &S, query: &[f32], k: usize, distance: Distance) -> Vec<ScoredPoint>
where
    S: DenseVectorSource<Element = f32> + ?Sized,
{
    let mut top = TopK::new(k);
    exact_search_into(base, query, distance, &mut top);
    top.drain_sorted()
}

/// As [`exact_search`], reusing `top` (its `k` and allocation) across queries.
pub fn exact_search_into<S>(base: &S, query: &[f32], distance: Distance, top: &mut TopK)
where
    S: DenseVectorSource<Element = f32> + ?Sized,
{
    assert_eq!(
        query.len(),
        base.dim(),
        "exact_search: query dimension differs from base"
    );
    top.clear();
    let kernels = Kernels::best();
    let mut threshold = f32::NEG_INFINITY;
    let len = base.len() as PointOffset;
    for offset in 0..len {
        if offset + PREFETCH_AHEAD < len {
            sextant_core::kernels::prefetch(base.vector(offset + PREFETCH_AHEAD));
        }
        let score = distance.score_f32_with(kernels, query, base.vector(offset));
        // Most points cannot enter a full heap: one comparison rejects them.
        if score >= threshold && top.push(offset, score) && top.is_full() {
            threshold = top.threshold().unwrap_or(f32::NEG_INFINITY);
        }
    }
}

/// The exact top-`k` of every query, computed on `threads` threads in cache-sized blocks (memory
/// stays at one `k`-heap per query). `progress` is called with the number of queries finished
/// so far. Queries and base must be prepared for `distance`.
pub fn ground_truth<B, Q>(
    base: &B,
    queries: &Q,
    k: usize,
    distance: Distance,
    threads: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Vec<ScoredPoint>>>
where
    B: DenseVectorSource<Element = f32> + Sync + ?Sized,
    Q: DenseVectorSource<Element = f32> + Sync + ?Sized,
{
    if base.dim() != queries.dim() {
        return Err(Error::InvalidArgument(format!(
            "base has dimension {}, queries {}",
            base.dim(),
            queries.dim()
        )));
    }
    if k == 0 || k > base.len() {
        return Err(Error::InvalidArgument(format!(
            "k = {k} must be in 1..={} (base size)",
            base.len()
        )));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| Error::InvalidArgument(format!("thread pool: {e}")))?;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let blocks: Vec<usize> = (0..queries.len()).step_by(QUERY_BLOCK).collect();
    let kernels = Kernels::best();
    let per_block: Vec<Vec<Vec<ScoredPoint>>> = pool.install(|| {
        use rayon::prelude::*;
        blocks
            .par_iter()
            .map(|&first| {
                let qs: Vec<u32> = (first..(first + QUERY_BLOCK).min(queries.len()))
                    .map(|q| q as u32)
                    .collect();
                let mut tops: Vec<TopK> = qs.iter().map(|_| TopK::new(k)).collect();
                for start in (0..base.len()).step_by(BASE_BLOCK) {
                    let end = (start + BASE_BLOCK).min(base.len());
                    for (&q, top) in qs.iter().zip(tops.iter_mut()) {
                        let query = queries.vector(q);
                        for offset in start as u32..end as u32 {
                            let score =
                                distance.score_f32_with(kernels, query, base.vector(offset));
                            top.push(offset, score);
                        }
                    }
                }
                let n = done.fetch_add(qs.len(), std::sync::atomic::Ordering::Relaxed) + qs.len();
                progress(n);
                tops.into_iter().map(TopK::into_sorted_vec).collect()
            })
            .collect()
    });
    Ok(per_block.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::gaussian;

    #[test]
    fn ground_truth_matches_sorting_all_scores() {
        let base = gaussian(1000, 24, 1).unwrap();
        let queries = gaussian(21, 24, 2).unwrap();
        for distance in Distance::ALL {
            let (mut b, mut q) = (base.clone(), queries.clone());
            b.prepare(distance).unwrap();
            q.prepare(distance).unwrap();
            let gt = ground_truth(&b, &q, 10, distance, 2, &|_| {}).unwrap();
            for (qi, row) in gt.iter().enumerate() {
                let query = q.vector(qi as u32);
                let mut all: Vec<ScoredPoint> = (0..1000u32)
                    .map(|o| ScoredPoint::new(o, distance.score_f32(query, b.vector(o))))
                    .collect();
                all.sort_by(ScoredPoint::cmp_best_first);
                assert_eq!(row, &all[..10], "{distance} query {qi}");
                assert_eq!(row, &exact_search(&b, query, 10, distance));
            }
        }
        assert!(ground_truth(&base, &queries, 0, Distance::Dot, 1, &|_| {}).is_err());
        assert!(
            ground_truth(
                &base,
                &gaussian(2, 3, 1).unwrap(),
                1,
                Distance::Dot,
                1,
                &|_| {}
            )
            .is_err()
        );
    }
}
