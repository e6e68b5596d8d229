//! # sextant-python
//!
//! The native module `sextant._sextant` of the `sextant` Python package (the Python side is
//! `python/sextant/__init__.py`):
//!
//! - `Index` (`index.rs`): an hnswlib-style index over NumPy arrays on `sextant-hnsw`, with
//!   traversal on codes and filters.
//! - `serve` / `LocalServer` (`local.rs`): `sextant-server` on a background thread, for
//!   `sextant.local()`.
//! - `SIMD_LEVEL`: the instruction set the kernels run on here (`"avx512"`, `"avx2"`, ...),
//!   for reports beside benchmark figures.
//!
//! Built with maturin (`pip install ./crates/python`); tested from Python (`tests/`).

mod index;
mod local;

use pyo3::prelude::*;

/// The native module.
#[pymodule]
fn _sextant(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<index::Index>()?;
    m.add_class::<local::LocalServer>()?;
    m.add_function(wrap_pyfunction!(local::serve, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("SIMD_LEVEL", sextant_core::Kernels::best().level.name())?;
    Ok(())
}
