//! Exact scorers over any [`DenseVectorSource`]: the reference every quantized scorer is
//! measured against, and what rescoring uses.

use crate::distance::Distance;
use crate::error::{Error, Result};
use crate::ids::{PointOffset, ScoreType};
use crate::kernels::{Kernels, prefetch};
use crate::traits::{DenseVectorSource, PairScorer, QueryScorer};
use crate::vectors::VectorElement;

use crate::vectors::{ScoreKernel as Kernel, ScoreKernel4};

/// Prefetches the head of a vector: its first 128 bytes. Asking for every line of every
/// vector of a batch at once would stall on the CPU's few fill buffers; the heads start all the
/// fetches, and the whole vector is asked for just before it is scored.
#[inline]
fn prefetch_head<E>(v: &[E]) {
    let n = (128 / size_of::<E>().max(1)).min(v.len());
    prefetch(&v[..n]);
}

/// Scores stored vectors against one query with a [`Distance`], exactly (no codec).
#[derive(Debug)]
pub struct DenseQueryScorer<S: DenseVectorSource> {
    source: S,
    query: Vec<S::Element>,
    kernel: Kernel<S::Element>,
}

impl<S> DenseQueryScorer<S>
where
    S: DenseVectorSource,
    S::Element: VectorElement,
{
    /// Prepares `query` for `distance` (validation, normalization for Cosine, conversion to
    /// the element type). The stored vectors must have been prepared the same way: a source
    /// that knows its metric ([`DenseVectorSource::prepared_for`]) and names another is an
    /// error.
    pub fn new(source: S, distance: Distance, query: &[f32]) -> Result<Self> {
        check_metric(&source, distance)?;
        let mut q = query.to_vec();
        distance.prepare(&mut q, source.dim())?;
        Ok(Self {
            query: S::Element::from_f32_slice(&q),
            source,
            kernel: S::Element::kernel(distance, Kernels::best()),
        })
    }

    /// Like [`new`](Self::new), with the metric the source was prepared for (an error when
    /// it does not know one), so the metric is written once, where the vectors are prepared.
    pub fn for_source(source: S, query: &[f32]) -> Result<Self> {
        let distance = source.prepared_for().ok_or(Error::MetricUnknown)?;
        Self::new(source, distance, query)
    }

    /// The prepared query, in the element type.
    pub fn query(&self) -> &[S::Element] {
        &self.query
    }
}

/// Refuses a metric other than the one the source says it was prepared for.
fn check_metric<S: DenseVectorSource>(source: &S, asked: Distance) -> Result<()> {
    match source.prepared_for() {
        Some(prepared) if prepared != asked => Err(Error::MetricMismatch { prepared, asked }),
        _ => Ok(()),
    }
}

impl<S> QueryScorer for DenseQueryScorer<S>
where
    S: DenseVectorSource,
    S::Element: VectorElement,
{
    fn len(&self) -> usize {
        self.source.len()
    }

    #[inline]
    fn score_point(&self, point: PointOffset) -> ScoreType {
        let (kernel, sign) = self.kernel;
        sign * kernel(&self.query, self.source.vector(point))
    }

    /// Starts fetching the head of every vector of the batch at once (so their memory latencies
    /// overlap), then the whole next vector while scoring the current one: graph traversal
    /// jumps to random vectors, and hiding those fetches is most of its speed.
    fn score_points(&self, points: &[PointOffset], scores: &mut [ScoreType]) {
        let (kernel, sign) = self.kernel;
        for &p in points {
            prefetch_head(self.source.vector(p));
        }
        for (i, (s, &p)) in scores.iter_mut().zip(points).enumerate() {
            if let Some(&next) = points.get(i + 1) {
                prefetch(self.source.vector(next));
            }
            *s = sign * kernel(&self.query, self.source.vector(p));
        }
    }
}

/// Scores two stored vectors of one source against each other, exactly.
#[derive(Debug)]
pub struct DensePairScorer<S: DenseVectorSource> {
    source: S,
    kernel: Kernel<S::Element>,
    kernel4: Option<ScoreKernel4<S::Element>>,
    distance: Distance,
}

impl<S> DensePairScorer<S>
where
    S: DenseVectorSource,
    S::Element: VectorElement,
{
    /// A pair scorer over `source` (whose vectors are prepared for `distance`; the caller
    /// vouches for it: [`for_source`](Self::for_source) checks it instead).
    pub fn new(source: S, distance: Distance) -> Self {
        Self {
            kernel: S::Element::kernel(distance, Kernels::best()),
            kernel4: S::Element::kernel4(distance, Kernels::best()),
            source,
            distance,
        }
    }

    /// A pair scorer with the metric the source was prepared for (an error when it does not
    /// know one).
    pub fn for_source(source: S) -> Result<Self> {
        let distance = source.prepared_for().ok_or(Error::MetricUnknown)?;
        Ok(Self::new(source, distance))
    }
}

impl<S> PairScorer for DensePairScorer<S>
where
    S: DenseVectorSource,
    S::Element: VectorElement,
{
    fn len(&self) -> usize {
        self.source.len()
    }

    #[inline]
    fn score_pair(&self, a: PointOffset, b: PointOffset) -> ScoreType {
        let (kernel, sign) = self.kernel;
        sign * kernel(self.source.vector(a), self.source.vector(b))
    }

    fn distance(&self) -> Option<Distance> {
        Some(self.distance)
    }

    fn score_pairs(&self, a: PointOffset, others: &[PointOffset], scores: &mut [ScoreType]) {
        let (kernel, sign) = self.kernel;
        let vector = |p| self.source.vector(p);
        let single = |x: &[S::Element], y: &[S::Element]| sign * kernel(x, y);
        score_batch(vector(a), others, scores, vector, self.kernel4, single);
    }
}

/// Scores `va` against the vectors of `others`: every one's head prefetched first, then four
/// at a time through `kernel4` where there is one (`va` read once per four: a graph build's
/// neighbour selection scores each candidate against its kept neighbours this way; each batch
/// prefetched whole one batch ahead), the rest one at a time through `single` (the next one
/// prefetched). What every pair scorer over stored rows does in `score_pairs`.
pub(crate) fn score_batch<'v, E: 'v>(
    va: &[E],
    others: &[PointOffset],
    scores: &mut [ScoreType],
    vector: impl Fn(PointOffset) -> &'v [E],
    kernel4: Option<ScoreKernel4<E>>,
    single: impl Fn(&[E], &[E]) -> ScoreType,
) {
    for &b in others {
        prefetch_head(vector(b));
    }
    let mut done = 0;
    if let Some(kernel4) = kernel4 {
        for (i, (s4, b4)) in scores
            .chunks_exact_mut(4)
            .zip(others.chunks_exact(4))
            .enumerate()
        {
            for &next in others.get(4 * i + 4..4 * i + 8).unwrap_or(&[]) {
                prefetch(vector(next));
            }
            let rows = [0, 1, 2, 3].map(|j| vector(b4[j]));
            s4.copy_from_slice(&kernel4(va, rows));
            done += 4;
        }
    }
    let (scores, others) = (&mut scores[done..], &others[done..]);
    for (i, (s, &b)) in scores.iter_mut().zip(others).enumerate() {
        if let Some(&next) = others.get(i + 1) {
            prefetch(vector(next));
        }
        *s = single(va, vector(b));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DenseVectors;
    use half::f16;

    #[test]
    fn query_and_pair_scorers_agree_with_distance() {
        let mut v = DenseVectors::from_flat(2, vec![1.0f32, 0.0, 0.0, 2.0, 3.0, 4.0]).unwrap();
        v.prepare(Distance::Cosine).unwrap();
        let q = DenseQueryScorer::new(&v, Distance::Cosine, &[2.0, 0.0]).unwrap();
        assert!((q.score_point(0) - 1.0).abs() < 1e-6);
        assert!(q.score_point(1).abs() < 1e-6);
        let mut out = [0.0; 3];
        q.score_points(&[0, 1, 2], &mut out);
        assert!((out[2] - 0.6).abs() < 1e-6);
        let p = DensePairScorer::new(&v, Distance::Cosine);
        assert!((p.score_pair(1, 2) - 0.8).abs() < 1e-6);
        let mut pairs = [0.0; 2];
        p.score_pairs(1, &[2, 1], &mut pairs);
        assert!((pairs[0] - 0.8).abs() < 1e-6 && (pairs[1] - 1.0).abs() < 1e-6);
        assert!(DenseQueryScorer::new(&v, Distance::Cosine, &[1.0]).is_err());
        assert!(DenseQueryScorer::new(&v, Distance::Cosine, &[f32::NAN, 1.0]).is_err());
    }

    #[test]
    fn batched_pair_scores_equal_single_ones() {
        // 37 dimensions (a masked tail), 11 others (two batches of four and three singles).
        let flat: Vec<f32> = (0..12 * 37)
            .map(|i| ((i * 7919) % 101) as f32 / 50.0 - 1.0)
            .collect();
        for distance in Distance::ALL {
            let v = DenseVectors::prepared(37, flat.clone(), distance).unwrap();
            let p = DensePairScorer::new(&v, distance);
            assert_eq!(p.distance(), Some(distance));
            let others: Vec<PointOffset> = (1..12).rev().collect();
            let mut batch = vec![0.0; others.len()];
            p.score_pairs(0, &others, &mut batch);
            for (&b, &s) in others.iter().zip(&batch) {
                let one = p.score_pair(0, b);
                assert!(
                    (s - one).abs() <= 1e-5 * one.abs().max(1.0),
                    "{distance} {b}: {s} {one}"
                );
            }
        }
    }

    #[test]
    fn a_prepared_set_remembers_its_metric() {
        let mut v = DenseVectors::prepared(2, vec![3.0, 4.0, 1.0, 0.0], Distance::Cosine).unwrap();
        assert_eq!(v.prepared_for(), Some(Distance::Cosine));
        assert!(matches!(
            DenseQueryScorer::new(&v, Distance::Dot, &[1.0, 0.0]),
            Err(Error::MetricMismatch {
                prepared: Distance::Cosine,
                asked: Distance::Dot
            })
        ));
        let q = DenseQueryScorer::for_source(&v, &[1.0, 0.0]).unwrap();
        assert!((q.score_point(0) - 0.6).abs() < 1e-6);
        assert_eq!(q.len(), 2);
        // Rows pushed later are prepared too.
        assert_eq!(v.push_prepared(&[0.0, 5.0]).unwrap(), 2);
        assert_eq!(v.vector(2), [0.0, 1.0]);
        assert!(v.push_prepared(&[f32::NAN, 1.0]).is_err());
        let raw = DenseVectors::from_flat(2, vec![3.0f32, 4.0]).unwrap();
        assert!(matches!(
            DenseQueryScorer::for_source(&raw, &[1.0, 0.0]),
            Err(Error::MetricUnknown)
        ));
        assert!(matches!(
            DensePairScorer::for_source(&raw),
            Err(Error::MetricUnknown)
        ));
        assert_eq!(DensePairScorer::for_source(&v).unwrap().len(), 3);
    }

    #[test]
    fn euclid_and_f16_scores_carry_the_sign() {
        let rows = [0.25f32, -0.5, 1.5, 2.0];
        let v16 =
            DenseVectors::from_flat(2, rows.iter().map(|&x| f16::from_f32(x)).collect()).unwrap();
        let q = DenseQueryScorer::new(&v16, Distance::Euclid, &[0.0, 0.0]).unwrap();
        assert_eq!(q.score_point(1), -(1.5f32 * 1.5 + 4.0));
        let v = DenseVectors::from_flat(2, rows.to_vec()).unwrap();
        let p = DensePairScorer::new(&v, Distance::Manhattan);
        assert_eq!(p.score_pair(0, 1), -(1.25 + 2.5));
    }
}
