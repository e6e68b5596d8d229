//! The traits the kernel crates meet through. Kept small: an index (HNSW, flat scan) drives any
//! scorer, whether it reads f32 in RAM, an mmap, or quantized codes, without knowing which.

use crate::distance::Distance;
use crate::ids::{PointOffset, ScoreType};

/// Scores stored points against one prepared query (higher is better).
///
/// The query is fixed when the scorer is built, so a scorer can precompute whatever it needs
/// (a normalized copy, lookup tables, a rotated query). Nothing here assumes one vector per
/// point: a multi-vector (late interaction) scorer implements the same trait.
pub trait QueryScorer {
    /// Number of points this scorer can score (offsets `0..len`). An index checks it against
    /// its own size and refuses a shorter scorer with an error instead of reading past it.
    fn len(&self) -> usize;

    /// True when the scorer covers no point.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Score of one point.
    fn score_point(&self, point: PointOffset) -> ScoreType;

    /// Scores of many points, written to `scores` (same length as `points`). Override it
    /// where a batch is cheaper than one call per point (prefetching, fused kernels).
    fn score_points(&self, points: &[PointOffset], scores: &mut [ScoreType]) {
        debug_assert_eq!(points.len(), scores.len());
        for (s, &p) in scores.iter_mut().zip(points) {
            *s = self.score_point(p);
        }
    }

    /// Like [`score_points`](Self::score_points), for a caller that will drop every point
    /// scoring below `floor` (a search whose result list is full). A scorer that can bound a
    /// score cheaply may stop early on such a point and write any value below `floor`
    /// instead of its score; points at or above `floor` get their exact score. The default
    /// scores everything.
    fn score_points_above(
        &self,
        points: &[PointOffset],
        floor: ScoreType,
        scores: &mut [ScoreType],
    ) {
        let _ = floor;
        self.score_points(points, scores);
    }
}

/// Scores two stored points against each other (graph construction, diversity heuristics).
pub trait PairScorer {
    /// Number of points this scorer can score (offsets `0..len`); see [`QueryScorer::len`].
    fn len(&self) -> usize;

    /// True when the scorer covers no point.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Score of `a` against `b` (higher is better).
    fn score_pair(&self, a: PointOffset, b: PointOffset) -> ScoreType;

    /// The metric the scores come from, when the scorer knows it (`None` by default). A graph
    /// build needs it to relax its neighbour rule by a distance factor; without it the rule
    /// compares scores as they are.
    fn distance(&self) -> Option<Distance> {
        None
    }

    /// Scores of `a` against each of `others`, written to `scores` (same length). Override it
    /// where a batch is cheaper (prefetching the next vector while scoring this one).
    fn score_pairs(&self, a: PointOffset, others: &[PointOffset], scores: &mut [ScoreType]) {
        debug_assert_eq!(others.len(), scores.len());
        for (s, &b) in scores.iter_mut().zip(others) {
            *s = self.score_pair(a, b);
        }
    }
}

/// A reference or a box is a scorer too, forwarding every method (so an override of
/// `score_points` or `score_points_above` is never lost behind a wrapper).
macro_rules! forward_scorers {
    ($($wrapper:ty),*) => {$(
        impl<S: QueryScorer + ?Sized> QueryScorer for $wrapper {
            #[inline]
            fn len(&self) -> usize {
                (**self).len()
            }
            #[inline]
            fn score_point(&self, point: PointOffset) -> ScoreType {
                (**self).score_point(point)
            }
            #[inline]
            fn score_points(&self, points: &[PointOffset], scores: &mut [ScoreType]) {
                (**self).score_points(points, scores)
            }
            #[inline]
            fn score_points_above(&self, points: &[PointOffset], floor: ScoreType, scores: &mut [ScoreType]) {
                (**self).score_points_above(points, floor, scores)
            }
        }

        impl<S: PairScorer + ?Sized> PairScorer for $wrapper {
            #[inline]
            fn len(&self) -> usize {
                (**self).len()
            }
            #[inline]
            fn score_pair(&self, a: PointOffset, b: PointOffset) -> ScoreType {
                (**self).score_pair(a, b)
            }
            #[inline]
            fn score_pairs(&self, a: PointOffset, others: &[PointOffset], scores: &mut [ScoreType]) {
                (**self).score_pairs(a, others, scores)
            }
            fn distance(&self) -> Option<Distance> {
                (**self).distance()
            }
        }
    )*};
}

forward_scorers!(&S, Box<S>, std::sync::Arc<S>);

/// Decides whether a point may appear in results (deletions, payload filters).
pub trait PointFilter {
    /// True when `point` is allowed.
    fn allows(&self, point: PointOffset) -> bool;

    /// The allowed points as a bit set, when the filter is one: a scan then walks the set
    /// bits instead of asking about every point.
    fn as_bitset(&self) -> Option<&crate::BitSet> {
        None
    }
}

/// Any `Fn(PointOffset) -> bool` is a filter.
impl<F: Fn(PointOffset) -> bool> PointFilter for F {
    fn allows(&self, point: PointOffset) -> bool {
        self(point)
    }
}

/// A filter that allows every point.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllowAll;

impl PointFilter for AllowAll {
    fn allows(&self, _point: PointOffset) -> bool {
        true
    }
}

/// Dense vectors addressed by offset: in RAM, in an mmap, or anywhere a slice can point to.
pub trait DenseVectorSource {
    /// Element type of the stored vectors (`f32`, `f16`, `u8`, ...).
    type Element: Copy;

    /// Dimension of every vector.
    fn dim(&self) -> usize;

    /// Number of vectors (offsets are `0..len`).
    fn len(&self) -> usize;

    /// True when there are no vectors.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The vector at `offset`. Panics when `offset >= len()` (callers iterate known offsets).
    fn vector(&self, offset: PointOffset) -> &[Self::Element];

    /// The metric the vectors were prepared for (normalized for cosine, say), when the source
    /// knows it. Scorers use it to refuse a mismatch, or take the metric from it
    /// ([`DenseQueryScorer::for_source`](crate::DenseQueryScorer::for_source)). `None`: the
    /// source does not track it, and the caller is trusted.
    fn prepared_for(&self) -> Option<crate::Distance> {
        None
    }
}

impl<S: DenseVectorSource + ?Sized> DenseVectorSource for &S {
    type Element = S::Element;
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn len(&self) -> usize {
        (**self).len()
    }
    fn vector(&self, offset: PointOffset) -> &[Self::Element] {
        (**self).vector(offset)
    }
    fn prepared_for(&self) -> Option<crate::Distance> {
        (**self).prepared_for()
    }
}
