//! The sub-space codebooks that product quantization (256 centroids, one byte per
//! sub-space) and its fast-scan variant (16 centroids, half a byte) share: training (k-means++
//! seeding, then Lloyd iterations, sub-spaces in parallel), encoding, decoding and the
//! per-query table, with the table's integer grid.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sextant_core::{DenseVectorSource, Distance, PointOffset};

use crate::ProductQuantizer;
use crate::training::refuse_manhattan;
use crate::{Error, Result};

/// `m` codebooks of `k` centroids, one per sub-space of `dim / m` coordinates.
#[derive(Debug, Clone)]
pub(crate) struct Codebooks {
    pub(crate) dim: usize,
    pub(crate) m: usize,
    pub(crate) k: usize,
    /// `m` codebooks of `k × dim/m` floats, sub-space by sub-space (the stored form).
    pub(crate) flat: Vec<f32>,
    /// The same codebooks dimension-major, for encoding and query tables (derived, not
    /// stored).
    books: Vec<Transposed>,
}

/// Checks what every sub-space codec needs: `m` dividing the dimension, and no Manhattan
/// (the tables hold inner products or squared distances).
pub(crate) fn check_sub_spaces(distance: Distance, dim: usize, m: usize) -> Result<()> {
    if !dim.is_multiple_of(m) {
        return Err(Error::Config(format!(
            "{m} sub-spaces do not divide dimension {dim}"
        )));
    }
    refuse_manhattan(distance, "product quantization")
}

impl Codebooks {
    /// Learns `k` centroids per sub-space on the `picked` vectors of `source`, sub-spaces in
    /// parallel on `threads` threads.
    pub(crate) fn train<S>(
        source: &S,
        picked: &[PointOffset],
        m: usize,
        k: usize,
        seed: u64,
        threads: usize,
    ) -> Result<Self>
    where
        S: DenseVectorSource<Element = f32> + Sync,
    {
        let dim = source.dim();
        let sub = dim / m;
        let books: Vec<Vec<f32>> = crate::training::on_threads(threads, || {
            use rayon::prelude::*;
            (0..m)
                .into_par_iter()
                .map(|j| {
                    let points: Vec<f32> = picked
                        .iter()
                        .flat_map(|&p| source.vector(p)[j * sub..(j + 1) * sub].iter().copied())
                        .collect();
                    kmeans(&points, sub, k, seed.wrapping_add(j as u64))
                })
                .collect()
        })?;
        Ok(Self::from_flat(dim, m, k, books.concat()))
    }

    /// Codebooks read back from their stored form.
    pub(crate) fn from_flat(dim: usize, m: usize, k: usize, flat: Vec<f32>) -> Self {
        let sub = dim / m;
        let books = flat
            .chunks_exact(k * sub)
            .map(|b| Transposed::new(b, sub))
            .collect();
        Self {
            dim,
            m,
            k,
            flat,
            books,
        }
    }

    pub(crate) fn sub(&self) -> usize {
        self.dim / self.m
    }

    /// Centroid `c` of sub-space `j`.
    #[inline]
    pub(crate) fn centroid(&self, j: usize, c: usize) -> &[f32] {
        let sub = self.sub();
        let at = (j * self.k + c) * sub;
        &self.flat[at..at + sub]
    }

    /// Coordinates `start..start + out.len()` of the reconstruction whose code in sub-space
    /// `j` is `code(j)`: its centroids, sub-space after sub-space.
    #[inline]
    pub(crate) fn decode_range(
        &self,
        code: impl Fn(usize) -> usize,
        start: usize,
        out: &mut [f32],
    ) {
        let sub = self.sub();
        let (mut j, mut at) = (start / sub, start % sub);
        let mut filled = 0;
        while filled < out.len() {
            let centroid = &self.centroid(j, code(j))[at..];
            let n = centroid.len().min(out.len() - filled);
            out[filled..filled + n].copy_from_slice(&centroid[..n]);
            filled += n;
            (j, at) = (j + 1, 0);
        }
    }

    /// The nearest centroid of every sub-vector of `v`, one per byte of `codes`.
    pub(crate) fn encode(&self, v: &[f32], codes: &mut [u8]) {
        let sub = self.sub();
        for ((j, code), book) in codes.iter_mut().enumerate().zip(&self.books) {
            *code = book.nearest(&v[j * sub..(j + 1) * sub]) as u8;
        }
    }

    /// Every codebook dimension-major, sub-space after sub-space (coordinate `d` of centroid
    /// `c` of sub-space `j` at `k(j·s + d) + c`): the transposed books back to back.
    pub(crate) fn dimension_major(&self) -> Vec<f32> {
        self.books
            .iter()
            .flat_map(|b| b.t.iter().copied())
            .collect()
    }

    /// The query's score against every centroid, `m` rows of `k`: `⟨qⱼ, cⱼₖ⟩` for Dot and
    /// Cosine, `−‖qⱼ − cⱼₖ‖²` for Euclid, so a row sum is the score of a decoded vector.
    pub(crate) fn table(&self, q: &[f32], distance: Distance) -> Vec<f32> {
        let sub = self.sub();
        let mut table = vec![0f32; self.m * self.k];
        for ((row, book), qj) in table
            .chunks_exact_mut(self.k)
            .zip(&self.books)
            .zip(q.chunks_exact(sub))
        {
            match distance {
                Distance::Euclid => {
                    book.squared_distances(qj, row);
                    row.iter_mut().for_each(|t| *t = -*t);
                }
                _ => book.dots(qj, row),
            }
        }
        table
    }
}

/// A table of `k`-entry rows on an integer grid of `0..=top`: per row an offset (its
/// minimum), one step for all rows, so a score is `offset + step · Σ levels`. Returns the
/// levels (row by row), the summed offsets and the step; the rounding is at most half a
/// step per row (the step's reciprocal rounds once more, ~1e-7 of a level).
///
/// This runs once per query, so it is written to vectorize on the x86_64 baseline: bounds
/// four lanes at a time with plain comparisons (the table is finite: a validated query
/// against finite centroids), and levels rounded by adding 2²³, after which the low bits of
/// the float are the rounded integer (a saturating float-to-int cast, and libm's `roundf`
/// before it, compiled to one scalar conversion per entry). The 16-centroid fast-scan
/// tables go through the core's SIMD `fast_scan_grid` (its 6-bit grid, the same
/// rounding) instead.
pub(crate) fn table_grid(table: &[f32], k: usize, top: u16) -> (Vec<u16>, f32, f32) {
    const ROUND: f32 = 8_388_608.0; // 2²³: one unit in the last place is 1.
    let bounds: Vec<(f32, f32)> = table.chunks_exact(k).map(row_bounds).collect();
    let widest = bounds.iter().map(|(lo, hi)| hi - lo).fold(0f32, f32::max);
    let step = if widest > 0.0 {
        widest / f32::from(top)
    } else {
        1.0
    };
    let per_step = 1.0 / step;
    let top = f32::from(top);
    let mut levels = vec![0u16; table.len()];
    for ((out, row), &(lo, _)) in levels
        .chunks_exact_mut(k)
        .zip(table.chunks_exact(k))
        .zip(&bounds)
    {
        for (l, &t) in out.iter_mut().zip(row) {
            // 0 ≤ x ≤ top < 2¹⁶, so the sum's low 16 mantissa bits hold round(x).
            let x = (t - lo) * per_step;
            *l = ((if x < top { x } else { top }) + ROUND).to_bits() as u16;
        }
    }
    (levels, bounds.iter().map(|(lo, _)| lo).sum(), step)
}

/// (minimum, maximum) of a non-empty row of finite values, four lanes (one SSE register) at
/// a time.
fn row_bounds(row: &[f32]) -> (f32, f32) {
    let min = |a: f32, b: f32| if b < a { b } else { a };
    let max = |a: f32, b: f32| if b > a { b } else { a };
    let mut lo = [row[0]; 4];
    let mut hi = [row[0]; 4];
    let mut chunks = row.chunks_exact(4);
    for chunk in &mut chunks {
        for i in 0..4 {
            lo[i] = min(lo[i], chunk[i]);
            hi[i] = max(hi[i], chunk[i]);
        }
    }
    for &t in chunks.remainder() {
        lo[0] = min(lo[0], t);
        hi[0] = max(hi[0], t);
    }
    (
        min(min(lo[0], lo[1]), min(lo[2], lo[3])),
        max(max(hi[0], hi[1]), max(hi[2], hi[3])),
    )
}

/// A codebook stored dimension-major (`sub` rows of `k` centroids), so that the distances
/// from one point to all centroids are computed across centroids, sixteen lanes at a time:
/// the loop vectorizes, where the centroid-major loop over a few dimensions did not (the
/// minilm recall test, which trains two codecs: 23.4 s → 14.8 s).
#[derive(Debug, Clone)]
struct Transposed {
    t: Vec<f32>,
    /// Centroids.
    k: usize,
}

impl Transposed {
    /// `book` holds `k = book.len() / sub` centroids of `sub` floats (at most 256).
    fn new(book: &[f32], sub: usize) -> Self {
        let k = book.len() / sub;
        let mut t = vec![0f32; sub * k];
        for (c, centroid) in book.chunks_exact(sub).enumerate() {
            for (d, &x) in centroid.iter().enumerate() {
                t[d * k + c] = x;
            }
        }
        Self { t, k }
    }

    /// `out[c] = ‖x − centroid c‖²`.
    fn squared_distances(&self, x: &[f32], out: &mut [f32]) {
        self.sum_over_dims(x, out, |xd, c| (xd - c) * (xd - c));
    }

    /// `out[c] = ⟨x, centroid c⟩`.
    fn dots(&self, x: &[f32], out: &mut [f32]) {
        self.sum_over_dims(x, out, |xd, c| xd * c);
    }

    /// `out[c] = Σ_d term(x[d], centroid c[d])`, sixteen centroids at a time in accumulators
    /// that stay in registers (a loop over all `k` lanes per dimension re-read and re-wrote
    /// `out` and paid its setup for each of a sub-space's few dimensions).
    #[inline]
    fn sum_over_dims(&self, x: &[f32], out: &mut [f32], term: impl Fn(f32, f32) -> f32) {
        const LANES: usize = 16;
        let (wide, rest) = out.as_chunks_mut::<LANES>();
        for (chunk, acc_out) in wide.iter_mut().enumerate() {
            let mut acc = [0f32; LANES];
            for (&xd, row) in x.iter().zip(self.t.chunks_exact(self.k)) {
                let row: &[f32; LANES] =
                    row[LANES * chunk..][..LANES].try_into().expect("16 lanes");
                for (a, &c) in acc.iter_mut().zip(row) {
                    *a += term(xd, c);
                }
            }
            *acc_out = acc;
        }
        let done = wide.len() * LANES;
        for (i, o) in rest.iter_mut().enumerate() {
            *o = x
                .iter()
                .zip(self.t.chunks_exact(self.k))
                .map(|(&xd, row)| term(xd, row[done + i]))
                .fold(0.0, |a, t| a + t);
        }
    }

    fn nearest(&self, x: &[f32]) -> usize {
        let mut dist = [0f32; ProductQuantizer::CENTROIDS];
        let dist = &mut dist[..self.k];
        self.squared_distances(x, dist);
        let mut best = (f32::INFINITY, 0);
        for (c, &d) in dist.iter().enumerate() {
            if d < best.0 {
                best = (d, c);
            }
        }
        best.1
    }
}

/// k-means with k-means++ seeding on `points` (rows of `sub` floats): `k` centroids (at most
/// [`ProductQuantizer::CENTROIDS`]). With fewer distinct points than centroids, the extra centroids repeat
/// points.
fn kmeans(points: &[f32], sub: usize, k: usize, seed: u64) -> Vec<f32> {
    let n = points.len() / sub;
    let row = |i: usize| &points[i * sub..(i + 1) * sub];
    let dist = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut centroids = Vec::with_capacity(k * sub);
    centroids.extend_from_slice(row(rng.random_range(0..n)));
    let mut nearest: Vec<f32> = (0..n).map(|i| dist(row(i), &centroids[..sub])).collect();
    while centroids.len() < k * sub {
        let total: f64 = nearest.iter().map(|&d| f64::from(d)).sum();
        let pick = if total > 0.0 {
            let mut target = rng.random::<f64>() * total;
            nearest
                .iter()
                .position(|&d| {
                    target -= f64::from(d);
                    target <= 0.0
                })
                .unwrap_or(n - 1)
        } else {
            rng.random_range(0..n)
        };
        let start = centroids.len();
        centroids.extend_from_slice(row(pick));
        for (i, d) in nearest.iter_mut().enumerate() {
            *d = d.min(dist(row(i), &centroids[start..start + sub]));
        }
    }
    let mut assignment = vec![0usize; n];
    for _ in 0..ProductQuantizer::KMEANS_ITERATIONS {
        let book = Transposed::new(&centroids, sub);
        for (i, a) in assignment.iter_mut().enumerate() {
            *a = book.nearest(row(i));
        }
        let mut sums = vec![0f64; k * sub];
        let mut counts = vec![0usize; k];
        for (i, &a) in assignment.iter().enumerate() {
            counts[a] += 1;
            for (s, &x) in sums[a * sub..(a + 1) * sub].iter_mut().zip(row(i)) {
                *s += f64::from(x);
            }
        }
        for c in 0..k {
            // An empty cluster keeps its centroid.
            if counts[c] > 0 {
                for (x, s) in centroids[c * sub..(c + 1) * sub]
                    .iter_mut()
                    .zip(&sums[c * sub..(c + 1) * sub])
                {
                    *x = (s / counts[c] as f64) as f32;
                }
            }
        }
    }
    centroids
}
