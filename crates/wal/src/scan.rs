//! Reading a segment's bytes back into entries: a pure function, so recovery logic is tested
//! and fuzzed without touching files. Version 2 records are read here (damage is judged in
//! [`crate::damage`]); version 1 segments in [`crate::legacy`].

use crate::format::{ENTRY_HEADER_LEN, HEADER_LEN, SEAL_LEN, SEAL_RECORD_LEN, SegmentHeader};
use crate::format::{record_crc, v1};

/// The record layout of a segment, from its header's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// Version 1: chained checksums, 8-byte entry headers.
    V1,
    /// Version 2: self-validating records, 20-byte headers.
    V2,
}

impl Layout {
    pub fn of(header: &SegmentHeader) -> Layout {
        if header.version == 1 {
            Layout::V1
        } else {
            Layout::V2
        }
    }

    /// Bytes before an entry's body.
    pub fn entry_header_len(self) -> usize {
        match self {
            Layout::V1 => v1::ENTRY_HEADER_LEN,
            Layout::V2 => ENTRY_HEADER_LEN,
        }
    }

    /// Does `record` (header + body) still hold the entry `meta` describes?
    pub fn entry_is_intact(self, record: &[u8], meta: EntryMeta, index: u64) -> bool {
        let body = &record[self.entry_header_len()..];
        match self {
            Layout::V1 => {
                u32_at(record, 0) == Some(meta.len)
                    && u32_at(record, 4) == Some(v1::entry_crc(meta.seed, body))
            }
            Layout::V2 => {
                u64_at(record, 0) == Some(index)
                    && u32_at(record, 12) == Some(meta.len)
                    && u32_at(record, 16) == Some(record_crc(meta.seed, record, body))
            }
        }
    }
}

/// Where one entry lives in its segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EntryMeta {
    /// Byte offset of the record header.
    pub offset: u32,
    /// Body length.
    pub len: u32,
    /// What the entry's checksum starts from: the segment seed (version 2), the previous
    /// entry's checksum (version 1).
    pub seed: u32,
}

/// How the valid entries of a segment end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum End {
    /// Zeros (or the end of the file) after the last entry.
    Clean,
    /// A valid seal announcing the next segment's first index.
    Sealed { next_index: u64 },
    /// Bytes that are not a valid entry and look like an interrupted write.
    Torn {
        dropped_bytes: u64,
        /// Records the dropped bytes hold, as far as they show (intact records and length
        /// fields): at least 1.
        dropped_entries: u64,
    },
    /// Damage to data that had been complete (synced).
    Corrupt { what: String, dropped_entries: u64 },
}

/// The result of scanning one segment.
#[derive(Debug, Clone)]
pub(crate) struct Scan {
    pub header: SegmentHeader,
    pub layout: Layout,
    pub entries: Vec<EntryMeta>,
    /// Offset right after the last valid entry (where the next write goes).
    pub end_offset: usize,
    /// What the next entry's checksum starts from (see [`EntryMeta::seed`]).
    pub next_seed: u32,
    pub end: End,
}

pub(crate) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at.checked_add(4)?)
        .map(|s| u32::from_le_bytes(s.try_into().expect("4 bytes")))
}

pub(crate) fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at.checked_add(8)?)
        .map(|s| u64::from_le_bytes(s.try_into().expect("8 bytes")))
}

/// One intact version 2 record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Record {
    pub index: u64,
    pub lag: u32,
    /// Body length, or `SEAL_LEN`.
    pub len: u32,
}

impl Record {
    pub fn is_seal(&self) -> bool {
        self.len == SEAL_LEN
    }

    /// Bytes the record takes.
    pub fn size(&self) -> usize {
        if self.is_seal() {
            SEAL_RECORD_LEN
        } else {
            ENTRY_HEADER_LEN + self.len as usize
        }
    }

    /// Every entry below this had been synced when the record was written.
    pub fn synced(&self) -> u64 {
        self.index.saturating_sub(self.lag as u64)
    }
}

/// The intact version 2 record at `at`, if there is one (any index).
pub(crate) fn record_at(b: &[u8], at: usize, seed: u32) -> Option<Record> {
    let head = b.get(at..at.checked_add(ENTRY_HEADER_LEN)?)?;
    let r = Record {
        index: u64_at(head, 0)?,
        lag: u32_at(head, 8)?,
        len: u32_at(head, 12)?,
    };
    let body_len = if r.is_seal() { 0 } else { r.len as usize };
    let body = b.get(at + ENTRY_HEADER_LEN..(at + ENTRY_HEADER_LEN).checked_add(body_len)?)?;
    (u32_at(head, 16)? == record_crc(seed, head, body)).then_some(r)
}

/// Past this offset the segment is zeros (preallocated, never written).
pub(crate) fn data_end(b: &[u8]) -> usize {
    b.iter()
        .rposition(|&x| x != 0)
        .map_or(HEADER_LEN, |i| i + 1)
        .max(HEADER_LEN)
}

/// Scans a whole segment file. Errors only for an unreadable header.
pub(crate) fn scan_segment(b: &[u8]) -> Result<Scan, String> {
    let header = SegmentHeader::decode(b)?;
    if Layout::of(&header) == Layout::V1 {
        return Ok(crate::legacy::scan(b, header));
    }
    let mut entries = Vec::new();
    let mut pos = HEADER_LEN;
    let data_end = data_end(b);
    let end = loop {
        let index = header.first_index + entries.len() as u64;
        if pos >= data_end {
            break End::Clean;
        }
        match record_at(b, pos, header.seed) {
            Some(r) if r.index == index && r.is_seal() => break End::Sealed { next_index: index },
            Some(r) if r.index == index && pos + r.size() <= u32::MAX as usize => {
                entries.push(EntryMeta {
                    offset: pos as u32,
                    len: r.len,
                    seed: header.seed,
                });
                pos += r.size();
            }
            _ => break crate::damage::classify(b, pos, &header, index, data_end),
        }
    };
    let end = match end {
        // Truncation is checked last: it says nothing about the records before the cut.
        End::Clean | End::Sealed { .. } if (b.len() as u64) < header.capacity => End::Corrupt {
            what: format!(
                "the file is {} bytes, shorter than the {} it was preallocated to (truncated)",
                b.len(),
                header.capacity
            ),
            dropped_entries: 0,
        },
        end => end,
    };
    Ok(Scan {
        header,
        layout: Layout::V2,
        entries,
        end_offset: pos,
        next_seed: header.seed,
        end,
    })
}

/// Bytes of the largest entry body a segment of `segment_size` bytes can hold (header, entry
/// header and room for the seal included).
pub(crate) fn max_entry_len(segment_size: u64) -> usize {
    (segment_size as usize).saturating_sub(HEADER_LEN + ENTRY_HEADER_LEN + SEAL_RECORD_LEN)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::format::{encode_entry, encode_seal};

    /// A version 2 segment of `capacity` bytes with `bodies` from index `first`, each written
    /// with the given lag.
    pub fn segment(first: u64, bodies: &[(&[u8], u32)], capacity: usize) -> Vec<u8> {
        let h = SegmentHeader::new(first, 77, capacity as u64);
        let mut b = h.encode().to_vec();
        for (k, (body, lag)) in bodies.iter().enumerate() {
            encode_entry(h.seed, first + k as u64, *lag, body, &mut b);
        }
        b.resize(capacity, 0);
        b
    }

    #[test]
    fn clean_and_sealed_segments_scan_whole() {
        let bodies: Vec<(&[u8], u32)> = vec![(b"alpha", 0), (b"", 0), (b"gamma-gamma", 0)];
        let clean = segment(5, &bodies, 4096);
        let s = scan_segment(&clean).unwrap();
        assert_eq!((s.entries.len(), s.end.clone()), (3, End::Clean));
        assert_eq!(s.header.first_index, 5);
        assert_eq!(s.end_offset, HEADER_LEN + 3 * ENTRY_HEADER_LEN + 16);

        let mut sealed = clean.clone();
        let seal = encode_seal(77, 8, 0);
        sealed[s.end_offset..s.end_offset + SEAL_RECORD_LEN].copy_from_slice(&seal);
        assert_eq!(
            scan_segment(&sealed).unwrap().end,
            End::Sealed { next_index: 8 }
        );
        // A seal announcing the wrong index is damage.
        let mut wrong = clean.clone();
        let seal = encode_seal(77, 9, 0);
        wrong[s.end_offset..s.end_offset + SEAL_RECORD_LEN].copy_from_slice(&seal);
        assert!(matches!(
            scan_segment(&wrong).unwrap().end,
            End::Corrupt { .. }
        ));
    }

    #[test]
    fn a_shorter_file_is_truncation() {
        let clean = segment(0, &[(b"alpha", 0)], 4096);
        let s = scan_segment(&clean[..2048]).unwrap();
        assert_eq!(s.entries.len(), 1);
        assert!(matches!(s.end, End::Corrupt { .. }), "{:?}", s.end);
    }
}
