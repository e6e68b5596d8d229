//! A read-only shared map of a whole file, that can follow the file as another handle grows it.

use std::fs::File;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::advice::AdviceCell;
use crate::map_methods::shared_map_methods;
use crate::{Advice, Error, Result};

/// A read-only map of a file.
///
/// The map is `MAP_SHARED`: writes by other handles to the same file become visible. It starts
/// with the kernel's default advice; [`advise`](Self::advise) sets this map's, which a
/// [`reload`](Self::reload) keeps.
#[derive(Debug)]
pub struct MmapFile {
    path: PathBuf,
    file: File,
    map: Mmap,
    /// This map's access-pattern advice, given again after a remap.
    advice: AdviceCell,
}

impl MmapFile {
    /// Maps the whole file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = File::open(&path).map_err(|e| Error::io(&path, "open", e))?;
        let map = map_read(&path, &file, Advice::Normal)?;
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

    /// Remaps if the file grew since it was mapped (another handle appended); returns whether
    /// it did. A file that shrank is remapped too, so no access ever reaches past its end.
    pub fn reload(&mut self) -> Result<bool> {
        let len = self
            .file
            .metadata()
            .map_err(|e| Error::io(&self.path, "stat", e))?
            .len();
        if len == self.map.len() as u64 {
            return Ok(false);
        }
        self.map = map_read(&self.path, &self.file, self.advice.get())?;
        Ok(true)
    }

    shared_map_methods!();
}

fn map_read(path: &Path, file: &File, advice: Advice) -> Result<Mmap> {
    // SAFETY: the map is read-only. Another process truncating the file while it is mapped
    // would make accesses fault (SIGBUS); every file format built on this crate only ever
    // grows its files, and this is the documented contract of a shared map.
    let map = unsafe { Mmap::map(file) }.map_err(|e| Error::io(path, "map", e))?;
    if advice != Advice::Normal {
        crate::advice::apply(&map, advice).map_err(|e| Error::io(path, "madvise", e))?;
    }
    Ok(map)
}
