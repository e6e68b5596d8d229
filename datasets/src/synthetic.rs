//! Seeded synthetic data: the same seed gives the same vectors on every platform
//! (ChaCha8 stream, standard-normal samples).

use crate::error::{Error, Result};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use sextant_core::DenseVectors;

/// `n` vectors of `dim` independent standard-normal components.
pub fn gaussian(n: usize, dim: usize, seed: u64) -> Result<DenseVectors<f32>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let data = (0..n * dim)
        .map(|_| StandardNormal.sample(&mut rng))
        .collect();
    DenseVectors::from_flat(dim, data).map_err(|e| Error::InvalidArgument(e.to_string()))
}

/// `n` vectors around `clusters` standard-normal centres, each point its centre plus
/// `spread` times a standard-normal offset; points are assigned to centres round-robin.
/// Clustered data is what makes graph indexes work hard (dense regions, far-apart islands).
pub fn clustered(
    n: usize,
    dim: usize,
    clusters: usize,
    spread: f32,
    seed: u64,
) -> Result<DenseVectors<f32>> {
    if clusters == 0 || !spread.is_finite() || spread < 0.0 {
        return Err(Error::InvalidArgument(format!(
            "clustered: need clusters > 0 and a finite spread >= 0 (got {clusters}, {spread})"
        )));
    }
    let centres = gaussian(clusters, dim, seed)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x9E37_79B9_7F4A_7C15);
    let mut data = Vec::with_capacity(n * dim);
    for centre in centres.iter().cycle().take(n) {
        data.extend(centre.iter().map(|&c| {
            let noise: f32 = StandardNormal.sample(&mut rng);
            c + spread * noise
        }));
    }
    DenseVectors::from_flat(dim, data).map_err(|e| Error::InvalidArgument(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sextant_core::DenseVectorSource;

    #[test]
    fn same_seed_same_data_and_sensible_statistics() {
        let a = gaussian(1000, 16, 42).unwrap();
        assert_eq!(a, gaussian(1000, 16, 42).unwrap());
        assert_ne!(a, gaussian(1000, 16, 43).unwrap());
        let mean: f32 = a.as_flat().iter().sum::<f32>() / a.as_flat().len() as f32;
        let var: f32 =
            a.as_flat().iter().map(|x| (x - mean).powi(2)).sum::<f32>() / a.as_flat().len() as f32;
        assert!(
            mean.abs() < 0.05 && (var - 1.0).abs() < 0.1,
            "mean {mean} var {var}"
        );
    }

    #[test]
    fn clustered_points_sit_near_their_centre() {
        let c = clustered(100, 8, 4, 0.01, 7).unwrap();
        assert_eq!(c.len(), 100);
        // Points 0 and 4 share a centre (round-robin), points 0 and 1 do not.
        let d = |i: u32, j: u32| sextant_core::kernels::l2sq_f32(c.vector(i), c.vector(j));
        assert!(d(0, 4) < 0.01 && d(0, 1) > 0.5);
        assert!(clustered(10, 8, 0, 1.0, 1).is_err());
    }
}
