//! `sextant.Index`: hnswlib's Python API over `sextant-index`'s `LabeledIndex` (vectors
//! under labels, the graph on floats or codes, deletes, filters, one saved file), plus what
//! hnswlib lacks: traversal on codes (`quantization="sq4d"`, candidates rescored with the
//! floats, `oversampling` of them per result), float search behind int8 code bounds
//! (`bounds=True`: the float search's results, faster at scale) and a `filter` on `knn_query`
//! (a boolean mask over labels or an array of allowed labels). Queries release the GIL;
//! batches run on `num_threads`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use numpy::ndarray::Array2;
use numpy::{AllowTypeChange, IntoPyArray, PyArray1, PyArray2, PyArrayLike1, PyArrayLike2};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use sextant_core::{BitSet, Distance};
use sextant_index::{Error, IndexConfig, LabeledIndex, Neighbours};
use sextant_quantization::QuantizationConfig;

fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

fn runtime_error(e: impl std::fmt::Display) -> PyErr {
    PyRuntimeError::new_err(e.to_string())
}

/// The Python exception of an index error.
fn py_error(e: Error) -> PyErr {
    match e {
        Error::BadInput(_) => value_error(e),
        Error::Io { .. } | Error::Corrupt { .. } => PyOSError::new_err(e.to_string()),
        e => runtime_error(e),
    }
}

/// Labels and distances, one row per query.
type Answer<'py> = (Bound<'py, PyArray2<u64>>, Bound<'py, PyArray2<f32>>);

/// The `(labels, distances)` arrays of `n` queries' `k` results each.
fn answer(py: Python<'_>, found: Vec<Neighbours>, n: usize, k: usize) -> PyResult<Answer<'_>> {
    let mut labels = Vec::with_capacity(n * k);
    let mut distances = Vec::with_capacity(n * k);
    for f in found {
        if f.len() < k {
            return Err(runtime_error(format!(
                "Cannot return the results in a contiguous 2D array: {} of {k} found (too few points pass the filter, or ef is too small)",
                f.len()
            )));
        }
        for (label, d) in f {
            labels.push(label);
            distances.push(d);
        }
    }
    let labels = Array2::from_shape_vec((n, k), labels).map_err(runtime_error)?;
    let distances = Array2::from_shape_vec((n, k), distances).map_err(runtime_error)?;
    Ok((labels.into_pyarray(py), distances.into_pyarray(py)))
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
    bounds: bool,
    /// hnswlib's `allow_replace_deleted` (of `init_index` / `load_index`): `add_items` may be
    /// asked to put new labels in deleted points' places.
    allow_replace_deleted: bool,
    ef: usize,
    /// Threads of calls given `num_threads=-1` (0: every core), as hnswlib's `num_threads`.
    default_threads: usize,
    index: Option<LabeledIndex>,
    pools: Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>,
}

/// The rows of a 1-D (one vector) or 2-D array of numbers, as f32, row after row (copied:
/// the array may be of another dtype, or not contiguous).
/// The values of an array: one copy when it is contiguous, else element by element (the
/// element walk took ~1 µs of a dimension-384 query, a fifth of a call on a small index).
fn values(contiguous: Option<&[f32]>, walk: impl FnOnce() -> Vec<f32>) -> Vec<f32> {
    contiguous.map_or_else(walk, <[f32]>::to_vec)
}

fn rows(data: &Bound<'_, PyAny>, dim: usize) -> PyResult<Vec<f32>> {
    let (values, cols): (Vec<f32>, usize) =
        if let Ok(a) = data.extract::<PyArrayLike2<'_, f32, AllowTypeChange>>() {
            let view = a.as_array();
            (
                values(view.as_slice(), || view.iter().copied().collect()),
                view.ncols(),
            )
        } else if let Ok(a) = data.extract::<PyArrayLike1<'_, f32, AllowTypeChange>>() {
            let view = a.as_array();
            (
                values(view.as_slice(), || view.iter().copied().collect()),
                view.len(),
            )
        } else {
            return Err(value_error(
                "data must be a 1-D or 2-D array of numbers (a NumPy array or a nested list)",
            ));
        };
    if cols != dim {
        return Err(value_error(format!(
            "wrong dimension: the index has {dim}, the data has {cols}"
        )));
    }
    Ok(values)
}

impl Index {
    fn inner(&self) -> PyResult<&LabeledIndex> {
        self.index.as_ref().ok_or_else(|| {
            runtime_error("the index is not initialized: call init_index (or load_index) first")
        })
    }

    fn inner_mut(&mut self) -> PyResult<&mut LabeledIndex> {
        self.index.as_mut().ok_or_else(|| {
            runtime_error("the index is not initialized: call init_index (or load_index) first")
        })
    }

    /// The threads a call asking for `threads` gets: a positive count as given; otherwise
    /// the default `set_num_threads` chose, or every core.
    fn threads(&self, threads: i64) -> usize {
        match (threads, self.default_threads) {
            (t, _) if t > 0 => t as usize,
            (_, d) if d > 0 => d,
            _ => std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }

    fn pool(&self, threads: i64) -> PyResult<Arc<rayon::ThreadPool>> {
        let n = self.threads(threads);
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

    /// The points a `filter` argument allows: a boolean array indexed by label, or labels.
    fn allowed(&self, index: &LabeledIndex, filter: &Bound<'_, PyAny>) -> PyResult<BitSet> {
        if let Ok(mask) = filter.extract::<numpy::PyReadonlyArray1<'_, bool>>() {
            let mask: Vec<bool> = mask.as_array().iter().copied().collect();
            return Ok(index.allow_mask(&mask));
        }
        let labels = filter
            .extract::<PyArrayLike1<'_, u64, AllowTypeChange>>()
            .map_err(|_| {
                value_error(
                    "filter must be a boolean array indexed by label, or an array of labels",
                )
            })?;
        let labels: Vec<u64> = labels.as_array().iter().copied().collect();
        Ok(index.allow_labels(&labels))
    }
}

#[pymethods]
impl Index {
    /// `Index(space, dim, quantization=None, oversampling=2.0, bounds=False)`: `space` is
    /// `"l2"`, `"ip"` or `"cosine"`; `quantization` a codec name (`"sq4d"`, `"sq8d"`, `"sq8"`,
    /// ...) the graph is traversed on, the candidates then rescored with the floats; `bounds`
    /// (without `quantization`) keeps int8 codes beside the floats (+25% memory), builds the
    /// graph searching them and reads a float only where a code's bound can still enter the
    /// results: the float search's results, faster once the floats outgrow the caches.
    #[new]
    #[pyo3(signature = (space, dim, quantization=None, oversampling=2.0, bounds=false))]
    fn new(
        space: &str,
        dim: usize,
        quantization: Option<&str>,
        oversampling: f64,
        bounds: bool,
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
        if bounds && quantization.is_some() {
            return Err(value_error(
                "bounds apply to the float search; with quantization the candidates are rescored on the floats",
            ));
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
            bounds,
            allow_replace_deleted: false,
            ef: 10,
            default_threads: 0,
            index: None,
            pools: Mutex::new(HashMap::new()),
        })
    }

    /// `init_index(max_elements, M=16, ef_construction=200, random_seed=100,
    /// allow_replace_deleted=False)`.
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
        let mut config = IndexConfig::new(self.distance, self.dim, max_elements);
        config.hnsw.m = M;
        config.hnsw.m0 = 2 * M;
        config.hnsw.ef_construction = ef_construction;
        config.hnsw.seed = random_seed;
        config.codec = self.quantization.as_ref().map(|q| q.0);
        config.oversampling = self.oversampling;
        config.bounds = self.bounds;
        self.index = Some(LabeledIndex::new(config).map_err(py_error)?);
        self.allow_replace_deleted = allow_replace_deleted;
        Ok(())
    }

    /// `add_items(data, ids=None, num_threads=-1, replace_deleted=False)`: the first call
    /// builds the graph on `num_threads` threads (and trains the codes); later calls insert
    /// point by point. A label the index holds is updated (its vector replaced, its links
    /// chosen again, a deleted one made live), as in hnswlib; `replace_deleted` (with
    /// `allow_replace_deleted` at `init_index` / `load_index`) puts new labels in deleted
    /// points' places first.
    #[pyo3(signature = (data, ids=None, num_threads=-1, replace_deleted=false))]
    fn add_items(
        &mut self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        ids: Option<&Bound<'_, PyAny>>,
        num_threads: i64,
        replace_deleted: bool,
    ) -> PyResult<()> {
        if replace_deleted && !self.allow_replace_deleted {
            return Err(runtime_error(
                "Replacement of deleted elements is disabled in constructor (init_index or load_index with allow_replace_deleted=True)",
            ));
        }
        let allow_replace_deleted = self.allow_replace_deleted;
        let rows = rows(data, self.dim)?;
        let pool = self.pool(num_threads)?;
        let index = self.inner_mut()?;
        let n = rows.len() / index.config().dim;
        let labels: Vec<u64> = match ids {
            None => (index.len() as u64..(index.len() + n) as u64).collect(),
            Some(ids) => ids
                .extract::<PyArrayLike1<'_, u64, AllowTypeChange>>()
                .map_err(|_| value_error("ids must be a 1-D array of non-negative integers"))?
                .as_array()
                .to_vec(),
        };
        if allow_replace_deleted {
            // hnswlib's rule: with replacement on, a deleted label is replaced, not revived.
            if let Some(l) = labels
                .iter()
                .find(|&&l| index.is_deleted(l).unwrap_or(false))
            {
                return Err(runtime_error(format!(
                    "Can't use addPoint to update deleted elements if replacement of deleted elements is enabled (label {l})"
                )));
            }
        }
        let threads = pool.current_num_threads();
        py.detach(|| {
            pool.install(|| match replace_deleted {
                true => index.add_replacing_deleted(rows, &labels, threads),
                false => index.add_owned(rows, &labels, threads),
            })
        })
        .map_err(py_error)
    }

    /// `knn_query(data, k=1, num_threads=-1, filter=None)` → `(labels, distances)`, arrays of
    /// shape (queries, k). `filter`: a boolean array indexed by label, an array of the labels
    /// allowed, or a function of a label returning whether it may be returned (called during
    /// the search with the GIL held, so such queries run one at a time, as in hnswlib).
    #[pyo3(signature = (data, k=1, num_threads=-1, filter=None))]
    fn knn_query<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        k: usize,
        num_threads: i64,
        filter: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Answer<'py>> {
        let index = self.inner()?;
        if k == 0 {
            return Err(value_error("k must be positive"));
        }
        if k > index.live() {
            return Err(value_error(format!(
                "k = {k} is more than the {} points in the index",
                index.live()
            )));
        }
        let rows = rows(data, self.dim)?;
        let n = rows.len() / self.dim;
        let ef = self.ef;
        if let Some(f) = filter.filter(|f| f.is_callable()) {
            // The first exception the function raises stops the query and is raised here.
            let raised: std::cell::RefCell<Option<PyErr>> = std::cell::RefCell::new(None);
            let keep = |label: u64| {
                if raised.borrow().is_some() {
                    return false;
                }
                match f.call1((label,)).and_then(|r| r.is_truthy()) {
                    Ok(b) => b,
                    Err(e) => {
                        *raised.borrow_mut() = Some(e);
                        false
                    }
                }
            };
            let found: sextant_index::Result<Vec<Neighbours>> = rows
                .chunks_exact(self.dim)
                .map(|q| index.search_where(q, k, ef, &keep))
                .collect();
            if let Some(e) = raised.into_inner() {
                return Err(e);
            }
            return answer(py, found.map_err(py_error)?, n, k);
        }
        let allowed = filter.map(|f| self.allowed(index, f)).transpose()?;
        let found: sextant_index::Result<Vec<Neighbours>> =
            if n == 1 || self.threads(num_threads) == 1 {
                py.detach(|| {
                    rows.chunks_exact(self.dim)
                        .map(|q| index.search(q, k, ef, allowed.as_ref()))
                        .collect()
                })
            } else {
                let pool = self.pool(num_threads)?;
                py.detach(|| pool.install(|| index.search_batch(&rows, k, ef, allowed.as_ref())))
            };
        answer(py, found.map_err(py_error)?, n, k)
    }

    /// Pickling (as hnswlib's `Index` pickles): the constructor's arguments.
    fn __getnewargs_ex__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyDict>)> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("quantization", self.quantization.as_ref().map(|q| &q.1))?;
        kwargs.set_item("oversampling", self.oversampling)?;
        kwargs.set_item("bounds", self.bounds)?;
        Ok((
            (self.space.as_str(), self.dim)
                .into_pyobject(py)?
                .into_any(),
            kwargs,
        ))
    }

    /// Pickling: the settings and the index as `save_index` writes it (`None` before
    /// `init_index`).
    fn __getstate__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let bytes = self
            .index
            .as_ref()
            .map(|i| PyBytes::new(py, &py.detach(|| i.to_bytes())));
        (
            self.ef,
            self.default_threads,
            self.allow_replace_deleted,
            bytes,
        )
            .into_pyobject(py)
            .map(Bound::into_any)
    }

    /// Unpickling: what `__getstate__` gave, the index checked as `load_index` checks a file.
    fn __setstate__(&mut self, py: Python<'_>, state: &Bound<'_, PyAny>) -> PyResult<()> {
        let (ef, threads, allow_replace_deleted, bytes): (usize, usize, bool, Option<Vec<u8>>) =
            state
                .extract()
                .map_err(|_| value_error("not the state of a pickled sextant.Index"))?;
        self.index = bytes
            .map(|b| py.detach(|| LabeledIndex::from_bytes(&b)))
            .transpose()
            .map_err(|e| value_error(format!("pickled index: {e}")))?;
        self.ef = ef.max(1);
        self.default_threads = threads;
        self.allow_replace_deleted = allow_replace_deleted;
        Ok(())
    }

    /// Writes the index to one file at `path` (its vectors, labels, deletes, graph and codes).
    fn save_index(&self, py: Python<'_>, path: &str) -> PyResult<()> {
        let index = self.inner()?;
        py.detach(|| index.save(path)).map_err(py_error)
    }

    /// Reads a file written by `save_index` (its space, dimension and codec must be this
    /// object's); `max_elements` above the saved capacity raises it.
    #[pyo3(signature = (path, max_elements=0, allow_replace_deleted=false))]
    fn load_index(
        &mut self,
        py: Python<'_>,
        path: &str,
        max_elements: usize,
        allow_replace_deleted: bool,
    ) -> PyResult<()> {
        let mut index = py.detach(|| LabeledIndex::load(path)).map_err(py_error)?;
        let c = index.config();
        if c.distance != self.distance || c.dim != self.dim {
            return Err(value_error(format!(
                "{path} holds a {:?} index of dimension {}, not {} of {}",
                c.distance, c.dim, self.space, self.dim
            )));
        }
        if c.codec != self.quantization.as_ref().map(|q| q.0) {
            return Err(value_error(format!(
                "{path} was saved with quantization {:?}, this Index has {:?}",
                c.codec,
                self.quantization.as_ref().map(|q| &q.1)
            )));
        }
        if max_elements > c.max_elements {
            index.resize(max_elements).map_err(py_error)?;
        }
        self.oversampling = index.config().oversampling;
        // Bounds change the speed, not the answers: the saved index keeps its own.
        self.bounds = index.config().bounds;
        self.index = Some(index);
        self.allow_replace_deleted = allow_replace_deleted;
        Ok(())
    }

    /// The search list size of queries (at least k is used).
    fn set_ef(&mut self, ef: usize) {
        self.ef = ef.max(1);
    }

    /// Threads of the calls given `num_threads=-1` (a count below 1: every core), as hnswlib.
    fn set_num_threads(&mut self, num_threads: i64) {
        self.default_threads = usize::try_from(num_threads).unwrap_or(0);
    }

    /// Threads of the calls given `num_threads=-1`.
    #[getter]
    fn num_threads(&self) -> usize {
        self.threads(-1)
    }

    #[setter(num_threads)]
    fn set_num_threads_attr(&mut self, num_threads: i64) {
        self.set_num_threads(num_threads);
    }

    /// Leaves `label` out of every later query.
    fn mark_deleted(&mut self, label: u64) -> PyResult<()> {
        self.inner_mut()?.set_deleted(label, true).map_err(py_error)
    }

    /// Puts a deleted `label` back.
    fn unmark_deleted(&mut self, label: u64) -> PyResult<()> {
        self.inner_mut()?
            .set_deleted(label, false)
            .map_err(py_error)
    }

    /// The stored vectors of `ids` (as stored: cosine vectors normalized), one row each.
    fn get_items<'py>(
        &self,
        py: Python<'py>,
        ids: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let index = self.inner()?;
        let ids = ids
            .extract::<PyArrayLike1<'_, u64, AllowTypeChange>>()
            .map_err(|_| value_error("ids must be a 1-D array of labels"))?;
        let mut out = Vec::new();
        for &l in ids.as_array() {
            out.extend_from_slice(index.vector(l).map_err(py_error)?);
        }
        let n = out.len() / self.dim;
        Ok(Array2::from_shape_vec((n, self.dim), out)
            .map_err(runtime_error)?
            .into_pyarray(py))
    }

    /// Every label, deleted ones included, in insertion order.
    fn get_ids_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<u64>>> {
        Ok(self.inner()?.labels().to_vec().into_pyarray(py))
    }

    /// Points added (deleted ones included).
    fn get_current_count(&self) -> usize {
        self.index.as_ref().map_or(0, LabeledIndex::len)
    }

    /// The capacity.
    fn get_max_elements(&self) -> usize {
        self.index.as_ref().map_or(0, |i| i.config().max_elements)
    }

    /// Raises the capacity.
    fn resize_index(&mut self, new_size: usize) -> PyResult<()> {
        self.inner_mut()?.resize(new_size).map_err(py_error)
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
        self.index.as_ref().map_or(0, |i| i.config().hnsw.m)
    }

    /// The build list size.
    #[getter]
    fn ef_construction(&self) -> usize {
        self.index
            .as_ref()
            .map_or(0, |i| i.config().hnsw.ef_construction)
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

    /// True when the float search runs behind int8 code bounds.
    #[getter]
    fn bounds(&self) -> bool {
        self.bounds
    }

    fn __repr__(&self) -> String {
        format!(
            "sextant.Index(space={:?}, dim={}, quantization={:?}, bounds={}, elements={})",
            self.space,
            self.dim,
            self.quantization.as_ref().map(|q| &q.1),
            if self.bounds { "True" } else { "False" },
            self.get_current_count()
        )
    }
}
