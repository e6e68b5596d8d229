//! The collections of a storage folder: one shard each, opened at start, created and dropped
//! by requests.
//!
//! Layout: `<storage>/collections/<name>/collection.json` (the create-collection body as
//! given, written last and atomically: a folder without it is an interrupted create, removed
//! at start) and `<storage>/collections/<name>/shard/` (the shard's folder);
//! `<storage>/snapshots/<name>/` holds the collection's snapshot files;
//! `<storage>/aliases.json` maps aliases to collection names (written atomically).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, RwLock};

use serde_json::Value;
use sextant_shard::Shard;

use crate::collection_config::shard_config;
use crate::collection_update::patched;
use crate::error::{Error, Result};

/// One collection: its shard and the body it was created with.
#[derive(Debug)]
pub struct Collection {
    /// The collection's name.
    pub name: String,
    /// Its points.
    pub shard: Shard,
    /// The create-collection body as given (echoed back by collection info).
    pub create: RwLock<Value>,
    /// Set while the background optimizer builds this collection's indexes.
    pub optimizing: AtomicBool,
    /// Held through a collection update: two updates never race on the create body.
    updating: Mutex<()>,
}

/// Every collection of the storage folder.
#[derive(Debug)]
pub struct Collections {
    root: PathBuf,
    map: RwLock<BTreeMap<String, Arc<Collection>>>,
    /// Alias → collection name.
    aliases: RwLock<BTreeMap<String, String>>,
}

/// One change of Qdrant's `POST /collections/aliases`.
#[derive(Debug, Clone)]
pub enum AliasChange {
    /// `create_alias`: point `alias` at `collection` (replacing where it pointed).
    Create {
        /// The alias.
        alias: String,
        /// The collection.
        collection: String,
    },
    /// `delete_alias`.
    Delete {
        /// The alias.
        alias: String,
    },
    /// `rename_alias`.
    Rename {
        /// The alias now.
        old: String,
        /// Its new name.
        new: String,
    },
}

fn io(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::Internal(format!("{what} {}: {e}", path.display()))
}

/// Writes `bytes` to `path` through a temporary file and a rename, synced.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).map_err(|e| io("create", &tmp, e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| io("write", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io("rename", path, e))?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io("sync", dir, e))?;
    }
    Ok(())
}

/// Qdrant's rule for collection names: 1 to 255 characters, none of `<>:"/\|?*` or NUL.
fn check_name(name: &str) -> Result<()> {
    let bad = |c: char| "<>:\"/\\|?*\0".contains(c);
    if name.is_empty() || name.len() > 255 || name.chars().any(bad) || name == "." || name == ".." {
        return Err(Error::bad(format!(
            "Validation error in path parameters: [name: collection name {name:?} must be 1 to 255 characters, none of <>:\"/\\|?*]"
        )));
    }
    Ok(())
}

impl Collections {
    /// Opens every collection under `root` (created when missing).
    pub fn open(root: &Path) -> Result<Self> {
        let dir = root.join("collections");
        std::fs::create_dir_all(&dir).map_err(|e| io("create", &dir, e))?;
        let mut map = BTreeMap::new();
        for entry in std::fs::read_dir(&dir).map_err(|e| io("read", &dir, e))? {
            let path = entry.map_err(|e| io("read", &dir, e))?.path();
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .map(str::to_string)
            else {
                continue;
            };
            let meta = path.join("collection.json");
            if !meta.exists() {
                tracing::warn!("removing {}: an interrupted create", path.display());
                std::fs::remove_dir_all(&path).map_err(|e| io("remove", &path, e))?;
                continue;
            }
            let bytes = std::fs::read(&meta).map_err(|e| io("read", &meta, e))?;
            let create: Value = serde_json::from_slice(&bytes)
                .map_err(|e| Error::Internal(format!("{}: {e}", meta.display())))?;
            let shard = Shard::open(path.join("shard"))
                .map_err(|e| Error::Internal(format!("collection {name}: {e}")))?;
            tracing::info!("opened collection {name}: {} points", shard.info().points);
            map.insert(name.clone(), Arc::new(Collection::new(name, shard, create)));
        }
        let aliases_file = root.join("aliases.json");
        let aliases = match std::fs::read(&aliases_file) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| Error::Internal(format!("{}: {e}", aliases_file.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(io("read", &aliases_file, e)),
        };
        Ok(Self {
            root: root.to_path_buf(),
            map: RwLock::new(map),
            aliases: RwLock::new(aliases),
        })
    }

    /// Applies alias changes in order, all or none (Qdrant's `POST /collections/aliases`).
    pub fn change_aliases(&self, changes: &[AliasChange]) -> Result<()> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        let mut aliases = self.aliases.write().unwrap_or_else(|e| e.into_inner());
        let mut next = aliases.clone();
        for change in changes {
            match change {
                AliasChange::Create { alias, collection } => {
                    if !map.contains_key(collection) {
                        return Err(Error::NotFound(format!(
                            "Collection `{collection}` doesn't exist!"
                        )));
                    }
                    if map.contains_key(alias) {
                        return Err(Error::bad(format!(
                            "Wrong input: Alias `{alias}` is the name of a collection"
                        )));
                    }
                    next.insert(alias.clone(), collection.clone());
                }
                AliasChange::Delete { alias } => {
                    next.remove(alias);
                }
                AliasChange::Rename { old, new } => {
                    let target = next
                        .remove(old)
                        .ok_or_else(|| Error::NotFound(format!("Alias {old} does not exist!")))?;
                    next.insert(new.clone(), target);
                }
            }
        }
        let bytes = serde_json::to_vec_pretty(&next).expect("a map of strings serializes");
        write_atomic(&self.root.join("aliases.json"), &bytes)?;
        *aliases = next;
        Ok(())
    }

    /// Every (alias, collection), by alias; only those of `collection` when given.
    pub fn aliases(&self, collection: Option<&str>) -> Vec<(String, String)> {
        let aliases = self.aliases.read().unwrap_or_else(|e| e.into_inner());
        aliases
            .iter()
            .filter(|(_, c)| collection.is_none_or(|n| n == c.as_str()))
            .map(|(a, c)| (a.clone(), c.clone()))
            .collect()
    }

    /// The storage folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The collection `name` (or the one the alias `name` points at).
    pub fn get(&self, name: &str) -> Result<Arc<Collection>> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        let aliases = self.aliases.read().unwrap_or_else(|e| e.into_inner());
        map.get(name)
            .or_else(|| map.get(aliases.get(name)?))
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("Collection `{name}` doesn't exist!")))
    }

    /// Every collection, by name.
    pub fn all(&self) -> Vec<Arc<Collection>> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        map.values().cloned().collect()
    }

    /// Creates the collection `name` from a create-collection body.
    pub fn create(&self, name: &str, body: Value) -> Result<()> {
        check_name(name)?;
        let config = shard_config(&body)?;
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        if map.contains_key(name) {
            return Err(Error::bad(format!(
                "Wrong input: Collection `{name}` already exists!"
            )));
        }
        let dir = self.root.join("collections").join(name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| io("remove", &dir, e))?;
        }
        std::fs::create_dir_all(&dir).map_err(|e| io("create", &dir, e))?;
        let shard = Shard::create(dir.join("shard"), config).map_err(|e| match e {
            sextant_shard::Error::Config { what, .. } => Error::bad(format!("Wrong input: {what}")),
            e => Error::Internal(e.to_string()),
        })?;
        let bytes = serde_json::to_vec_pretty(&body).expect("a JSON value serializes");
        write_atomic(&dir.join("collection.json"), &bytes)?;
        map.insert(
            name.to_string(),
            Arc::new(Collection::new(name.to_string(), shard, body)),
        );
        Ok(())
    }

    /// Applies Qdrant's collection update `diff` to collection `name` (the
    /// `collection_update` module's table): the shard is reconfigured, then the updated
    /// create body is written and echoed from then on. An update refused changes nothing.
    pub fn update(&self, name: &str, diff: &Value) -> Result<()> {
        let c = self.get(name)?;
        let _one = c.updating.lock().unwrap_or_else(|e| e.into_inner());
        let current = c.create.read().unwrap_or_else(|e| e.into_inner()).clone();
        let next = patched(&current, diff)?;
        // Waits for a running optimize; the create body's lock is not held meanwhile.
        c.shard.reconfigure(shard_config(&next)?)?;
        let dir = self.root.join("collections").join(&c.name);
        let bytes = serde_json::to_vec_pretty(&next).expect("a JSON value serializes");
        write_atomic(&dir.join("collection.json"), &bytes)?;
        *c.create.write().unwrap_or_else(|e| e.into_inner()) = next;
        Ok(())
    }

    /// Drops the collection `name` and its files (and snapshots, and aliases); false when
    /// there was none.
    pub fn delete(&self, name: &str) -> Result<bool> {
        let gone = self.remove(name)?;
        let orphaned: Vec<AliasChange> = self
            .aliases(Some(name))
            .into_iter()
            .map(|(alias, _)| AliasChange::Delete { alias })
            .collect();
        if gone && !orphaned.is_empty() {
            self.change_aliases(&orphaned)?;
        }
        let snapshots = self.snapshots_dir(name);
        if gone && snapshots.exists() {
            std::fs::remove_dir_all(&snapshots).map_err(|e| io("remove", &snapshots, e))?;
        }
        Ok(gone)
    }

    /// Drops the collection `name` and its folder, keeping its snapshots.
    fn remove(&self, name: &str) -> Result<bool> {
        let removed = {
            let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
            map.remove(name)
        };
        let Some(collection) = removed else {
            return Ok(false);
        };
        // Requests still holding the collection finish on the open shard; its files go once
        // the last of them lets go (the shard's lock file keeps its folder consistent).
        drop(collection);
        let dir = self.root.join("collections").join(name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| io("remove", &dir, e))?;
        }
        Ok(true)
    }

    /// Puts a collection restored from a snapshot in place of any of that name.
    pub fn replace(&self, name: &str, restore: impl FnOnce(&Path) -> Result<Shard>) -> Result<()> {
        check_name(name)?;
        let previous = self
            .get(name)
            .ok()
            .map(|c| c.create.read().unwrap_or_else(|e| e.into_inner()).clone());
        self.remove(name)?;
        let dir = self.root.join("collections").join(name);
        std::fs::create_dir_all(&dir).map_err(|e| io("create", &dir, e))?;
        let shard = restore(&dir.join("shard"))?;
        let body = previous.unwrap_or_else(|| create_body_of(&shard));
        let bytes = serde_json::to_vec_pretty(&body).expect("a JSON value serializes");
        write_atomic(&dir.join("collection.json"), &bytes)?;
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        map.insert(
            name.to_string(),
            Arc::new(Collection::new(name.to_string(), shard, body)),
        );
        Ok(())
    }

    /// The folder of `name`'s snapshot files.
    pub fn snapshots_dir(&self, name: &str) -> PathBuf {
        self.root.join("snapshots").join(name)
    }
}

/// A create-collection body describing a shard's config (for a collection restored from a
/// snapshot under a new name: the original body is not in the snapshot).
fn create_body_of(shard: &Shard) -> Value {
    let c = shard.config();
    let vectors: serde_json::Map<String, Value> = c
        .vectors
        .iter()
        .map(|(n, p)| {
            let v = serde_json::json!({"size": p.size, "distance": serde_json::to_value(p).ok().and_then(|v| v.get("distance").cloned())});
            (n.clone(), v)
        })
        .collect();
    let vectors = match vectors.get("") {
        Some(v) if vectors.len() == 1 => v.clone(),
        _ => Value::Object(vectors),
    };
    let sparse: serde_json::Map<String, Value> = c
        .sparse_vectors
        .iter()
        .map(|(n, p)| (n.clone(), serde_json::to_value(p).unwrap_or(Value::Null)))
        .collect();
    serde_json::json!({"vectors": vectors, "sparse_vectors": sparse})
}

impl Collection {
    fn new(name: String, shard: Shard, create: Value) -> Self {
        Self {
            name,
            shard,
            create: RwLock::new(create),
            optimizing: AtomicBool::new(false),
            updating: Mutex::new(()),
        }
    }
}
