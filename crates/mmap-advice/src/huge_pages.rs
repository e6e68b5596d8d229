//! Large in-RAM buffers backed by transparent huge pages where the OS offers them.
//!
//! Why: vector data is read at random (graph traversal) or streamed (scans). With 4 KiB pages
//! every vector a traversal jumps to costs a TLB miss, and the hardware prefetcher stops at
//! every page boundary; with 2 MiB pages both go away. On Linux with THP in `madvise` mode (the
//! common default) nothing gets huge pages unless asked, so we ask before the first touch.

/// Size of a transparent huge page (x86-64, and aarch64 with 4 KiB base pages).
const HUGE: usize = 2 << 20;

/// An empty vector with room for `capacity` values (any type: atomics too). On Linux, when the buffer spans at least
/// two huge pages, its 2 MiB-aligned interior is advised `MADV_HUGEPAGE` before anything is
/// written, so filling it faults in huge pages. Elsewhere (or when THP is off) it is a plain
/// `Vec::with_capacity`; the advice is a hint and never changes the contents.
///
/// ```
/// let mut v: Vec<f32> = sextant_mmap_advice::huge_page_vec(1 << 20);
/// v.resize(1 << 20, 0.5);
/// assert_eq!(v.len(), 1 << 20);
/// ```
pub fn huge_page_vec<T>(capacity: usize) -> Vec<T> {
    let v: Vec<T> = Vec::with_capacity(capacity);
    #[cfg(target_os = "linux")]
    advise_huge(v.as_ptr().cast(), capacity * size_of::<T>());
    v
}

#[cfg(target_os = "linux")]
fn advise_huge(ptr: *const u8, bytes: usize) {
    if bytes < 2 * HUGE {
        return;
    }
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

#[cfg(test)]
mod tests {
    #[test]
    fn huge_page_vectors_hold_what_is_written() {
        for n in [0, 1, 3 << 20] {
            let mut v: Vec<u32> = super::huge_page_vec(n);
            assert!(v.capacity() >= n);
            v.extend((0..n as u32).map(|i| i.wrapping_mul(7)));
            assert!(
                v.iter()
                    .enumerate()
                    .all(|(i, &x)| x == (i as u32).wrapping_mul(7))
            );
        }
    }
}
