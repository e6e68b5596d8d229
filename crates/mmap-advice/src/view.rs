//! Checked casts from mapped bytes to typed slices (`bytemuck::Pod`).
//!
//! Views use the machine's byte order. Formats built on them (the WAL, gridstore, the HNSW
//! graph) are defined little-endian, which every target we build for is.

use std::path::Path;

use bytemuck::Pod;

use crate::{Error, Result};

/// Checks that `count` elements of `T` fit at `start` in `len` bytes, aligned; returns the byte end.
pub(crate) fn check<T: Pod>(
    path: &Path,
    base: *const u8,
    len: usize,
    start: usize,
    count: usize,
) -> Result<usize> {
    let layout_err = |end: usize, reason| Error::Layout {
        path: path.to_path_buf(),
        start,
        end,
        ty: std::any::type_name::<T>(),
        reason,
    };
    let end = count
        .checked_mul(size_of::<T>())
        .and_then(|bytes| bytes.checked_add(start))
        .ok_or_else(|| layout_err(usize::MAX, "size overflows usize"))?;
    if end > len {
        return Err(layout_err(end, "past the end of the map"));
    }
    if !(base as usize + start).is_multiple_of(align_of::<T>()) {
        return Err(layout_err(end, "misaligned for the element type"));
    }
    Ok(end)
}

/// Number of whole `T`s in `len - start` bytes (0 past the end; the view then reports it).
pub(crate) fn whole_elements<T: Pod>(len: usize, start: usize) -> usize {
    len.saturating_sub(start) / size_of::<T>().max(1)
}

/// A typed view of `bytes[start..]`: `count` elements of `T`.
pub(crate) fn view<'a, T: Pod>(
    path: &Path,
    bytes: &'a [u8],
    start: usize,
    count: usize,
) -> Result<&'a [T]> {
    let end = check::<T>(path, bytes.as_ptr(), bytes.len(), start, count)?;
    Ok(bytemuck::cast_slice(&bytes[start..end]))
}

/// The mutable twin of [`view`].
pub(crate) fn view_mut<'a, T: Pod>(
    path: &Path,
    bytes: &'a mut [u8],
    start: usize,
    count: usize,
) -> Result<&'a mut [T]> {
    let end = check::<T>(path, bytes.as_ptr(), bytes.len(), start, count)?;
    Ok(bytemuck::cast_slice_mut(&mut bytes[start..end]))
}
