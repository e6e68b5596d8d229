//! `sextant.Index`: an hnswlib-style index over NumPy arrays (`init_index`, `add_items`,
//! `knn_query`, `set_ef`, `mark_deleted`...), on `sextant-hnsw`, with what hnswlib lacks:
//! traversal on codes (`quantization="sq4d"`, candidates rescored with the floats,
//! `oversampling` of them per result) and a filter on `knn_query` (a boolean mask over labels
//! or an array of allowed labels). Queries release the GIL; batches run on `num_threads`.
//!
//! Distances as hnswlib reports them: squared L2 for `l2`, `1 - dot` for `ip`, `1 - cosine`
//! for `cosine`. Labels are unsigned 64-bit integers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use numpy::ndarray::{Array2, ArrayView2};
use numpy::{AllowTypeChange, IntoPyArray, PyArray1, PyArray2, PyArrayLike1, PyArrayLike2};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use rayon::prelude::*;
use sextant_core::{
    BitSet, DensePairScorer, DenseQueryScorer, DenseVectorSource, DenseVectors, Distance,
    PointOffset, ScoredPoint,
};
use sextant_hnsw::{HnswConfig, HnswIndex, SearchContext, SearchRequest};
use sextant_quantization::{AnyCodes, CodecConfig, EncodedVectors, QuantizationConfig, rescore};

fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

fn runtime_error(e: impl std::fmt::Display) -> PyErr {
    PyRuntimeError::new_err(e.to_string())
}

/// What `init_index` sets up and `add_items` fills.
struct Built {
    max_elements: usize,
    config: HnswConfig,
    /// Prepared for the space (cosine vectors normalized), by offset.
    vectors: DenseVectors<f32>,
    labels: Vec<u64>,
    by_label: HashMap<u64, PointOffset>,
    deleted: BitSet,
    /// `None` until the first points are added.
    graph: Option<HnswIndex>,
    codes: Option<AnyCodes>,
}

/// An hnswlib-style index.
#[pyclass(module = "sextant")]
pub struct Index {
    space: String,
    distance: Distance,
    dim: usize,
    /// The codec and the name it was given by.
    quantization: Option<(QuantizationConfig, String)>,
    oversampling: f64,
    ef: usize,
    built: Option<Built>,
    pools: Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>,
    /// Search contexts kept between calls (a fresh one allocates its visited set: a few µs
    /// per call at 20k points).
    contexts: Mutex<Vec<SearchContext>>,
}

/// The rows of a 1-D (one vector) or 2-D float array, copied when not contiguous, as f32.
fn rows(data: &Bound<'_, PyAny>, dim: usize) -> PyResult<Array2<f32>> {
    if let Ok(a) = data.extract::<PyArrayLike2<'_, f32, AllowTypeChange>>() {
        let view: ArrayView2<'_, f32> = a.as_array();
        if view.ncols() != dim {
            return Err(value_error(format!(
                "wrong dimension: the index has {dim}, the data has {}",
                view.ncols()
            )));
        }
        return Ok(view.to_owned());
    }
    if let Ok(a) = data.extract::<PyArrayLike1<'_, f32, AllowTypeChange>>() {
        let v = a.as_array();
        if v.len() != dim {
            return Err(value_error(format!(
                "wrong dimension: the index has {dim}, the vector has {}",
                v.len()
            )));
        }
        return v
            .to_owned()
            .into_shape_with_order((1, dim))
            .map_err(value_error);
    }
    Err(value_error(
        "data must be a 1-D or 2-D array of numbers (a NumPy array or a nested list)",
    ))
}

impl Index {
    fn built(&self) -> PyResult<&Built> {
        self.built
            .as_ref()
            .ok_or_else(|| runtime_error("the index is not initialized: call init_index first"))
    }

    fn pool(&self, threads: i64) -> PyResult<Arc<rayon::ThreadPool>> {
        let n = if threads <= 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            threads as usize
        };
        let mut pools = self.pools.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = pools.get(&n) {
            return Ok(p.clone());
        }
        let pool = Arc::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(runtime_error)?,
        );
        pools.insert(n, pool.clone());
        Ok(pool)
    }

    /// hnswlib's distance of an internal score.
    fn distance_of(&self, score: f32) -> f32 {
        match self.distance {
            Distance::Euclid => -score,
            _ => 1.0 - score,
        }
    }
}

/// What a query asks: results, list size, candidates on codes per result.
#[derive(Clone, Copy)]
struct Ask {
    k: usize,
    ef: usize,
    oversampling: f64,
}

/// Labels and distances, one row per query.
type Answer<'py> = (Bound<'py, PyArray2<u64>>, Bound<'py, PyArray2<f32>>);

/// The nearest `ask.k` live points (in `allowed`, when given) to `query` (a raw row).
fn search_one(
    b: &Built,
    distance: Distance,
    query: &[f32],
    ask: Ask,
    allowed: Option<&BitSet>,
    ctx: &mut SearchContext,
) -> Result<Vec<ScoredPoint>, String> {
    let Ask {
        k,
        ef,
        oversampling,
    } = ask;
    let graph = b.graph.as_ref().ok_or("the index is empty")?;
    let mut q = query.to_vec();
    distance
        .prepare(&mut q, b.vectors.dim())
        .map_err(|e| format!("query: {e}"))?;
    let passes = |o: PointOffset| !b.deleted.contains(o) && allowed.is_none_or(|a| a.contains(o));
    let exact = DenseQueryScorer::for_source(&b.vectors, &q).map_err(|e| e.to_string())?;
    let filtered = !b.deleted.is_clear() || allowed.is_some();
    match &b.codes {
        None => {
            let req = SearchRequest::new(k).ef(ef.max(k));
            let found = if filtered {
                graph.search(&exact, &req.filter(&passes), ctx)
            } else {
                graph.search(&exact, &req, ctx)
            };
            Ok(found.map_err(|e| e.to_string())?.to_vec())
        }
        Some(codes) => {
            let wide = ((k as f64 * oversampling).ceil() as usize).max(k);
            let scorer = codes.query_scorer(&q).map_err(|e| e.to_string())?;
            let req = SearchRequest::new(wide).ef(ef.max(wide));
            let found = if filtered {
                graph.search(&scorer, &req.filter(&passes), ctx)
            } else {
                graph.search(&scorer, &req, ctx)
            };
            let candidates = found.map_err(|e| e.to_string())?.to_vec();
            let mut out = Vec::with_capacity(k);
            rescore(&candidates, &exact, k, &mut out);
            Ok(out)
        }
    }
}

#[pymethods]
impl Index {
    /// `Index(space, dim, quantization=None, oversampling=2.0)`: `space` is `"l2"`, `"ip"` or
    /// `"cosine"`; `quantization` a codec name (`"sq4d"`, `"sq8d"`, `"sq8"`, ...) the graph is
    /// traversed on, the candidates then rescored with the floats.
    #[new]
    #[pyo3(signature = (space, dim, quantization=None, oversampling=2.0))]
    fn new(
        space: &str,
        dim: usize,
        quantization: Option<&str>,
        oversampling: f64,
    ) -> PyResult<Self> {
        let distance = match space {
            "l2" => Distance::Euclid,
            "ip" => Distance::Dot,
            "cosine" => Distance::Cosine,
            s => {
                return Err(value_error(format!(
                    "space {s:?}: expected 'l2', 'ip' or 'cosine'"
                )));
            }
        };
        if dim == 0 {
            return Err(value_error("dim must be positive"));
        }
        if !(oversampling >= 1.0 && oversampling.is_finite()) {
            return Err(value_error("oversampling must be at least 1"));
        }
        let quantization = quantization
            .map(|q| -> PyResult<_> {
                Ok((
                    q.parse::<QuantizationConfig>().map_err(value_error)?,
                    q.to_string(),
                ))
            })
            .transpose()?;
        Ok(Self {
            space: space.to_string(),
            distance,
            dim,
            quantization,
            oversampling,
            ef: 10,
            built: None,
            pools: Mutex::new(HashMap::new()),
            contexts: Mutex::new(Vec::new()),
        })
    }

    /// `init_index(max_elements, M=16, ef_construction=200, random_seed=100)`.
    #[pyo3(signature = (max_elements, M=16, ef_construction=200, random_seed=100, allow_replace_deleted=false))]
    #[allow(non_snake_case)]
    fn init_index(
        &mut self,
        max_elements: usize,
        M: usize,
        ef_construction: usize,
        random_seed: u64,
        allow_replace_deleted: bool,
    ) -> PyResult<()> {
        if allow_replace_deleted {
            return Err(value_error("allow_replace_deleted is not supported"));
        }
        if M < 2 || ef_construction == 0 {
            return Err(value_error(
                "M must be at least 2 and ef_construction positive",
            ));
        }
        let mut vectors = DenseVectors::new(self.dim).map_err(value_error)?;
        vectors.prepare(self.distance).map_err(value_error)?;
        self.built = Some(Built {
            max_elements,
            config: HnswConfig {
                m: M,
                m0: 2 * M,
                ef_construction,
                seed: random_seed,
            },
            vectors,
            labels: Vec::new(),
            by_label: HashMap::new(),
            deleted: BitSet::new(0),
            graph: None,
            codes: None,
        });
        Ok(())
    }

    /// `add_items(data, ids=None, num_threads=-1)`: the first call builds the graph on
    /// `num_threads` threads (and trains the codes); later calls insert point by point.
    #[pyo3(signature = (data, ids=None, num_threads=-1, replace_deleted=false))]
    fn add_items(
        &mut self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        ids: Option<&Bound<'_, PyAny>>,
        num_threads: i64,
        replace_deleted: bool,
    ) -> PyResult<()> {
        if replace_deleted {
            return Err(value_error("replace_deleted is not supported"));
        }
        let mut rows = rows(data, self.dim)?;
        let pool = self.pool(num_threads)?;
        let (distance, quantization) = (self.distance, self.quantization.as_ref().map(|q| q.0));
        let b = self
            .built
            .as_mut()
            .ok_or_else(|| runtime_error("the index is not initialized: call init_index first"))?;
        let n = rows.nrows();
        let labels: Vec<u64> = match ids {
            None => (b.labels.len() as u64..(b.labels.len() + n) as u64).collect(),
            Some(ids) => {
                let a = ids
                    .extract::<PyArrayLike1<'_, u64, AllowTypeChange>>()
                    .map_err(|_| value_error("ids must be a 1-D array of non-negative integers"))?;
                a.as_array().to_vec()
            }
        };
        if labels.len() != n {
            return Err(value_error(format!("{n} vectors but {} ids", labels.len())));
        }
        if let Some(l) = labels.iter().find(|l| b.by_label.contains_key(l)) {
            return Err(value_error(format!(
                "label {l} is already in the index (updates are not supported: mark_deleted it and add a new label)"
            )));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(l) = labels.iter().find(|l| !seen.insert(**l)) {
            return Err(value_error(format!("label {l} is given twice")));
        }
        if b.labels.len() + n > b.max_elements {
            return Err(runtime_error(
                "The number of elements exceeds the specified limit (init_index's max_elements)",
            ));
        }
        // Checked and prepared, in place, before anything changes.
        for mut row in rows.rows_mut() {
            let v = row.as_slice_mut().expect("an owned array is contiguous");
            distance.prepare(v, self.dim).map_err(value_error)?;
        }
        py.detach(|| -> PyResult<()> {
            let first = b.graph.is_none();
            let start = b.labels.len() as PointOffset;
            for (v, &l) in rows.rows().into_iter().zip(&labels) {
                let v = v.as_slice().expect("an owned array is contiguous");
                let o = b.vectors.push(v).map_err(value_error)?;
                b.by_label.insert(l, o);
                b.labels.push(l);
            }
            b.deleted.grow(b.labels.len());
            let threads = pool.current_num_threads();
            if first {
                let pair = DensePairScorer::for_source(&b.vectors).map_err(runtime_error)?;
                let graph = pool
                    .install(|| HnswIndex::build(b.vectors.len(), &pair, b.config, threads))
                    .map_err(runtime_error)?;
                b.graph = Some(graph);
                if let Some(codec) = quantization {
                    let codes =
                        AnyCodes::train(&b.vectors, distance, &CodecConfig::new(codec), threads)
                            .map_err(runtime_error)?;
                    b.codes = Some(codes);
                }
            } else {
                let pair = DensePairScorer::for_source(&b.vectors).map_err(runtime_error)?;
                let graph = b.graph.as_mut().expect("built on the first add");
                let mut ctx = SearchContext::new();
                for _ in start..b.vectors.len() as PointOffset {
                    graph.insert(&pair, &mut ctx).map_err(runtime_error)?;
                }
                if let Some(codes) = b.codes.as_mut() {
                    for v in rows.rows() {
                        let v = v.as_slice().expect("an owned array is contiguous");
                        codes.push(v).map_err(runtime_error)?;
                    }
                }
            }
            Ok(())
        })
    }

    /// `knn_query(data, k=1, num_threads=-1, filter=None)` → `(labels, distances)`, arrays of
    /// shape (queries, k). `filter`: a boolean array indexed by label, or an array of the
    /// labels allowed.
    #[pyo3(signature = (data, k=1, num_threads=-1, filter=None))]
    fn knn_query<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        k: usize,
        num_threads: i64,
        filter: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Answer<'py>> {
        let b = self.built()?;
        if k == 0 {
            return Err(value_error("k must be positive"));
        }
        let live = b.labels.len() - b.deleted.count();
        if k > live {
            return Err(value_error(format!(
                "k = {k} is more than the {live} points in the index"
            )));
        }
        let rows = rows(data, self.dim)?;
        let allowed = filter.map(|f| self.allowed(b, f)).transpose()?;
        let distance = self.distance;
        let ask = Ask {
            k,
            ef: self.ef,
            oversampling: self.oversampling,
        };
        let n = rows.nrows();
        let run = |q: usize, ctx: &mut SearchContext| {
            let row = rows.row(q);
            let row = row.as_slice().expect("an owned array is contiguous");
            search_one(b, distance, row, ask, allowed.as_ref(), ctx)
        };
        let found: Vec<Result<Vec<ScoredPoint>, String>> = py.detach(|| {
            if n == 1 || num_threads == 1 {
                let mut ctx = self.context();
                let found = (0..n).map(|q| run(q, &mut ctx)).collect();
                self.contexts
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(ctx);
                found
            } else {
                let pool = self.pool(num_threads).expect("a pool");
                pool.install(|| {
                    (0..n)
                        .into_par_iter()
                        .map_init(SearchContext::new, |ctx, q| run(q, ctx))
                        .collect()
                })
            }
        });
        let mut labels = Vec::with_capacity(n * k);
        let mut distances = Vec::with_capacity(n * k);
        for f in found {
            let f = f.map_err(runtime_error)?;
            if f.len() < k {
                return Err(runtime_error(format!(
                    "Cannot return the results in a contiguous 2D array: {} of {k} found (too few points pass the filter, or ef is too small)",
                    f.len()
                )));
            }
            for p in f {
                labels.push(b.labels[p.offset as usize]);
                distances.push(self.distance_of(p.score));
            }
        }
        let labels = Array2::from_shape_vec((n, k), labels).map_err(runtime_error)?;
        let distances = Array2::from_shape_vec((n, k), distances).map_err(runtime_error)?;
        Ok((labels.into_pyarray(py), distances.into_pyarray(py)))
    }

    /// The search list size of queries (at least k is used).
    fn set_ef(&mut self, ef: usize) {
        self.ef = ef.max(1);
    }

    /// Leaves `label` out of every later query.
    fn mark_deleted(&mut self, label: u64) -> PyResult<()> {
        self.set_deleted(label, true)
    }

    /// Puts a deleted `label` back.
    fn unmark_deleted(&mut self, label: u64) -> PyResult<()> {
        self.set_deleted(label, false)
    }

    /// The stored vectors of `ids` (as stored: cosine vectors normalized), one row each.
    fn get_items<'py>(
        &self,
        py: Python<'py>,
        ids: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let b = self.built()?;
        let ids = ids
            .extract::<PyArrayLike1<'_, u64, AllowTypeChange>>()
            .map_err(|_| value_error("ids must be a 1-D array of labels"))?;
        let mut out = Vec::new();
        for l in ids.as_array() {
            let o = b
                .by_label
                .get(l)
                .ok_or_else(|| runtime_error(format!("Label not found: {l}")))?;
            out.extend_from_slice(b.vectors.vector(*o));
        }
        let n = out.len() / self.dim;
        Ok(Array2::from_shape_vec((n, self.dim), out)
            .map_err(runtime_error)?
            .into_pyarray(py))
    }

    /// Every label, deleted ones included, in insertion order.
    fn get_ids_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<u64>>> {
        Ok(self.built()?.labels.clone().into_pyarray(py))
    }

    /// Points added (deleted ones included).
    fn get_current_count(&self) -> usize {
        self.built.as_ref().map_or(0, |b| b.labels.len())
    }

    /// `init_index`'s `max_elements`.
    fn get_max_elements(&self) -> usize {
        self.built.as_ref().map_or(0, |b| b.max_elements)
    }

    /// Raises the capacity.
    fn resize_index(&mut self, new_size: usize) -> PyResult<()> {
        let b = self
            .built
            .as_mut()
            .ok_or_else(|| runtime_error("the index is not initialized"))?;
        if new_size < b.labels.len() {
            return Err(value_error("cannot shrink below the points held"));
        }
        b.max_elements = new_size;
        Ok(())
    }

    /// The search list size.
    #[getter]
    fn ef(&self) -> usize {
        self.ef
    }

    #[setter]
    fn set_ef_attr(&mut self, ef: usize) {
        self.ef = ef.max(1);
    }

    /// `l2`, `ip` or `cosine`.
    #[getter]
    fn space(&self) -> &str {
        &self.space
    }

    /// The dimension.
    #[getter]
    fn dim(&self) -> usize {
        self.dim
    }

    /// Links per node.
    #[getter(M)]
    fn m(&self) -> usize {
        self.built.as_ref().map_or(0, |b| b.config.m)
    }

    /// The build list size.
    #[getter]
    fn ef_construction(&self) -> usize {
        self.built.as_ref().map_or(0, |b| b.config.ef_construction)
    }

    /// Points held (deleted ones included).
    #[getter]
    fn element_count(&self) -> usize {
        self.get_current_count()
    }

    /// The codec name, or None.
    #[getter]
    fn quantization(&self) -> Option<String> {
        self.quantization.as_ref().map(|q| q.1.clone())
    }

    fn __repr__(&self) -> String {
        format!(
            "sextant.Index(space={:?}, dim={}, quantization={:?}, elements={})",
            self.space,
            self.dim,
            self.quantization.as_ref().map(|q| &q.1),
            self.get_current_count()
        )
    }
}

impl Index {
    /// Marks `label` deleted, or not; an unknown label or no change is an error (hnswlib's).
    fn set_deleted(&mut self, label: u64, deleted: bool) -> PyResult<()> {
        let b = self
            .built
            .as_mut()
            .ok_or_else(|| runtime_error("the index is not initialized"))?;
        let o = *b
            .by_label
            .get(&label)
            .ok_or_else(|| runtime_error(format!("Label not found: {label}")))?;
        let changed = if deleted {
            b.deleted.insert(o)
        } else {
            b.deleted.remove(o)
        };
        if !changed {
            let state = if deleted {
                "already deleted"
            } else {
                "not deleted"
            };
            return Err(runtime_error(format!("The element {label} is {state}")));
        }
        Ok(())
    }

    /// A search context from the pool, or a new one.
    fn context(&self) -> SearchContext {
        let mut pool = self.contexts.lock().unwrap_or_else(|e| e.into_inner());
        pool.pop().unwrap_or_default()
    }

    /// The offsets a `filter` argument allows: a boolean array indexed by label, or labels.
    fn allowed(&self, b: &Built, filter: &Bound<'_, PyAny>) -> PyResult<BitSet> {
        let mut set = BitSet::new(b.labels.len());
        if let Ok(mask) = filter.extract::<numpy::PyReadonlyArray1<'_, bool>>() {
            let mask = mask.as_array();
            for (o, l) in b.labels.iter().enumerate() {
                if mask.get(*l as usize).copied().unwrap_or(false) {
                    set.insert(o as PointOffset);
                }
            }
            return Ok(set);
        }
        let ids = filter
            .extract::<PyArrayLike1<'_, u64, AllowTypeChange>>()
            .map_err(|_| {
                value_error(
                    "filter must be a boolean array indexed by label, or an array of labels",
                )
            })?;
        for l in ids.as_array() {
            if let Some(&o) = b.by_label.get(l) {
                set.insert(o);
            }
        }
        Ok(set)
    }
}
