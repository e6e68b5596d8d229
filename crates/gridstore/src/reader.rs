//! A read-only handle on a store another handle (or process) writes: it sees flushed state,
//! and follows the writer's growth with [`GridstoreReader::live_reload`].

use std::path::{Path, PathBuf};

use sextant_core::PointOffset;

use crate::pages::PageViews;
use crate::pointer::ValuePointer;
use crate::tracker::TrackerView;
use crate::{Error, GridstoreConfig, Result, meta};

/// How many times a read retries when it races with the writer reusing freed blocks.
const RACE_RETRIES: usize = 3;

/// A read-only view of a store directory.
#[derive(Debug)]
pub struct GridstoreReader {
    dir: PathBuf,
    config: GridstoreConfig,
    tracker: TrackerView,
    pages: PageViews,
}

impl GridstoreReader {
    /// Opens the store in `dir` read-only (no lock: a writer may be active).
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        let config = meta::read(&dir)?;
        let tracker = TrackerView::open(&dir)?;
        let pages = PageViews::open(&dir, config)?;
        Ok(Self {
            dir,
            config,
            tracker,
            pages,
        })
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Maps the pages and tracker growth the writer added since the last call.
    pub fn live_reload(&mut self) -> Result<()> {
        self.tracker.reload()?;
        self.pages.reload()
    }

    /// The value at `offset` as last flushed by the writer. A value in a page this reader has
    /// not mapped yet is [`Error::Stale`] (call [`live_reload`](Self::live_reload)).
    pub fn get(&self, offset: PointOffset) -> Result<Option<Vec<u8>>> {
        let mut attempt = 0;
        loop {
            let Some(ptr) = self.tracker.pointer(offset)? else {
                return Ok(None);
            };
            let read = match self.pages.read(
                ptr.global_block(self.config.blocks_per_page()),
                ptr.len as usize,
            ) {
                Some(stored) => {
                    crate::value::decode(&self.dir, self.config.compression, offset, &ptr, stored)
                        .map(|v| v.into_owned())
                }
                None => Err(self.beyond_mapped(offset, &ptr)?),
            };
            match read {
                // The writer may have flushed a new pointer and reused the old blocks while we
                // read: if the pointer changed, read again.
                Err(Error::Corrupt { .. })
                    if attempt < RACE_RETRIES
                        && self.tracker.pointer(offset).ok() != Some(Some(ptr)) =>
                {
                    attempt += 1;
                }
                other => return other.map(Some),
            }
        }
    }

    /// The error for a value that lies (partly) past the pages this reader mapped: stale when
    /// the writer has added pages since, a damaged entry when no more pages exist.
    fn beyond_mapped(&self, offset: PointOffset, ptr: &ValuePointer) -> Result<Error> {
        if crate::pages::count_pages(&self.dir)? > self.pages.count() {
            return Ok(Error::Stale {
                offset,
                page: ptr.page.max(self.pages.count() as u32),
            });
        }
        let tracker = crate::tracker::path(&self.dir);
        let reason = "points past the last page".to_string();
        Ok(crate::tracker::bad_pointer(&tracker, offset, ptr, reason))
    }

    /// Every `(offset, value)` visible to this reader, in offset order.
    pub fn iter(&self) -> impl Iterator<Item = Result<(PointOffset, Vec<u8>)>> + '_ {
        (0..self.tracker.capacity()).filter_map(move |o| {
            let offset = o as PointOffset;
            self.get(offset).transpose().map(|r| r.map(|v| (offset, v)))
        })
    }
}
