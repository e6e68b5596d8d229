//! Page files `page_NNNNNN.dat`: raw blocks, no header (geometry and version are in `meta`).
//! A value is `len` bytes from its first block; past the end of a page it continues at block 0
//! of the next page.

use std::borrow::Cow;
use std::fs::File;
use std::path::{Path, PathBuf};

use sextant_mmap_advice::{MmapFile, MmapFileMut};

use crate::{Error, GridstoreConfig, Result};

/// Path of page `id` in `dir`.
pub(crate) fn page_path(dir: &Path, id: usize) -> PathBuf {
    dir.join(format!("page_{id:06}.dat"))
}

/// Number of consecutive page files `page_000000.dat, page_000001.dat, ...` in `dir`; a gap
/// after them (a higher-numbered page with a lower one missing) is a format error.
pub(crate) fn count_pages(dir: &Path) -> Result<usize> {
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, "list", e))? {
        let name = entry.map_err(|e| Error::io(dir, "list", e))?.file_name();
        let name = name.to_string_lossy();
        if let Some(id) = name
            .strip_prefix("page_")
            .and_then(|r| r.strip_suffix(".dat"))
        {
            ids.push(
                id.parse::<usize>()
                    .map_err(|_| Error::format(dir, format!("unexpected page file name {name}")))?,
            );
        }
    }
    ids.sort_unstable();
    if let Some((i, &id)) = ids.iter().enumerate().find(|&(i, &id)| i != id) {
        return Err(Error::format(
            dir,
            format!("page files are not consecutive: page {i} missing before page {id}"),
        ));
    }
    Ok(ids.len())
}

/// Location of a byte range: the pages it touches as (page, start, len) pieces.
fn pieces(
    config: GridstoreConfig,
    global_block: u64,
    len: usize,
) -> impl Iterator<Item = (usize, usize, usize)> {
    let page_size = config.page_size as usize;
    let bpp = config.blocks_per_page();
    let mut page = (global_block / bpp) as usize;
    let mut start = ((global_block % bpp) * u64::from(config.block_size)) as usize;
    let mut left = len;
    std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        let take = left.min(page_size - start);
        let piece = (page, start, take);
        left -= take;
        page += 1;
        start = 0;
        Some(piece)
    })
}

/// Reads `len` bytes at `global_block` from `maps`: borrowed when in one page, copied
/// otherwise. `None` if a page is missing or too short. Every piece is checked before the copy
/// is allocated: a damaged tracker entry may claim gigabytes (the fuzzer found one claiming
/// 3 GB, which was reserved before the missing pages were noticed).
fn read<'a>(
    config: &GridstoreConfig,
    maps: impl Fn(usize) -> Option<&'a [u8]>,
    global_block: u64,
    len: usize,
) -> Option<Cow<'a, [u8]>> {
    let mut parts = pieces(*config, global_block, len);
    let Some((page, start, take)) = parts.next() else {
        return Some(Cow::Borrowed(&[]));
    };
    let first = maps(page)?.get(start..start + take)?;
    if take == len {
        return Some(Cow::Borrowed(first));
    }
    let fits = |(page, start, take): (usize, usize, usize)| {
        maps(page).is_some_and(|m| start.checked_add(take).is_some_and(|end| end <= m.len()))
    };
    if !pieces(*config, global_block, len).all(fits) {
        return None;
    }
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(first);
    for (page, start, take) in parts {
        out.extend_from_slice(maps(page)?.get(start..start + take)?);
    }
    Some(Cow::Owned(out))
}

/// The writer's pages.
#[derive(Debug)]
pub(crate) struct Pages {
    dir: PathBuf,
    config: GridstoreConfig,
    maps: Vec<MmapFileMut>,
}

impl Pages {
    pub fn open(dir: &Path, config: GridstoreConfig, count: usize) -> Result<Self> {
        let mut maps = Vec::with_capacity(count);
        for id in 0..count {
            let mut map = MmapFileMut::open(page_path(dir, id))?;
            // A page created just before a crash may not have reached its full size; nothing
            // durable can point into the missing part, so it is simply zero-extended.
            if (map.len() as u64) < config.page_size {
                map.grow(config.page_size as usize)?;
            } else if map.len() as u64 != config.page_size {
                return Err(Error::format(
                    map.path(),
                    format!("page is {} bytes, expected {}", map.len(), config.page_size),
                ));
            }
            maps.push(map);
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            config,
            maps,
        })
    }

    pub fn count(&self) -> usize {
        self.maps.len()
    }

    /// Creates the next page file; returns a handle the flusher can fsync.
    pub fn add(&mut self) -> Result<File> {
        let map = MmapFileMut::create(
            page_path(&self.dir, self.maps.len()),
            self.config.page_size as usize,
        )?;
        let handle = map
            .file()
            .try_clone()
            .map_err(|e| Error::io(map.path(), "dup", e))?;
        self.maps.push(map);
        Ok(handle)
    }

    /// Handles for fsync of every page.
    pub fn sync_handles(&self) -> Result<Vec<File>> {
        self.maps
            .iter()
            .map(|m| {
                m.file()
                    .try_clone()
                    .map_err(|e| Error::io(m.path(), "dup", e))
            })
            .collect()
    }

    pub fn read(&self, global_block: u64, len: usize) -> Option<Cow<'_, [u8]>> {
        read(
            &self.config,
            |p| self.maps.get(p).map(|m| m.bytes()),
            global_block,
            len,
        )
    }

    /// Writes `bytes` from `global_block`; the blocks must be allocated and the pages exist.
    ///
    /// Through `pwrite`, not the map: the kernel copies into the page cache directly, without a
    /// page fault per fresh 4 KiB page; the shared maps see the bytes at once (one page cache).
    pub fn write(&mut self, global_block: u64, bytes: &[u8]) -> Result<()> {
        use std::os::unix::fs::FileExt;
        let mut written = 0;
        for (page, start, take) in pieces(self.config, global_block, bytes.len()) {
            let map = &self.maps[page];
            map.file()
                .write_all_at(&bytes[written..written + take], start as u64)
                .map_err(|e| Error::io(map.path(), "write", e))?;
            written += take;
        }
        Ok(())
    }

    /// Pages touched by `len` bytes at `global_block`.
    pub fn pages_of(&self, global_block: u64, len: usize) -> impl Iterator<Item = usize> + use<> {
        pieces(self.config, global_block, len).map(|(page, _, _)| page)
    }
}

/// A reader's read-only pages.
#[derive(Debug)]
pub(crate) struct PageViews {
    dir: PathBuf,
    config: GridstoreConfig,
    maps: Vec<MmapFile>,
}

impl PageViews {
    pub fn open(dir: &Path, config: GridstoreConfig) -> Result<Self> {
        let mut views = Self {
            dir: dir.to_path_buf(),
            config,
            maps: Vec::new(),
        };
        views.reload()?;
        Ok(views)
    }

    pub fn count(&self) -> usize {
        self.maps.len()
    }

    /// Maps pages the writer added since the last call (only full-size ones).
    pub fn reload(&mut self) -> Result<()> {
        let count = count_pages(&self.dir)?;
        for id in self.maps.len()..count {
            let map = MmapFile::open(page_path(&self.dir, id))?;
            if map.len() as u64 != self.config.page_size {
                break; // still being created by the writer
            }
            self.maps.push(map);
        }
        Ok(())
    }

    pub fn read(&self, global_block: u64, len: usize) -> Option<Cow<'_, [u8]>> {
        read(
            &self.config,
            |p| self.maps.get(p).map(|m| m.bytes()),
            global_block,
            len,
        )
    }
}
