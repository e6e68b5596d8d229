//! The writer handle: put, get, delete, iterate, flush.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use sextant_core::PointOffset;

use crate::pages::Pages;
use crate::pointer::{ValuePointer, value_crc};
use crate::shared::{Pending, Shared, lock, read, write};
use crate::{Error, GridstoreConfig, Result, StorageStats, value};
use sextant_mmap_advice::DirLock;

/// A closure that makes every write made before [`Gridstore::flusher`] was called durable.
/// It may run on another thread while the store keeps serving reads and writes.
pub type Flusher = Box<dyn FnOnce() -> Result<()> + Send + 'static>;

/// A value store keyed by [`PointOffset`]: the writer handle (one per directory).
///
/// Reads through this handle see every write at once; other processes see writes once they
/// are flushed (see [`GridstoreReader`](crate::GridstoreReader)). Dropping the handle flushes.
#[derive(Debug)]
pub struct Gridstore {
    pub(crate) shared: Arc<Shared>,
    pub(crate) pages: Pages,
    pub(crate) _lock: DirLock,
    pub(crate) flush_on_drop: bool,
}

impl Gridstore {
    /// Creates a store in `dir` (created if missing; it must not already hold a store).
    pub fn create(dir: impl AsRef<Path>, config: GridstoreConfig) -> Result<Self> {
        crate::open::create(dir.as_ref(), config)
    }

    /// Opens the store in `dir` for writing. Fails on any structural inconsistency (a value
    /// pointing outside the pages, two values sharing blocks) with an error naming the offset;
    /// [`Gridstore::open_repair`] drops such values instead.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        crate::open::open(dir.as_ref(), false).map(|(store, _)| store)
    }

    /// The store's geometry and options.
    pub fn config(&self) -> &GridstoreConfig {
        &self.shared.config
    }

    /// Number of offsets that hold a value.
    pub fn len(&self) -> usize {
        read(&self.shared.state).live as usize
    }

    /// True when no offset holds a value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Stores `value` at `offset`, replacing any previous value (whose blocks are freed once
    /// the replacement is flushed). Values of 0 bytes are stored too.
    pub fn put(&mut self, offset: PointOffset, value: &[u8]) -> Result<()> {
        self.shared.check_poisoned()?;
        let config = self.shared.config;
        let stored = value::encode(config.compression, value);
        let len = u32::try_from(stored.len()).map_err(|_| Error::ValueTooLarge {
            offset,
            len: value.len(),
        })?;
        let blocks = config.blocks_for(u64::from(len));
        let global = if blocks == 0 {
            0
        } else {
            self.allocate(blocks)?
        };
        self.pages.write(global, &stored)?;
        lock(&self.shared.dirty_pages).extend(self.pages.pages_of(global, stored.len()));
        let bpp = config.blocks_per_page();
        let ptr = ValuePointer {
            page: (global / bpp) as u32,
            block: (global % bpp) as u32,
            len,
            crc: value_crc(offset, &stored),
        };
        self.replace(offset, Some(ptr));
        Ok(())
    }

    /// Removes the value at `offset`; returns whether there was one.
    pub fn delete(&mut self, offset: PointOffset) -> Result<bool> {
        self.shared.check_poisoned()?;
        Ok(self.replace(offset, None))
    }

    /// The value at `offset`, checked against its checksum.
    pub fn get(&self, offset: PointOffset) -> Result<Option<Vec<u8>>> {
        self.get_with(offset, |bytes| bytes.to_vec())
    }

    /// Calls `f` on the value at `offset` without copying it when it is uncompressed and
    /// inside one page (the common case).
    pub fn get_with<R>(
        &self,
        offset: PointOffset,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<Option<R>> {
        let Some(ptr) = read(&self.shared.state).lookup(offset)? else {
            return Ok(None);
        };
        let value = self.read_value(offset, &ptr)?;
        Ok(Some(f(&value)))
    }

    pub(crate) fn read_value(
        &self,
        offset: PointOffset,
        ptr: &ValuePointer,
    ) -> Result<Cow<'_, [u8]>> {
        let (config, dir) = (&self.shared.config, &self.shared.dir);
        let stored = self
            .pages
            .read(ptr.global_block(config.blocks_per_page()), ptr.len as usize)
            .ok_or_else(|| {
                let tracker = crate::tracker::path(dir);
                crate::tracker::bad_pointer(
                    &tracker,
                    offset,
                    ptr,
                    "points past the last page".into(),
                )
            })?;
        value::decode(dir, config.compression, offset, ptr, stored)
    }

    /// Every `(offset, value)` in offset order. A corrupt value is yielded as an error and the
    /// iteration goes on.
    pub fn iter(&self) -> impl Iterator<Item = Result<(PointOffset, Vec<u8>)>> + '_ {
        let end = read(&self.shared.state).end();
        (0..end).filter_map(move |o| {
            let offset = o as PointOffset;
            self.get(offset).transpose().map(|r| r.map(|v| (offset, v)))
        })
    }

    /// A closure making all writes so far durable, to run on any thread: it does not block
    /// readers or writers of this handle while it syncs.
    pub fn flusher(&self) -> Flusher {
        let shared = Arc::clone(&self.shared);
        Box::new(move || shared.flush())
    }

    /// Makes all writes so far durable, on this thread.
    pub fn flush(&self) -> Result<()> {
        self.shared.flush()
    }

    /// Space accounting.
    pub fn stats(&self) -> StorageStats {
        let (live, live_bytes, tracker_entries) = {
            let state = read(&self.shared.state);
            (
                state.live,
                state.live_bytes,
                state.tracker.capacity() as u64,
            )
        };
        let allocator = lock(&self.shared.allocator);
        let (holes, high) = allocator.holes();
        let block = u64::from(self.shared.config.block_size);
        StorageStats {
            values: live,
            stored_bytes: live_bytes,
            used_block_bytes: allocator.used_blocks() * block,
            page_bytes: self.pages.count() as u64 * self.shared.config.page_size,
            tracker_bytes: crate::tracker::file_len(tracker_entries),
            fragmentation: if high == 0 {
                0.0
            } else {
                holes as f64 / high as f64
            },
        }
    }

    /// Simulates a crash in tests: closes the store without flushing.
    #[doc(hidden)]
    pub fn abandon(mut self) {
        self.flush_on_drop = false;
    }

    /// Claims `blocks` free blocks, adding pages when no run is large enough.
    fn allocate(&mut self, blocks: u64) -> Result<u64> {
        let bpp = self.shared.config.blocks_per_page();
        loop {
            if let Some(start) = lock(&self.shared.allocator).alloc(blocks) {
                return Ok(start);
            }
            for _ in 0..blocks.div_ceil(bpp).max(1) {
                if self.pages.count() as u64 >= u64::from(u32::MAX - 1) {
                    return Err(Error::Config("the store reached 2^32 - 2 pages".into()));
                }
                let handle = self.pages.add()?;
                lock(&self.shared.page_handles).push(Arc::new(handle));
                lock(&self.shared.allocator).add_page();
                self.shared.new_pages.store(true, Ordering::Release);
            }
        }
    }

    /// Records `ptr` as the pending pointer of `offset`; returns whether a value was there.
    fn replace(&mut self, offset: PointOffset, ptr: Option<ValuePointer>) -> bool {
        let config = self.shared.config;
        let mut state = write(&self.shared.state);
        let (old, free_now) = match state.pending.get(&offset) {
            Some(p) => (p.ptr, if p.snapshotted { None } else { p.ptr }),
            // A damaged entry (found after open) is overwritten like an empty one.
            None => match state.tracker.get(offset) {
                crate::tracker::Slot::Value(p) => (Some(p), None),
                _ => (None, None),
            },
        };
        if old.is_none() && ptr.is_none() {
            return false;
        }
        state.pending.insert(
            offset,
            Pending {
                ptr,
                snapshotted: false,
            },
        );
        state.live = state.live + u64::from(ptr.is_some()) - u64::from(old.is_some());
        state.live_bytes = state.live_bytes + ptr.map_or(0, |p| u64::from(p.len))
            - old.map_or(0, |p| u64::from(p.len));
        drop(state);
        // A pending value no flush has taken was never in the tracker: free it right away.
        if let Some(stale) = free_now {
            lock(&self.shared.allocator).free(
                stale.global_block(config.blocks_per_page()),
                config.blocks_for(u64::from(stale.len)),
            );
        }
        old.is_some()
    }
}

impl Drop for Gridstore {
    fn drop(&mut self) {
        if self.flush_on_drop {
            // Best effort: an error here has no caller to go to. Call `flush` to see it.
            let _ = self.shared.flush();
        }
    }
}
