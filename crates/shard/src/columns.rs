//! The vectors of a shard's points, by offset: `Column` (one named dense vector: rows in the
//! base file, read in place, with the rows changed since and the rows past it in RAM) and
//! `SparseColumn` (one named sparse vector, in RAM, with its document frequencies).

use std::collections::HashMap;
use std::sync::Arc;

use sextant_core::{BitSet, Distance, PointOffset, SparseVector};

use crate::base::Base;

/// One named dense vector's values, `size` floats per offset, and which offsets have one.
#[derive(Debug)]
pub(crate) struct Column {
    pub name: String,
    pub size: usize,
    pub distance: Distance,
    /// The base file and this vector's place in it: rows below `base_rows` are read there
    /// unless `overlay` holds them.
    base: Option<(Arc<Base>, usize)>,
    base_rows: usize,
    /// Base rows written since the base.
    overlay: HashMap<PointOffset, Box<[f32]>>,
    /// Rows from `base_rows` on.
    tail: Vec<f32>,
    pub present: BitSet,
}

impl Column {
    /// An empty column.
    pub fn new(name: String, size: usize, distance: Distance) -> Self {
        Self {
            name,
            size,
            distance,
            base: None,
            base_rows: 0,
            overlay: HashMap::new(),
            tail: Vec::new(),
            present: BitSet::new(0),
        }
    }

    /// A column reading vector `at` of `base`, every base row as written.
    pub fn on_base(
        name: String,
        size: usize,
        distance: Distance,
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
            base: Some((base.clone(), at)),
            base_rows: base.slots,
            present,
            ..Self::new(name, size, distance)
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
        let mut next = Self::on_base(self.name.clone(), self.size, self.distance, base, at);
        next.present = self.present.clone();
        for o in self.present.iter() {
            if (o as usize) >= base.slots || changed(o) {
                next.row_mut(o).copy_from_slice(self.raw(o));
            }
        }
        next
    }

    /// The values at `o`, whether it holds a vector or not (zeros if it never did, the
    /// last values if it was removed). `o` must be below the column's length.
    pub fn raw(&self, o: PointOffset) -> &[f32] {
        let at = o as usize;
        if at < self.base_rows {
            if let Some(v) = self.overlay.get(&o) {
                return v;
            }
            let (base, c) = self.base.as_ref().expect("base rows come from a base");
            return base.dense(*c, o);
        }
        let row = at - self.base_rows;
        &self.tail[row * self.size..(row + 1) * self.size]
    }

    /// True when the row of `o` is still read from the base file: unchanged since the base
    /// was written.
    pub fn is_base_row(&self, o: PointOffset) -> bool {
        (o as usize) < self.base_rows && !self.overlay.contains_key(&o)
    }

    /// The vector of `o`, if it has one.
    pub fn get(&self, o: PointOffset) -> Option<&[f32]> {
        self.present.contains(o).then(|| self.raw(o))
    }

    /// The row of `o`, writable (a base row is copied to RAM first; rows up to `o` exist
    /// after).
    pub fn row_mut(&mut self, o: PointOffset) -> &mut [f32] {
        let at = o as usize;
        self.present.grow(at + 1);
        if at < self.base_rows {
            let (base, c) = self.base.as_ref().expect("base rows come from a base");
            return self
                .overlay
                .entry(o)
                .or_insert_with(|| base.dense(*c, o).into());
        }
        let row = at - self.base_rows;
        if self.tail.len() < (row + 1) * self.size {
            self.tail.resize((row + 1) * self.size, 0.0);
        }
        &mut self.tail[row * self.size..(row + 1) * self.size]
    }

    /// Rows the column has.
    fn rows(&self) -> usize {
        self.base_rows + self.tail.len() / self.size
    }
}

/// The column's values by offset (every slot; one without a vector reads as zeros or its last
/// values): what the exact scans score with the SIMD kernels.
impl sextant_core::DenseVectorSource for Column {
    type Element = f32;
    fn dim(&self) -> usize {
        self.size
    }
    fn len(&self) -> usize {
        self.rows()
    }
    fn vector(&self, o: PointOffset) -> &[f32] {
        self.raw(o)
    }
    fn prepared_for(&self) -> Option<Distance> {
        Some(self.distance)
    }
}

/// One named sparse vector of every offset that has one, and its document frequencies.
#[derive(Debug, Clone)]
pub(crate) struct SparseColumn {
    pub name: String,
    pub idf: bool,
    pub vectors: Vec<Option<SparseVector>>,
    /// Term → points holding it (for the IDF modifier).
    pub df: HashMap<u32, usize>,
}

impl SparseColumn {
    /// The vector of `o`, if it has one.
    pub fn get(&self, o: PointOffset) -> Option<&SparseVector> {
        self.vectors.get(o as usize)?.as_ref()
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
