//! Kernel paging advice, given per map (its access pattern, kept across remaps) and per range
//! (read-ahead, populate, evict). There is no process-wide setting: two indexes in one process
//! may want opposite advice.
//!
//! Everything here is advice: the kernel may ignore it, and a refused hint is reported as an
//! error only where the caller asked for an effect it can observe (`populate`). On targets
//! other than Linux the calls compile to no-ops (or the portable fallback), so code using them
//! stays portable.

use std::sync::atomic::{AtomicU8, Ordering};

/// Access pattern hint applied to a whole map (`madvise` with `MADV_NORMAL`/`RANDOM`/`SEQUENTIAL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Advice {
    /// Kernel default read-ahead.
    #[default]
    Normal,
    /// Point lookups: no read-ahead, so a random page fault reads one page, not 128 KiB.
    Random,
    /// Scans: aggressive read-ahead, pages freed soon after they are passed.
    Sequential,
}

/// The advice a map was given, kept so that a remap (`reload`, `grow`) gives it again.
#[derive(Debug, Default)]
pub(crate) struct AdviceCell(AtomicU8);

impl AdviceCell {
    pub(crate) fn get(&self) -> Advice {
        match self.0.load(Ordering::Relaxed) {
            1 => Advice::Random,
            2 => Advice::Sequential,
            _ => Advice::Normal,
        }
    }

    pub(crate) fn set(&self, advice: Advice) {
        self.0.store(advice as u8, Ordering::Relaxed);
    }
}

/// The OS page size (4096 where it cannot be asked).
pub fn page_size() -> usize {
    #[cfg(unix)]
    {
        // SAFETY: sysconf has no memory-safety preconditions.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if size > 0 {
            return size as usize;
        }
    }
    4096
}

/// Widens `[start, start + len)` inside `[0, map_len)` to page boundaries; `None` when empty.
pub(crate) fn page_span(map_len: usize, start: usize, len: usize) -> Option<(usize, usize)> {
    let end = start.saturating_add(len).min(map_len);
    if start >= end {
        return None;
    }
    let page = page_size();
    let first = start / page * page;
    Some((first, end - first))
}

/// Coalesces byte ranges into sorted, page-aligned spans, merging spans that touch or overlap,
/// so a batch of `will_need` hints costs one syscall per run of pages instead of one per range.
pub fn coalesce_ranges(map_len: usize, ranges: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let page = page_size();
    let mut spans: Vec<(usize, usize)> = ranges
        .iter()
        .filter_map(|&(start, len)| page_span(map_len, start, len))
        .map(|(first, len)| (first, (first + len).div_ceil(page) * page))
        .collect();
    spans.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
        .into_iter()
        .map(|(start, end)| (start, end.min(map_len.max(start)) - start))
        .collect()
}

/// What [`populate`](crate::MmapFile::populate) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Populated {
    /// One `MADV_POPULATE_READ` call faulted the range in (Linux ≥ 5.14).
    Madvise,
    /// The kernel lacks it: one byte per page was read instead.
    Touched,
}

#[cfg(unix)]
mod sys {
    use std::io;

    /// Calls `madvise` on `[ptr + start, ptr + start + len)`; `start` must be page-aligned.
    ///
    /// # Safety
    /// `ptr` must be the start of a live mapping at least `start + len` bytes long, and the
    /// advice must not discard data the caller still expects (no `MADV_DONTNEED` on private maps).
    pub unsafe fn madvise(
        ptr: *const u8,
        start: usize,
        len: usize,
        advice: libc::c_int,
    ) -> io::Result<()> {
        // SAFETY: the caller guarantees the range lies inside a live mapping.
        let rc = unsafe { libc::madvise(ptr.add(start) as *mut libc::c_void, len, advice) };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
}

/// Applies a whole-map access pattern. Used by the map types; no-op off Unix.
pub(crate) fn apply(bytes: &[u8], advice: Advice) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        if bytes.is_empty() {
            return Ok(());
        }
        let flag = match advice {
            Advice::Normal => libc::MADV_NORMAL,
            Advice::Random => libc::MADV_RANDOM,
            Advice::Sequential => libc::MADV_SEQUENTIAL,
        };
        // SAFETY: `bytes` is a whole live mapping (page-aligned start); access-pattern advice
        // never changes contents.
        unsafe { sys::madvise(bytes.as_ptr(), 0, bytes.len(), flag) }
    }
    #[cfg(not(unix))]
    {
        let _ = (bytes, advice);
        Ok(())
    }
}

/// `MADV_WILLNEED` over the coalesced ranges of a map: starts read-ahead and returns at once.
pub(crate) fn will_need(bytes: &[u8], ranges: &[(usize, usize)]) -> std::io::Result<()> {
    #[cfg(unix)]
    for (start, len) in coalesce_ranges(bytes.len(), ranges) {
        // SAFETY: coalesce_ranges keeps spans page-aligned and inside the map; WILLNEED only
        // schedules reads.
        unsafe { sys::madvise(bytes.as_ptr(), start, len, libc::MADV_WILLNEED) }?;
    }
    #[cfg(not(unix))]
    let _ = (bytes, ranges);
    Ok(())
}

/// Faults `[start, start + len)` into memory before returning.
pub(crate) fn populate(bytes: &[u8], start: usize, len: usize) -> std::io::Result<Populated> {
    let Some((first, span)) = page_span(bytes.len(), start, len) else {
        return Ok(Populated::Madvise);
    };
    #[cfg(target_os = "linux")]
    {
        // SAFETY: the span is page-aligned and inside the map; POPULATE_READ only faults pages in.
        match unsafe { sys::madvise(bytes.as_ptr(), first, span, libc::MADV_POPULATE_READ) } {
            Ok(()) => return Ok(Populated::Madvise),
            // EINVAL: kernel older than 5.14. Anything else (EFAULT, EIO) is a real failure.
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {}
            Err(e) => return Err(e),
        }
    }
    touch_pages(&bytes[first..first + span]);
    Ok(Populated::Touched)
}

/// Reads one byte per page so every page is faulted in (the portable populate).
fn touch_pages(bytes: &[u8]) {
    let mut sink = 0u8;
    for page in bytes.chunks(page_size()) {
        sink ^= page[0];
    }
    std::hint::black_box(sink);
}

/// Drops the range's clean pages from this process's memory; the file keeps the data.
///
/// Uses `MADV_PAGEOUT` (Linux ≥ 5.4) and falls back to `MADV_DONTNEED`, which is safe on a
/// shared file map (pages are re-read from the file) — the map types only offer this on shared
/// file maps. Returns whether the kernel accepted a hint; no-op off Linux.
pub(crate) fn evict(bytes: &[u8], start: usize, len: usize) -> std::io::Result<bool> {
    let Some((first, span)) = page_span(bytes.len(), start, len) else {
        return Ok(false);
    };
    #[cfg(target_os = "linux")]
    {
        // SAFETY: the span is inside a live shared file map; PAGEOUT never loses data.
        if unsafe { sys::madvise(bytes.as_ptr(), first, span, libc::MADV_PAGEOUT) }.is_ok() {
            return Ok(true);
        }
        // SAFETY: as above; on a MAP_SHARED file map DONTNEED drops only the process's page
        // table entries, dirty data stays in the page cache and the file.
        unsafe { sys::madvise(bytes.as_ptr(), first, span, libc::MADV_DONTNEED) }?;
        Ok(true)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (bytes, first, span);
        Ok(false)
    }
}

/// `MADV_DONTNEED` on the pages spanning `[start, start + len)`: they leave this process's
/// resident set, the page cache keeps them (unlike [`evict`]), so the next touch is a minor
/// fault, not a read. Returns whether a hint was given.
pub(crate) fn release(bytes: &[u8], start: usize, len: usize) -> std::io::Result<bool> {
    let Some((first, span)) = page_span(bytes.len(), start, len) else {
        return Ok(false);
    };
    #[cfg(unix)]
    {
        // SAFETY: the span is inside a live shared file map; on a MAP_SHARED file map
        // DONTNEED drops only the process's page table entries, the data stays in the page
        // cache and the file.
        unsafe { sys::madvise(bytes.as_ptr(), first, span, libc::MADV_DONTNEED) }?;
        Ok(true)
    }
    #[cfg(not(unix))]
    {
        let _ = (bytes, first, span);
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coalescing_merges_touching_pages_and_clips_to_the_map() {
        let page = page_size();
        let map_len = 10 * page;
        let spans = coalesce_ranges(
            map_len,
            &[
                (page * 3 + 5, 10),
                (0, 1),
                (page + 1, page),
                (9 * page + 7, 100 * page),
                (4 * page, 0),
            ],
        );
        assert_eq!(spans, vec![(0, 4 * page), (9 * page, page)]);
        assert!(coalesce_ranges(map_len, &[(map_len, 10)]).is_empty());
    }

    #[test]
    fn a_cell_keeps_the_advice_it_was_given() {
        let cell = AdviceCell::default();
        assert_eq!(cell.get(), Advice::Normal);
        for advice in [Advice::Random, Advice::Sequential, Advice::Normal] {
            cell.set(advice);
            assert_eq!(cell.get(), advice);
        }
    }
}
