//! [`AnyCodes`]: a codec chosen at run time, from a [`CodecConfig`] or from a codec file's
//! header, with one query scorer and one pair scorer. What a shard or a bench holds when the
//! codec comes from a config file or a command line.
//!
//! The scorers dispatch once per call: a `score_points` batch (the hot path of graph search,
//! 16-64 points per expanded node) matches on the codec once, then runs the concrete codec's
//! kernel loop, so the dynamic form scores as fast as the concrete one.

use std::path::Path;

use crate::format::CodecId;

use serde::{Deserialize, Serialize};
use sextant_core::{DenseVectorSource, Distance, PairScorer, PointOffset, QueryScorer, ScoreType};

use crate::{
    Binary, BinaryPairScorer, BinaryQueryScorer, EncodedVectors, FastScanPairScorer,
    FastScanQueryScorer, ProductFastScan, ProductPairScorer, ProductQuantizer, ProductQueryScorer,
    QuantizationConfig, RaBitQ, RaBitQPairScorer, RaBitQQueryScorer, Result, ScalarInt4PairScorer,
    ScalarInt4PerDim, ScalarInt4QueryScorer, ScalarInt8, ScalarInt8PerDim, ScalarPairScorer,
    ScalarPca, ScalarPcaPairScorer, ScalarPcaQueryScorer, ScalarPerDimPairScorer,
    ScalarPerDimQueryScorer, ScalarQueryScorer, TurboQuant, TurboQuantPairScorer,
    TurboQuantQueryScorer,
};

/// Everything that decides a trained codec: which codec with its parameters, and the seed of
/// its training sample and rotation (same seed, same data: the same codes, on any thread
/// count). Serialized as `{"codec": {"kind": "scalar_int4_per_dim"}, "seed": 1}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodecConfig {
    /// The codec and its parameters.
    pub codec: QuantizationConfig,
    /// Seed of the training sample and of any random rotation.
    #[serde(default = "CodecConfig::default_seed")]
    pub seed: u64,
}

impl CodecConfig {
    /// The seed a config gets when it names none.
    pub const DEFAULT_SEED: u64 = 1;

    /// Vectors sampled for training, at most (product quantization samples more: 256 per
    /// centroid, [`ProductQuantizer::TRAINING_SAMPLE`](crate::ProductQuantizer::TRAINING_SAMPLE)).
    /// 10,000 vectors put a clipping quantile of 1e-3 on ten sampled values.
    pub const TRAINING_SAMPLE: usize = 10_000;

    fn default_seed() -> u64 {
        Self::DEFAULT_SEED
    }

    /// `codec` with the default seed.
    pub fn new(codec: QuantizationConfig) -> Self {
        Self {
            codec,
            seed: Self::DEFAULT_SEED,
        }
    }

    /// The same codec with another seed.
    pub fn with_seed(self, seed: u64) -> Self {
        Self { seed, ..self }
    }
}

impl From<QuantizationConfig> for CodecConfig {
    fn from(codec: QuantizationConfig) -> Self {
        Self::new(codec)
    }
}

/// Encoded vectors of any codec of this crate.
///
/// ```
/// use sextant_core::{DenseVectors, Distance, QueryScorer};
/// use sextant_quantization::{AnyCodes, CodecConfig, EncodedVectors, QuantizationConfig};
///
/// let data = DenseVectors::prepared(4, (0..400).map(|i| (i % 13) as f32).collect(), Distance::Dot)?;
/// let config = CodecConfig::new("sq4d".parse::<QuantizationConfig>()?);
/// let codes = AnyCodes::train(&data, Distance::Dot, &config, 2)?;
/// assert_eq!((codes.len(), codes.bytes_per_vector()), (100, 2));
/// let scorer = codes.query_scorer(&[1.0, 0.0, 2.0, 1.0])?;
/// let mut scores = [0.0; 3];
/// scorer.score_points(&[0, 1, 2], &mut scores);
/// # Ok::<(), sextant_quantization::Error>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum AnyCodes {
    /// [`ScalarInt8`].
    ScalarInt8(ScalarInt8),
    /// [`ScalarInt8PerDim`].
    ScalarInt8PerDim(ScalarInt8PerDim),
    /// [`ScalarInt4PerDim`].
    ScalarInt4PerDim(ScalarInt4PerDim),
    /// [`ScalarPca`].
    ScalarPca(ScalarPca),
    /// [`RaBitQ`].
    RaBitQ(RaBitQ),
    /// [`TurboQuant`].
    TurboQuant(TurboQuant),
    /// [`ProductQuantizer`].
    Product(ProductQuantizer),
    /// [`ProductFastScan`].
    ProductFastScan(ProductFastScan),
    /// [`Binary`].
    Binary(Binary),
}

/// Runs `$body` with `$c` bound to the concrete codec inside any variant; with `$out(...)`,
/// wraps the result in the variant of the same name of the enum `$out`.
macro_rules! each_codec {
    ($value:expr, $c:ident => $out:ident($body:expr)) => {
        match $value {
            AnyCodes::ScalarInt8($c) => $out::ScalarInt8($body),
            AnyCodes::ScalarInt8PerDim($c) => $out::ScalarInt8PerDim($body),
            AnyCodes::ScalarInt4PerDim($c) => $out::ScalarInt4PerDim($body),
            AnyCodes::ScalarPca($c) => $out::ScalarPca($body),
            AnyCodes::RaBitQ($c) => $out::RaBitQ($body),
            AnyCodes::TurboQuant($c) => $out::TurboQuant($body),
            AnyCodes::Product($c) => $out::Product($body),
            AnyCodes::ProductFastScan($c) => $out::ProductFastScan($body),
            AnyCodes::Binary($c) => $out::Binary($body),
        }
    };
    ($value:expr, $c:ident => $body:expr) => {
        match $value {
            AnyCodes::ScalarInt8($c) => $body,
            AnyCodes::ScalarInt8PerDim($c) => $body,
            AnyCodes::ScalarInt4PerDim($c) => $body,
            AnyCodes::ScalarPca($c) => $body,
            AnyCodes::RaBitQ($c) => $body,
            AnyCodes::TurboQuant($c) => $body,
            AnyCodes::Product($c) => $body,
            AnyCodes::ProductFastScan($c) => $body,
            AnyCodes::Binary($c) => $body,
        }
    };
}

/// The same, over the variants of a scorer enum.
macro_rules! each_scorer {
    ($enum:ident, $value:expr, $s:ident => $body:expr) => {
        match $value {
            $enum::ScalarInt8($s) => $body,
            $enum::ScalarInt8PerDim($s) => $body,
            $enum::ScalarInt4PerDim($s) => $body,
            $enum::ScalarPca($s) => $body,
            $enum::RaBitQ($s) => $body,
            $enum::TurboQuant($s) => $body,
            $enum::Product($s) => $body,
            $enum::ProductFastScan($s) => $body,
            $enum::Binary($s) => $body,
        }
    };
}

impl AnyCodes {
    /// Trains the codec `config` names on `source` (prepared for `distance`) and encodes every
    /// vector of it, on `threads` threads.
    pub fn train<S>(
        source: &S,
        distance: Distance,
        config: &CodecConfig,
        threads: usize,
    ) -> Result<Self>
    where
        S: DenseVectorSource<Element = f32> + Sync,
    {
        config.codec.validate()?;
        // One pool for the whole run: the training steps inside find it and build none.
        crate::training::on_threads(threads, || {
            Self::train_on(source, distance, config, threads)
        })?
    }

    fn train_on<S>(
        source: &S,
        distance: Distance,
        config: &CodecConfig,
        threads: usize,
    ) -> Result<Self>
    where
        S: DenseVectorSource<Element = f32> + Sync,
    {
        let seed = config.seed;
        Ok(match config.codec {
            QuantizationConfig::ScalarInt8 { quantile } => Self::ScalarInt8(ScalarInt8::train(
                source, distance, quantile, seed, threads,
            )?),
            QuantizationConfig::ScalarInt8PerDim { quantile } => Self::ScalarInt8PerDim(
                ScalarInt8PerDim::train(source, distance, quantile, seed, threads)?,
            ),
            QuantizationConfig::ScalarInt4PerDim { quantile } => Self::ScalarInt4PerDim(
                ScalarInt4PerDim::train(source, distance, quantile, seed, threads)?,
            ),
            QuantizationConfig::ScalarPca { bits } => {
                Self::ScalarPca(ScalarPca::train(source, distance, bits, seed, threads)?)
            }
            QuantizationConfig::RaBitQ { bits } => {
                Self::RaBitQ(RaBitQ::train(source, distance, bits, seed, threads)?)
            }
            QuantizationConfig::TurboQuant { bits, calibrated } => Self::TurboQuant(
                TurboQuant::train(source, distance, bits, calibrated, seed, threads)?,
            ),
            QuantizationConfig::Product { m } => {
                Self::Product(ProductQuantizer::train(source, distance, m, seed, threads)?)
            }
            QuantizationConfig::ProductFastScan { m } => {
                Self::ProductFastScan(ProductFastScan::train(source, distance, m, seed, threads)?)
            }
            QuantizationConfig::Binary {
                encoding,
                query_bits,
            } => Self::Binary(Binary::train(
                source, distance, encoding, query_bits, seed, threads,
            )?),
        })
    }
}

/// The query scorer of [`AnyCodes`]: one variant per codec.
#[non_exhaustive]
#[allow(missing_docs)] // each variant is the scorer of the codec of the same name
pub enum AnyQueryScorer<'a> {
    ScalarInt8(ScalarQueryScorer<'a>),
    ScalarInt8PerDim(ScalarPerDimQueryScorer<'a>),
    ScalarInt4PerDim(ScalarInt4QueryScorer<'a>),
    ScalarPca(ScalarPcaQueryScorer<'a>),
    RaBitQ(RaBitQQueryScorer<'a>),
    TurboQuant(TurboQuantQueryScorer<'a>),
    Product(ProductQueryScorer<'a>),
    ProductFastScan(FastScanQueryScorer<'a>),
    Binary(BinaryQueryScorer<'a>),
}

impl QueryScorer for AnyQueryScorer<'_> {
    fn len(&self) -> usize {
        each_scorer!(AnyQueryScorer, self, s => s.len())
    }

    #[inline]
    fn score_point(&self, point: PointOffset) -> ScoreType {
        each_scorer!(AnyQueryScorer, self, s => s.score_point(point))
    }

    fn score_points(&self, points: &[PointOffset], scores: &mut [ScoreType]) {
        each_scorer!(AnyQueryScorer, self, s => s.score_points(points, scores))
    }

    fn score_points_above(
        &self,
        points: &[PointOffset],
        floor: ScoreType,
        scores: &mut [ScoreType],
    ) {
        each_scorer!(AnyQueryScorer, self, s => s.score_points_above(points, floor, scores))
    }
}

/// The pair scorer of [`AnyCodes`]: one variant per codec.
#[non_exhaustive]
#[allow(missing_docs)] // each variant is the pair scorer of the codec of the same name
pub enum AnyPairScorer<'a> {
    ScalarInt8(ScalarPairScorer<'a>),
    ScalarInt8PerDim(ScalarPerDimPairScorer<'a>),
    ScalarInt4PerDim(ScalarInt4PairScorer<'a>),
    ScalarPca(ScalarPcaPairScorer<'a>),
    RaBitQ(RaBitQPairScorer<'a>),
    TurboQuant(TurboQuantPairScorer<'a>),
    Product(ProductPairScorer<'a>),
    ProductFastScan(FastScanPairScorer<'a>),
    Binary(BinaryPairScorer<'a>),
}

impl PairScorer for AnyPairScorer<'_> {
    fn len(&self) -> usize {
        each_scorer!(AnyPairScorer, self, s => s.len())
    }

    #[inline]
    fn score_pair(&self, a: PointOffset, b: PointOffset) -> ScoreType {
        each_scorer!(AnyPairScorer, self, s => s.score_pair(a, b))
    }

    fn score_pairs(&self, a: PointOffset, others: &[PointOffset], scores: &mut [ScoreType]) {
        each_scorer!(AnyPairScorer, self, s => s.score_pairs(a, others, scores))
    }
}

impl EncodedVectors for AnyCodes {
    type QueryScorer<'a> = AnyQueryScorer<'a>;
    type PairScorer<'a> = AnyPairScorer<'a>;

    fn len(&self) -> usize {
        each_codec!(self, c => c.len())
    }

    fn dim(&self) -> usize {
        each_codec!(self, c => c.dim())
    }

    fn bytes_per_vector(&self) -> usize {
        each_codec!(self, c => c.bytes_per_vector())
    }

    fn push(&mut self, vector: &[f32]) -> Result<PointOffset> {
        each_codec!(self, c => c.push(vector))
    }

    fn set(&mut self, p: PointOffset, vector: &[f32]) -> Result<()> {
        each_codec!(self, c => c.set(p, vector))
    }

    fn query_scorer(&self, query: &[f32]) -> Result<AnyQueryScorer<'_>> {
        Ok(each_codec!(self, c => AnyQueryScorer(c.query_scorer(query)?)))
    }

    fn pair_scorer(&self) -> AnyPairScorer<'_> {
        each_codec!(self, c => AnyPairScorer(c.pair_scorer()))
    }

    fn to_bytes(&self) -> Vec<u8> {
        each_codec!(self, c => c.to_bytes())
    }

    /// Parses a codec file of any codec (its header says which), copying the codes.
    fn from_bytes(b: &[u8]) -> Result<Self> {
        Ok(match crate::format::codec_of(b)? {
            CodecId::ScalarInt8 => Self::ScalarInt8(ScalarInt8::from_bytes(b)?),
            CodecId::ScalarInt8PerDim => Self::ScalarInt8PerDim(ScalarInt8PerDim::from_bytes(b)?),
            CodecId::ScalarInt4PerDim => Self::ScalarInt4PerDim(ScalarInt4PerDim::from_bytes(b)?),
            CodecId::ScalarPca => Self::ScalarPca(ScalarPca::from_bytes(b)?),
            CodecId::RaBitQ => Self::RaBitQ(RaBitQ::from_bytes(b)?),
            CodecId::TurboQuant => Self::TurboQuant(TurboQuant::from_bytes(b)?),
            CodecId::Product => Self::Product(ProductQuantizer::from_bytes(b)?),
            CodecId::ProductFastScan => Self::ProductFastScan(ProductFastScan::from_bytes(b)?),
            CodecId::Binary => Self::Binary(Binary::from_bytes(b)?),
        })
    }

    /// Opens a codec file of any codec in place (its header says which).
    fn open_mapped(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let head = read_head(path)?;
        Ok(
            match crate::format::codec_of(&head).map_err(|e| e.in_file(path))? {
                CodecId::ScalarInt8 => Self::ScalarInt8(ScalarInt8::open_mapped(path)?),
                CodecId::ScalarInt8PerDim => {
                    Self::ScalarInt8PerDim(ScalarInt8PerDim::open_mapped(path)?)
                }
                CodecId::ScalarInt4PerDim => {
                    Self::ScalarInt4PerDim(ScalarInt4PerDim::open_mapped(path)?)
                }
                CodecId::ScalarPca => Self::ScalarPca(ScalarPca::open_mapped(path)?),
                CodecId::RaBitQ => Self::RaBitQ(RaBitQ::open_mapped(path)?),
                CodecId::TurboQuant => Self::TurboQuant(TurboQuant::open_mapped(path)?),
                CodecId::Product => Self::Product(ProductQuantizer::open_mapped(path)?),
                CodecId::ProductFastScan => {
                    Self::ProductFastScan(ProductFastScan::open_mapped(path)?)
                }
                CodecId::Binary => Self::Binary(Binary::open_mapped(path)?),
            },
        )
    }

    fn is_mapped(&self) -> bool {
        each_codec!(self, c => c.is_mapped())
    }
}

/// The first bytes of a codec file: enough for its magic, version and codec id.
fn read_head(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let io = |op, source| crate::Error::Io {
        path: path.into(),
        op,
        source,
    };
    let file = std::fs::File::open(path).map_err(|e| io("open", e))?;
    let mut head = Vec::with_capacity(crate::format::HEADER_BYTES);
    file.take(crate::format::HEADER_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| io("read", e))?;
    Ok(head)
}
