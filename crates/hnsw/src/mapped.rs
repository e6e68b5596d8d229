//! A graph file searched in place through a read-only mmap: nothing is copied but the deleted
//! set, a 4-byte-per-node index of where each node's upper lists start, and the payload-aware
//! extra links (few, decoded at open).

use std::path::Path;

use sextant_mmap_advice::MmapFile;

use crate::config::HnswConfig;
use crate::error::{Error, Result};
use crate::layout::{FileGraph, Layout, parse};
use crate::query::Query;

/// A read-only HNSW index over a graph file (plain or compressed, as written by
/// [`HnswIndex::save`](crate::HnswIndex::save) or
/// [`save_compressed`](crate::HnswIndex::save_compressed)), searched straight from the page
/// cache. Searches give the same results as the same graph loaded into RAM.
///
/// The file is validated completely when opened (checksum, every list). It must not be
/// modified while mapped: a truncated file makes reads fault, as with any mmap.
#[derive(Debug)]
pub struct HnswMapped {
    map: MmapFile,
    layout: Layout,
}

impl crate::HnswIndex {
    /// Maps and validates the graph file at `path` (plain or compressed) and searches it in
    /// place: the third verb of every immutable artefact, next to `save` and `load`.
    pub fn open_mapped(path: impl AsRef<Path>) -> Result<HnswMapped> {
        HnswMapped::open(path.as_ref())
    }
}

impl HnswMapped {
    fn open(path: &Path) -> Result<Self> {
        let map = MmapFile::open(path)?;
        let layout = parse(map.bytes()).map_err(|e| e.in_file(path))?;
        Ok(Self { map, layout })
    }

    pub(crate) fn query(&self) -> Query<'_, FileGraph<'_>> {
        Query {
            graph: FileGraph {
                b: self.map.bytes(),
                layout: &self.layout,
            },
            deleted: &self.layout.deleted,
            extra: &self.layout.extra,
        }
    }

    /// Number of point slots (live and deleted).
    pub fn len(&self) -> usize {
        self.layout.n
    }

    /// True when the index holds no points.
    pub fn is_empty(&self) -> bool {
        self.layout.n == 0
    }

    /// The construction parameters stored in the file.
    pub fn config(&self) -> &HnswConfig {
        &self.layout.params
    }

    /// Number of points marked deleted.
    pub fn deleted_count(&self) -> usize {
        self.layout.deleted.count()
    }

    /// True when `point` is marked deleted.
    pub fn is_deleted(&self, point: sextant_core::PointOffset) -> bool {
        self.layout.deleted.contains(point)
    }

    /// Whether the file's level-0 lists are compressed.
    pub fn is_compressed(&self) -> bool {
        self.query().graph.compressed()
    }

    /// Size of the graph file in bytes.
    pub fn file_bytes(&self) -> usize {
        self.map.len()
    }

    /// Faults the whole file into memory now (`MADV_POPULATE_READ` where available), so the
    /// first queries do not pay for page faults.
    pub fn populate(&self) -> Result<()> {
        self.map
            .populate(0, self.map.len())
            .map(|_| ())
            .map_err(Error::from)
    }

    crate::query::search_api!();
}
