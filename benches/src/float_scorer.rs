//! The exact scorer the graph benches time: plain floats, or floats read only where
//! per-dimension int8 code bounds can still reach the search's floor (`--bounds sq8d`; same
//! results as plain floats).

use sextant_core::{
    DenseQueryScorer, DenseVectorSource, DenseVectors, Distance, PointOffset, QueryScorer,
};
use sextant_quantization::{BoundedExact, BoundedExactScorer, EncodedVectors, ScalarInt8PerDim};
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

/// One exact scorer per query (the first `n` queries), behind `bounded` when given.
pub fn scorers<'a>(
    base: &'a DenseVectors<f32>,
    distance: Distance,
    queries: &DenseVectors<f32>,
    n: usize,
    bounded: Option<&'a BoundedExact<'a, &'a DenseVectors<f32>>>,
) -> Result<Vec<FloatScorer<'a>>, String> {
    (0..n as PointOffset)
        .map(|q| {
            let query = queries.vector(q);
            match bounded {
                None => DenseQueryScorer::new(base, distance, query)
                    .map(FloatScorer::Plain)
                    .map_err(|e| e.to_string()),
                Some(b) => b
                    .query_scorer(query)
                    .map(FloatScorer::Bounded)
                    .map_err(|e| e.to_string()),
            }
        })
        .collect()
}
