//! Training helpers every codec shares: the seeded sample, its mean, and parallel encoding.

use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use sextant_core::{DenseVectorSource, Distance, PointOffset};

use crate::error::check_vector;
use crate::records::Records;
use crate::{Error, Result};

/// Offsets of a seeded sample of at most [`TRAINING_SAMPLE`](crate::CodecConfig::TRAINING_SAMPLE) vectors of `source`, each checked
/// for length and finiteness. An empty source is an error.
pub(crate) fn training_sample<S>(source: &S, seed: u64) -> Result<Vec<PointOffset>>
where
    S: DenseVectorSource<Element = f32>,
{
    training_sample_of(source, seed, crate::CodecConfig::TRAINING_SAMPLE)
}

/// [`training_sample`] with another cap.
pub(crate) fn training_sample_of<S>(source: &S, seed: u64, max: usize) -> Result<Vec<PointOffset>>
where
    S: DenseVectorSource<Element = f32>,
{
    let n = source.len();
    if n == 0 {
        return Err(Error::EmptyTrainingSet);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let picked: Vec<PointOffset> = sample(&mut rng, n, n.min(max))
        .iter()
        .map(|p| p as PointOffset)
        .collect();
    for &p in &picked {
        check_vector(source.vector(p), source.dim())?;
    }
    Ok(picked)
}

/// The mean of the sampled vectors (accumulated in f64).
pub(crate) fn mean_of<S>(source: &S, picked: &[PointOffset]) -> Vec<f32>
where
    S: DenseVectorSource<Element = f32>,
{
    let mut mean = vec![0f64; source.dim()];
    for &p in picked {
        mean.iter_mut()
            .zip(source.vector(p))
            .for_each(|(m, &x)| *m += f64::from(x));
    }
    mean.iter()
        .map(|m| (m / picked.len().max(1) as f64) as f32)
        .collect()
}

/// Runs `f` on `threads` threads: on the caller's rayon pool when the call already runs inside
/// one of that size (so a training run's steps, or a caller's own pool, build no pool), on a
/// pool built for this call otherwise (one per training step: seconds of work each).
pub(crate) fn on_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> Result<R> {
    let threads = threads.max(1);
    if rayon::current_thread_index().is_some() && rayon::current_num_threads() == threads {
        return Ok(f());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(Error::ThreadPool)?;
    Ok(pool.install(f))
}

/// Encodes every vector of `source` into a `stride`-long record (zeroed before `encode`
/// writes it) on `threads` threads, checking each vector first; returns the records.
pub(crate) fn encode_all<S, F>(
    source: &S,
    stride: usize,
    threads: usize,
    encode: F,
) -> Result<Records>
where
    S: DenseVectorSource<Element = f32> + Sync,
    F: Fn(&[f32], &mut [u8]) + Sync,
{
    let dim = source.dim();
    // On huge pages, as `Records::copied` explains.
    let mut data = sextant_mmap_advice::huge_page_vec(source.len() * stride);
    data.resize(source.len() * stride, 0u8);
    on_threads(threads, || {
        use rayon::prelude::*;
        data.par_chunks_mut(stride)
            .enumerate()
            .try_for_each(|(p, record)| {
                let v = source.vector(p as PointOffset);
                check_vector(v, dim)?;
                encode(v, record);
                Ok::<(), Error>(())
            })
    })??;
    Ok(data.into())
}

/// Refuses Manhattan for the codecs that estimate inner products (`what` names the codec).
pub(crate) fn refuse_manhattan(distance: Distance, what: &str) -> Result<()> {
    if distance == Distance::Manhattan {
        return Err(Error::Config(format!(
            "{what} estimates inner products; Manhattan distance is not supported"
        )));
    }
    Ok(())
}
