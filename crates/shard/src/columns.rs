//! The vectors of a shard's points, by offset: `Column` (one named dense vector: rows in the
//! base file, read in place, with the rows changed since and the rows past it in RAM, each
//! row in the vector's datatype: f32, f16 for `float16`, u8 for `uint8`) and `SparseColumn`
//! (one named sparse vector, in RAM, with its document frequencies).
//!
//! Rows are written as prepared f32 ([`Column::prepare`]: cosine vectors normalized, except
//! `uint8` ones, which Qdrant keeps as given and divides by both norms when scoring) and
//! converted to the datatype there; they are read back widened to f32 (`raw`, `get`), or
//! scored in their own type through [`ColumnScorer`] (the query converted to the datatype,
//! as Qdrant does).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use half::f16;
use sextant_core::{
    BitSet, DenseQueryScorer, DenseVectorSource, Distance, PointOffset, QueryScorer, ScoreType,
    SparseVector,
};

use crate::base::Base;
use crate::config::Datatype;

/// A row element the shard stores: converted from and widened to f32.
pub(crate) trait Element: Copy + Default + bytemuck::Pod {
    /// The value as stored (f16: rounded to nearest).
    fn narrow(x: f32) -> Self;
    /// The value as f32 (exact).
    fn widen(self) -> f32;
}

impl Element for f32 {
    fn narrow(x: f32) -> Self {
        x
    }
    fn widen(self) -> f32 {
        self
    }
}

impl Element for u8 {
    fn narrow(x: f32) -> Self {
        // Qdrant's cast: saturating, toward zero.
        x as u8
    }
    fn widen(self) -> f32 {
        f32::from(self)
    }
}

impl Element for f16 {
    fn narrow(x: f32) -> Self {
        f16::from_f32(x)
    }
    fn widen(self) -> f32 {
        self.to_f32()
    }
}

/// One vector's rows in element type `E`.
#[derive(Debug)]
pub(crate) struct Rows<E> {
    size: usize,
    /// The base file and this vector's place in it: rows below `base_rows` are read there
    /// unless `overlay` holds them.
    base: Option<(Arc<Base>, usize)>,
    base_rows: usize,
    /// Base rows written since the base.
    overlay: HashMap<PointOffset, Box<[E]>>,
    /// Rows from `base_rows` on.
    tail: Vec<E>,
}

impl<E: Element> Rows<E> {
    fn new(size: usize, base: Option<(&Arc<Base>, usize)>) -> Self {
        Self {
            size,
            base_rows: base.map_or(0, |(b, _)| b.slots),
            base: base.map(|(b, at)| (b.clone(), at)),
            overlay: HashMap::new(),
            tail: Vec::new(),
        }
    }

    /// The row of `o` (zeros if it never held one, its last values if it was removed).
    pub fn raw(&self, o: PointOffset) -> &[E] {
        let at = o as usize;
        if at < self.base_rows {
            if let Some(v) = self.overlay.get(&o) {
                return v;
            }
            let (base, c) = self.base.as_ref().expect("base rows come from a base");
            return base.dense::<E>(*c, o);
        }
        let row = at - self.base_rows;
        &self.tail[row * self.size..(row + 1) * self.size]
    }

    /// Writes the row of `o` (rows up to `o` exist after).
    fn set(&mut self, o: PointOffset, values: impl ExactSizeIterator<Item = E>) {
        let at = o as usize;
        let dst: &mut [E] = if at < self.base_rows {
            let size = self.size;
            self.overlay
                .entry(o)
                .or_insert_with(|| vec![E::default(); size].into())
        } else {
            let row = at - self.base_rows;
            if self.tail.len() < (row + 1) * self.size {
                self.tail.resize((row + 1) * self.size, E::default());
            }
            &mut self.tail[row * self.size..(row + 1) * self.size]
        };
        dst.iter_mut().zip(values).for_each(|(d, v)| *d = v);
    }

    fn rows(&self) -> usize {
        self.base_rows + self.tail.len() / self.size
    }
}

/// A column's rows in its datatype.
#[derive(Debug)]
pub(crate) enum Values {
    F32(Rows<f32>),
    F16(Rows<f16>),
    U8(Rows<u8>),
}

/// Runs `$e` with `$r` bound to the rows, whatever their type.
macro_rules! each_rows {
    ($v:expr, $r:ident => $e:expr) => {
        match $v {
            Values::F32($r) => $e,
            Values::F16($r) => $e,
            Values::U8($r) => $e,
        }
    };
}

/// One named dense vector's values, `size` per offset, and which offsets have one.
#[derive(Debug)]
pub(crate) struct Column {
    pub name: String,
    pub size: usize,
    pub distance: Distance,
    pub datatype: Datatype,
    values: Values,
    pub present: BitSet,
}

impl Column {
    /// An empty column.
    pub fn new(name: String, size: usize, distance: Distance, datatype: Datatype) -> Self {
        Self::with_base(name, size, distance, datatype, None)
    }

    fn with_base(
        name: String,
        size: usize,
        distance: Distance,
        datatype: Datatype,
        base: Option<(&Arc<Base>, usize)>,
    ) -> Self {
        let values = match datatype {
            Datatype::Float32 => Values::F32(Rows::new(size, base)),
            Datatype::Float16 => Values::F16(Rows::new(size, base)),
            Datatype::Uint8 => Values::U8(Rows::new(size, base)),
        };
        Self {
            name,
            size,
            distance,
            datatype,
            values,
            present: BitSet::new(0),
        }
    }

    /// A column reading vector `at` of `base`, every base row as written.
    pub fn on_base(
        name: String,
        size: usize,
        distance: Distance,
        datatype: Datatype,
        base: &Arc<Base>,
        at: usize,
    ) -> Self {
        let mut present = BitSet::new(base.slots);
        for o in 0..base.slots as PointOffset {
            if base.has_dense(at, o) {
                present.insert(o);
            }
        }
        Self {
            present,
            ..Self::with_base(name, size, distance, datatype, Some((base, at)))
        }
    }

    /// This column moved onto `base` (vector `at` of it, written at log index `version`):
    /// rows `changed` (those whose points changed at or after `version`) stay in RAM, the
    /// others are read from the file.
    pub fn rebase(
        &self,
        base: &Arc<Base>,
        at: usize,
        changed: impl Fn(PointOffset) -> bool,
    ) -> Self {
        let mut next = Self::on_base(
            self.name.clone(),
            self.size,
            self.distance,
            self.datatype,
            base,
            at,
        );
        next.present = self.present.clone();
        for o in self.present.iter() {
            if (o as usize) < base.slots && !changed(o) {
                continue;
            }
            match (&mut next.values, &self.values) {
                (Values::F32(n), Values::F32(s)) => n.set(o, s.raw(o).iter().copied()),
                (Values::F16(n), Values::F16(s)) => n.set(o, s.raw(o).iter().copied()),
                (Values::U8(n), Values::U8(s)) => n.set(o, s.raw(o).iter().copied()),
                _ => unreachable!("a column keeps its datatype"),
            }
        }
        next
    }

    /// The values at `o` as f32, whether it holds a vector or not (zeros if it never did,
    /// the last values if it was removed). `o` must be below the column's length.
    pub fn raw(&self, o: PointOffset) -> Cow<'_, [f32]> {
        match &self.values {
            Values::F32(r) => Cow::Borrowed(r.raw(o)),
            Values::F16(r) => Cow::Owned(r.raw(o).iter().map(|x| x.widen()).collect()),
            Values::U8(r) => Cow::Owned(r.raw(o).iter().map(|x| x.widen()).collect()),
        }
    }

    /// Starts loading the row of `o` into cache.
    pub fn prefetch(&self, o: PointOffset) {
        each_rows!(&self.values, r => sextant_core::kernels::prefetch(r.raw(o)))
    }

    /// True when the row of `o` is still read from the base file: unchanged since the base
    /// was written.
    pub fn is_base_row(&self, o: PointOffset) -> bool {
        let (base_rows, overlay) =
            each_rows!(&self.values, r => (r.base_rows, r.overlay.contains_key(&o)));
        (o as usize) < base_rows && !overlay
    }

    /// The vector of `o` as f32, if it has one.
    pub fn get(&self, o: PointOffset) -> Option<Cow<'_, [f32]>> {
        self.present.contains(o).then(|| self.raw(o))
    }

    /// Writes the prepared values `v` as the vector of `o` (converted to the datatype).
    pub fn set(&mut self, o: PointOffset, v: &[f32]) {
        self.present.grow(o as usize + 1);
        match &mut self.values {
            Values::F32(r) => r.set(o, v.iter().copied()),
            Values::F16(r) => r.set(o, v.iter().map(|&x| f16::narrow(x))),
            Values::U8(r) => r.set(o, v.iter().map(|&x| u8::narrow(x))),
        }
        self.present.insert(o);
    }

    /// Prepares `v` as this column stores it: checked (dimension, finite values), normalized
    /// for cosine (not a `uint8` vector: Qdrant keeps those as given), then rounded to the
    /// datatype and widened back (f16: nearest; u8: Qdrant's saturating cast).
    pub fn prepare(&self, v: &mut [f32]) -> sextant_core::Result<()> {
        match self.values {
            Values::U8(_) => {
                Distance::Dot.prepare(v, self.size)?;
                v.iter_mut().for_each(|x| *x = u8::narrow(*x).widen());
            }
            Values::F16(_) => {
                self.distance.prepare(v, self.size)?;
                v.iter_mut().for_each(|x| *x = f16::narrow(*x).widen());
            }
            Values::F32(_) => self.distance.prepare(v, self.size)?,
        }
        Ok(())
    }

    /// Is this a cosine vector kept unnormalized (`uint8`)?
    fn raw_cosine(&self) -> bool {
        matches!(self.values, Values::U8(_)) && self.distance == Distance::Cosine
    }

    /// The internal similarity of two vectors this column prepared (cosine of a `uint8`
    /// vector: the dot product over both norms, 0 when one is zero).
    pub fn similarity(&self, a: &[f32], b: &[f32]) -> ScoreType {
        if !self.raw_cosine() {
            return self.distance.score_f32(a, b);
        }
        let dot = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f32>();
        cosine(dot(a, b), dot(a, a), dot(b, b))
    }

    /// `v` (prepared by this column) as the graph and its codes index it: a `uint8` cosine
    /// vector normalized (the build scores pairs by dot product), any other as it is.
    pub fn indexed<'v>(&self, v: &'v [f32]) -> Cow<'v, [f32]> {
        if !self.raw_cosine() {
            return Cow::Borrowed(v);
        }
        let mut n = v.to_vec();
        sextant_core::kernels::normalize_f32(&mut n);
        Cow::Owned(n)
    }

    /// A scorer of every row against `query` (prepared again and converted to the datatype):
    /// what the exact scans score with the SIMD kernels.
    pub fn scorer(&self, query: &[f32]) -> sextant_core::Result<ColumnScorer<'_>> {
        self.scorer_over(None, query)
    }

    /// A scorer of the rows of `nodes` (node `i` is offset `nodes[i]`) against `query`: what
    /// a graph over the column searches and rescores with.
    pub fn node_scorer<'a>(
        &'a self,
        nodes: &'a [PointOffset],
        query: &[f32],
    ) -> sextant_core::Result<ColumnScorer<'a>> {
        self.scorer_over(Some(nodes), query)
    }

    fn scorer_over<'a>(
        &'a self,
        nodes: Option<&'a [PointOffset]>,
        query: &[f32],
    ) -> sextant_core::Result<ColumnScorer<'a>> {
        Ok(match &self.values {
            Values::F32(rows) => ColumnScorer::F32(DenseQueryScorer::new(
                Typed::new(self, rows, nodes),
                self.distance,
                query,
            )?),
            Values::F16(rows) => ColumnScorer::F16(DenseQueryScorer::new(
                Typed::new(self, rows, nodes),
                self.distance,
                query,
            )?),
            Values::U8(rows) => {
                let mut q = query.to_vec();
                self.prepare(&mut q)?;
                let query: Vec<u8> = q.iter().map(|&x| u8::narrow(x)).collect();
                let kernels = &sextant_core::Kernels::best().bytes;
                ColumnScorer::U8(BytesScorer {
                    source: Typed::new(self, rows, nodes),
                    norm: (kernels.dot_u8)(&query, &query) as f32,
                    query,
                    distance: self.distance,
                    kernels,
                })
            }
        })
    }
}

/// `dot / √(‖a‖²·‖b‖²)`, 0 when a norm is 0 (Qdrant's cosine of `uint8` vectors).
fn cosine(dot: f32, a2: f32, b2: f32) -> f32 {
    if a2 == 0.0 || b2 == 0.0 {
        return 0.0;
    }
    dot / (a2 * b2).sqrt()
}

/// Scores `uint8` rows as Qdrant does: the integer dot product, squared L2 or L1 (negated
/// for the distances), cosine over both norms.
pub(crate) struct BytesScorer<'a> {
    source: Typed<'a, u8>,
    query: Vec<u8>,
    /// `‖query‖²`.
    norm: f32,
    distance: Distance,
    kernels: &'static sextant_core::kernels::ByteKernels,
}

impl QueryScorer for BytesScorer<'_> {
    fn len(&self) -> usize {
        self.source.len()
    }
    fn score_point(&self, point: PointOffset) -> ScoreType {
        let (k, row) = (self.kernels, self.source.vector(point));
        match self.distance {
            Distance::Dot => (k.dot_u8)(&self.query, row) as f32,
            Distance::Cosine => cosine(
                (k.dot_u8)(&self.query, row) as f32,
                self.norm,
                (k.dot_u8)(row, row) as f32,
            ),
            Distance::Euclid => -((k.l2sq_u8)(&self.query, row) as f32),
            Distance::Manhattan => -((k.l1_u8)(&self.query, row) as f32),
        }
    }
}

/// A column's rows in their own type, by offset or through a node → offset map.
pub(crate) struct Typed<'a, E> {
    column: &'a Column,
    rows: &'a Rows<E>,
    nodes: Option<&'a [PointOffset]>,
}

impl<'a, E> Typed<'a, E> {
    fn new(column: &'a Column, rows: &'a Rows<E>, nodes: Option<&'a [PointOffset]>) -> Self {
        Self {
            column,
            rows,
            nodes,
        }
    }
}

impl<E: Element> DenseVectorSource for Typed<'_, E> {
    type Element = E;
    fn dim(&self) -> usize {
        self.column.size
    }
    fn len(&self) -> usize {
        self.nodes.map_or_else(|| self.rows.rows(), <[_]>::len)
    }
    fn vector(&self, i: PointOffset) -> &[E] {
        // Through a graph's node map, a point deleted since the build keeps its old values
        // (the node is stale, filtered out of every result; only the walk reads it).
        self.rows.raw(self.nodes.map_or(i, |n| n[i as usize]))
    }
    fn prepared_for(&self) -> Option<Distance> {
        Some(self.column.distance)
    }
}

/// Scores a column's rows in their datatype.
pub(crate) enum ColumnScorer<'a> {
    F32(DenseQueryScorer<Typed<'a, f32>>),
    F16(DenseQueryScorer<Typed<'a, f16>>),
    U8(BytesScorer<'a>),
}

macro_rules! each_scorer {
    ($s:expr, $x:ident => $e:expr) => {
        match $s {
            ColumnScorer::F32($x) => $e,
            ColumnScorer::F16($x) => $e,
            ColumnScorer::U8($x) => $e,
        }
    };
}

impl QueryScorer for ColumnScorer<'_> {
    fn len(&self) -> usize {
        each_scorer!(self, s => s.len())
    }
    fn score_point(&self, point: PointOffset) -> ScoreType {
        each_scorer!(self, s => s.score_point(point))
    }
    fn score_points(&self, points: &[PointOffset], scores: &mut [ScoreType]) {
        each_scorer!(self, s => s.score_points(points, scores))
    }
    fn score_points_above(
        &self,
        points: &[PointOffset],
        floor: ScoreType,
        scores: &mut [ScoreType],
    ) {
        each_scorer!(self, s => s.score_points_above(points, floor, scores))
    }
}

/// One named sparse vector of every offset that has one, and its document frequencies.
#[derive(Debug, Clone)]
pub(crate) struct SparseColumn {
    pub name: String,
    pub idf: bool,
    pub vectors: Vec<Option<SparseVector>>,
    /// Term → points holding it (for the IDF modifier).
    pub df: HashMap<u32, usize, TermHash>,
}

/// Hashes a term id by one multiplication (Fibonacci hashing): a reopen counts every base
/// vector's terms (1.5M at 120k BM25 documents); loading that column took ~70 ms of a reopen
/// with SipHash, ~45 ms with this and the column presized. Not keyed: a writer choosing
/// colliding term ids slows its own shard's counts, nothing more.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TermHash;

impl std::hash::BuildHasher for TermHash {
    type Hasher = TermHasher;
    fn build_hasher(&self) -> TermHasher {
        TermHasher(0)
    }
}

/// [`TermHash`]'s hasher: u32 keys only.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TermHasher(u64);

impl std::hash::Hasher for TermHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Not used by u32 keys; folded in byte by byte for completeness.
        for &b in bytes {
            self.write_u32(u32::from(b));
        }
    }
    fn write_u32(&mut self, t: u32) {
        // The high bits carry the mix; hashbrown takes its buckets and tags from both ends.
        let x = (self.0 ^ u64::from(t)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = x ^ (x >> 32);
    }
}

impl SparseColumn {
    /// The vector of `o`, if it has one.
    pub fn get(&self, o: PointOffset) -> Option<&SparseVector> {
        self.vectors.get(o as usize)?.as_ref()
    }

    /// A column of no vectors.
    pub fn new(name: String, idf: bool) -> Self {
        Self {
            name,
            idf,
            vectors: Vec::new(),
            df: HashMap::default(),
        }
    }

    pub fn set(&mut self, o: PointOffset, v: Option<SparseVector>) {
        let at = o as usize;
        if at >= self.vectors.len() {
            self.vectors.resize(at + 1, None);
        }
        if let Some(old) = self.vectors[at].take() {
            for t in old.indices() {
                let n = self.df.get_mut(t).expect("a held term is counted");
                *n -= 1;
                if *n == 0 {
                    self.df.remove(t);
                }
            }
        }
        if let Some(v) = &v {
            for &t in v.indices() {
                *self.df.entry(t).or_default() += 1;
            }
        }
        self.vectors[at] = v;
    }
}
