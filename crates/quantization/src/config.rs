//! Codec configuration: a serde enum with stable field names, so a shard can keep it in its
//! own config files.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Which codec, with its parameters. Serialized as `{"kind": "scalar_int8", "quantile": 0.99}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum QuantizationConfig {
    /// One byte per coordinate on a uniform grid between two quantiles of the data.
    ScalarInt8 {
        /// Share of coordinate values kept inside the grid; the rest are clipped to its ends.
        #[serde(default = "default_quantile")]
        quantile: f32,
    },
    /// One byte per coordinate on a grid per dimension, between two quantiles of that
    /// dimension. Serialized as `{"kind": "scalar_int8_per_dim", "quantile": 1.0}`.
    ScalarInt8PerDim {
        /// Share of each dimension's values kept inside its grid; by default 1.0 (each
        /// dimension's minimum and maximum: raw recall@10 0.995 on minilm-pypi-20k, against
        /// 0.966 at 0.99, since a grid per dimension has no outliers of other dimensions to
        /// stretch it).
        #[serde(default = "full_range")]
        quantile: f32,
    },
    /// Four bits per coordinate on a 16-bin grid per dimension, two codes per byte.
    /// Serialized as `{"kind": "scalar_int4_per_dim", "quantile": 0.995}`.
    ScalarInt4PerDim {
        /// Share of each dimension's values kept inside its grid; by default 0.995 (16 bins
        /// are too coarse to stretch over outliers).
        #[serde(default = "int4_quantile")]
        quantile: f32,
    },
    /// RaBitQ (1 bit) or extended RaBitQ (2..=8 bits per coordinate) on randomly rotated
    /// vectors, with error bounds. Serialized as `{"kind": "rabitq", "bits": 4}`.
    #[serde(rename = "rabitq")]
    RaBitQ {
        /// Bits per coordinate, 1 to 8.
        bits: u32,
    },
    /// TurboQuant (MSE variant): Lloyd-Max codebooks of the normal on randomly rotated
    /// coordinates, 1 to 4 bits, with per-vector length renormalization. Serialized as
    /// `{"kind": "turboquant", "bits": 4, "calibrated": true}`.
    #[serde(rename = "turboquant")]
    TurboQuant {
        /// Bits per coordinate, 1 to 4.
        bits: u32,
        /// Standardize each rotated coordinate by its training mean and deviation (folded
        /// into the query at search time).
        #[serde(default = "default_calibrated")]
        calibrated: bool,
    },
    /// Binary codes around the mean (1, 1.5 or 2 bits per coordinate) against a 4- or 8-bit
    /// query. Serialized as `{"kind": "binary", "encoding": "one_and_half", "query_bits": 8}`.
    Binary {
        /// Bits per coordinate.
        encoding: crate::BinaryEncoding,
        /// Bits of the query grid: 4 or 8.
        #[serde(default = "default_query_bits")]
        query_bits: u32,
    },
    /// Product quantization: `m` sub-spaces of 256 k-means centroids each, one byte per
    /// sub-space. Serialized as `{"kind": "product", "m": 48}`.
    Product {
        /// Number of sub-spaces; must divide the dimension.
        m: usize,
    },
    /// Product quantization with 16 centroids per sub-space (4 bits) in the fast-scan layout
    /// of 32-vector blocks, `m / 2` bytes per vector. Serialized as
    /// `{"kind": "product_fast_scan", "m": 96}`.
    ProductFastScan {
        /// Number of sub-spaces: even, at most 256, dividing the dimension.
        m: usize,
    },
    /// Scalar codes on the principal components of a training sample, 8, 4 or 0 bits each
    /// where the scores need them most ([`ScalarPca`](crate::ScalarPca)). Serialized as
    /// `{"kind": "scalar_pca", "bits": 4}`.
    ScalarPca {
        /// Bits per dimension on average, 1 to 8 (4: 8x smaller than f32).
        bits: u32,
    },
}

fn default_query_bits() -> u32 {
    8
}

fn default_calibrated() -> bool {
    true
}

fn default_quantile() -> f32 {
    QuantizationConfig::SCALAR_INT8_QUANTILE
}

fn int4_quantile() -> f32 {
    QuantizationConfig::SCALAR_INT4_PER_DIM_QUANTILE
}

fn full_range() -> f32 {
    QuantizationConfig::SCALAR_INT8_PER_DIM_QUANTILE
}

impl Default for QuantizationConfig {
    fn default() -> Self {
        QuantizationConfig::ScalarInt8 {
            quantile: default_quantile(),
        }
    }
}

impl QuantizationConfig {
    /// The default clipping quantile of [`ScalarInt8`](QuantizationConfig::ScalarInt8).
    pub const SCALAR_INT8_QUANTILE: f32 = 0.99;
    /// The default of [`ScalarInt8PerDim`](QuantizationConfig::ScalarInt8PerDim): each
    /// dimension's minimum and maximum.
    pub const SCALAR_INT8_PER_DIM_QUANTILE: f32 = 1.0;
    /// The default of [`ScalarInt4PerDim`](QuantizationConfig::ScalarInt4PerDim).
    pub const SCALAR_INT4_PER_DIM_QUANTILE: f32 = 0.995;

    /// Checks the parameters.
    pub fn validate(&self) -> Result<()> {
        match *self {
            QuantizationConfig::ScalarInt8 { quantile }
            | QuantizationConfig::ScalarInt8PerDim { quantile }
            | QuantizationConfig::ScalarInt4PerDim { quantile } => {
                if !(quantile > 0.5 && quantile <= 1.0) {
                    return Err(Error::Config(format!(
                        "quantile {quantile} is not in (0.5, 1]"
                    )));
                }
            }
            QuantizationConfig::TurboQuant { bits, .. } => {
                if !(1..=4).contains(&bits) {
                    return Err(Error::Config(format!(
                        "TurboQuant bits {bits} is not in 1..=4"
                    )));
                }
            }
            QuantizationConfig::Binary { query_bits, .. } => {
                if query_bits != 4 && query_bits != 8 {
                    return Err(Error::Config(format!(
                        "binary query bits {query_bits}: 4 or 8"
                    )));
                }
            }
            QuantizationConfig::Product { m } => {
                if m == 0 {
                    return Err(Error::Config("product quantization needs m ≥ 1".into()));
                }
            }
            QuantizationConfig::ProductFastScan { m } => {
                if m == 0 || !m.is_multiple_of(2) || m > 256 {
                    return Err(Error::Config(format!(
                        "fast-scan product quantization needs an even m in 2..=256 (m = {m})"
                    )));
                }
            }
            QuantizationConfig::ScalarPca { bits } => {
                if !(1..=8).contains(&bits) {
                    return Err(Error::Config(format!(
                        "PCA scalar bits {bits} is not in 1..=8"
                    )));
                }
            }
            QuantizationConfig::RaBitQ { bits } => {
                if !(1..=8).contains(&bits) {
                    return Err(Error::Config(format!("RaBitQ bits {bits} is not in 1..=8")));
                }
            }
        }
        Ok(())
    }
}

/// The short names the benches and command lines use: `sq8`, `sq8d`, `sq4d` (scalar; the
/// library's default quantiles), `pcaN` (PCA scalar, N bits per dimension), `rabitqN`
/// (RaBitQ, N bits), `tqN` / `tqNu` (TurboQuant, calibrated or not), `pqM` (product, M
/// sub-spaces), `pqMx4` (product fast scan), `bin1`, `bin1.5`, `bin2` (binary, 8-bit query;
/// `q4` appended: a 4-bit query). Parsing validates the parameters.
impl std::str::FromStr for QuantizationConfig {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self> {
        let number = |s: &str| s.parse::<u32>().ok();
        let config = match name {
            "sq8" => Some(QuantizationConfig::ScalarInt8 {
                quantile: Self::SCALAR_INT8_QUANTILE,
            }),
            "sq8d" => Some(QuantizationConfig::ScalarInt8PerDim {
                quantile: Self::SCALAR_INT8_PER_DIM_QUANTILE,
            }),
            "sq4d" => Some(QuantizationConfig::ScalarInt4PerDim {
                quantile: Self::SCALAR_INT4_PER_DIM_QUANTILE,
            }),
            _ => None,
        };
        let config = config
            .or_else(|| {
                let bits = number(name.strip_prefix("pca")?)?;
                Some(QuantizationConfig::ScalarPca { bits })
            })
            .or_else(|| {
                let bits = number(name.strip_prefix("rabitq")?)?;
                Some(QuantizationConfig::RaBitQ { bits })
            })
            .or_else(|| {
                let rest = name.strip_prefix("tq")?;
                let (bits, calibrated) = match rest.strip_suffix('u') {
                    Some(bits) => (bits, false),
                    None => (rest, true),
                };
                Some(QuantizationConfig::TurboQuant {
                    bits: number(bits)?,
                    calibrated,
                })
            })
            .or_else(|| {
                let rest = name.strip_prefix("pq")?;
                Some(match rest.strip_suffix("x4") {
                    Some(m) => QuantizationConfig::ProductFastScan {
                        m: number(m)? as usize,
                    },
                    None => QuantizationConfig::Product {
                        m: number(rest)? as usize,
                    },
                })
            })
            .or_else(|| {
                let rest = name.strip_prefix("bin")?;
                let (rest, query_bits) = match rest.strip_suffix("q4") {
                    Some(r) => (r, 4),
                    None => (rest, 8),
                };
                let encoding = match rest {
                    "1" => crate::BinaryEncoding::One,
                    "1.5" => crate::BinaryEncoding::OneAndHalf,
                    "2" => crate::BinaryEncoding::Two,
                    _ => return None,
                };
                Some(QuantizationConfig::Binary {
                    encoding,
                    query_bits,
                })
            })
            .ok_or_else(|| {
                Error::Config(format!(
                    "unknown codec {name:?} (sq8, sq8d, sq4d, pca1 .. pca8, rabitq1 .. rabitq8, \
                     tq1 .. tq4, tq1u .. tq4u, pqM, pqMx4, bin1, bin1.5, bin2, with q4 appended \
                     to bin for a 4-bit query)"
                ))
            })?;
        config.validate()?;
        Ok(config)
    }
}

impl QuantizationConfig {
    /// The same scalar codec with another clipping quantile; other codecs are returned as
    /// they are.
    pub fn with_quantile(self, quantile: f32) -> Self {
        match self {
            QuantizationConfig::ScalarInt8 { .. } => QuantizationConfig::ScalarInt8 { quantile },
            QuantizationConfig::ScalarInt8PerDim { .. } => {
                QuantizationConfig::ScalarInt8PerDim { quantile }
            }
            QuantizationConfig::ScalarInt4PerDim { .. } => {
                QuantizationConfig::ScalarInt4PerDim { quantile }
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_parse_to_validated_configs() {
        let parse = |s: &str| s.parse::<QuantizationConfig>();
        assert_eq!(
            parse("sq8d").unwrap(),
            QuantizationConfig::ScalarInt8PerDim { quantile: 1.0 }
        );
        assert_eq!(
            parse("sq4d").unwrap(),
            QuantizationConfig::ScalarInt4PerDim { quantile: 0.995 }
        );
        assert_eq!(
            parse("pca4").unwrap(),
            QuantizationConfig::ScalarPca { bits: 4 }
        );
        assert_eq!(
            parse("rabitq2").unwrap(),
            QuantizationConfig::RaBitQ { bits: 2 }
        );
        assert_eq!(
            parse("tq3u").unwrap(),
            QuantizationConfig::TurboQuant {
                bits: 3,
                calibrated: false
            }
        );
        assert_eq!(
            parse("pq48").unwrap(),
            QuantizationConfig::Product { m: 48 }
        );
        assert_eq!(
            parse("pq96x4").unwrap(),
            QuantizationConfig::ProductFastScan { m: 96 }
        );
        assert_eq!(
            parse("bin1.5q4").unwrap(),
            QuantizationConfig::Binary {
                encoding: crate::BinaryEncoding::OneAndHalf,
                query_bits: 4
            }
        );
        for bad in [
            "", "sq9", "rabitq9", "pca0", "pq", "pq7x4", "bin3", "tqx", "none",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse("sq8").unwrap().with_quantile(0.9),
            QuantizationConfig::ScalarInt8 { quantile: 0.9 }
        );
    }

    #[test]
    fn field_names_are_stable() {
        let json = serde_json::to_string(&QuantizationConfig::default()).unwrap();
        assert_eq!(json, r#"{"kind":"scalar_int8","quantile":0.99}"#);
        let parsed: QuantizationConfig = serde_json::from_str(r#"{"kind":"scalar_int8"}"#).unwrap();
        assert_eq!(parsed, QuantizationConfig::default());
        assert!(
            serde_json::from_str::<QuantizationConfig>(r#"{"kind":"scalar_int8","q":1}"#).is_err()
        );
        let rabitq: QuantizationConfig =
            serde_json::from_str(r#"{"kind":"rabitq","bits":4}"#).unwrap();
        assert_eq!(rabitq, QuantizationConfig::RaBitQ { bits: 4 });
        assert!(QuantizationConfig::RaBitQ { bits: 9 }.validate().is_err());
        let bin: QuantizationConfig =
            serde_json::from_str(r#"{"kind":"binary","encoding":"one_and_half"}"#).unwrap();
        assert_eq!(
            bin,
            QuantizationConfig::Binary {
                encoding: crate::BinaryEncoding::OneAndHalf,
                query_bits: 8
            }
        );
        assert!(
            QuantizationConfig::Binary {
                encoding: crate::BinaryEncoding::Two,
                query_bits: 6
            }
            .validate()
            .is_err()
        );
        let per_dim: QuantizationConfig =
            serde_json::from_str(r#"{"kind":"scalar_int8_per_dim","quantile":1.0}"#).unwrap();
        assert_eq!(
            per_dim,
            QuantizationConfig::ScalarInt8PerDim { quantile: 1.0 }
        );
        let int4: QuantizationConfig =
            serde_json::from_str(r#"{"kind":"scalar_int4_per_dim"}"#).unwrap();
        assert_eq!(
            int4,
            QuantizationConfig::ScalarInt4PerDim { quantile: 0.995 }
        );
        assert!(
            QuantizationConfig::ScalarInt4PerDim { quantile: 1.5 }
                .validate()
                .is_err()
        );
        let pq: QuantizationConfig = serde_json::from_str(r#"{"kind":"product","m":48}"#).unwrap();
        assert_eq!(pq, QuantizationConfig::Product { m: 48 });
        assert!(QuantizationConfig::Product { m: 0 }.validate().is_err());
        let tq: QuantizationConfig =
            serde_json::from_str(r#"{"kind":"turboquant","bits":2}"#).unwrap();
        assert_eq!(
            tq,
            QuantizationConfig::TurboQuant {
                bits: 2,
                calibrated: true
            }
        );
        assert!(
            QuantizationConfig::TurboQuant {
                bits: 5,
                calibrated: false
            }
            .validate()
            .is_err()
        );
        assert!(QuantizationConfig::RaBitQ { bits: 0 }.validate().is_err());
        assert!(
            QuantizationConfig::ScalarInt8 { quantile: 0.2 }
                .validate()
                .is_err()
        );
        assert!(
            QuantizationConfig::ScalarInt8 { quantile: f32::NAN }
                .validate()
                .is_err()
        );
    }
}
