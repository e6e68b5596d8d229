//! The scoring pieces every codec shares: the batch loop over records (with its prefetch),
//! the Dot / Euclid finish, and the integer grids a query is put on.

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
        let max = x.iter().fold(0f32, |m, v| m.max(v.abs()));
        let step = if max > 0.0 { max / top } else { 1.0 };
        let mut levels = vec![0i8; padded];
        for (e, v) in levels.iter_mut().zip(x) {
            *e = (v / step).round().clamp(-top, top) as i8;
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
        let max = x.iter().fold(0f32, |m, v| m.max(v.abs()));
        let step = if max > 0.0 { max / top } else { 1.0 };
        let levels: Vec<i16> = x
            .iter()
            .map(|v| (v / step).round().clamp(-top, top) as i16)
            .collect();
        let rounding = 128.0
            * levels
                .iter()
                .zip(x)
                .map(|(&e, &f)| (step * f32::from(e) - f).abs())
                .sum::<f32>();
        Self {
            levels,
            step,
            rounding,
        }
    }
}
