//! Creating and opening stores: lock, meta, tracker, pages, and the allocator rebuilt from the
//! tracker (with the structural checks that come with it).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, RwLock};

use sextant_core::PointOffset;

use crate::allocator::Allocator;
use crate::pages::{Pages, count_pages};
use crate::shared::{Shared, State};
use crate::tracker::{Slot, Tracker};
use crate::verify::BadValue;
use crate::{Error, Gridstore, GridstoreConfig, Result, meta};
use sextant_mmap_advice::DirLock;

pub(crate) fn create(dir: &Path, config: GridstoreConfig) -> Result<Gridstore> {
    config.validate()?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "create dir", e))?;
    let lock = crate::lock::acquire(dir)?;
    if dir.join(meta::META_FILE).exists() {
        return Err(Error::format(
            dir,
            "a store already exists here; open it instead",
        ));
    }
    // Tracker first, meta last: a directory without meta is not a store yet, so a crash in
    // between leaves something `create` can simply redo.
    Tracker::create(dir)?;
    sextant_mmap_advice::sync_dir(dir)?;
    meta::write(dir, &config)?;
    let (store, _) = assemble(
        dir,
        config,
        lock,
        Tracker::open(dir, false)?.0,
        Pages::open(dir, config, 0)?,
        None,
    )?;
    Ok(store)
}

/// Opens for writing. With `repair`, values that fail the structural checks or their
/// checksum are dropped (and returned) instead of failing the open.
pub(crate) fn open(dir: &Path, repair: bool) -> Result<(Gridstore, Vec<BadValue>)> {
    let lock = crate::lock::acquire(dir)?;
    let config = meta::read(dir)?;
    let (tracker, lost) = Tracker::open(dir, repair)?;
    let pages = Pages::open(dir, config, count_pages(dir)?)?;
    let mut dropped = None;
    if repair {
        let truncated = lost.into_iter().map(|offset| {
            let reason = "the tracker was cut before this entry".to_string();
            BadValue::entry(tracker.path(), offset, reason)
        });
        let mut bad: Vec<BadValue> = truncated.collect();
        bad.extend(crate::verify::scan_tracker(
            &config,
            &tracker,
            |offset, ptr| {
                let stored =
                    pages.read(ptr.global_block(config.blocks_per_page()), ptr.len as usize);
                match stored {
                    None => Err(crate::tracker::bad_pointer(
                        &crate::tracker::path(dir),
                        offset,
                        ptr,
                        "points past the last page".into(),
                    )),
                    Some(bytes) => {
                        crate::value::decode(dir, config.compression, offset, ptr, bytes)
                            .map(|_| ())
                    }
                }
            },
        ));
        dropped = Some(bad);
    }
    assemble(dir, config, lock, tracker, pages, dropped)
}

fn assemble(
    dir: &Path,
    config: GridstoreConfig,
    lock: DirLock,
    mut tracker: Tracker,
    pages: Pages,
    repair: Option<Vec<BadValue>>,
) -> Result<(Gridstore, Vec<BadValue>)> {
    let strict = repair.is_none();
    let mut dropped = repair.unwrap_or_default();
    for bad in &dropped {
        tracker.set(bad.offset, None)?;
    }
    let mut allocator = Allocator::new(config.region_blocks, config.regions_per_page());
    for _ in 0..pages.count() {
        allocator.add_page();
    }
    let (mut live, mut live_bytes) = (0u64, 0u64);
    // Filled in offset order (the tracker is scanned in order).
    let mut overlaps: Vec<BadValue> = Vec::new();
    for index in 0..tracker.capacity() {
        let offset = index as PointOffset;
        let ptr = match tracker.get(offset) {
            Slot::Empty => continue,
            Slot::Value(ptr) => ptr,
            Slot::Damaged(reason) => {
                overlaps.push(BadValue::entry(tracker.path(), offset, reason));
                continue;
            }
        };
        let blocks = config.blocks_for(u64::from(ptr.len));
        let in_page = u64::from(ptr.block) < config.blocks_per_page();
        if !in_page || !allocator.claim(ptr.global_block(config.blocks_per_page()), blocks) {
            let reason = if !in_page {
                "first block is past the end of its page".to_string()
            } else {
                "blocks overlap another value or lie past the last page".to_string()
            };
            overlaps.push(BadValue {
                path: tracker.path().to_path_buf(),
                offset,
                page: ptr.page,
                block: ptr.block,
                reason,
            });
            continue;
        }
        live += 1;
        live_bytes += u64::from(ptr.len);
    }
    if let (true, Some(first)) = (strict, overlaps.first()) {
        return Err(Error::Corrupt {
            path: first.path.clone(),
            offset: first.offset,
            page: first.page,
            block: first.block,
            reason: format!("{} (open_repair drops such values)", first.reason),
        });
    }
    for bad in overlaps {
        tracker.set(bad.offset, None)?;
        dropped.push(bad);
    }
    allocator.summarize();
    if !dropped.is_empty() {
        tracker
            .sync_handle()?
            .sync_data()
            .map_err(|e| Error::io(tracker.path(), "fsync", e))?;
    }
    let shared = Shared {
        dir: dir.to_path_buf(),
        config,
        tracker_handle: tracker.sync_handle()?,
        state: RwLock::new(State {
            tracker,
            pending: BTreeMap::new(),
            live,
            live_bytes,
        }),
        allocator: Mutex::new(allocator),
        page_handles: Mutex::new(pages.sync_handles()?.into_iter().map(Arc::new).collect()),
        dirty_pages: Mutex::new(Default::default()),
        new_pages: AtomicBool::new(false),
        flush_lock: Mutex::new(()),
        poisoned: AtomicBool::new(false),
    };
    Ok((
        Gridstore {
            shared: Arc::new(shared),
            pages,
            _lock: lock,
            flush_on_drop: true,
        },
        dropped,
    ))
}
