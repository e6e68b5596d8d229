//! A writable shared map of a whole file: typed mutable views, growth, range flushes.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use bytemuck::Pod;
use memmap2::MmapMut;

use crate::advice::AdviceCell;
use crate::map_methods::shared_map_methods;
use crate::{Advice, BitSliceMut, Error, Result};

/// A writable, shared map of a file. Writes reach the file through the page cache; `flush*`
/// makes them durable.
#[derive(Debug)]
pub struct MmapFileMut {
    path: PathBuf,
    file: File,
    map: MmapMut,
    /// This map's access-pattern advice, given again after a remap.
    advice: AdviceCell,
}

impl MmapFileMut {
    /// Creates (or truncates) the file at `path` with `len` zero bytes, and maps it.
    /// The file is sparse: blocks are allocated when first written.
    pub fn create(path: impl AsRef<Path>, len: usize) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| Error::io(&path, "create", e))?;
        file.set_len(len as u64)
            .map_err(|e| Error::io(&path, "set_len", e))?;
        let map = map_write(&path, &file, Advice::Normal)?;
        Ok(Self {
            path,
            file,
            map,
            advice: AdviceCell::default(),
        })
    }

    /// Maps an existing file for reading and writing.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, "open", e))?;
        let map = map_write(&path, &file, Advice::Normal)?;
        Ok(Self {
            path,
            file,
            map,
            advice: AdviceCell::default(),
        })
    }

    /// The mapped bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// The mapped bytes, writable.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.map
    }

    /// `count` elements of `T` from byte `start`, writable.
    pub fn view_mut<T: Pod>(&mut self, start: usize, count: usize) -> Result<&mut [T]> {
        crate::view::view_mut(&self.path, &mut self.map, start, count)
    }

    /// `len` bits stored as `u64` words from byte `start`, writable.
    pub fn bits_mut(&mut self, start: usize, len: usize) -> Result<BitSliceMut<'_>> {
        let words = self.view_mut::<u64>(start, len.div_ceil(64))?;
        Ok(BitSliceMut::new(words, len).expect("view holds len.div_ceil(64) words"))
    }

    /// Grows the file to `new_len` zero-filled bytes and remaps it. Shrinking is refused
    /// (views handed out earlier are already gone: this takes `&mut self`).
    pub fn grow(&mut self, new_len: usize) -> Result<()> {
        if new_len < self.map.len() {
            return Err(Error::io(
                &self.path,
                "grow",
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "new length is below the current length",
                ),
            ));
        }
        if new_len == self.map.len() {
            return Ok(());
        }
        self.file
            .set_len(new_len as u64)
            .map_err(|e| Error::io(&self.path, "set_len", e))?;
        self.map = map_write(&self.path, &self.file, self.advice.get())?;
        Ok(())
    }

    /// Writes every dirty page back and waits (`msync(MS_SYNC)`).
    pub fn flush(&self) -> Result<()> {
        self.map
            .flush()
            .map_err(|e| Error::io(&self.path, "msync", e))
    }

    /// Writes back the pages covering `[start, start + len)` and waits (clipped to the map).
    pub fn flush_range(&self, start: usize, len: usize) -> Result<()> {
        let Some((first, span)) = crate::advice::page_span(self.map.len(), start, len) else {
            return Ok(());
        };
        self.map
            .flush_range(first, span)
            .map_err(|e| Error::io(&self.path, "msync", e))
    }

    /// Starts writing every dirty page back without waiting (`msync(MS_ASYNC)`).
    pub fn flush_async(&self) -> Result<()> {
        self.map
            .flush_async()
            .map_err(|e| Error::io(&self.path, "msync(async)", e))
    }

    shared_map_methods!();
}

fn map_write(path: &Path, file: &File, advice: Advice) -> Result<MmapMut> {
    // SAFETY: the map is shared and writable. The file is owned by the caller's format, which
    // never truncates a mapped file below the mapped length (`grow` only extends), so no
    // access faults; concurrent writers in other processes are the format's responsibility.
    let map = unsafe { MmapMut::map_mut(file) }.map_err(|e| Error::io(path, "map", e))?;
    if advice != Advice::Normal {
        crate::advice::apply(&map, advice).map_err(|e| Error::io(path, "madvise", e))?;
    }
    Ok(map)
}
