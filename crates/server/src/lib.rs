//! # sextant-server
//!
//! Qdrant's REST API over sextant shards, one shard per collection, so an application
//! written against `qdrant-client` (or any client speaking Qdrant's REST API) runs against
//! Sextant unchanged. Every handler is a thin translation to a shard call; this crate is the
//! only one of the workspace with an async runtime and HTTP.
//!
//! - [`ServerConfig`]: the flags (storage folder, host, port, API keys, body limit).
//! - [`serve`]: opens the collections, serves until the shutdown future completes, flushes.
//! - [`start`] and [`Running`]: the same on a background thread of the calling program (the
//!   Python package's local mode, the bench), with its port and a `stop` that flushes.
//! - [`router`] and [`AppState`]: the routes over opened collections, for embedding the
//!   server in another program (or a test) without a socket.
//! - [`Collections`], [`Collection`]: the storage folder's collections.
//! - [`Error`]: Qdrant's error statuses and `{"status": {"error": ...}}` bodies.
//!
//! ```no_run
//! # async fn run() -> Result<(), sextant_server::Error> {
//! let config = sextant_server::ServerConfig::new("/tmp/sextant-storage");
//! sextant_server::serve(config, async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```
//!
//! Modules: `routes` (one file per group of endpoints), `lookup` (`lookup_from`, `with_lookup`),
//! `points` and `collection_config`
//! (Qdrant's JSON to and from the shard's types), `body` (the JSON extractor and the
//! envelope), `auth`, `metrics`, `optimizer` (the background indexing), `front` (a thread
//! per connection, blocking reads, hyper's HTTP/1.1 on it).

mod auth;
mod body;
mod collection_config;
mod collection_update;
mod collections;
mod config;
mod error;
mod front;
mod lookup;
mod metrics;
mod optimizer;
mod points;
mod routes;

use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::DefaultBodyLimit;

pub use collections::{Collection, Collections};
pub use config::ServerConfig;
pub use error::{Error, Result};

/// What every handler shares: the collections, the settings, the metrics.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

/// The shared state.
#[derive(Debug)]
pub struct Inner {
    /// The collections.
    pub collections: Collections,
    /// The settings.
    pub config: ServerConfig,
    metrics: metrics::Metrics,
    ready: AtomicBool,
}

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Opens the collections of `config.storage`.
    pub fn open(config: ServerConfig) -> Result<Self> {
        let collections = Collections::open(&config.storage)?;
        Ok(Self(Arc::new(Inner {
            collections,
            config,
            metrics: metrics::Metrics::default(),
            ready: AtomicBool::new(true),
        })))
    }
}

/// Every route, with the API-key check, the metrics and the body limit.
pub fn router(app: AppState) -> Router {
    let limit = app.config.max_request_mib.saturating_mul(1 << 20);
    routes::all()
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            auth::check,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            metrics::record,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(app)
}

/// A server running on a background thread of this process.
#[derive(Debug)]
pub struct Running {
    /// The port it listens on (the one asked, or the free one picked for 0).
    pub port: u16,
    /// The shared state (for in-process calls beside the HTTP ones).
    pub app: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// Stops accepting, finishes the requests in flight, flushes every collection; returns
    /// when done.
    pub fn stop(mut self) {
        self.shut();
    }

    fn shut(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shut();
    }
}

/// Starts serving `config` on a background thread (its own tokio runtime) and returns once
/// the port is bound.
pub fn start(config: ServerConfig) -> Result<Running> {
    let addr = format!("{}:{}", config.host, config.port);
    let app = AppState::open(config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("a runtime: {e}")))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(&addr))
        .map_err(|e| Error::Internal(format!("bind {addr}: {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| Error::Internal(e.to_string()))?
        .port();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let served = app.clone();
    let thread = std::thread::Builder::new()
        .name("sextant-server".into())
        .spawn(move || {
            let serving = served.clone();
            runtime.block_on(async move {
                let served = serving;
                let optimizer = tokio::spawn(optimizer::run(served.clone()));
                let shutdown = async {
                    let _ = rx.await;
                };
                front::serve(listener, router(served.clone()), &served.config, shutdown).await;
                optimizer.abort();
            });
            finish(&served);
        })
        .map_err(|e| Error::Internal(format!("a server thread: {e}")))?;
    Ok(Running {
        port,
        app,
        stop: Some(tx),
        thread: Some(thread),
    })
}

/// Marks the server stopping and flushes every collection.
fn finish(app: &AppState) {
    app.ready.store(false, Ordering::Release);
    for c in app.collections.all() {
        if let Err(e) = c.shard.flush() {
            tracing::error!("flush of collection {}: {e}", c.name);
        }
    }
}

/// Serves `config` until `shutdown` completes: stops accepting, finishes the requests in
/// flight, flushes every collection.
pub async fn serve(
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let addr = format!("{}:{}", config.host, config.port);
    let app = AppState::open(config)?;
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| Error::Internal(format!("bind {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::Internal(e.to_string()))?;
    // The one line a script waits for (the port, when 0 was asked).
    println!("sextant-server listening on http://{local}");
    tracing::info!("listening on http://{local}");
    tokio::spawn(optimizer::run(app.clone()));
    front::serve(listener, router(app.clone()), &app.config, shutdown).await;
    finish(&app);
    tracing::info!("stopped; every collection flushed");
    Ok(())
}
