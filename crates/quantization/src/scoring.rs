//! The scoring pieces every codec shares: the batch loop over records (with its prefetch),
//! the Dot / Euclid finish, and the integer grids a query is put on.

use sextant_core::kernels::{max_abs, sum_zip};
use sextant_core::{Distance, PointOffset, ScoreType};

/// The score from an estimate of `q·x`: itself for Dot and Cosine; for Euclid
/// `−‖q − x‖² = 2·q·x − ‖x‖² − ‖q‖²`, reading the stored `‖x‖²` only then.
#[inline]
pub(crate) fn score_from_dot(
    distance: Distance,
    dot: f32,
    x_x: impl FnOnce() -> f32,
    q_q: f32,
) -> ScoreType {
    match distance {
        Distance::Euclid => 2.0 * dot - x_x() - q_q,
        _ => dot,
    }
}

/// How many records ahead of the one being scored [`score_records`] asks for, while the
/// records fit the caches. Graph traversal on 384-byte codes (minilm-pypi-20k, sq8d, ef 64–128)
/// ran ~5% faster at 2–4 than with the first line of every record up front plus the whole next
/// one; whole records for the entire batch at once overflow the CPU's miss buffers. On 192-byte
/// codes (sq4d, ef 40–64) depths 3 and 6, whole batches up front, and first lines up front were
/// within noise of each other.
const PREFETCH_DEPTH: usize = 3;

/// The depth once the records outgrow [`CACHED_RECORDS`]: each fetch then waits longer, so more
/// must be in flight. Float search behind sq8d bounds on minilm-pypi-120k (46 MB of codes,
/// ef 24–256) ran ~5% faster at 6 than at 3 (and 10 was no better), while on the 20k set
/// (7.7 MB) 6 was ~5% slower than 3.
const PREFETCH_DEPTH_UNCACHED: usize = 6;

/// Records up to this many bytes count as cache-resident for the prefetch depth (between the
/// 7.7 MB and 46 MB measured above).
pub(crate) const CACHED_RECORDS: usize = 16 << 20;

/// Scores a batch of points whose records are the `stride`-byte rows of `data`, prefetching
/// whole records [`PREFETCH_DEPTH`] (or [`PREFETCH_DEPTH_UNCACHED`]) ahead; `score` gets each point with its record. The rows
/// are sliced here, once per batch, so that a scorer's per-point work is its kernel (through
/// `Records` and a closure per point, a sequential scan of 192-byte codes spent twice the
/// kernel's time around it).
#[inline(always)]
pub(crate) fn score_records(
    data: &[u8],
    stride: usize,
    points: &[PointOffset],
    scores: &mut [ScoreType],
    score: impl Fn(PointOffset, &[u8]) -> ScoreType,
) {
    let record = |p: PointOffset| &data[p as usize * stride..(p as usize + 1) * stride];
    let depth = if data.len() <= CACHED_RECORDS {
        PREFETCH_DEPTH
    } else {
        PREFETCH_DEPTH_UNCACHED
    };
    for &p in points.iter().take(depth) {
        sextant_core::kernels::prefetch(record(p));
    }
    for (i, (s, &p)) in scores.iter_mut().zip(points).enumerate() {
        if let Some(&next) = points.get(i + depth) {
            sextant_core::kernels::prefetch(record(next));
        }
        *s = score(p, record(p));
    }
}

/// `x` rounded to the nearest integer (ties to even), for `|x| < 2²²`: adding `1.5·2²³` makes
/// the float adder round, and the integer is then the low bits of the sum. `f32::round` is a
/// call to libm's `roundf` in the portable build (SSE4.1's rounding instruction is not in its
/// baseline) and a float-to-int `as` cast saturates; either kept the loop scalar, ~1 µs of a
/// dimension-384 query's setup. This one vectorizes.
#[inline]
pub(crate) fn nearest_level(x: f32) -> i32 {
    const SHIFT: f32 = 12_582_912.0; // 1.5·2²³: the sum's unit in the last place is 1
    (x + SHIFT).to_bits() as i32 - SHIFT.to_bits() as i32
}

/// An f32 vector on a symmetric i8 grid: `x ≈ step · level`, zero-padded to `padded` levels.
pub(crate) struct I8Query {
    pub levels: Vec<i8>,
    pub step: f32,
    /// `Σ levels`.
    pub sum: i32,
}

impl I8Query {
    pub(crate) fn new(x: &[f32], padded: usize) -> Self {
        Self::with_levels(x, padded, 127)
    }

    /// On a coarser grid of levels `−max_level..=max_level` (e.g. 7 for a 4-bit query).
    pub(crate) fn with_levels(x: &[f32], padded: usize, max_level: i8) -> Self {
        let top = f32::from(max_level);
        let max = max_abs(x);
        let step = if max > 0.0 { max / top } else { 1.0 };
        let mut levels = vec![0i8; padded];
        for (e, v) in levels.iter_mut().zip(x) {
            *e = nearest_level((v / step).max(-top).min(top)) as i8;
        }
        let sum = levels.iter().map(|&e| i32::from(e)).sum();
        Self { levels, step, sum }
    }
}

/// An f32 vector on a symmetric i16 grid for a dot with i8 codes (`x ≈ step · level`): the
/// finest grid whose dot with codes of magnitude at most 128 cannot overflow an i32.
pub(crate) struct I16Query {
    pub levels: Vec<i16>,
    pub step: f32,
    /// `128·Σ|step·levelᵢ − xᵢ|`: bounds how far the grid moves the dot with such codes.
    pub rounding: f32,
}

impl I16Query {
    pub(crate) fn new(x: &[f32]) -> Self {
        let top = ((1u64 << 31) / (128 * x.len().max(1) as u64)).min(i16::MAX as u64) as f32;
        let max = max_abs(x);
        let step = if max > 0.0 { max / top } else { 1.0 };
        let levels: Vec<i16> = x
            .iter()
            .map(|v| nearest_level((v / step).max(-top).min(top)) as i16)
            .collect();
        let rounding = 128.0 * sum_zip(&levels, x, |e, f| (step * f32::from(e) - f).abs());
        Self {
            levels,
            step,
            rounding,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_level_rounds_like_round_ties_even() {
        for i in -40_000..40_000 {
            let x = i as f32 / 7.0;
            assert_eq!(nearest_level(x) as f32, x.round_ties_even(), "{x}");
        }
        for x in [
            0.5f32,
            1.5,
            2.5,
            -0.5,
            -1.5,
            32_767.0,
            -32_767.0,
            4_194_303.0,
        ] {
            assert_eq!(nearest_level(x) as f32, x.round_ties_even(), "{x}");
        }
    }

    #[test]
    fn integer_queries_stay_within_their_grid_and_rounding() {
        let x: Vec<f32> = (0..384)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 13.0)
            .collect();
        let q = I16Query::new(&x);
        let top = i32::from(q.levels.iter().map(|e| e.abs()).max().unwrap());
        assert!(top <= i32::from(i16::MAX));
        let err: f32 = q
            .levels
            .iter()
            .zip(&x)
            .map(|(&e, &f)| (q.step * f32::from(e) - f).abs())
            .sum();
        assert!((128.0 * err - q.rounding).abs() <= 1e-3 * q.rounding.max(1e-6));
        assert!(
            x.iter()
                .zip(&q.levels)
                .all(|(&f, &e)| (q.step * f32::from(e) - f).abs() <= q.step / 2.0 * 1.0001)
        );
        let q8 = I8Query::with_levels(&x, 400, 7);
        assert_eq!(q8.levels.len(), 400);
        assert!(q8.levels.iter().all(|e| e.abs() <= 7));
        assert_eq!(q8.sum, q8.levels.iter().map(|&e| i32::from(e)).sum::<i32>());
        assert!(
            x.iter()
                .zip(&q8.levels)
                .all(|(&f, &e)| (q8.step * f32::from(e) - f).abs() <= q8.step / 2.0 * 1.0001)
        );
    }
}
