//! Buffers for large in-RAM copies of vector files, backed by transparent huge pages where the
//! OS offers them.
//!
//! Why: a brute-force scan streams the whole base once per query. With 4 KiB pages the hardware
//! prefetcher stops at every page boundary and each page costs a TLB miss; with 2 MiB pages the
//! stream runs at the memory's pace. On Linux with THP in `madvise` mode (the common default),
//! nothing gets huge pages unless asked, so we ask before the first touch.

/// An empty vector with room for `len` values; on Linux, the pages of large buffers are advised
/// `MADV_HUGEPAGE` before anything is written to them.
pub(crate) fn huge_vec<T: Copy>(len: usize) -> Vec<T> {
    let v: Vec<T> = Vec::with_capacity(len);
    #[cfg(target_os = "linux")]
    advise_huge(v.as_ptr().cast(), len * size_of::<T>());
    v
}

#[cfg(target_os = "linux")]
fn advise_huge(ptr: *const u8, bytes: usize) {
    const HUGE: usize = 2 << 20;
    if bytes < 2 * HUGE {
        return;
    }
    // Advise only the 2 MiB-aligned interior of the allocation.
    let start = (ptr as usize).next_multiple_of(HUGE);
    let end = (ptr as usize + bytes) / HUGE * HUGE;
    if end > start {
        // SAFETY: [start, end) lies inside the allocation `ptr..ptr + bytes`, which this
        // process owns; MADV_HUGEPAGE changes only how the kernel backs those pages, never
        // their contents, and failing (EINVAL when THP is off) is harmless, so the result is
        // ignored on purpose.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}
