//! `Shard`: a folder holding `config.json`, the write-ahead log (`wal/`) and the points as of
//! the last flush (`points.bin`); the points live in RAM.
//!
//! Write path: an operation is checked against the config and the points, appended to the
//! log (durable per the config's [`Durability`](sextant_wal::Durability) when `update`
//! returns), then applied; one writer at a time, readers see whole operations only. `flush`
//! writes every point to `points.bin` (atomically: a temporary file renamed over it) as of the
//! log's next index, then lets the log drop what that file covers; `open` reads the file and
//! replays the log from there. A crash between the two leaves log entries the file covers:
//! they are skipped.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

use sextant_core::{PointId, PointOffset};
use sextant_payload_index::{Filter, PayloadIndex};
use sextant_wal::{Wal, WalConfig};

use crate::base::{self, Base};
use crate::config::ShardConfig;
use crate::error::{Error, Result};
use crate::index_files;
use crate::indexed::Indexed;
use crate::ops::UpdateOp;
use crate::query::{Group, GroupsRequest, QueryRequest, Record};
use crate::reader::Shape;
use crate::scroll::{ScrollPage, ScrollRequest};
use crate::selectors::{WithPayload, WithVector};
use crate::state::State;

/// The config's file name in the shard's folder.
const CONFIG: &str = "config.json";
/// The log's folder in the shard's folder.
const WAL_DIR: &str = "wal";
/// The points as of the last flush.
const POINTS: &str = "points.bin";
/// The payload index saved with a base file, in its folder.
const PAYLOAD_INDEX: &str = "payload.idx";

/// The base an optimize installs: the current one (nothing logged since), or a new one.
enum NextBase {
    Current(std::sync::Arc<Base>),
    Write(Vec<u8>),
}

/// An open shard: one writer (this handle; a second open fails with [`Error::Locked`]).
#[derive(Debug)]
pub struct Shard {
    path: PathBuf,
    /// As created or last reconfigured (an optimize reads it once, at its start).
    config: RwLock<ShardConfig>,
    wal: Wal,
    state: RwLock<State>,
    /// Held through a flush: two flushes never race to write `points.bin`.
    flushing: Mutex<()>,
    /// Held through an optimize: one build at a time.
    optimizing: Mutex<()>,
    /// The log index `points.bin` covers up to (a drop flushes only when the log moved on).
    flushed: AtomicU64,
}

/// What a shard holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardInfo {
    /// Live points.
    pub points: usize,
    /// The log index the next operation gets.
    pub next_version: u64,
    /// Live points the last optimize's indexes answer for (the others are scanned exactly
    /// until the next optimize).
    pub indexed_points: usize,
    /// Nodes over every dense vector's graph, live or empty: an optimize that grows a graph
    /// keeps the nodes of removed points (refilled by later points) until one builds it anew.
    pub graph_nodes: usize,
    /// Dense vectors whose graph this process's last optimize grew from the previous build
    /// instead of building it anew (0 after an open).
    pub graphs_grown: usize,
}

impl Shard {
    /// Creates a shard in `path` (created if missing) with `config`; fails if a shard is
    /// already there.
    pub fn create(path: impl AsRef<Path>, config: ShardConfig) -> Result<Shard> {
        let path = path.as_ref().to_path_buf();
        if let Some(what) = config.problem() {
            return Err(Error::Config { path, what });
        }
        let file = path.join(CONFIG);
        if file.exists() {
            return Err(Error::Exists { path });
        }
        std::fs::create_dir_all(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let json = serde_json::to_vec_pretty(&config).expect("a config serializes");
        sextant_mmap_advice::atomic_write(&file, &json)?;
        Self::start(path, config)
    }

    /// Opens the shard in `path` (its config read from `config.json`) and replays its log.
    pub fn open(path: impl AsRef<Path>) -> Result<Shard> {
        let path = path.as_ref().to_path_buf();
        let file = path.join(CONFIG);
        let bytes = match std::fs::read(&file) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::Missing { path });
            }
            Err(source) => return Err(Error::Io { path: file, source }),
        };
        let config: ShardConfig = serde_json::from_slice(&bytes).map_err(|e| Error::Config {
            path: file.clone(),
            what: e.to_string(),
        })?;
        if let Some(what) = config.problem() {
            return Err(Error::Config { path: file, what });
        }
        Self::start(path, config)
    }

    /// Opens the log and replays it into fresh points.
    fn start(path: PathBuf, config: ShardConfig) -> Result<Shard> {
        let options = WalConfig {
            durability: config.durability,
            ..WalConfig::default()
        };
        let wal = Wal::open(path.join(WAL_DIR), options).map_err(|e| match e {
            sextant_wal::Error::Locked { .. } => Error::Locked { path: path.clone() },
            e => Error::Wal(e),
        })?;
        let points = path.join(POINTS);
        let load_base = |version: u64| -> Result<State> {
            let dir = index_files::folder(&path, version);
            let file = dir.join(base::FILE);
            let base = Base::open(&file, &Shape::of(&config))?;
            base.follow(&config);
            let index = dir.join(PAYLOAD_INDEX);
            let payloads = PayloadIndex::open_mapped(&index).map_err(|e| Error::Damaged {
                path: index,
                what: e.to_string(),
            })?;
            State::on_base(&config, base, payloads)
                .map_err(|what| Error::Damaged { path: file, what })
        };
        let (mut state, covers) = crate::checkpoint::load(&points, &config, load_base)?
            .unwrap_or_else(|| (State::new(&config), 0));
        let indexes = index_files::load(&path, state.columns.len(), state.sparse.len())?;
        if let Some((indexed, valid_at)) = indexes {
            state.install(indexed, valid_at);
        }
        if wal.first_index() > covers || wal.next_index() < covers {
            return Err(Error::Damaged {
                path: points,
                what: format!(
                    "it covers the log up to {covers}, the log holds {}..{}",
                    wal.first_index(),
                    wal.next_index()
                ),
            });
        }
        for entry in wal.iter_from(covers).map_err(Error::Wal)? {
            let (index, bytes) = entry.map_err(Error::Wal)?;
            let op =
                UpdateOp::from_entry(&bytes).map_err(|what| Error::BadLogEntry { index, what })?;
            state.apply(index, op)?;
        }
        if state.slots.len() < state.indexed.covered {
            return Err(Error::Damaged {
                path: path.join(index_files::MANIFEST),
                what: format!(
                    "indexes over {} offsets, the points hold {}",
                    state.indexed.covered,
                    state.slots.len()
                ),
            });
        }
        Ok(Shard {
            path,
            config: RwLock::new(config),
            wal,
            state: RwLock::new(state),
            flushing: Mutex::new(()),
            optimizing: Mutex::new(()),
            flushed: AtomicU64::new(covers),
        })
    }

    /// The points, for reading. A poisoned lock is read anyway: a writer panics only on a
    /// broken internal invariant, every checked operation applies without one.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The shard's folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The config, exactly as created or last given to [`reconfigure`](Self::reconfigure).
    pub fn config(&self) -> ShardConfig {
        self.conf().clone()
    }

    fn conf(&self) -> std::sync::RwLockReadGuard<'_, ShardConfig> {
        self.config.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes what an open shard may change: each dense vector's graph parameters (`m` 0:
    /// no graph) and codec, each sparse vector's modifier, the optimizer's thresholds and
    /// threads. The vectors' names, sizes and metrics and the durability are fixed
    /// ([`Error::Config`] says which differs). Thresholds and modifiers apply at once. A
    /// changed graph or codec drops the indexes: searches scan exactly until the next
    /// [`optimize`](Self::optimize) builds them with the new parameters (Qdrant serves the
    /// old ones meanwhile). Waits for a running optimize; `config.json` is replaced before
    /// this returns.
    pub fn reconfigure(&self, next: ShardConfig) -> Result<()> {
        let file = self.path.join(CONFIG);
        if let Some(what) = next.problem() {
            return Err(Error::Config { path: file, what });
        }
        let _one = self.optimizing.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.config();
        if let Some(what) = current.fixed_difference(&next) {
            return Err(Error::Config {
                path: file,
                what: format!("{what} cannot change in an open shard"),
            });
        }
        let rebuild = current.vectors.iter().any(|(name, p)| {
            let n = &next.vectors[name];
            (p.hnsw, p.quantization) != (n.hnsw, n.quantization)
        });
        if rebuild {
            // The indexes go (from disk too) before the config names other parameters: a
            // crash in between leaves no index and the old config, which an optimize rebuilds.
            let _flush = self.flushing.lock().unwrap_or_else(|e| e.into_inner());
            self.state
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .indexed = Indexed::default();
            self.flush_locked()?;
        }
        let json = serde_json::to_vec_pretty(&next).expect("a config serializes");
        sextant_mmap_advice::atomic_write(&file, &json)?;
        let base = {
            let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
            state.reconfigure(&next);
            state.base.clone()
        };
        // Outside the lock: faulting in a vector's rows takes milliseconds.
        if let Some(base) = base {
            base.follow(&next);
        }
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = next;
        Ok(())
    }

    /// Checks `op`, logs it, applies it; returns its version (its index in the log). An
    /// operation refused with an error was neither logged nor applied.
    pub fn update(&self, op: UpdateOp) -> Result<u64> {
        op.check(&self.conf())?;
        let bytes = op.to_entry();
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        state.check(&op)?;
        let version = self.wal.append(&bytes).map_err(Error::Wal)?;
        state.apply(version, op)?;
        Ok(version)
    }

    /// The points with these ids that exist, in the order asked (an id asked twice is
    /// returned twice, as Local Mode does).
    pub fn retrieve(
        &self,
        ids: &[PointId],
        with_payload: impl Into<WithPayload>,
        with_vector: impl Into<WithVector>,
    ) -> Vec<Record> {
        let (payload, vector) = (with_payload.into(), with_vector.into());
        let state = self.read();
        ids.iter()
            .filter_map(|id| state.ids.get(id))
            .map(|&o| state.record(o, &payload, &vector))
            .collect()
    }

    /// Qdrant's universal query: the best points for `req`.
    pub fn query(&self, req: &QueryRequest) -> Result<Vec<Record>> {
        let state = self.read();
        state.query(req)
    }

    /// Qdrant's query groups: `req`'s points grouped by a payload key's values.
    pub fn query_groups(&self, req: &GroupsRequest) -> Result<Vec<Group>> {
        let state = self.read();
        state.groups(req)
    }

    /// Several queries against the same state (Qdrant's query batch): one answer (or error)
    /// per request, in order; no update lands between them.
    pub fn query_batch(&self, reqs: &[QueryRequest]) -> Vec<Result<Vec<Record>>> {
        let state = self.read();
        reqs.iter().map(|r| state.query(r)).collect()
    }

    /// One page of points in id order (or in a payload value's order).
    pub fn scroll(&self, req: &ScrollRequest) -> Result<ScrollPage> {
        let state = self.read();
        state.scroll(req)
    }

    /// The `limit` most common values of the indexed key `key` (a keyword, integer, bool or
    /// uuid index) among the points passing `filter`, with exact counts; count descending,
    /// then value ascending.
    pub fn facet(
        &self,
        key: &str,
        filter: Option<&Filter>,
        limit: usize,
    ) -> Result<Vec<sextant_payload_index::facet::FacetHit>> {
        let state = self.read();
        state.facet(key, filter, limit)
    }

    /// The indexed payload keys and their types.
    pub fn payload_schema(&self) -> Vec<(String, sextant_payload_index::FieldType)> {
        let state = self.read();
        state
            .payloads
            .schema()
            .map(|(k, t)| (k.to_string(), t))
            .collect()
    }

    /// The exact number of live points passing `filter` (all when `None`).
    pub fn count(&self, filter: Option<&Filter>) -> usize {
        let state = self.read();
        match filter {
            Some(f) => state.payloads.count(f, &*state),
            None => state.ids.len(),
        }
    }

    /// Points and the next version.
    pub fn info(&self) -> ShardInfo {
        let state = self.read();
        let live = |o: PointOffset| state.slots.get(o as usize).is_some_and(Option::is_some);
        let covered = state.indexed.covered.min(state.slots.len());
        let stale = state.indexed.stale.iter().filter(|&o| live(o)).count();
        let held = (0..covered as PointOffset).filter(|&o| live(o)).count();
        ShardInfo {
            points: state.ids.len(),
            next_version: self.wal.next_index(),
            indexed_points: if state.indexed.holds_any() {
                held - stale
            } else {
                0
            },
            graph_nodes: state
                .indexed
                .dense
                .iter()
                .flatten()
                .map(|d| d.nodes.len())
                .sum(),
            graphs_grown: state
                .indexed
                .dense
                .iter()
                .flatten()
                .filter(|d| d.grown)
                .count(),
        }
    }

    /// Makes every acknowledged operation durable now, writes every point to `points.bin` and
    /// lets the log drop the operations that file covers (so `open` replays only later ones).
    /// Readers go on meanwhile; updates wait while the points are serialized.
    pub fn flush(&self) -> Result<()> {
        let _one = self.flushing.lock().unwrap_or_else(|e| e.into_inner());
        self.flush_locked().map(|_| ())
    }

    /// Writes a snapshot of the shard to `target` (one file: the config, the points and the
    /// indexes as of a flush made now) and returns the log index it covers to. Updates go on
    /// meanwhile (they are after the snapshot); flushes and an optimize's swap wait for it.
    pub fn snapshot(&self, target: impl AsRef<Path>) -> Result<u64> {
        let _one = self.flushing.lock().unwrap_or_else(|e| e.into_inner());
        let covers = self.flush_locked()?;
        let mut names = vec![CONFIG.to_string(), POINTS.to_string()];
        let folders: Vec<u64> = {
            let state = self.read();
            let mut v: Vec<u64> = state.base.iter().map(|b| b.version).collect();
            if state.indexed.is_built() {
                names.push(index_files::MANIFEST.to_string());
                v.push(state.indexed.built_at);
            }
            v.sort_unstable();
            v.dedup();
            v
        };
        for version in folders {
            let dir = index_files::folder(&self.path, version);
            let folder = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let entries = std::fs::read_dir(&dir).map_err(|source| Error::Io {
                path: dir.clone(),
                source,
            })?;
            let mut files: Vec<String> = entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| !n.ends_with(".tmp"))
                .map(|n| format!("{folder}/{n}"))
                .collect();
            files.sort();
            names.extend(files);
        }
        crate::snapshot::write(&self.path, &names, covers, target.as_ref())?;
        Ok(covers)
    }

    /// Restores the snapshot at `snapshot` into `path` (created if missing; fails if a shard
    /// is there), checking every file's checksum (a damaged snapshot is an error naming what
    /// is damaged), and opens it.
    pub fn restore(snapshot: impl AsRef<Path>, path: impl AsRef<Path>) -> Result<Shard> {
        let path = path.as_ref().to_path_buf();
        if path.join(CONFIG).exists() {
            return Err(Error::Exists { path });
        }
        std::fs::create_dir_all(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let covers = crate::snapshot::unpack(snapshot.as_ref(), &path)?;
        // An empty log that goes on from the snapshot's last operation.
        let options = WalConfig {
            first_index: covers,
            ..WalConfig::default()
        };
        drop(Wal::open(path.join(WAL_DIR), options).map_err(Error::Wal)?);
        Shard::open(path)
    }

    /// [`Self::flush`], the flush lock held by the caller; returns the log index the files
    /// now cover to.
    fn flush_locked(&self) -> Result<u64> {
        self.wal.sync().map_err(Error::Wal)?;
        let (bytes, indexes, keep, covers) = {
            let state = self.read();
            // Under the read lock no update is between its log append and its apply.
            let covers = self.wal.next_index();
            let indexes = state
                .indexed
                .is_built()
                .then(|| index_files::manifest(&state.indexed, covers));
            let keep: Vec<u64> = state
                .base
                .iter()
                .map(|b| b.version)
                .chain(state.indexed.is_built().then_some(state.indexed.built_at))
                .collect();
            (
                crate::checkpoint::write(&state, covers),
                indexes,
                keep,
                covers,
            )
        };
        sextant_mmap_advice::atomic_write(self.path.join(POINTS), &bytes)?;
        index_files::commit(&self.path, indexes.as_deref(), &keep)?;
        self.flushed.store(covers, Ordering::Release);
        if covers > 0 {
            self.wal.ack(covers - 1).map_err(Error::Wal)?;
        }
        Ok(covers)
    }

    /// Builds the indexes of the points there are now: a graph over each dense vector held
    /// by at least the indexing threshold of points (on its codes when the config names a
    /// codec; the last build's graph grown when few points changed since, see
    /// [`ShardInfo::graph_nodes`]), an inverted index over each sparse vector. Queries and updates go on
    /// meanwhile (on the previous indexes); points changed during the build are searched by
    /// exact scan until the next optimize. Returns the version the indexes cover.
    pub fn optimize(&self) -> Result<u64> {
        let _one = self.optimizing.lock().unwrap_or_else(|e| e.into_inner());
        let config = self.config();
        let (input, next) = {
            let state = self.read();
            // Under the read lock no update is between its log append and its apply.
            let version = self.wal.next_index();
            // Nothing logged since the last optimize: its base (whose folder the points file
            // names, so it must not be rewritten) is this state's.
            let current = state.base.clone().filter(|b| b.version == version);
            if current.is_some() && state.indexed.is_built() && state.indexed.built_at == version {
                return Ok(version);
            }
            let next = match current {
                Some(base) => NextBase::Current(base),
                None => {
                    let dir = index_files::create_folder(&self.path, version)?;
                    let index = dir.join(PAYLOAD_INDEX);
                    state.payloads.save(&index).map_err(|e| Error::Damaged {
                        path: index,
                        what: e.to_string(),
                    })?;
                    NextBase::Write(base::write(&state, version))
                }
            };
            (state.build_input(&config, version), next)
        };
        let built_at = input.version;
        let base = match next {
            NextBase::Current(base) => base,
            NextBase::Write(bytes) => {
                let dir = index_files::folder(&self.path, built_at);
                sextant_mmap_advice::atomic_write(dir.join(base::FILE), &bytes)?;
                drop(bytes);
                let base = Base::open(&dir.join(base::FILE), &Shape::of(&config))?;
                base.follow(&config);
                base
            }
        };
        let indexed = Indexed::build(input, config.optimizer.threads())?;
        index_files::save(&self.path, &indexed)?;
        // No flush in between: one that read the state before the swap would name the old
        // folders only, and remove this one.
        let _flush = self.flushing.lock().unwrap_or_else(|e| e.into_inner());
        {
            let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
            state.install(indexed, built_at);
            state.rebase(base);
        }
        // The points file now completes the new base: written before the old folders go.
        self.flush_locked()?;
        Ok(built_at)
    }

    /// Flushes and closes the shard, reporting a failed flush (a drop flushes too, silently).
    pub fn close(self) -> Result<()> {
        self.flush()
    }
}

impl Drop for Shard {
    fn drop(&mut self) {
        if self.wal.next_index() != self.flushed.load(Ordering::Acquire) {
            // Nothing is lost if this fails: the log still holds every operation.
            let _ = self.flush();
        }
    }
}
