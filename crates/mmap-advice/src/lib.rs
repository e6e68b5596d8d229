//! Typed memory-mapped files and the kernel advice that goes with them.
//!
//! Every Sextant crate that keeps data in files maps them through this crate, so paging policy
//! is decided in one place:
//!
//! - [`MmapFile`] / [`MmapFileMut`]: whole-file shared maps with checked typed views
//!   (`bytemuck::Pod` slices and [`BitSlice`]s), growth, range flushes, and [`MmapFile::reload`]
//!   to follow a file another handle grows.
//! - Advice per map, never process-wide: its access pattern (`advise`, given again after
//!   `grow` / `reload` remap it), and per-range `will_need` (coalesced read-ahead),
//!   `populate` (`MADV_POPULATE_READ`, else one touched byte per page), `evict`
//!   (`MADV_PAGEOUT`, else `MADV_DONTNEED`) and `release` (`MADV_DONTNEED`: out of this
//!   process's resident set, still in the page cache). Off Linux these are no-ops or portable fallbacks.
//! - [`BatchReader`]: many `(offset, len)` reads in one io_uring submission (feature
//!   `io-uring`, on by default), with a `pread` fallback giving identical bytes.
//! - [`atomic_write`] and [`sync_dir`]: replace a small file so a crash leaves the old or the new.
//! - [`DirLock`]: one writer per directory across processes (`flock`, released if the process dies).
//! - [`huge_page_vec`]: large in-RAM buffers (vectors, codes) backed by transparent huge pages.
//! - [`header`]: the checksummed headers every Sextant file format starts with (a 64-byte
//!   block, or magic + version and a trailing CRC32C over the whole file), written and checked
//!   in one place.
//!
//! ```
//! use sextant_mmap_advice::{Advice, MmapFile, MmapFileMut};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("ids.u32");
//! let mut file = MmapFileMut::create(&path, 16)?;
//! file.view_mut::<u32>(0, 4)?.copy_from_slice(&[7, 8, 9, 10]);
//! file.grow(32)?; // zero-filled, remapped
//! file.flush()?;
//!
//! let map = MmapFile::open(&path)?;
//! map.advise(Advice::Random)?;
//! map.will_need(&[(0, 16)])?;
//! assert_eq!(map.view::<u32>(0, 5)?, &[7, 8, 9, 10, 0]);
//! assert!(map.view::<u32>(2, 1).is_err()); // misaligned: an error, not a panic
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod advice;
mod atomic_write;
mod batch_read;
mod bits;
mod dir_lock;
mod error;
pub mod header;
mod huge_pages;
mod map_methods;
mod mmap_file;
mod mmap_file_mut;
mod view;

pub use advice::{Advice, Populated, coalesce_ranges, page_size};
pub use atomic_write::{atomic_write, sync_dir};
pub use batch_read::{Backend, BatchBuf, BatchReader, ReadRange};
pub use bits::{BitSlice, BitSliceMut};
pub use dir_lock::{DirLock, LockOutcome};
pub use error::{Error, Result};
pub use huge_pages::huge_page_vec;
pub use mmap_file::MmapFile;
pub use mmap_file_mut::MmapFileMut;
