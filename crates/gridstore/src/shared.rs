//! State the writer handle shares with flushers running on other threads.
//!
//! Updates never touch the tracker file directly. A put writes the value into free blocks and
//! records the new pointer in `pending`; the flusher later makes the pages durable, then copies
//! the pending pointers into the tracker, makes the tracker durable, and only then frees the
//! blocks of the values those pointers replaced. At every instant the durable tracker points
//! at complete, durable values, and nothing it points at is ever reused.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use sextant_core::PointOffset;

use crate::allocator::Allocator;
use crate::pointer::ValuePointer;
use crate::tracker::Tracker;
use crate::{Error, GridstoreConfig, Result};

/// A pointer not yet in the tracker file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pending {
    /// New location, or `None` for a delete.
    pub ptr: Option<ValuePointer>,
    /// A running flush has taken this entry and will write it to the tracker. Its blocks must
    /// not be freed when it is replaced: they are freed as the tracker's old entry instead.
    pub snapshotted: bool,
}

/// Tracker plus the updates not yet written to it, under one lock so readers see either.
#[derive(Debug)]
pub(crate) struct State {
    pub tracker: Tracker,
    pub pending: BTreeMap<PointOffset, Pending>,
    /// Number of offsets holding a value.
    pub live: u64,
    /// Sum of stored lengths of those values.
    pub live_bytes: u64,
}

impl State {
    /// The pointer a reader should follow for `offset` (a damaged tracker entry is an error).
    pub fn lookup(&self, offset: PointOffset) -> Result<Option<ValuePointer>> {
        match self.pending.get(&offset) {
            Some(p) => Ok(p.ptr),
            None => self.tracker.pointer(offset),
        }
    }

    /// One past the highest offset that may hold a value.
    pub fn end(&self) -> usize {
        let pending_end = self
            .pending
            .last_key_value()
            .map_or(0, |(&k, _)| k as usize + 1);
        self.tracker.capacity().max(pending_end)
    }
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub dir: PathBuf,
    pub config: GridstoreConfig,
    pub state: RwLock<State>,
    pub allocator: Mutex<Allocator>,
    /// fsync handles of every page, indexed by page id.
    pub page_handles: Mutex<Vec<Arc<File>>>,
    /// Pages written since the last flush took the set.
    pub dirty_pages: Mutex<BTreeSet<usize>>,
    /// A page file was created since the directory was last fsynced.
    pub new_pages: AtomicBool,
    pub tracker_handle: File,
    /// One flush at a time.
    pub flush_lock: Mutex<()>,
    pub poisoned: AtomicBool,
}

/// Locks that cannot be poisoned by a panic elsewhere leaving inconsistent data: every
/// critical section here is a few assignments that cannot panic midway.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn check_poisoned(&self) -> Result<()> {
        if self.poisoned.load(Ordering::Acquire) {
            Err(Error::Poisoned)
        } else {
            Ok(())
        }
    }

    /// Makes every update recorded before the call durable (and possibly later ones).
    pub fn flush(&self) -> Result<()> {
        let _one_at_a_time = lock(&self.flush_lock);
        self.check_poisoned()?;
        let result = self.flush_locked();
        if result.is_err() {
            // After a failed fsync the kernel may have dropped the dirty pages: what we think
            // is on disk may not be. Refuse further writes until the store is reopened.
            self.poisoned.store(true, Ordering::Release);
        }
        result
    }

    fn flush_locked(&self) -> Result<()> {
        let snapshot: Vec<(PointOffset, Option<ValuePointer>)> = {
            let mut state = write(&self.state);
            state
                .pending
                .iter_mut()
                .map(|(&offset, p)| {
                    p.snapshotted = true;
                    (offset, p.ptr)
                })
                .collect()
        };
        if snapshot.is_empty() {
            return Ok(());
        }
        // Taken after the snapshot: every page a snapshotted value lives in was marked before
        // its pointer became pending.
        let dirty = std::mem::take(&mut *lock(&self.dirty_pages));
        let handles = lock(&self.page_handles).clone();
        for page in dirty {
            let handle = &handles[page];
            handle
                .sync_data()
                .map_err(|e| Error::io(&crate::pages::page_path(&self.dir, page), "fsync", e))?;
        }
        if self.new_pages.swap(false, Ordering::AcqRel) {
            sextant_mmap_advice::sync_dir(&self.dir)?;
        }

        let mut replaced = Vec::new();
        {
            let mut state = write(&self.state);
            for &(offset, ptr) in &snapshot {
                if let Some(old) = state.tracker.set(offset, ptr)? {
                    replaced.push(old);
                }
                if matches!(state.pending.get(&offset), Some(p) if p.snapshotted && p.ptr == ptr) {
                    state.pending.remove(&offset);
                }
            }
        }
        let tracker_path = crate::tracker::path(&self.dir);
        let sync_tracker = || {
            self.tracker_handle
                .sync_data()
                .map_err(|e| Error::io(&tracker_path, "fsync", e))
        };
        sync_tracker()?;
        // The header counts the new entries only once they are durable: a count ahead of its
        // entries would make a crash look like damage.
        if write(&self.state).tracker.commit_count() {
            sync_tracker()?;
        }

        let mut allocator = lock(&self.allocator);
        for old in replaced {
            let blocks = self.config.blocks_for(u64::from(old.len));
            allocator.free(old.global_block(self.config.blocks_per_page()), blocks);
        }
        Ok(())
    }
}
