//! Product quantization with 4-bit codes in the fast-scan layout: `m` sub-spaces of 16
//! k-means centroids (half a byte per sub-space), stored in blocks of 32 vectors so that a
//! query's 16-entry tables sit in SIMD registers and one shuffle looks up 16 vectors at once
//! (André, Kermarrec, Le Scouarnec, VLDB 2015; FAISS's `IndexPQFastScan`).
//!
//! Layout: block `b` holds vectors `32b..32b + 32` in `16·m` bytes; sub-space `j` takes bytes
//! `16j..16j + 16` of the block, and vector `32b + v` keeps its code in the nibble of that
//! run that the core's `fast_scan_slot(v)` names (byte `2e + h` holds vectors `16h + e`,
//! low nibble, and `16h + 8 + e`, high nibble). That order lets the kernel's sums come out
//! in vector order without reordering shuffles. The last block is zero-padded. (Files of
//! format version 1 put vector `i` in the low and `i + 16` in the high nibble of byte `i`;
//! loading one rewrites its blocks in this order.)
//!
//! Scoring: the query's float table (`⟨qⱼ, cⱼₖ⟩`, or `−‖qⱼ − cⱼₖ‖²` for Euclid) is put on a
//! 6-bit grid (`0..=63`, what the kernel accepts): per sub-space an offset (its minimum) and
//! one step for all, so a score is `offset + step · Σ` with the sum taken in u16 (`m ≤ 256`
//! keeps it exact). On minilm-pypi-20k, recall@10 at pq96x4 measured 0.6573 on the 6-bit
//! grid, 0.6593 on a 7-bit one and 0.6584 on an 8-bit one; the 6-bit grid lets the kernel
//! add four sub-spaces as bytes before widening. A batch of points that covers whole blocks
//! in order goes through the core `fast_scan_candidates` kernel, other points one by one from
//! their nibbles; [`FastScanQueryScorer::top_k`] is the scan. The float table and its grid
//! are the core's SIMD `fast_scan_table` and `fast_scan_grid` (a query's preparation: ~2 µs
//! at 96 sub-spaces).
//!
//! Training is that of [`ProductQuantizer`](crate::ProductQuantizer) with 16 centroids per
//! sub-space (a sample of at most 4,096 vectors, 256 per centroid).

use std::ops::Range;

use sextant_core::{PairScorer, QueryScorer};

use crate::EncodedVectors;
use crate::codec::Codec;
use crate::format::{
    CodecId, HEADER_BYTES, Header, check_records, corrupt, f32s_to_bytes, finite_f32s, read_file,
    u32_at, write_file,
};
use crate::pairs::pair_score;

use sextant_core::kernels::{FastScanCandidates, fast_scan_slot};
use sextant_core::{DenseVectorSource, Distance, Kernels, PointOffset, ScoreType, ScoredPoint};

use super::codebooks::{Codebooks, check_sub_spaces};
use crate::Result;
use crate::records::Records;
use crate::training::{encode_all, training_sample_of};

/// Blocks per kernel call in a top-k scan: the kernel's floor rises between calls only, and a
/// run's keys take `128 · SCAN_RUN` bytes of stack.
const SCAN_RUN: usize = 8;

/// Product-quantized 4-bit codes in blocks of 32: `m / 2` bytes per vector.
#[derive(Debug, Clone)]
pub struct ProductFastScan {
    pub(crate) dim: usize,
    pub(crate) m: usize,
    pub(crate) distance: Distance,
    /// `m` codebooks of 16 centroids.
    pub(crate) books: Codebooks,
    /// The same codebooks dimension-major (coordinate `d` of centroid `c` of sub-space `j`
    /// at `16(j·s + d) + c`), as the core's `fast_scan_table` reads them; derived.
    table_books: Vec<f32>,
    pub(crate) len: usize,
    /// `⌈len / 32⌉` blocks of `16·m` bytes.
    pub(crate) data: Records,
}

impl ProductFastScan {
    /// Centroids per sub-space (4-bit codes).
    pub const CENTROIDS: usize = 16;

    /// Vectors per block of the interleaved layout.
    pub const BLOCK: usize = 32;

    /// The vector the codes of `p` stand for.
    pub fn decode(&self, p: PointOffset) -> Vec<f32> {
        let mut out = vec![0.0; self.dim];
        self.decode_range(p, 0, &mut out);
        out
    }

    /// Learns `m` codebooks of 16 centroids on a seeded sample of `source` (prepared for
    /// `distance`) and encodes every vector on `threads` threads. `m` must be even, at most
    /// 256, and divide the dimension. Manhattan is refused.
    pub fn train<S>(
        source: &S,
        distance: Distance,
        m: usize,
        seed: u64,
        threads: usize,
    ) -> Result<Self>
    where
        S: DenseVectorSource<Element = f32> + Sync,
    {
        let dim = source.dim();
        Self::check_params(distance, dim, m)?;
        let picked = training_sample_of(source, seed, 256 * ProductFastScan::CENTROIDS)?;
        let books = Codebooks::train(
            source,
            &picked,
            m,
            ProductFastScan::CENTROIDS,
            seed,
            threads,
        )?;
        let mut codec = Self::with_codebooks(dim, m, distance, books.flat);
        // One code per byte first (in parallel), then interleaved into blocks.
        let codes = encode_all(source, m, threads, |v, c| codec.books.encode(v, c))?;
        let mut blocks =
            vec![0u8; source.len().div_ceil(ProductFastScan::BLOCK) * codec.block_bytes()];
        for (p, c) in codes.chunks_exact(m).enumerate() {
            codec.place(&mut blocks, p, c);
        }
        codec.len = source.len();
        codec.data = Records::copied(&blocks);
        Ok(codec)
    }

    pub(crate) fn with_codebooks(
        dim: usize,
        m: usize,
        distance: Distance,
        codebooks: Vec<f32>,
    ) -> Self {
        let books = Codebooks::from_flat(dim, m, ProductFastScan::CENTROIDS, codebooks);
        Self {
            dim,
            m,
            distance,
            table_books: books.dimension_major(),
            books,
            len: 0,
            data: Records::default(),
        }
    }

    pub(crate) fn check_params(distance: Distance, dim: usize, m: usize) -> Result<()> {
        crate::QuantizationConfig::ProductFastScan { m }.validate()?;
        check_sub_spaces(distance, dim, m)
    }

    /// Bytes of one block of 32 vectors.
    pub(crate) fn block_bytes(&self) -> usize {
        16 * self.m
    }

    /// Writes the codes of vector `p` (one per byte) into `blocks`.
    pub(crate) fn place(&self, blocks: &mut [u8], p: usize, codes: &[u8]) {
        let block =
            &mut blocks[p / ProductFastScan::BLOCK * self.block_bytes()..][..self.block_bytes()];
        let (slot, shift) = fast_scan_slot(p % ProductFastScan::BLOCK);
        for (j, &c) in codes.iter().enumerate() {
            let byte = &mut block[16 * j + slot];
            *byte = (*byte & !(0x0f << shift)) | c << shift;
        }
    }

    /// The code of vector `p` in sub-space `j`.
    #[inline]
    fn code(&self, p: PointOffset, j: usize) -> usize {
        let p = p as usize;
        let (slot, shift) = fast_scan_slot(p % ProductFastScan::BLOCK);
        let byte = self.data[p / ProductFastScan::BLOCK * self.block_bytes() + 16 * j + slot];
        usize::from(byte >> shift & 0x0f)
    }

    /// Number of sub-spaces.
    pub fn sub_spaces(&self) -> usize {
        self.m
    }

    /// The metric scores are computed for.
    pub fn distance(&self) -> Distance {
        self.distance
    }

    /// Coordinates `start..start + out.len()` of the vector `p` decodes to.
    #[inline]
    pub(crate) fn decode_range(&self, p: PointOffset, start: usize, out: &mut [f32]) {
        self.books.decode_range(|j| self.code(p, j), start, out);
    }
}

/// The file layout is in [`format`](mod@crate::format). Vectors live in blocks of 32, not in
/// records of their own: the count, the bytes per vector and `push` are this codec's.
impl Codec for ProductFastScan {
    const ID: CodecId = CodecId::ProductFastScan;
    type Query<'a> = FastScanQueryScorer<'a>;
    type Pairs<'a> = FastScanPairScorer<'a>;

    fn dimension(&self) -> usize {
        self.dim
    }

    /// One block of 32 vectors.
    fn stride(&self) -> usize {
        self.block_bytes()
    }

    fn records(&self) -> &Records {
        &self.data
    }

    fn records_mut(&mut self) -> &mut Records {
        &mut self.data
    }

    /// One code per byte (`append` places them in the blocks).
    fn encode(&self, v: &[f32], codes: &mut [u8]) {
        self.books.encode(v, codes);
    }

    fn count(&self) -> usize {
        self.len
    }

    /// Half a byte per sub-space.
    fn code_bytes(&self) -> usize {
        self.m / 2
    }

    fn append(&mut self, vector: &[f32]) -> Result<PointOffset> {
        crate::error::check_vector(vector, self.dim)?;
        let p = self.len;
        let mut codes = vec![0u8; self.m];
        self.books.encode(vector, &mut codes);
        let mut blocks = std::mem::take(&mut self.data).into_owned();
        if p.is_multiple_of(ProductFastScan::BLOCK) {
            blocks.resize(blocks.len() + self.block_bytes(), 0);
        }
        self.place(&mut blocks, p, &codes);
        self.data = Records::Owned(blocks);
        self.len += 1;
        Ok(p as PointOffset)
    }

    /// The codes placed in `p`'s slots of its block (the other 31 vectors' nibbles kept).
    fn overwrite(&mut self, p: PointOffset, vector: &[f32]) -> Result<()> {
        crate::error::check_vector(vector, self.dim)?;
        crate::codec::check_offset(p, self.len)?;
        let mut codes = vec![0u8; self.m];
        self.books.encode(vector, &mut codes);
        let mut blocks = std::mem::take(&mut self.data).into_owned();
        self.place(&mut blocks, p as usize, &codes);
        self.data = Records::Owned(blocks);
        Ok(())
    }

    fn make_query_scorer(&self, query: &[f32]) -> Result<FastScanQueryScorer<'_>> {
        let mut q = query.to_vec();
        self.distance.prepare(&mut q, self.dim)?;
        let mut table = vec![0f32; ProductFastScan::CENTROIDS * self.m];
        let squared = self.distance == Distance::Euclid;
        (Kernels::best().fast_scan.fast_scan_table)(&q, &self.table_books, squared, &mut table);
        let mut lut = vec![0u8; table.len()];
        let (offset, step) = (Kernels::best().fast_scan.fast_scan_grid)(&table, &mut lut);
        Ok(FastScanQueryScorer {
            codec: self,
            lut,
            offset,
            step,
            kernel: Kernels::best().fast_scan.fast_scan_candidates,
        })
    }

    fn make_pair_scorer(&self) -> FastScanPairScorer<'_> {
        FastScanPairScorer { codec: self }
    }

    fn file_bytes(&self) -> Vec<u8> {
        let header = Header::of(Self::ID, self.distance, self.dim, self.len);
        let params = (self.m as u32).to_le_bytes();
        write_file(
            &header,
            &params,
            &[&f32s_to_bytes(&self.books.flat), &self.data[..]],
        )
    }

    fn parse(b: &[u8]) -> Result<(Self, Range<usize>)> {
        let (h, body) = read_file(b, Self::ID, "product fast scan")?;
        let m = u32_at(b, 32) as usize;
        Self::check_params(h.distance, h.dim, m).map_err(|e| corrupt(32, e.to_string()))?;
        let floats = ProductFastScan::CENTROIDS * h.dim;
        let codebooks = finite_f32s(body, floats, HEADER_BYTES, "codebooks")?;
        let blocks = h.n.div_ceil(ProductFastScan::BLOCK as u64);
        check_records(blocks, 16 * m, &body[4 * floats..], h.dim)?;
        let mut codec = Self::with_codebooks(h.dim, m, h.distance, codebooks);
        codec.len = h.n as usize;
        Ok((codec, HEADER_BYTES + 4 * floats..HEADER_BYTES + body.len()))
    }

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
            for v in 0..ProductFastScan::BLOCK {
                self.place(&mut blocks, b * ProductFastScan::BLOCK + v, &codes_of(v));
            }
        }
        self.data = Records::copied(&blocks);
    }
}

/// Equal when the stored parts are (the transposed books derive from the codebooks).
impl PartialEq for ProductFastScan {
    fn eq(&self, other: &Self) -> bool {
        (self.dim, self.m, self.distance, self.len)
            == (other.dim, other.m, other.distance, other.len)
            && self.books.flat == other.books.flat
            && self.data == other.data
    }
}

/// Scores stored 4-bit codes against one query through its 6-bit table.
pub struct FastScanQueryScorer<'a> {
    codec: &'a ProductFastScan,
    /// `m` rows of 16 scores on the 6-bit grid: score ≈ `offset + step · Σ lut`.
    lut: Vec<u8>,
    offset: f32,
    step: f32,
    kernel: FastScanCandidates,
}

impl FastScanQueryScorer<'_> {
    /// The score of a table sum.
    #[inline]
    fn score_of(&self, sum: u32) -> ScoreType {
        self.offset + self.step * sum as f32
    }

    /// The `k` best stored vectors by a full scan, best first: by table sum, the exact
    /// quantity the scores are an affine image of (ties: smaller offset first). The scores
    /// come out non-increasing, as [`score_point`](QueryScorer::score_point) gives them; where
    /// rounding maps two different sums to one float score, the larger sum comes first. The
    /// kernel compares the sums in SIMD registers with the smallest sum that can still enter
    /// and hands back only the vectors that reach it, so most vectors never touch the
    /// candidate list (as FAISS's fast-scan search does).
    pub fn top_k(&self, k: usize) -> Vec<ScoredPoint> {
        let c = self.codec;
        if k == 0 {
            return Vec::new();
        }
        // Candidates that may still enter, unordered, as keys that sort best first; when
        // full, cut to the best k: one selection per `capacity − k` candidates instead of a
        // heap push each. No float is computed before the final k.
        let capacity = 2 * k + 16;
        let mut kept: Vec<u64> = Vec::with_capacity(capacity);
        // Sums below `at_least` cannot enter (0 until the first cut).
        let mut at_least = 0u16;
        let mut keys = [0u32; ProductFastScan::BLOCK * SCAN_RUN];
        let bb = c.block_bytes();
        'scan: for (r, run) in c.data.chunks(SCAN_RUN * bb).enumerate() {
            let found = (self.kernel)(run, &self.lut, at_least, &mut keys);
            let first = r * SCAN_RUN * ProductFastScan::BLOCK;
            for &key in &keys[..found] {
                let (sum, offset) = ((key >> 16) as u16, first + (key & 0xffff) as usize);
                // `at_least` may have risen since the kernel compared; the last block's
                // padding is no point.
                if sum < at_least || offset >= c.len {
                    continue;
                }
                kept.push(candidate_key(sum, offset as PointOffset));
                if kept.len() == capacity {
                    kept.select_nth_unstable(k - 1);
                    kept.truncate(k);
                    // A later point whose sum is not above the k-th's loses the tie on its
                    // larger offset.
                    match candidate_of(kept[k - 1]).0.checked_add(1) {
                        Some(sum) => at_least = sum,
                        None => break 'scan,
                    }
                }
            }
        }
        if kept.len() > k {
            kept.select_nth_unstable(k - 1);
            kept.truncate(k);
        }
        kept.sort_unstable();
        kept.into_iter()
            .map(|key| {
                let (sum, offset) = candidate_of(key);
                ScoredPoint {
                    offset,
                    score: self.score_of(u32::from(sum)),
                }
            })
            .collect()
    }
}

/// A candidate's key: ascending order is best first (the larger sum, then the smaller
/// offset).
#[inline]
fn candidate_key(sum: u16, offset: PointOffset) -> u64 {
    u64::from(!sum) << 32 | u64::from(offset)
}

/// (sum, offset) of a [`candidate_key`].
#[inline]
fn candidate_of(key: u64) -> (u16, PointOffset) {
    (!((key >> 32) as u16), key as PointOffset)
}

impl QueryScorer for FastScanQueryScorer<'_> {
    fn len(&self) -> usize {
        self.codec.len()
    }

    #[inline]
    fn score_point(&self, p: PointOffset) -> ScoreType {
        let c = self.codec;
        let sum: u32 = (0..c.m)
            .map(|j| u32::from(self.lut[16 * j + c.code(p, j)]))
            .sum();
        self.score_of(sum)
    }

    /// Runs of 32 points that are exactly one whole block, in order, go through the block
    /// kernel; anything else is scored point by point.
    fn score_points(&self, points: &[PointOffset], scores: &mut [ScoreType]) {
        let c = self.codec;
        let mut i = 0;
        let mut keys = [0u32; ProductFastScan::BLOCK];
        while i < points.len() {
            let first = points[i] as usize;
            let whole = first.is_multiple_of(ProductFastScan::BLOCK)
                && first + ProductFastScan::BLOCK <= c.len
                && points.len() - i >= ProductFastScan::BLOCK
                && points[i..i + ProductFastScan::BLOCK]
                    .iter()
                    .enumerate()
                    .all(|(k, &p)| p as usize == first + k);
            if whole {
                let block =
                    &c.data[first / ProductFastScan::BLOCK * c.block_bytes()..][..c.block_bytes()];
                // At floor 0 every vector's key comes out, in order.
                (self.kernel)(block, &self.lut, 0, &mut keys);
                for (s, &key) in scores[i..i + ProductFastScan::BLOCK].iter_mut().zip(&keys) {
                    *s = self.score_of(key >> 16);
                }
                i += ProductFastScan::BLOCK;
            } else {
                scores[i] = self.score_point(points[i]);
                i += 1;
            }
        }
    }
}

/// Scores stored fast-scan codes against each other through their reconstructions (as
/// product quantization: `−‖x̂ₐ − x̂ᵦ‖²` for Euclid). The blocked layout is built for scans:
/// each pair reads its codes nibble by nibble, so builds on these codes are slow.
pub struct FastScanPairScorer<'a> {
    codec: &'a ProductFastScan,
}

impl PairScorer for FastScanPairScorer<'_> {
    fn len(&self) -> usize {
        self.codec.len()
    }

    fn score_pair(&self, a: PointOffset, b: PointOffset) -> ScoreType {
        let c = self.codec;
        let decode = |p, start, out: &mut [f32]| c.decode_range(p, start, out);
        pair_score(c.distance, c.dim, decode, (a, b), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decoded_score(query: &[f32], x: &[f32], distance: Distance) -> f32 {
        match distance {
            Distance::Euclid => -query
                .iter()
                .zip(x)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f32>(),
            _ => query.iter().zip(x).map(|(a, b)| a * b).sum(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Block scans, single points and the decoded vectors agree (up to the u8 table's
        /// rounding: half a step per sub-space), and pushes extend the blocks.
        #[test]
        fn block_scans_points_and_decodes_agree(
            n in 1usize..150,
            extra in 0usize..40,
            m in prop_oneof![Just(2usize), Just(4), Just(6)],
            sub in 1usize..4,
            euclid: bool,
            seed in any::<u64>(),
        ) {
            let distance = if euclid { Distance::Euclid } else { Distance::Dot };
            let dim = m * sub;
            let data = sextant_datasets::gaussian(n + extra + 1, dim, seed).unwrap();
            let trained = sextant_core::DenseVectors::from_flat(dim, data.as_flat()[..n * dim].to_vec()).unwrap();
            let mut codec = ProductFastScan::train(&trained, distance, m, seed, 1).unwrap();
            for p in n..n + extra {
                prop_assert_eq!(codec.push(data.vector(p as u32)).unwrap() as usize, p);
            }
            prop_assert_eq!(codec.len(), n + extra);
            let query = data.vector((n + extra) as u32);
            let scorer = codec.query_scorer(query).unwrap();
            let all: Vec<u32> = (0..codec.len() as u32).collect();
            let mut scanned = vec![0.0; all.len()];
            scorer.score_points(&all, &mut scanned);
            for (p, &s) in all.iter().zip(&scanned) {
                prop_assert!((s - scorer.score_point(*p)).abs() <= 1e-4 * (1.0 + s.abs()));
                let want = decoded_score(query, &codec.decode(*p), distance);
                let tol = scorer.step * 0.5 * m as f32 + 1e-4 * (1.0 + want.abs());
                prop_assert!((s - want).abs() <= tol, "{} vs {} (tol {})", s, want, tol);
            }
            // The filtered scan keeps the best by (sum, then offset): few sub-spaces give many
            // ties, which the offsets break. Its scores are those `TopK` keeps from every
            // point's score (the sum order only settles equal float scores differently).
            let sum = |p: u32| (0..m).map(|j| u32::from(scorer.lut[16 * j + codec.code(p, j)])).sum::<u32>();
            let mut by_sum = all.clone();
            by_sum.sort_by_key(|&p| (std::cmp::Reverse(sum(p)), p));
            for k in [0, 1, 3, 10, codec.len() + 3] {
                let got = scorer.top_k(k);
                let want: Vec<ScoredPoint> = by_sum.iter().take(k).map(|&p| ScoredPoint { offset: p, score: scorer.score_point(p) }).collect();
                prop_assert_eq!(&got, &want, "k={}", k);
                let mut top = sextant_core::TopK::new(k);
                for &p in &all {
                    top.push(p, scorer.score_point(p));
                }
                let scores = |v: &[ScoredPoint]| v.iter().map(|s| s.score).collect::<Vec<_>>();
                prop_assert_eq!(scores(&got), scores(&top.into_sorted_vec()), "k={}", k);
            }
        }
    }

    proptest! {
        #[test]
        fn candidate_keys_sort_best_first(sum in any::<u16>(), other in any::<u16>(), p in any::<u32>(), q in any::<u32>()) {
            prop_assert_eq!(candidate_of(candidate_key(sum, p)), (sum, p));
            let want = other.cmp(&sum).then(p.cmp(&q));
            prop_assert_eq!(candidate_key(sum, p).cmp(&candidate_key(other, q)), want);
        }
    }

    #[test]
    fn bad_parameters_are_errors() {
        let data = sextant_datasets::gaussian(50, 8, 1).unwrap();
        for m in [0, 3, 6, 512] {
            assert!(
                ProductFastScan::train(&data, Distance::Dot, m, 1, 1).is_err(),
                "m={m}"
            );
        }
        assert!(ProductFastScan::train(&data, Distance::Manhattan, 4, 1, 1).is_err());
        let codec = ProductFastScan::train(&data, Distance::Dot, 4, 1, 1).unwrap();
        assert_eq!(codec.bytes_per_vector(), 2);
        assert!(codec.query_scorer(&[1.0; 7]).is_err());
    }
}
