//! The server's settings: flags, each with an environment variable of the same meaning.

use std::path::PathBuf;

/// `sextant-server`'s flags.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "sextant-server",
    version,
    about = "Qdrant's REST API over sextant shards"
)]
pub struct ServerConfig {
    /// Folder of the collections (created when missing).
    #[arg(long, env = "SEXTANT_STORAGE")]
    pub storage: PathBuf,
    /// Address to listen on.
    #[arg(long, env = "SEXTANT_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (Qdrant's REST port by default; 0: any free port, printed at start).
    #[arg(long, env = "SEXTANT_PORT", default_value_t = 6333)]
    pub port: u16,
    /// Key every request but `/`, health and readiness must carry (`api-key` header or
    /// `Authorization: Bearer`).
    #[arg(long, env = "SEXTANT_API_KEY")]
    pub api_key: Option<String>,
    /// A key that may only read.
    #[arg(long, env = "SEXTANT_READ_ONLY_API_KEY")]
    pub read_only_api_key: Option<String>,
    /// Largest request body, in MiB (larger ones: 413, not read whole).
    #[arg(long, env = "SEXTANT_MAX_REQUEST_MIB", default_value_t = 32)]
    pub max_request_mib: usize,
    /// How often the background optimizer looks for collections to index, in milliseconds.
    #[arg(long, env = "SEXTANT_OPTIMIZER_INTERVAL_MS", default_value_t = 1000)]
    pub optimizer_interval_ms: u64,
    /// Connections served each by a thread of its own, with blocking reads (the fastest
    /// round trip); connections beyond it are served as tasks of the async runtime.
    #[arg(long, env = "SEXTANT_CONNECTION_THREADS", default_value_t = 256)]
    pub connection_threads: usize,
    /// Microseconds a connection thread polls its socket for the client's next request after
    /// an answer, before it blocks (only while at most one thread per two CPUs is busy): a
    /// core that does not halt answers sooner. 0: block at once.
    #[arg(long, env = "SEXTANT_SPIN_US", default_value_t = 100)]
    pub spin_us: u64,
}

impl ServerConfig {
    /// Settings for `storage` with every default (for tests and embedding).
    pub fn new(storage: impl Into<PathBuf>) -> Self {
        Self {
            storage: storage.into(),
            host: "127.0.0.1".into(),
            port: 6333,
            api_key: None,
            read_only_api_key: None,
            max_request_mib: 32,
            optimizer_interval_ms: 1000,
            connection_threads: 256,
            spin_us: 100,
        }
    }
}
