//! Methods every map type shares (advice, typed views), generated once for both.

/// Implements the read side and the advice calls for a map type with `path` and `bytes()`.
macro_rules! shared_map_methods {
    () => {
        /// The mapped file's path.
        pub fn path(&self) -> &std::path::Path {
            &self.path
        }

        /// The file handle behind the map (for `fsync`, `pread`, locking).
        pub fn file(&self) -> &std::fs::File {
            &self.file
        }

        /// Mapped length in bytes.
        pub fn len(&self) -> usize {
            self.bytes().len()
        }

        /// True for an empty file.
        pub fn is_empty(&self) -> bool {
            self.len() == 0
        }

        /// `count` elements of `T` starting at byte `start`: bounds- and alignment-checked.
        pub fn view<T: bytemuck::Pod>(&self, start: usize, count: usize) -> $crate::Result<&[T]> {
            $crate::view::view(&self.path, self.bytes(), start, count)
        }

        /// Every whole `T` from byte `start` to the end of the map.
        pub fn view_to_end<T: bytemuck::Pod>(&self, start: usize) -> $crate::Result<&[T]> {
            let count = $crate::view::whole_elements::<T>(self.len(), start);
            self.view(start, count)
        }

        /// `len` bits stored as `u64` words from byte `start`.
        pub fn bits(&self, start: usize, len: usize) -> $crate::Result<$crate::BitSlice<'_>> {
            let words = self.view::<u64>(start, len.div_ceil(64))?;
            Ok($crate::BitSlice::new(words, len).expect("view holds len.div_ceil(64) words"))
        }

        /// Applies an access pattern to the whole map.
        pub fn advise(&self, advice: $crate::Advice) -> $crate::Result<()> {
            $crate::advice::apply(self.bytes(), advice)
                .map_err(|e| $crate::Error::io(&self.path, "madvise", e))?;
            self.advice.set(advice);
            Ok(())
        }

        /// Starts read-ahead for the given `(offset, len)` byte ranges (coalesced to page runs)
        /// and returns without waiting. Ranges past the end are clipped.
        pub fn will_need(&self, ranges: &[(usize, usize)]) -> $crate::Result<()> {
            $crate::advice::will_need(self.bytes(), ranges)
                .map_err(|e| $crate::Error::io(&self.path, "madvise(WILLNEED)", e))
        }

        /// Faults `[start, start + len)` into memory before returning (clipped to the map).
        pub fn populate(&self, start: usize, len: usize) -> $crate::Result<$crate::Populated> {
            $crate::advice::populate(self.bytes(), start, len)
                .map_err(|e| $crate::Error::io(&self.path, "populate", e))
        }

        /// Drops `[start, start + len)` from this process's resident set, leaving the pages
        /// in the page cache (a scan that should not count against the process's RSS: a
        /// checksum over a file read in place). Returns whether a hint was given.
        pub fn release(&self, start: usize, len: usize) -> $crate::Result<bool> {
            $crate::advice::release(self.bytes(), start, len)
                .map_err(|e| $crate::Error::io(&self.path, "release", e))
        }

        /// Asks the kernel to drop `[start, start + len)` from memory; the file keeps the data
        /// and later reads fault it back in. Returns whether a hint was accepted.
        pub fn evict(&self, start: usize, len: usize) -> $crate::Result<bool> {
            $crate::advice::evict(self.bytes(), start, len)
                .map_err(|e| $crate::Error::io(&self.path, "evict", e))
        }
    };
}

pub(crate) use shared_map_methods;
