//! `sextant._sextant.serve(storage)`: the server's router on a background thread of the
//! interpreter, on a free loopback port (what `sextant.local()` connects a `QdrantClient` to).
//! No endpoint is implemented here: this is `sextant-server`'s code.

use std::sync::Mutex;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// A running server; `stop()` (or garbage collection) finishes its requests and flushes.
#[pyclass(module = "sextant")]
pub struct LocalServer {
    running: Mutex<Option<sextant_server::Running>>,
    port: u16,
}

#[pymethods]
impl LocalServer {
    /// The loopback port it listens on.
    #[getter]
    fn port(&self) -> u16 {
        self.port
    }

    /// Stops it (idempotent): requests in flight finish, every collection is flushed.
    fn stop(&self, py: Python<'_>) {
        let running = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(r) = running {
            py.detach(|| r.stop());
        }
    }

    /// True until `stop`.
    #[getter]
    fn running(&self) -> bool {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }
}

/// Starts the server over the storage folder `storage` on a free loopback port.
#[pyfunction]
pub fn serve(py: Python<'_>, storage: &str) -> PyResult<LocalServer> {
    let mut config = sextant_server::ServerConfig::new(storage);
    config.port = 0;
    let running = py
        .detach(|| sextant_server::start(config))
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    let port = running.port;
    Ok(LocalServer {
        running: Mutex::new(Some(running)),
        port,
    })
}
