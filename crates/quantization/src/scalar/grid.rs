//! The grids the scalar codecs put coordinates on: the bounds of a quantile, one grid per
//! dimension (from quantiles of a sample, or each dimension's extremes), and the file body
//! the per-dimension codecs share (int8 and int4: the grids, then the records).

use std::ops::Range;

use sextant_core::kernels::{sum_f32, sum_zip};
use sextant_core::{DenseVectorSource, Distance, PointOffset};

use crate::Result;
use crate::format::{
    CodecId, HEADER_BYTES, Header, check_records, corrupt, f32s_to_bytes, offsets_and_scales,
    read_file, write_file,
};
use crate::training::training_sample;

/// The bounds of the central `quantile` share of `values` (reordered in place).
pub(crate) fn quantile_bounds(values: &mut [f32], quantile: f32) -> (f32, f32) {
    let n = values.len();
    let tail = ((1.0 - quantile as f64) / 2.0 * n as f64).round() as usize;
    let (lo_at, hi_at) = (
        tail.min(n - 1),
        (n - 1 - tail.min(n - 1)).max(tail.min(n - 1)),
    );
    let lo = *values.select_nth_unstable_by(lo_at, f32::total_cmp).1;
    let hi = *values.select_nth_unstable_by(hi_at, f32::total_cmp).1;
    (lo, hi)
}

/// One uniform grid of `levels` bins per dimension: between the quantiles of a seeded sample
/// of `source` that keep the central `quantile` share of its values, or (with 1.0) between
/// each dimension's minimum and maximum over every vector. Returns the low ends and bin widths;
/// level `c` of dimension `i` decodes to `lo[i] + step[i]·(c + ½)`.
pub(crate) fn per_dim_grid<S>(
    source: &S,
    seed: u64,
    quantile: f32,
    levels: u32,
) -> Result<(Vec<f32>, Vec<f32>)>
where
    S: DenseVectorSource<Element = f32>,
{
    let picked = training_sample(source, seed)?;
    let dim = source.dim();
    let (mut lo, mut step) = (Vec::with_capacity(dim), Vec::with_capacity(dim));
    let extremes = (quantile >= 1.0).then(|| extremes(source));
    let mut column = Vec::with_capacity(picked.len());
    for i in 0..dim {
        let (l, h) = match &extremes {
            Some((lo, hi)) => (lo[i], hi[i]),
            None => {
                column.clear();
                column.extend(picked.iter().map(|&p| source.vector(p)[i]));
                quantile_bounds(&mut column, quantile)
            }
        };
        if h > l {
            lo.push(l);
            step.push((h - l) / levels as f32);
        } else {
            // A constant dimension: a unit bin centred on the value, so level 0 decodes to it
            // exactly (a bin starting at it would decode half a unit off and, summed over the
            // 2 constant dimensions of MiniLM-120k, give every residual a norm of 0.71).
            lo.push(l - 0.5);
            step.push(1.0);
        }
    }
    Ok((lo, step))
}

/// Each dimension's minimum and maximum over every vector of `source` (non-finite values are
/// left for the encoder's check to refuse).
fn extremes<S: DenseVectorSource<Element = f32>>(source: &S) -> (Vec<f32>, Vec<f32>) {
    let dim = source.dim();
    let (mut lo, mut hi) = (vec![f32::INFINITY; dim], vec![f32::NEG_INFINITY; dim]);
    for p in 0..source.len() as PointOffset {
        for ((l, h), &x) in lo.iter_mut().zip(hi.iter_mut()).zip(source.vector(p)) {
            *l = l.min(x);
            *h = h.max(x);
        }
    }
    (lo, hi)
}

/// A query folded into per-dimension grids whose level `c` decodes to `lo + step·(c + centre)`:
/// `q·x̂ = Σ qᵢ(loᵢ + centre·stepᵢ) + Σ (qᵢ·stepᵢ)·cᵢ`. Returns the folded query `qᵢ·stepᵢ` and
/// the constant first sum.
pub(crate) fn fold_query(q: &[f32], lo: &[f32], step: &[f32], centre: f32) -> (Vec<f32>, f32) {
    let folded: Vec<f32> = q.iter().zip(step).map(|(a, s)| a * s).collect();
    // Σ qᵢ(loᵢ + centre·stepᵢ), as two lane-parallel sums.
    let offset = sum_zip(q, lo, |a, l| a * l) + centre * sum_f32(&folded);
    (folded, offset)
}

/// The file of a per-dimension grid codec (int8 or int4): the grids' low ends and bin widths,
/// then the `len` records.
pub(crate) fn per_dim_file_bytes(
    id: CodecId,
    distance: Distance,
    len: usize,
    (lo, step): (&[f32], &[f32]),
    records: &[u8],
) -> Vec<u8> {
    let header = Header::of(id, distance, lo.len(), len);
    write_file(
        &header,
        &[],
        &[&f32s_to_bytes(lo), &f32s_to_bytes(step), records],
    )
}

/// Parses a file of one of the per-dimension grid codecs (int8, int4): the header, the grids
/// (`with_grid` builds the codec from them) and the size of the records (`stride` bytes each).
pub(crate) fn parse_per_dim<C>(
    b: &[u8],
    codec: CodecId,
    name: &str,
    with_grid: fn(Distance, Vec<f32>, Vec<f32>) -> C,
    stride: fn(&C) -> usize,
) -> Result<(C, Range<usize>)> {
    let (h, body) = read_file(b, codec, name)?;
    crate::training::refuse_manhattan(h.distance, name).map_err(|e| corrupt(16, e.to_string()))?;
    let d = h.dim;
    let (lo, step) = offsets_and_scales(body, d, ["grid low ends", "grid steps", "grid step"])?;
    let codec = with_grid(h.distance, lo, step);
    check_records(h.n, stride(&codec), &body[8 * d..], d)?;
    Ok((codec, HEADER_BYTES + 8 * d..HEADER_BYTES + body.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pairs::Reconstructs;
    use crate::{ScalarInt4PerDim, ScalarInt8PerDim};
    use sextant_core::DenseVectors;

    #[test]
    fn constant_dimensions_decode_to_their_value() {
        // Dimensions 1 and 3 hold one value in every vector (MiniLM-120k has two such).
        let data: Vec<f32> = (0..200)
            .flat_map(|i| [(i % 17) as f32 / 17.0, 0.0, (i % 5) as f32 - 2.0, 0.25])
            .collect();
        let data = DenseVectors::from_flat(4, data).unwrap();
        let int8 = ScalarInt8PerDim::train(&data, Distance::Dot, 1.0, 1, 1).unwrap();
        let int4 = ScalarInt4PerDim::train(&data, Distance::Dot, 1.0, 1, 1).unwrap();
        let mut out = [0f32; 4];
        for p in 0..200 {
            int8.decode_range(p, 0, &mut out);
            assert_eq!((out[1], out[3]), (0.0, 0.25), "int8, point {p}");
            int4.decode_range(p, 0, &mut out);
            assert_eq!((out[1], out[3]), (0.0, 0.25), "int4, point {p}");
        }
    }

    #[test]
    fn quantiles_clip_the_tails() {
        let mut v: Vec<f32> = (0..1000).map(|i| i as f32).collect();
        assert_eq!(quantile_bounds(&mut v, 0.99), (5.0, 994.0));
        let mut v: Vec<f32> = (0..1000).map(|i| i as f32).collect();
        assert_eq!(quantile_bounds(&mut v, 1.0), (0.0, 999.0));
        assert_eq!(quantile_bounds(&mut [3.0], 0.9), (3.0, 3.0));
    }
}
