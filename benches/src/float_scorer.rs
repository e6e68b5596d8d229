//! The exact scorer the graph benches time: plain floats, or floats read only where
//! per-dimension int8 code bounds can still reach the search's floor (`--bounds sq8d`; same
//! results as plain floats).

use sextant_core::{
    DenseQueryScorer, DenseVectorSource, DenseVectors, Distance, PointOffset, QueryScorer,
};
use sextant_quantization::{
    AnyCodes, AnyQueryScorer, BoundedExact, BoundedExactScorer, EncodedVectors, ScalarInt8PerDim,
};
use std::time::Instant;

/// The exact scorer of a query: plain floats, or floats behind code bounds.
pub enum FloatScorer<'a> {
    Plain(DenseQueryScorer<&'a DenseVectors<f32>>),
    Bounded(BoundedExactScorer<'a, &'a DenseVectors<f32>>),
}

impl QueryScorer for FloatScorer<'_> {
    fn len(&self) -> usize {
        match self {
            FloatScorer::Plain(s) => s.len(),
            FloatScorer::Bounded(s) => s.len(),
        }
    }

    fn score_point(&self, p: PointOffset) -> f32 {
        match self {
            FloatScorer::Plain(s) => s.score_point(p),
            FloatScorer::Bounded(s) => s.score_point(p),
        }
    }

    fn score_points(&self, points: &[PointOffset], scores: &mut [f32]) {
        match self {
            FloatScorer::Plain(s) => s.score_points(points, scores),
            FloatScorer::Bounded(s) => s.score_points(points, scores),
        }
    }

    fn score_points_above(&self, points: &[PointOffset], floor: f32, scores: &mut [f32]) {
        match self {
            FloatScorer::Plain(s) => s.score_points_above(points, floor, scores),
            FloatScorer::Bounded(s) => s.score_points_above(points, floor, scores),
        }
    }
}

/// Refuses a `--bounds` other than none and sq8d (before any work starts).
pub fn check_bounds(bounds: &str) -> Result<(), String> {
    match bounds {
        "none" | "sq8d" => Ok(()),
        other => Err(format!("unknown --bounds {other:?} (none, sq8d)")),
    }
}

/// The codes behind `--bounds` (none, sq8d), trained on `threads` threads.
pub fn bound_codes(
    bounds: &str,
    base: &DenseVectors<f32>,
    distance: Distance,
    threads: usize,
) -> Result<Option<ScalarInt8PerDim>, String> {
    match bounds {
        "none" => Ok(None),
        "sq8d" => {
            let t = Instant::now();
            let codes = ScalarInt8PerDim::train(base, distance, 1.0, 1, threads)
                .map_err(|e| e.to_string())?;
            eprintln!(
                "sq8d bound codes in {:.2} s, {} bytes per vector on top of the floats",
                t.elapsed().as_secs_f64(),
                codes.bytes_per_vector()
            );
            Ok(Some(codes))
        }
        other => Err(format!("unknown --bounds {other:?} (none, sq8d)")),
    }
}

/// The bound source over `codes`, when there are codes.
pub fn bounded<'a>(
    codes: Option<&'a ScalarInt8PerDim>,
    base: &'a DenseVectors<f32>,
) -> Result<Option<BoundedExact<'a, &'a DenseVectors<f32>>>, String> {
    codes
        .map(|c| BoundedExact::new(c, base))
        .transpose()
        .map_err(|e| e.to_string())
}

/// A query's scorers: the exact one (plain or bounded) and, with codes, the traversal's.
pub struct QueryScorers<'a> {
    /// Float scores (the search's, or the rescoring's when `codes` is set).
    pub floats: FloatScorer<'a>,
    /// Scores on codes for the traversal, when the bench searches codes.
    pub codes: Option<AnyQueryScorer<'a>>,
}

/// Makes each query's scorers inside the timed loop: a library call prepares its query
/// (validation, normalization, the code grid's integer query, the bounds' slack) on every
/// call, and hnswlib's timed calls include its own preparation. (Until session 20 the benches
/// built every scorer before the clock started, leaving 1–3 µs per query out.)
pub struct ScorerFactory<'a> {
    base: &'a DenseVectors<f32>,
    distance: Distance,
    bounded: Option<&'a BoundedExact<'a, &'a DenseVectors<f32>>>,
    codes: Option<&'a AnyCodes>,
}

impl<'a> ScorerFactory<'a> {
    /// Scorers over `base`, behind `bounded` and with traversal `codes` when given.
    pub fn new(
        base: &'a DenseVectors<f32>,
        distance: Distance,
        bounded: Option<&'a BoundedExact<'a, &'a DenseVectors<f32>>>,
        codes: Option<&'a AnyCodes>,
    ) -> Self {
        Self {
            base,
            distance,
            bounded,
            codes,
        }
    }

    /// The scorers of `query`.
    pub fn make(&self, query: &[f32]) -> Result<QueryScorers<'a>, String> {
        let floats = match self.bounded {
            None => DenseQueryScorer::new(self.base, self.distance, query)
                .map(FloatScorer::Plain)
                .map_err(|e| e.to_string())?,
            Some(b) => b
                .query_scorer(query)
                .map(FloatScorer::Bounded)
                .map_err(|e| e.to_string())?,
        };
        let codes = self
            .codes
            .map(|c| c.query_scorer(query))
            .transpose()
            .map_err(|e| e.to_string())?;
        Ok(QueryScorers { floats, codes })
    }

    /// Checks that every one of the first `n` rows of `queries` makes scorers (before any
    /// timing, so that a timed loop's error is a bug).
    pub fn check(&self, queries: &DenseVectors<f32>, n: usize) -> Result<(), String> {
        (0..n as PointOffset).try_for_each(|q| self.make(queries.vector(q)).map(|_| ()))
    }
}
