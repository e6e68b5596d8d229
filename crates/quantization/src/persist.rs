//! Reading and writing codec files: the layout is in the public [`format`](crate::format)
//! module.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use sextant_core::Distance;
use sextant_mmap_advice::MmapFile;

use crate::records::{Records, f32_at};
use crate::rotation::Rotation;
use crate::{
    Binary, BinaryEncoding, CENTROIDS, Error, FAST_SCAN_CENTROIDS, ProductFastScan,
    ProductQuantizer, RaBitQ, Result, ScalarInt4PerDim, ScalarInt8, ScalarInt8PerDim, ScalarPca,
    TurboQuant,
};

use crate::format::{CodecId, HEADER_BYTES as HEADER, MAGIC, OLDEST_VERSION, VERSION};
const CODEC_SCALAR_INT8: u32 = CodecId::ScalarInt8 as u32;
const CODEC_RABITQ: u32 = CodecId::RaBitQ as u32;
const CODEC_TURBOQUANT: u32 = CodecId::TurboQuant as u32;
const CODEC_PRODUCT: u32 = CodecId::Product as u32;
const CODEC_BINARY: u32 = CodecId::Binary as u32;
const CODEC_SCALAR_PER_DIM: u32 = CodecId::ScalarInt8PerDim as u32;
const CODEC_PRODUCT_FAST_SCAN: u32 = CodecId::ProductFastScan as u32;
const CODEC_SCALAR_INT4_PER_DIM: u32 = CodecId::ScalarInt4PerDim as u32;
const CODEC_SCALAR_PCA: u32 = CodecId::ScalarPca as u32;

fn corrupt(offset: usize, what: impl Into<String>) -> Error {
    Error::Corrupt {
        path: None,
        offset: offset as u64,
        what: what.into(),
    }
}

fn distance_code(d: Distance) -> u32 {
    match d {
        Distance::Cosine => 0,
        Distance::Dot => 1,
        Distance::Euclid => 2,
        Distance::Manhattan => 3,
    }
}

/// The fields every codec file starts with.
struct Header {
    codec: u32,
    distance: Distance,
    dim: usize,
    n: u64,
}

impl Header {
    fn of(codec: u32, distance: Distance, dim: usize, len: usize) -> Self {
        Self {
            codec,
            distance,
            dim,
            n: len as u64,
        }
    }
}

/// Writes the header, `params` (at most 32 bytes) and `body`, then the checksum.
fn write_file(header: &Header, params: &[u8], body: &[&[u8]]) -> Vec<u8> {
    let size = HEADER + body.iter().map(|b| b.len()).sum::<usize>() + 4;
    let mut b = Vec::with_capacity(size);
    b.extend_from_slice(&MAGIC);
    for v in [
        VERSION,
        header.codec,
        distance_code(header.distance),
        header.dim as u32,
    ] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&header.n.to_le_bytes());
    b.extend_from_slice(params);
    b.resize(HEADER, 0);
    body.iter().for_each(|part| b.extend_from_slice(part));
    let crc = crc32c::crc32c(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    b
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"))
}

/// Checks magic, version, codec and checksum; returns the header and the body.
fn read_file<'a>(b: &'a [u8], codec: u32, name: &str) -> Result<(Header, &'a [u8])> {
    if b.len() < HEADER + 4 {
        return Err(corrupt(
            b.len(),
            format!("{} bytes is shorter than the header", b.len()),
        ));
    }
    if b[..8] != MAGIC {
        return Err(corrupt(0, "not a sextant-quantization file (bad magic)"));
    }
    if !(OLDEST_VERSION..=VERSION).contains(&u32_at(b, 8)) {
        return Err(corrupt(
            8,
            format!(
                "version {}, this build reads {OLDEST_VERSION} to {VERSION}",
                u32_at(b, 8)
            ),
        ));
    }
    if u32_at(b, 12) != codec {
        return Err(corrupt(
            12,
            format!("codec {} is not {name} ({codec})", u32_at(b, 12)),
        ));
    }
    let crc_at = b.len() - 4;
    if crc32c::crc32c(&b[..crc_at]) != u32_at(b, crc_at) {
        return Err(corrupt(crc_at, "checksum mismatch (the file is damaged)"));
    }
    let distance = match u32_at(b, 16) {
        0 => Distance::Cosine,
        1 => Distance::Dot,
        2 => Distance::Euclid,
        3 => Distance::Manhattan,
        other => return Err(corrupt(16, format!("unknown distance code {other}"))),
    };
    let dim = u32_at(b, 20) as usize;
    if dim == 0 {
        return Err(corrupt(20, "dimension 0"));
    }
    let n = u64::from_le_bytes(b[24..32].try_into().expect("8 bytes"));
    Ok((
        Header {
            codec,
            distance,
            dim,
            n,
        },
        &b[HEADER..crc_at],
    ))
}

/// The two per-dimension arrays that open a codec body (at `HEADER`): `d` finite offsets,
/// then `d` finite, positive scales. `names`: the first array, the second, one of its items.
fn offsets_and_scales(body: &[u8], d: usize, names: [&str; 3]) -> Result<(Vec<f32>, Vec<f32>)> {
    let offsets = finite_f32s(body, d, HEADER, names[0])?;
    let scales = finite_f32s(&body[4 * d..], d, HEADER + 4 * d, names[1])?;
    match scales.iter().position(|&s| s <= 0.0) {
        Some(i) => Err(corrupt(
            HEADER + 4 * (d + i),
            format!("a {} is not positive", names[2]),
        )),
        None => Ok((offsets, scales)),
    }
}

/// Checks that `n` records of `stride` bytes fill `records` exactly.
fn check_records(n: u64, stride: usize, records: &[u8], dim: usize) -> Result<()> {
    let size = usize::try_from(n).ok().and_then(|n| n.checked_mul(stride));
    if size != Some(records.len()) {
        return Err(corrupt(
            24,
            format!(
                "{n} vectors of {dim} dims ({stride} bytes each) do not fill the {} bytes of codes",
                records.len()
            ),
        ));
    }
    Ok(())
}

/// The first of `n` records (of `stride` bytes from byte `at`) whose factors are not finite,
/// as an error.
fn records_finite(n: usize, stride: usize, at: usize, finite: impl Fn(u32) -> bool) -> Result<()> {
    match (0..n).find(|&p| !finite(p as u32)) {
        Some(p) => Err(corrupt(at + p * stride, "non-finite factors in a record")),
        None => Ok(()),
    }
}

fn save_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    Ok(sextant_mmap_advice::atomic_write(path, bytes)?)
}

fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.into(),
        op: "read",
        source,
    })
}

/// `from_bytes`, `save`, `load` and `open_mapped` over a codec's `to_bytes`, `parse` (header
/// and parameters, returning the byte range of the records) and `check_factors` (the
/// per-record values that must be finite). A codec whose records changed layout between
/// versions names an `upgrade(&mut self, version)` that rewrites older records in RAM.
macro_rules! file_io {
    ($codec:ty) => {
        file_io!($codec, |_codec: &mut $codec, _version: u32| {});
    };
    ($codec:ty, $upgrade:expr) => {
        impl $codec {
            /// Parses and validates a codec file (checksum, header, parameters, sizes, and
            /// every record's factors), copying the codes.
            pub fn from_bytes(b: &[u8]) -> Result<Self> {
                let (mut codec, records) = Self::parse(b)?;
                let at = records.start;
                codec.data = Records::copied(&b[records]);
                codec.check_factors(at)?;
                ($upgrade)(&mut codec, u32_at(b, 8));
                Ok(codec)
            }

            /// Saves to `path` atomically (temporary file, fsync, rename, fsync of the
            /// directory).
            pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
                save_bytes(path.as_ref(), &self.to_bytes())
            }

            /// Loads a file written by [`save`](Self::save) into RAM.
            pub fn load(path: impl AsRef<Path>) -> Result<Self> {
                let path = path.as_ref();
                Self::from_bytes(&read_bytes(path)?).map_err(|e| e.in_file(path))
            }

            /// Opens a file written by [`save`](Self::save) through a read-only map and scores
            /// its codes in place: only the parameters are copied. Validation is the same as
            /// [`from_bytes`](Self::from_bytes), so the whole file is read once. Vectors
            /// pushed afterwards move the codes into RAM.
            pub fn open_mapped(path: impl AsRef<Path>) -> Result<Self> {
                let path = path.as_ref();
                let map = MmapFile::open(path)?;
                let (mut codec, records) = Self::parse(map.bytes()).map_err(|e| e.in_file(path))?;
                let at = records.start;
                let version = u32_at(map.bytes(), 8);
                codec.data = Records::Mapped {
                    map: Arc::new(map),
                    start: records.start,
                    len: records.len(),
                };
                codec.check_factors(at).map_err(|e| e.in_file(path))?;
                ($upgrade)(&mut codec, version);
                Ok(codec)
            }

            /// True when the codes are read in place from a mapped file.
            pub fn is_mapped(&self) -> bool {
                self.data.is_mapped()
            }
        }
    };
}

file_io!(ScalarInt8);
file_io!(RaBitQ);
file_io!(TurboQuant);
file_io!(ProductQuantizer);
file_io!(Binary);
file_io!(ScalarInt8PerDim);
file_io!(ProductFastScan, ProductFastScan::upgrade);
file_io!(ScalarInt4PerDim);
file_io!(ScalarPca);

fn f32s_to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// `count` finite f32 at the start of `body` (which sits at `offset` in the file).
fn finite_f32s(body: &[u8], count: usize, offset: usize, what: &str) -> Result<Vec<f32>> {
    if body.len() < 4 * count {
        return Err(corrupt(offset, format!("the file ends inside the {what}")));
    }
    let v: Vec<f32> = body[..4 * count]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect();
    match v.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(corrupt(
            offset + 4 * i,
            format!("non-finite value in the {what}"),
        )),
        None => Ok(v),
    }
}

impl ScalarInt8 {
    /// The codes and grid as bytes (format in the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = Header::of(CODEC_SCALAR_INT8, self.distance, self.dim, self.len());
        let params = [self.lo.to_le_bytes(), self.step.to_le_bytes()].concat();
        write_file(&header, &params, &[&self.data[..]])
    }

    fn parse(b: &[u8]) -> Result<(Self, Range<usize>)> {
        let (h, body) = read_file(b, CODEC_SCALAR_INT8, "scalar int8")?;
        let (lo, step) = (f32_at(b, 32), f32_at(b, 36));
        if !(lo.is_finite() && step.is_finite() && step > 0.0) {
            return Err(corrupt(
                32,
                format!("grid ({lo}, step {step}) is not usable"),
            ));
        }
        check_records(h.n, h.dim + 4, body, h.dim)?;
        let codec = Self {
            dim: h.dim,
            distance: h.distance,
            lo,
            step,
            data: Records::default(),
        };
        Ok((codec, HEADER..HEADER + body.len()))
    }

    fn check_factors(&self, at: usize) -> Result<()> {
        match (0..self.len()).find(|&p| !self.correction(p as u32).is_finite()) {
            Some(p) => Err(corrupt(
                at + p * (self.dim + 4) + self.dim,
                "non-finite correction term",
            )),
            None => Ok(()),
        }
    }
}

impl RaBitQ {
    /// The centroid, rotation seed and codes as bytes (format in the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = Header::of(CODEC_RABITQ, self.distance, self.dim, self.len());
        let mut params = self.bits.to_le_bytes().to_vec();
        params.resize(8, 0);
        params.extend_from_slice(&self.rotation.seed().to_le_bytes());
        write_file(
            &header,
            &params,
            &[&f32s_to_bytes(&self.centroid), &self.data[..]],
        )
    }

    fn parse(b: &[u8]) -> Result<(Self, Range<usize>)> {
        let (h, body) = read_file(b, CODEC_RABITQ, "RaBitQ")?;
        let bits = u32_at(b, 32);
        let seed = u64::from_le_bytes(b[40..48].try_into().expect("8 bytes"));
        Self::check_params(h.distance, bits).map_err(|e| corrupt(32, e.to_string()))?;
        let centroid_bytes = 4 * h.dim;
        let centroid = finite_f32s(body, h.dim, HEADER, "centroid")?;
        let codec = Self::empty(h.distance, bits, centroid, Rotation::new(h.dim, seed));
        check_records(h.n, codec.stride(), &body[centroid_bytes..], h.dim)?;
        Ok((codec, HEADER + centroid_bytes..HEADER + body.len()))
    }

    fn check_factors(&self, at: usize) -> Result<()> {
        records_finite(self.len(), self.stride(), at, |p| self.factors_finite(p))
    }
}

impl TurboQuant {
    /// The rotation seed, calibration and codes as bytes (format in the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = Header::of(CODEC_TURBOQUANT, self.distance, self.dim, self.len());
        let mut params = self.bits.to_le_bytes().to_vec();
        params.extend_from_slice(&u32::from(self.is_calibrated()).to_le_bytes());
        params.extend_from_slice(&self.rotation.seed().to_le_bytes());
        write_file(
            &header,
            &params,
            &[
                &f32s_to_bytes(&self.mean),
                &f32s_to_bytes(&self.scale),
                &self.data[..],
            ],
        )
    }

    fn parse(b: &[u8]) -> Result<(Self, Range<usize>)> {
        let (h, body) = read_file(b, CODEC_TURBOQUANT, "TurboQuant")?;
        let bits = u32_at(b, 32);
        let seed = u64::from_le_bytes(b[40..48].try_into().expect("8 bytes"));
        Self::check_params(h.distance, bits).map_err(|e| corrupt(32, e.to_string()))?;
        let d = h.dim;
        let (mean, scale) = offsets_and_scales(
            body,
            d,
            [
                "coordinate means",
                "coordinate deviations",
                "coordinate deviation",
            ],
        )?;
        let codec = Self::with_parts(h.distance, bits, Rotation::new(d, seed), mean, scale);
        if u32_at(b, 36) != u32::from(codec.is_calibrated()) {
            return Err(corrupt(
                36,
                "the calibration flag disagrees with the calibration",
            ));
        }
        check_records(h.n, codec.stride(), &body[8 * d..], d)?;
        Ok((codec, HEADER + 8 * d..HEADER + body.len()))
    }

    fn check_factors(&self, at: usize) -> Result<()> {
        records_finite(self.len(), self.stride(), at, |p| self.factors_finite(p))
    }
}

impl ProductQuantizer {
    /// The codebooks and codes as bytes (format in the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = Header::of(CODEC_PRODUCT, self.distance, self.dim, self.len());
        let params = (self.m as u32).to_le_bytes();
        write_file(
            &header,
            &params,
            &[&f32s_to_bytes(&self.books.flat), &self.data[..]],
        )
    }

    fn parse(b: &[u8]) -> Result<(Self, Range<usize>)> {
        let (h, body) = read_file(b, CODEC_PRODUCT, "product")?;
        let m = u32_at(b, 32) as usize;
        Self::check_params(h.distance, h.dim, m).map_err(|e| corrupt(32, e.to_string()))?;
        let floats = CENTROIDS * h.dim;
        let codebooks = finite_f32s(body, floats, HEADER, "codebooks")?;
        check_records(h.n, m, &body[4 * floats..], h.dim)?;
        let codec = Self::with_codebooks(h.dim, m, h.distance, codebooks);
        Ok((codec, HEADER + 4 * floats..HEADER + body.len()))
    }

    /// Every byte is a valid code.
    fn check_factors(&self, _at: usize) -> Result<()> {
        Ok(())
    }
}

impl ProductFastScan {
    /// The codebooks and code blocks as bytes (format in the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = Header::of(CODEC_PRODUCT_FAST_SCAN, self.distance, self.dim, self.len);
        let params = (self.m as u32).to_le_bytes();
        write_file(
            &header,
            &params,
            &[&f32s_to_bytes(&self.books.flat), &self.data[..]],
        )
    }

    fn parse(b: &[u8]) -> Result<(Self, Range<usize>)> {
        let (h, body) = read_file(b, CODEC_PRODUCT_FAST_SCAN, "product fast scan")?;
        let m = u32_at(b, 32) as usize;
        Self::check_params(h.distance, h.dim, m).map_err(|e| corrupt(32, e.to_string()))?;
        let floats = FAST_SCAN_CENTROIDS * h.dim;
        let codebooks = finite_f32s(body, floats, HEADER, "codebooks")?;
        let blocks = h.n.div_ceil(crate::FAST_SCAN_BLOCK as u64);
        check_records(blocks, 16 * m, &body[4 * floats..], h.dim)?;
        let mut codec = Self::with_codebooks(h.dim, m, h.distance, codebooks);
        codec.len = h.n as usize;
        Ok((codec, HEADER + 4 * floats..HEADER + body.len()))
    }

    /// Every nibble is a valid code.
    fn check_factors(&self, _at: usize) -> Result<()> {
        Ok(())
    }

    /// Rewrites version 1 blocks (vector `i` in the low and `i + 16` in the high nibble of
    /// byte `i`) in the current order, in RAM.
    fn upgrade(&mut self, version: u32) {
        if version >= 2 {
            return;
        }
        let old = std::mem::take(&mut self.data);
        let mut blocks = vec![0u8; old.len()];
        let bb = self.block_bytes();
        for (b, block) in old.chunks_exact(bb).enumerate() {
            let codes_of = |v: usize| -> Vec<u8> {
                (0..self.m)
                    .map(|j| block[16 * j + v % 16] >> (4 * (v / 16)) & 0x0f)
                    .collect()
            };
            for v in 0..crate::FAST_SCAN_BLOCK {
                self.place(&mut blocks, b * crate::FAST_SCAN_BLOCK + v, &codes_of(v));
            }
        }
        self.data = Records::copied(&blocks);
    }
}

impl Binary {
    /// The per-coordinate statistics and codes as bytes (format in the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = Header::of(CODEC_BINARY, self.distance, self.dim, self.len());
        let mut params = self.encoding.tenths().to_le_bytes().to_vec();
        params.extend_from_slice(&self.query_bits.to_le_bytes());
        write_file(
            &header,
            &params,
            &[
                &f32s_to_bytes(&self.mean),
                &f32s_to_bytes(&self.scale),
                &self.data[..],
            ],
        )
    }

    fn parse(b: &[u8]) -> Result<(Self, Range<usize>)> {
        let (h, body) = read_file(b, CODEC_BINARY, "binary")?;
        let encoding = BinaryEncoding::from_tenths(u32_at(b, 32))
            .ok_or_else(|| corrupt(32, format!("unknown binary encoding {}", u32_at(b, 32))))?;
        let query_bits = u32_at(b, 36);
        Self::check_params(h.distance, query_bits).map_err(|e| corrupt(36, e.to_string()))?;
        let d = h.dim;
        let (mean, scale) = offsets_and_scales(
            body,
            d,
            [
                "coordinate means",
                "coordinate deviations",
                "coordinate deviation",
            ],
        )?;
        let codec = Self::with_parts(h.distance, encoding, query_bits, mean, scale);
        check_records(h.n, codec.stride(), &body[8 * d..], d)?;
        Ok((codec, HEADER + 8 * d..HEADER + body.len()))
    }

    fn check_factors(&self, at: usize) -> Result<()> {
        records_finite(self.len(), self.stride(), at, |p| self.factors_finite(p))
    }
}

/// Parses a file of one of the per-dimension grid codecs (int8, int4): the header, the grids
/// (`with_grid` builds the codec from them) and the size of the records (`stride` bytes each).
fn parse_per_dim<C>(
    b: &[u8],
    codec: u32,
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
    Ok((codec, HEADER + 8 * d..HEADER + body.len()))
}

/// `to_bytes`, `parse` and `check_factors` of a per-dimension grid codec (the same body for
/// int8 and int4, under its own codec number).
macro_rules! per_dim_file {
    ($codec:ty, $id:expr, $name:literal) => {
        impl $codec {
            /// The grids and codes as bytes (format in the module docs).
            pub fn to_bytes(&self) -> Vec<u8> {
                let header = Header::of($id, self.distance, self.dim, self.len());
                let (lo, step) = (f32s_to_bytes(&self.lo), f32s_to_bytes(&self.step));
                write_file(&header, &[], &[&lo, &step, &self.data[..]])
            }

            fn parse(b: &[u8]) -> Result<(Self, Range<usize>)> {
                parse_per_dim(b, $id, $name, Self::with_grid, Self::stride)
            }

            fn check_factors(&self, at: usize) -> Result<()> {
                records_finite(self.len(), self.stride(), at, |p| self.factors_finite(p))
            }
        }
    };
}

per_dim_file!(
    ScalarInt8PerDim,
    CODEC_SCALAR_PER_DIM,
    "scalar int8 per dimension"
);
per_dim_file!(
    ScalarInt4PerDim,
    CODEC_SCALAR_INT4_PER_DIM,
    "scalar int4 per dimension"
);

impl ScalarPca {
    /// The plan and codes as bytes (format in the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = Header::of(CODEC_SCALAR_PCA, self.distance, self.dim, self.len());
        let p = &self.plan;
        let params: Vec<u8> = [self.bits, p.n8 as u32, p.n4 as u32]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let body = [&p.mean[..], &p.basis, &p.lo, &p.step].map(f32s_to_bytes);
        write_file(
            &header,
            &params,
            &[&body[0], &body[1], &body[2], &body[3], &self.data[..]],
        )
    }

    fn parse(b: &[u8]) -> Result<(Self, Range<usize>)> {
        let (h, body) = read_file(b, CODEC_SCALAR_PCA, "PCA scalar")?;
        crate::training::refuse_manhattan(h.distance, "PCA scalar")
            .map_err(|e| corrupt(16, e.to_string()))?;
        let bits = u32_at(b, 32);
        crate::QuantizationConfig::ScalarPca { bits }
            .validate()
            .map_err(|e| corrupt(32, e.to_string()))?;
        let (d, n8, n4) = (h.dim, u32_at(b, 36) as usize, u32_at(b, 40) as usize);
        let k = n8 + n4;
        if k > d {
            return Err(corrupt(36, format!("{n8} + {n4} components kept of {d}")));
        }
        if 4 * (d as u128 + (k * d) as u128 + 2 * k as u128) > body.len() as u128 {
            return Err(corrupt(HEADER, "the file ends inside the PCA plan"));
        }
        let mut at = 0;
        let mut floats = |count: usize, what: &str| {
            let v = finite_f32s(&body[at..], count, HEADER + at, what);
            at += 4 * count;
            v
        };
        let mean = floats(d, "mean")?;
        let basis = floats(k * d, "components")?;
        let lo = floats(k, "grid low ends")?;
        let step = floats(k, "grid steps")?;
        if let Some(j) = step.iter().position(|&s| s <= 0.0) {
            return Err(corrupt(
                HEADER + 4 * (d + k * d + k + j),
                "a grid step is not positive",
            ));
        }
        let plan = crate::pca_plan::Plan {
            mean,
            basis,
            n8,
            n4,
            lo,
            step,
        };
        let codec = Self::with_plan(h.distance, bits, plan);
        check_records(h.n, codec.stride(), &body[at..], d)?;
        Ok((codec, HEADER + at..HEADER + body.len()))
    }

    fn check_factors(&self, at: usize) -> Result<()> {
        records_finite(self.len(), self.stride(), at, |p| self.factors_finite(p))
    }
}
