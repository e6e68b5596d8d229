//! `Distance`: the four metrics, the higher-is-better score of each, and the conversion to the
//! metric's natural distance at the public edge.

use crate::error::{Error, Result};
use crate::ids::ScoreType;
use crate::kernels::{Kernels, normalize_f32};
use half::f16;

/// A similarity metric. Every score computed under it is **higher is better**:
///
/// | metric | internal score | [`Distance::to_distance`] (lower is better) |
/// | --- | --- | --- |
/// | `Cosine` | dot product of unit vectors (normalized by [`Distance::prepare`]) | 1 − cos |
/// | `Dot` | dot product | 1 − dot (as hnswlib's `ip` space) |
/// | `Euclid` | −‖a−b‖² | ‖a−b‖ (square root taken at the edge only) |
/// | `Manhattan` | −‖a−b‖₁ | ‖a−b‖₁ |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Distance {
    /// Cosine similarity; vectors are normalized once, at insert time, then scored by dot.
    Cosine,
    /// Inner product, on vectors as given.
    Dot,
    /// Euclidean (L2) distance.
    Euclid,
    /// Manhattan (L1) distance.
    Manhattan,
}

impl Distance {
    /// Every metric.
    pub const ALL: [Distance; 4] = [Self::Cosine, Self::Dot, Self::Euclid, Self::Manhattan];

    /// Parses the names used by datasets and peers: `cosine`, `dot`/`ip`, `l2`/`euclid`,
    /// `l1`/`manhattan` (case-insensitive).
    pub fn parse(name: &str) -> Option<Distance> {
        match name.to_ascii_lowercase().as_str() {
            "cosine" | "cos" | "angular" => Some(Self::Cosine),
            "dot" | "ip" | "inner_product" => Some(Self::Dot),
            "l2" | "euclid" | "euclidean" => Some(Self::Euclid),
            "l1" | "manhattan" => Some(Self::Manhattan),
            _ => None,
        }
    }

    /// Lower-case canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cosine => "cosine",
            Self::Dot => "dot",
            Self::Euclid => "euclid",
            Self::Manhattan => "manhattan",
        }
    }

    /// Validates a vector for this metric and brings it into stored form, in place:
    /// checks the dimension and that every value is finite, and normalizes for `Cosine`.
    /// A zero vector stays zero (its cosine with anything is 0).
    pub fn prepare(self, vector: &mut [f32], dim: usize) -> Result<()> {
        validate(vector, dim)?;
        if self == Self::Cosine {
            normalize_f32(vector);
        }
        Ok(())
    }

    /// Score of two prepared f32 vectors (higher is better).
    #[inline]
    pub fn score_f32(self, a: &[f32], b: &[f32]) -> ScoreType {
        assert_eq!(a.len(), b.len(), "score_f32: slices differ in length");
        self.score_f32_with(Kernels::best(), a, b)
    }

    /// As [`score_f32`](Self::score_f32), with an explicit kernel table (for hot loops and
    /// for comparing SIMD levels). `a` and `b` must have equal lengths.
    #[inline]
    pub fn score_f32_with(self, k: &Kernels, a: &[f32], b: &[f32]) -> ScoreType {
        match self {
            Self::Cosine | Self::Dot => (k.float.dot_f32)(a, b),
            Self::Euclid => -(k.float.l2sq_f32)(a, b),
            Self::Manhattan => -(k.float.l1_f32)(a, b),
        }
    }

    /// Score of two prepared f16 vectors (higher is better). `a` and `b` must have equal
    /// lengths.
    #[inline]
    pub fn score_f16_with(self, k: &Kernels, a: &[f16], b: &[f16]) -> ScoreType {
        match self {
            Self::Cosine | Self::Dot => (k.float.dot_f16)(a, b),
            Self::Euclid => -(k.float.l2sq_f16)(a, b),
            Self::Manhattan => -(k.float.l1_f16)(a, b),
        }
    }

    /// Converts an internal score to the metric's natural distance (lower is better); see the
    /// table on [`Distance`]. Call it once per returned result, never inside a search.
    pub fn to_distance(self, score: ScoreType) -> f32 {
        match self {
            Self::Cosine | Self::Dot => 1.0 - score,
            Self::Euclid => (-score).max(0.0).sqrt(),
            Self::Manhattan => -score,
        }
    }

    /// Inverse of [`to_distance`](Self::to_distance): the internal score of a natural distance
    /// (for thresholds given by users in natural units).
    pub fn from_distance(self, distance: f32) -> ScoreType {
        match self {
            Self::Cosine | Self::Dot => 1.0 - distance,
            Self::Euclid => -(distance * distance),
            Self::Manhattan => -distance,
        }
    }
}

impl Distance {
    /// The score of a pair whose distance is `factor` times the distance of a pair scoring
    /// `score` (distances as in the metric's geometry: Euclidean between unit vectors for
    /// Cosine, Euclidean for Euclid, L1 for Manhattan). A graph build divides distances by
    /// its pruning factor α with it (RobustPrune, as DiskANN). `Dot` is no distance: the score
    /// comes back unchanged.
    pub fn scale_distance(self, score: ScoreType, factor: f32) -> ScoreType {
        match self {
            // ‖a−b‖² = 2(1 − cos) between unit vectors.
            Self::Cosine => 1.0 - (1.0 - score) * factor * factor,
            Self::Dot => score,
            Self::Euclid => score * factor * factor,
            Self::Manhattan => score * factor,
        }
    }
}

impl std::fmt::Display for Distance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Checks that `vector` has `dim` components, all finite.
pub fn validate(vector: &[f32], dim: usize) -> Result<()> {
    if dim == 0 {
        return Err(Error::ZeroDimension);
    }
    if vector.len() != dim {
        return Err(Error::DimensionMismatch {
            expected: dim,
            got: vector.len(),
        });
    }
    // One branch-free pass first (it vectorizes; a query is checked on every search), the
    // position only when something is wrong.
    if vector.iter().fold(true, |ok, x| ok & x.is_finite()) {
        return Ok(());
    }
    match vector.iter().position(|x| !x.is_finite()) {
        Some(position) => Err(Error::NonFinite {
            position,
            value: vector[position],
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_higher_is_better_and_convert_back() {
        let a = [1.0, 0.0];
        let near = [0.9, 0.1];
        let far = [-1.0, 0.5];
        for d in Distance::ALL {
            assert!(d.score_f32(&a, &near) > d.score_f32(&a, &far), "{d}");
            let s = d.score_f32(&a, &far);
            assert!((d.from_distance(d.to_distance(s)) - s).abs() < 1e-5, "{d}");
        }
        assert_eq!(Distance::Euclid.to_distance(-25.0), 5.0);
        // Half the distance: a quarter of the squared one.
        assert_eq!(Distance::Euclid.scale_distance(-16.0, 0.5), -4.0);
        assert_eq!(Distance::Manhattan.scale_distance(-16.0, 0.5), -8.0);
        let (a, b) = ([0.6f32, 0.8], [1.0f32, 0.0]);
        let l2sq = (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2);
        let cos = Distance::Cosine.score_f32(&a, &b);
        let halved = Distance::Cosine.scale_distance(cos, 0.5);
        assert!((2.0 * (1.0 - halved) - l2sq / 4.0).abs() < 1e-6);
        assert_eq!(Distance::Dot.scale_distance(3.0, 0.5), 3.0);
        assert_eq!(
            Distance::Manhattan.score_f32(&[1.0, 1.0], &[0.0, 3.0]),
            -3.0
        );
    }

    #[test]
    fn prepare_validates_and_normalizes() {
        let mut v = vec![3.0, 4.0];
        Distance::Cosine.prepare(&mut v, 2).unwrap();
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
        let mut v = vec![3.0, 4.0];
        Distance::Dot.prepare(&mut v, 2).unwrap();
        assert_eq!(v, [3.0, 4.0]);
        assert_eq!(
            Distance::Dot.prepare(&mut [1.0], 2),
            Err(Error::DimensionMismatch {
                expected: 2,
                got: 1
            })
        );
        assert!(matches!(
            Distance::Euclid.prepare(&mut [1.0, f32::NAN], 2),
            Err(Error::NonFinite { position: 1, .. })
        ));
        assert_eq!(
            Distance::Euclid.prepare(&mut [], 0),
            Err(Error::ZeroDimension)
        );
    }

    #[test]
    fn parse_accepts_dataset_and_peer_names() {
        assert_eq!(Distance::parse("L2"), Some(Distance::Euclid));
        assert_eq!(Distance::parse("ip"), Some(Distance::Dot));
        assert_eq!(Distance::parse("cosine"), Some(Distance::Cosine));
        assert_eq!(Distance::parse("hamming"), None);
    }
}
