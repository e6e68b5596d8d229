//! `LabeledIndex`: vectors under u64 labels, an HNSW graph over them (searched on the floats,
//! or on codes with the candidates rescored), deletes as marks, filters by label.

use std::collections::HashMap;
use std::sync::Mutex;

use rayon::prelude::*;
use sextant_core::{
    BitSet, DenseQueryScorer, DenseVectorSource, DenseVectors, Distance, PointOffset, ScoredPoint,
};
use sextant_hnsw::{HnswConfig, HnswIndex, SearchContext, SearchRequest};
use sextant_quantization::{AnyCodes, EncodedVectors, QuantizationConfig, rescore};

use crate::bounds::Bounds;
use crate::error::{Error, Result};

/// How a [`LabeledIndex`] is built and searched.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexConfig {
    /// The metric (vectors are prepared for it: cosine ones normalized).
    pub distance: Distance,
    /// The dimension.
    pub dim: usize,
    /// Points the index may hold (raise it with [`LabeledIndex::resize`]).
    pub max_elements: usize,
    /// The graph's parameters (its seed included).
    pub hnsw: HnswConfig,
    /// Codes the graph is traversed on, the candidates rescored with the floats (`None`: the
    /// floats).
    pub codec: Option<QuantizationConfig>,
    /// Candidates found on codes per result asked (at least 1).
    pub oversampling: f64,
    /// Float search behind int8 code bounds (without a codec only; not for Manhattan): the
    /// codes (a quarter of the floats' bytes, kept in RAM beside them) are searched while
    /// the graph is built, and a search reads a point's floats only where its code bound can
    /// still enter the results. Same scores and results as the float search of the same
    /// graph; faster once the floats outgrow the caches.
    pub bounds: bool,
}

impl IndexConfig {
    /// `dim`-dimensional vectors under `distance`, room for `max_elements`, the default graph,
    /// floats.
    pub fn new(distance: Distance, dim: usize, max_elements: usize) -> Self {
        Self {
            distance,
            dim,
            max_elements,
            hnsw: HnswConfig::default(),
            codec: None,
            oversampling: 2.0,
            bounds: false,
        }
    }
}

/// A search's answer for one query: (label, distance) best first; the distance is hnswlib's:
/// squared L2 for Euclid, `1 − similarity` for cosine and dot, L1 for Manhattan.
pub type Neighbours = Vec<(u64, f32)>;

/// An hnswlib-style index.
pub struct LabeledIndex {
    pub(crate) config: IndexConfig,
    /// Prepared for the metric, by offset.
    pub(crate) vectors: DenseVectors<f32>,
    pub(crate) labels: Vec<u64>,
    pub(crate) by_label: HashMap<u64, PointOffset>,
    pub(crate) deleted: BitSet,
    /// `deleted.count()`, kept: every search asks it (a count walks every word).
    pub(crate) deleted_count: usize,
    /// `None` until the first points are added.
    pub(crate) graph: Option<HnswIndex>,
    pub(crate) codes: Option<AnyCodes>,
    /// Present when `config.bounds`, once points are added.
    pub(crate) bounds: Option<Bounds>,
    /// Search contexts kept between searches (a new one allocates its visited set).
    contexts: Mutex<Vec<SearchContext>>,
}

impl std::fmt::Debug for LabeledIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabeledIndex")
            .field("config", &self.config)
            .field("points", &self.labels.len())
            .field("deleted", &self.deleted.count())
            .finish()
    }
}

impl LabeledIndex {
    /// An empty index.
    pub fn new(config: IndexConfig) -> Result<Self> {
        if config.dim == 0 {
            return Err(Error::bad("dim must be positive"));
        }
        if !(config.oversampling >= 1.0 && config.oversampling.is_finite()) {
            return Err(Error::bad("oversampling must be at least 1"));
        }
        if config.bounds && config.codec.is_some() {
            return Err(Error::bad(
                "bounds apply to the float search; with a codec the candidates are rescored on the floats",
            ));
        }
        if config.bounds && config.distance == Distance::Manhattan {
            return Err(Error::bad(
                "bounds are not defined for the Manhattan distance",
            ));
        }
        if config.hnsw.m < 2 || config.hnsw.ef_construction == 0 {
            return Err(Error::bad(
                "M must be at least 2 and ef_construction positive",
            ));
        }
        let mut vectors = DenseVectors::new(config.dim).map_err(|e| Error::bad(e.to_string()))?;
        vectors
            .prepare(config.distance)
            .map_err(|e| Error::bad(e.to_string()))?;
        Ok(Self::assemble(
            config,
            vectors,
            Vec::new(),
            BitSet::new(0),
            None,
            None,
            None,
        ))
    }

    pub(crate) fn assemble(
        config: IndexConfig,
        vectors: DenseVectors<f32>,
        labels: Vec<u64>,
        deleted: BitSet,
        graph: Option<HnswIndex>,
        codes: Option<AnyCodes>,
        bounds: Option<Bounds>,
    ) -> Self {
        let by_label = labels
            .iter()
            .enumerate()
            .map(|(o, &l)| (l, o as PointOffset))
            .collect();
        Self {
            config,
            vectors,
            labels,
            by_label,
            deleted_count: deleted.count(),
            deleted,
            graph,
            codes,
            bounds,
            contexts: Mutex::new(Vec::new()),
        }
    }

    /// The config.
    pub fn config(&self) -> &IndexConfig {
        &self.config
    }

    /// Points held, deleted ones included.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when no point was added.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Points not marked deleted.
    pub fn live(&self) -> usize {
        self.labels.len() - self.deleted_count
    }

    /// Every label, in insertion order.
    pub fn labels(&self) -> &[u64] {
        &self.labels
    }

    /// Raises (or lowers, not below the points held) the capacity.
    pub fn resize(&mut self, max_elements: usize) -> Result<()> {
        if max_elements < self.labels.len() {
            return Err(Error::bad("cannot shrink below the points held"));
        }
        self.config.max_elements = max_elements;
        Ok(())
    }

    /// Marks `label` deleted (true) or live again (false); an unknown label or no change is
    /// an error, as in hnswlib.
    pub fn set_deleted(&mut self, label: u64, deleted: bool) -> Result<()> {
        let o = *self.by_label.get(&label).ok_or(Error::NoLabel(label))?;
        let changed = if deleted {
            self.deleted.insert(o)
        } else {
            self.deleted.remove(o)
        };
        if changed {
            self.deleted_count = if deleted {
                self.deleted_count + 1
            } else {
                self.deleted_count - 1
            };
        } else {
            let state = if deleted {
                "already deleted"
            } else {
                "not deleted"
            };
            return Err(Error::bad(format!("the element {label} is {state}")));
        }
        Ok(())
    }

    /// Is `label` marked deleted?
    pub fn is_deleted(&self, label: u64) -> Result<bool> {
        let o = *self.by_label.get(&label).ok_or(Error::NoLabel(label))?;
        Ok(self.deleted.contains(o))
    }

    /// The stored vector of `label` (as stored: cosine vectors normalized).
    pub fn vector(&self, label: u64) -> Result<&[f32]> {
        let o = *self.by_label.get(&label).ok_or(Error::NoLabel(label))?;
        Ok(self.vectors.vector(o))
    }

    /// The points of these labels, for a search's `allowed` (unknown labels are skipped).
    pub fn allow_labels(&self, labels: &[u64]) -> BitSet {
        let mut set = BitSet::new(self.labels.len());
        for l in labels {
            if let Some(&o) = self.by_label.get(l) {
                set.insert(o);
            }
        }
        set
    }

    /// The points whose label `l` has `mask[l]` true (labels past the mask: not allowed).
    pub fn allow_mask(&self, mask: &[bool]) -> BitSet {
        let mut set = BitSet::new(self.labels.len());
        for (o, &l) in self.labels.iter().enumerate() {
            if usize::try_from(l)
                .ok()
                .and_then(|l| mask.get(l))
                .copied()
                .unwrap_or(false)
            {
                set.insert(o as PointOffset);
            }
        }
        set
    }

    /// The `k` nearest live points (in `allowed`, when given) to `query` with the search list
    /// `ef` (at least the candidates asked). Fewer than `k` when fewer pass.
    pub fn search(
        &self,
        query: &[f32],
        k: usize,
        ef: usize,
        allowed: Option<&BitSet>,
    ) -> Result<Neighbours> {
        let keep = |o: PointOffset| allowed.is_none_or(|a| a.contains(o));
        self.search_kept(query, k, ef, allowed.is_some(), &keep)
    }

    /// [`search`](Self::search) of the live points whose label `keep` accepts (asked during
    /// the search, for the points it reaches: hnswlib's filter function).
    pub fn search_where(
        &self,
        query: &[f32],
        k: usize,
        ef: usize,
        keep: &dyn Fn(u64) -> bool,
    ) -> Result<Neighbours> {
        let keep = |o: PointOffset| keep(self.labels[o as usize]);
        self.search_kept(query, k, ef, true, &keep)
    }

    fn search_kept(
        &self,
        query: &[f32],
        k: usize,
        ef: usize,
        filtered: bool,
        keep: &impl Fn(PointOffset) -> bool,
    ) -> Result<Neighbours> {
        let mut ctx = self.context();
        let found = self.search_with(query, k, ef, filtered, keep, &mut ctx);
        self.contexts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(ctx);
        found
    }

    /// [`search`](Self::search) of each row of `queries` on the current rayon pool.
    pub fn search_batch(
        &self,
        queries: &[f32],
        k: usize,
        ef: usize,
        allowed: Option<&BitSet>,
    ) -> Result<Vec<Neighbours>> {
        if !queries.len().is_multiple_of(self.config.dim) {
            return Err(Error::bad(format!(
                "{} values are not rows of dimension {}",
                queries.len(),
                self.config.dim
            )));
        }
        queries
            .par_chunks_exact(self.config.dim)
            .map_init(SearchContext::new, |ctx, q| {
                let keep = |o: PointOffset| allowed.is_none_or(|a| a.contains(o));
                self.search_with(q, k, ef, allowed.is_some(), &keep, ctx)
            })
            .collect()
    }

    fn context(&self) -> SearchContext {
        let mut pool = self.contexts.lock().unwrap_or_else(|e| e.into_inner());
        pool.pop().unwrap_or_default()
    }

    /// One search; `keep` (when `filtered`) decides which live points may be returned
    /// (generic, so a bitset's test inlines into the graph's filter).
    fn search_with(
        &self,
        query: &[f32],
        k: usize,
        ef: usize,
        filtered: bool,
        keep: &impl Fn(PointOffset) -> bool,
        ctx: &mut SearchContext,
    ) -> Result<Neighbours> {
        let Some(graph) = &self.graph else {
            return Ok(Vec::new());
        };
        if k == 0 {
            return Err(Error::bad("k must be positive"));
        }
        let mut q = query.to_vec();
        self.config
            .distance
            .prepare(&mut q, self.config.dim)
            .map_err(|e| Error::bad(format!("query: {e}")))?;
        let passes = |o: PointOffset| !self.deleted.contains(o) && (!filtered || keep(o));
        let filtered = self.deleted_count > 0 || filtered;
        let exact = || {
            DenseQueryScorer::for_source(&self.vectors, &q).map_err(|e| Error::bad(e.to_string()))
        };
        let found: Vec<ScoredPoint> = match &self.codes {
            None => {
                let req = SearchRequest::new(k).ef(ef.max(k));
                let found = match (&self.bounds, filtered) {
                    (None, true) => graph.search(&exact()?, &req.filter(&passes), ctx)?,
                    (None, false) => graph.search(&exact()?, &req, ctx)?,
                    (Some(b), _) => {
                        let source = b.source(&self.vectors)?;
                        let bounded = source.query_scorer(&q)?;
                        match filtered {
                            true => graph.search(&bounded, &req.filter(&passes), ctx)?,
                            false => graph.search(&bounded, &req, ctx)?,
                        }
                    }
                };
                found.to_vec()
            }
            Some(codes) => {
                let wide = ((k as f64 * self.config.oversampling).ceil() as usize).max(k);
                let scorer = codes.query_scorer(&q)?;
                let req = SearchRequest::new(wide).ef(ef.max(wide));
                let candidates = match filtered {
                    true => graph.search(&scorer, &req.filter(&passes), ctx)?,
                    false => graph.search(&scorer, &req, ctx)?,
                }
                .to_vec();
                let mut out = Vec::with_capacity(k);
                rescore(&candidates, &exact()?, k, &mut out);
                out
            }
        };
        let distance = self.config.distance;
        Ok(found
            .into_iter()
            .map(|p| {
                let d = match distance {
                    Distance::Euclid | Distance::Manhattan => -p.score,
                    Distance::Cosine | Distance::Dot => 1.0 - p.score,
                };
                (self.labels[p.offset as usize], d)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize, dim: usize, seed: u64) -> Vec<f32> {
        (0..n * dim)
            .map(|i| {
                let h = (i as u64 ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
                (h % 2001) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    /// The labels of a search's answer, best first.
    fn labels_of(found: Result<Neighbours>) -> Vec<u64> {
        found.unwrap().iter().map(|p| p.0).collect()
    }

    fn brute(idx: &LabeledIndex, q: &[f32], k: usize) -> Vec<u64> {
        let mut q = q.to_vec();
        idx.config.distance.prepare(&mut q, idx.config.dim).unwrap();
        let mut all: Vec<(u64, f32)> = (0..idx.len())
            .filter(|&o| !idx.deleted.contains(o as u32))
            .map(|o| {
                (
                    idx.labels[o],
                    idx.config
                        .distance
                        .score_f32(&q, idx.vectors.vector(o as u32)),
                )
            })
            .collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1));
        all.into_iter().take(k).map(|p| p.0).collect()
    }

    /// With a list longer than the index (ef 1,000 over 600 points) a search reaches every
    /// point, so it must equal brute force whatever the graph (at ef 200 a Dot run missed
    /// one point of a graph built on two threads, which differs from run to run).
    #[test]
    fn finds_what_brute_force_finds_through_adds_and_deletes() {
        let bounded = [Distance::Cosine, Distance::Dot, Distance::Euclid].map(|d| (d, true));
        for (distance, bounds) in Distance::ALL.map(|d| (d, false)).into_iter().chain(bounded) {
            let mut config = IndexConfig::new(distance, 8, 700);
            config.bounds = bounds;
            let mut idx = LabeledIndex::new(config).unwrap();
            let labels: Vec<u64> = (0..500).map(|i| i * 10).collect();
            idx.add(&rows(500, 8, 1), &labels, 1).unwrap();
            idx.add(&rows(100, 8, 2), &(5000..5100).collect::<Vec<_>>(), 1)
                .unwrap();
            idx.set_deleted(30, true).unwrap();
            for q in rows(20, 8, 3).chunks(8) {
                let got = labels_of(idx.search(q, 5, 1000, None));
                assert_eq!(got, brute(&idx, q, 5), "{distance:?} bounds {bounds}");
            }
            let allowed = idx.allow_labels(&[10, 20, 5050]);
            let got = idx.search(&rows(1, 8, 4), 5, 50, Some(&allowed)).unwrap();
            assert_eq!(got.len(), 3);
            // A label function gives what the same labels as a set give.
            let even = |l: u64| l.is_multiple_of(20);
            let set = idx.allow_labels(&(0..5100).filter(|&l| even(l)).collect::<Vec<_>>());
            for q in rows(10, 8, 5).chunks(8) {
                let by_fn = idx.search_where(q, 5, 64, &even).unwrap();
                assert_eq!(by_fn, idx.search(q, 5, 64, Some(&set)).unwrap());
                assert!(by_fn.iter().all(|p| even(p.0)));
            }
        }
    }

    #[test]
    fn codes_rescored_and_refusals() {
        let mut config = IndexConfig::new(Distance::Cosine, 16, 1000);
        config.codec = Some("sq4d".parse().unwrap());
        config.oversampling = 4.0;
        let mut idx = LabeledIndex::new(config).unwrap();
        idx.add(&rows(800, 16, 5), &(0..800).collect::<Vec<_>>(), 1)
            .unwrap();
        let mut hits = 0;
        for q in rows(30, 16, 6).chunks(16) {
            let got = labels_of(idx.search(q, 10, 100, None));
            hits += brute(&idx, q, 10)
                .iter()
                .filter(|l| got.contains(l))
                .count();
        }
        assert!(hits >= 270, "{hits} of 300");
        assert!(matches!(
            idx.add(&rows(2, 16, 7), &[900, 900], 1),
            Err(Error::BadInput(_))
        ));
        assert!(matches!(
            idx.add(&[f32::NAN; 16], &[901], 1),
            Err(Error::BadInput(_))
        ));
        assert!(matches!(
            idx.add(&rows(300, 16, 7), &(1000..1300).collect::<Vec<_>>(), 1),
            Err(Error::Full(1000))
        ));
        assert!(matches!(
            idx.set_deleted(12345, true),
            Err(Error::NoLabel(12345))
        ));
        assert_eq!(idx.len(), 800);
        let mut both = IndexConfig::new(Distance::Cosine, 16, 10);
        both.codec = Some("sq4d".parse().unwrap());
        both.bounds = true;
        assert!(matches!(LabeledIndex::new(both), Err(Error::BadInput(_))));
        let mut manhattan = IndexConfig::new(Distance::Manhattan, 16, 10);
        manhattan.bounds = true;
        assert!(matches!(
            LabeledIndex::new(manhattan),
            Err(Error::BadInput(_))
        ));
    }
}
