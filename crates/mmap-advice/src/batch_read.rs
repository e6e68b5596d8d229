//! Reading many `(offset, len)` ranges of a file in one go: one io_uring submission where the
//! kernel allows it, `pread` per range otherwise. The bytes returned are identical either way.

use std::fs::File;
use std::path::Path;

use crate::{Error, Result};

/// One range to read: `len` bytes at byte `offset` of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadRange {
    /// Byte offset in the file.
    pub offset: u64,
    /// Number of bytes; the whole range must lie inside the file.
    pub len: usize,
}

/// Which mechanism a [`BatchReader`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One io_uring instance, `queue_depth` reads in flight.
    IoUring,
    /// One `pread` per range (io_uring absent, refused, or not asked for).
    Pread,
}

/// The result of a batch: the bytes of every range, in request order, in one buffer.
#[derive(Debug, Default)]
pub struct BatchBuf {
    data: Vec<u8>,
    starts: Vec<usize>,
}

impl BatchBuf {
    /// Number of ranges.
    pub fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// True when the batch had no ranges.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes of range `i`.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        Some(&self.data[*self.starts.get(i)?..*self.starts.get(i + 1)?])
    }

    /// Sizes the buffer for `ranges`; returns the total byte count.
    fn prepare(&mut self, ranges: &[ReadRange]) -> usize {
        self.starts.clear();
        self.starts.push(0);
        let mut total = 0usize;
        for r in ranges {
            total += r.len;
            self.starts.push(total);
        }
        self.data.clear();
        self.data.resize(total, 0);
        total
    }
}

/// Reads batches of ranges from files. Keep one per thread and reuse it: the ring (when there
/// is one) is set up once.
pub struct BatchReader {
    #[cfg(all(target_os = "linux", feature = "io-uring"))]
    ring: Option<io_uring::IoUring>,
    queue_depth: u32,
}

impl std::fmt::Debug for BatchReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchReader")
            .field("backend", &self.backend())
            .field("queue_depth", &self.queue_depth)
            .finish()
    }
}

impl BatchReader {
    /// A reader with up to `queue_depth` reads in flight (clamped to 1..=4096). Uses io_uring
    /// when the crate feature is on and the kernel grants a ring; `pread` otherwise.
    pub fn new(queue_depth: u32) -> Self {
        let queue_depth = queue_depth.clamp(1, 4096);
        Self {
            #[cfg(all(target_os = "linux", feature = "io-uring"))]
            ring: io_uring::IoUring::new(queue_depth).ok(),
            queue_depth,
        }
    }

    /// A reader that always uses `pread` (the reference the io_uring path is tested against).
    pub fn pread_only() -> Self {
        Self {
            #[cfg(all(target_os = "linux", feature = "io-uring"))]
            ring: None,
            queue_depth: 1,
        }
    }

    /// The mechanism in use.
    pub fn backend(&self) -> Backend {
        #[cfg(all(target_os = "linux", feature = "io-uring"))]
        if self.ring.is_some() {
            return Backend::IoUring;
        }
        Backend::Pread
    }

    /// Reads every range of `file` (`path` only names it in errors) into `out`, in order.
    /// A range reaching past the end of the file is an `UnexpectedEof` error.
    pub fn read(
        &mut self,
        file: &File,
        path: &Path,
        ranges: &[ReadRange],
        out: &mut BatchBuf,
    ) -> Result<()> {
        out.prepare(ranges);
        #[cfg(all(target_os = "linux", feature = "io-uring"))]
        if let Some(ring) = self.ring.as_mut() {
            return uring::read(ring, file, ranges, out)
                .map_err(|e| Error::io(path, "io_uring read", e));
        }
        read_pread(file, ranges, out).map_err(|e| Error::io(path, "pread", e))
    }
}

fn read_pread(file: &File, ranges: &[ReadRange], out: &mut BatchBuf) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        for (i, r) in ranges.iter().enumerate() {
            let (start, end) = (out.starts[i], out.starts[i + 1]);
            file.read_exact_at(&mut out.data[start..end], r.offset)?;
        }
        Ok(())
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::FileExt;
        for (i, r) in ranges.iter().enumerate() {
            let (mut start, end) = (out.starts[i], out.starts[i + 1]);
            let mut offset = r.offset;
            while start < end {
                let n = file.seek_read(&mut out.data[start..end], offset)?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                start += n;
                offset += n as u64;
            }
        }
        Ok(())
    }
}

#[cfg(all(target_os = "linux", feature = "io-uring"))]
mod uring {
    use std::fs::File;
    use std::io;
    use std::os::fd::AsRawFd;

    use io_uring::{IoUring, opcode, types};

    use super::{BatchBuf, ReadRange};

    /// Keeps the ring full; resubmits the rest of short reads. Every submitted read is waited
    /// for before returning, even after an error, because the kernel writes into `out`.
    pub(super) fn read(
        ring: &mut IoUring,
        file: &File,
        ranges: &[ReadRange],
        out: &mut BatchBuf,
    ) -> io::Result<()> {
        let fd = types::Fd(file.as_raw_fd());
        let base = out.data.as_mut_ptr();
        let mut done = vec![0usize; ranges.len()];
        let mut pending: Vec<usize> = (0..ranges.len())
            .rev()
            .filter(|&i| ranges[i].len > 0)
            .collect();
        let mut in_flight = 0usize;
        let mut first_error: Option<io::Error> = None;
        while in_flight > 0 || (first_error.is_none() && !pending.is_empty()) {
            while first_error.is_none() {
                let Some(&i) = pending.last() else { break };
                let remaining = ranges[i].len - done[i];
                let chunk = remaining.min(u32::MAX as usize) as u32;
                // SAFETY: `out.data` was sized by `prepare` and is not touched until every read
                // completes; the pointer stays inside range `i`'s slot.
                let ptr = unsafe { base.add(out.starts[i] + done[i]) };
                let entry = opcode::Read::new(fd, ptr, chunk)
                    .offset(ranges[i].offset + done[i] as u64)
                    .build()
                    .user_data(i as u64);
                // SAFETY: the buffer outlives the read (we wait for all completions below).
                if unsafe { ring.submission().push(&entry) }.is_err() {
                    break;
                }
                pending.pop();
                in_flight += 1;
            }
            if in_flight == 0 {
                break;
            }
            ring.submit_and_wait(1)?;
            let completions: Vec<(usize, i32)> = ring
                .completion()
                .map(|cqe| (cqe.user_data() as usize, cqe.result()))
                .collect();
            for (i, result) in completions {
                in_flight -= 1;
                match result {
                    n if n > 0 => {
                        done[i] += n as usize;
                        if done[i] < ranges[i].len {
                            pending.push(i);
                        }
                    }
                    0 => {
                        first_error.get_or_insert_with(|| {
                            io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                "range reaches past the end of the file",
                            )
                        });
                    }
                    e if -e == libc::EINTR || -e == libc::EAGAIN => pending.push(i),
                    e => {
                        first_error.get_or_insert_with(|| io::Error::from_raw_os_error(-e));
                    }
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}
