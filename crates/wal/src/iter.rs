//! `WalIter`: sequential reads, one read per segment chunk (replay runs at page-cache speed).

use crate::error::{Error, Result};
use crate::scan::EntryMeta;
use crate::segment::EntrySource;
use crate::wal::Shared;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

/// Most bytes read per chunk while iterating (bounds the iterator's memory).
const CHUNK_BYTES: u64 = 8 << 20;

/// Iterator over `(index, entry)` pairs, in index order, each checked against its checksum.
/// Yields the entries present when it was created; an error ends the iteration.
#[derive(Debug)]
pub struct WalIter {
    shared: Arc<Shared>,
    next: u64,
    end: u64,
    chunk: Vec<u8>,
    chunk_start: u64,
    metas: Vec<EntryMeta>,
    at: usize,
    /// The segment `chunk` was read from.
    source: Option<EntrySource>,
    failed: bool,
}

impl WalIter {
    pub(crate) fn new(shared: Arc<Shared>, from: u64, end: u64) -> WalIter {
        WalIter {
            shared,
            next: from,
            end,
            chunk: Vec::new(),
            chunk_start: 0,
            metas: Vec::new(),
            at: 0,
            source: None,
            failed: false,
        }
    }

    /// Reads the next run of entries (up to `CHUNK_BYTES`, within one segment) in one call.
    fn load(&mut self) -> Result<()> {
        let (source, first, metas) = {
            let mut st = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
            self.shared.write_staged(&mut st)?;
            let seg = st.locate(self.next).ok_or(Error::IndexOutOfRange {
                index: self.next,
                first: st.first_index(),
                next: st.next_index(),
            })?;
            let from = (self.next - seg.first_index) as usize;
            let upto = ((self.end - seg.first_index) as usize).min(seg.entries.len());
            let start = seg.entries[from].offset as u64;
            let head = seg.layout.entry_header_len() as u64;
            let n = seg.entries[from..upto]
                .iter()
                .take_while(|m| m.offset as u64 + head + m.len as u64 - start <= CHUNK_BYTES)
                .count()
                .max(1);
            (seg.source(), start, seg.entries[from..from + n].to_vec())
        };
        let last = metas.last().expect("at least one entry");
        let head = source.layout.entry_header_len();
        let len = last.offset as u64 + (head + last.len as usize) as u64 - first;
        self.chunk.resize(len as usize, 0);
        source
            .file
            .read_exact_at(&mut self.chunk, first)
            .map_err(|e| Error::io(&source.path, "read entries", e))?;
        self.source = Some(source);
        self.chunk_start = first;
        self.metas = metas;
        self.at = 0;
        Ok(())
    }
}

impl Iterator for WalIter {
    type Item = Result<(u64, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.next >= self.end {
            return None;
        }
        if self.at == self.metas.len()
            && let Err(e) = self.load()
        {
            self.failed = true;
            return Some(Err(e));
        }
        let meta = self.metas[self.at];
        let source = self.source.as_ref().expect("loaded with the chunk");
        let head = source.layout.entry_header_len();
        let start = (meta.offset as u64 - self.chunk_start) as usize;
        let record = &self.chunk[start..start + head + meta.len as usize];
        if let Err(e) = source.check(record, self.next, meta) {
            self.failed = true;
            return Some(Err(e));
        }
        let item = (self.next, record[head..].to_vec());
        self.at += 1;
        self.next += 1;
        Some(Ok(item))
    }
}
