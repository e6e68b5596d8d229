//! Reading a segment's bytes back into entries: a pure function, so recovery logic is tested
//! and fuzzed without touching files.

use crate::format::{
    ENTRY_HEADER_LEN, HEADER_LEN, SEAL_LEN, SEAL_RECORD_LEN, SegmentHeader, entry_crc, seal_crc,
};

/// Where one entry lives in its segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EntryMeta {
    /// Byte offset of the entry header.
    pub offset: u32,
    /// Body length.
    pub len: u32,
    /// Checksum the entry's crc is chained from.
    pub prev_crc: u32,
}

/// How the valid entries of a segment end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum End {
    /// Zeros (or the end of the file) after the last entry.
    Clean,
    /// A valid seal announcing the next segment's first index.
    Sealed { next_index: u64 },
    /// Bytes that are not a valid entry and are not followed by valid entries: an interrupted
    /// write. `dropped_entries` counts the records their length fields describe.
    Torn {
        dropped_bytes: u64,
        dropped_entries: u64,
    },
    /// A damaged record followed by a valid continuation of the chain: corruption of data that
    /// was complete.
    Corrupt { what: String },
}

/// The result of scanning one segment.
#[derive(Debug, Clone)]
pub(crate) struct Scan {
    pub header: SegmentHeader,
    pub entries: Vec<EntryMeta>,
    /// Offset right after the last valid entry (where the next write goes).
    pub end_offset: usize,
    /// Checksum of the last valid entry (the seed when there is none).
    pub last_crc: u32,
    pub end: End,
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes(s.try_into().expect("4 bytes")))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 8)
        .map(|s| u64::from_le_bytes(s.try_into().expect("8 bytes")))
}

/// Is there a valid record at `at` whose crc chains from `prev`?
fn valid_record_at(b: &[u8], at: usize, prev: u32, next_index: u64) -> bool {
    let (Some(len), Some(crc)) = (u32_at(b, at), u32_at(b, at + 4)) else {
        return false;
    };
    if len == SEAL_LEN {
        return u64_at(b, at + 8) == Some(next_index) && crc == seal_crc(prev, next_index);
    }
    let body = at + ENTRY_HEADER_LEN;
    match b.get(body..body + len as usize) {
        Some(body) => crc == entry_crc(prev, body),
        None => false,
    }
}

/// Scans a whole segment file. Errors only for an unreadable header.
pub(crate) fn scan_segment(b: &[u8]) -> Result<Scan, String> {
    let header = SegmentHeader::decode(b)?;
    let mut entries = Vec::new();
    let mut pos = HEADER_LEN;
    let mut prev = header.seed;
    // Past this offset the file is zeros (preallocated, never written).
    let data_end = b
        .iter()
        .rposition(|&x| x != 0)
        .map_or(HEADER_LEN, |i| i + 1);
    let end = loop {
        let next_index = header.first_index + entries.len() as u64;
        if pos >= data_end {
            break End::Clean;
        }
        if valid_record_at(b, pos, prev, next_index) {
            let len = u32_at(b, pos).expect("checked");
            if len == SEAL_LEN {
                break End::Sealed { next_index };
            }
            entries.push(EntryMeta {
                offset: pos as u32,
                len,
                prev_crc: prev,
            });
            prev = u32_at(b, pos + 4).expect("checked");
            pos += ENTRY_HEADER_LEN + len as usize;
            continue;
        }
        break classify_damage(b, pos, prev, next_index, data_end);
    };
    Ok(Scan {
        header,
        entries,
        end_offset: pos,
        last_crc: prev,
        end,
    })
}

/// An invalid record at `pos`: corruption when the chain visibly continues after it (allowing
/// for one flipped bit in its length or checksum field), a torn write otherwise.
fn classify_damage(b: &[u8], pos: usize, prev: u32, index: u64, data_end: usize) -> End {
    let (len, crc) = (u32_at(b, pos), u32_at(b, pos + 4));
    if let (Some(len), Some(crc)) = (len, crc)
        && len != SEAL_LEN
    {
        let body_at = pos + ENTRY_HEADER_LEN;
        let mut candidates: Vec<(u32, u32)> = vec![(len, crc)];
        if let Some(body) = b.get(body_at..body_at + len as usize) {
            candidates.push((len, entry_crc(prev, body)));
        }
        candidates.extend((0..32).map(|bit| (len ^ (1 << bit), crc)));
        for (l, c) in candidates {
            let next = body_at + l as usize;
            if next < b.len() && valid_record_at(b, next, c, index + 1) {
                return End::Corrupt {
                    what: format!(
                        "entry {index} fails its checksum but the entries after it are intact"
                    ),
                };
            }
        }
    }
    let mut dropped_entries = 0;
    let mut q = pos;
    while q + ENTRY_HEADER_LEN <= data_end {
        let l = u32_at(b, q).expect("in bounds");
        dropped_entries += 1;
        if l == SEAL_LEN {
            break;
        }
        q += ENTRY_HEADER_LEN + l as usize;
    }
    End::Torn {
        dropped_bytes: (data_end - pos) as u64,
        dropped_entries: dropped_entries.max(1),
    }
}

/// Bytes of the largest entry body a segment of `segment_size` bytes can hold (header, entry
/// header and room for the seal included).
pub(crate) fn max_entry_len(segment_size: u64) -> usize {
    (segment_size as usize).saturating_sub(HEADER_LEN + ENTRY_HEADER_LEN + SEAL_RECORD_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{encode_entry, encode_seal};

    fn segment(first: u64, bodies: &[&[u8]], tail_zeros: usize) -> Vec<u8> {
        let h = SegmentHeader {
            first_index: first,
            seed: 77,
        };
        let mut b = h.encode().to_vec();
        let mut prev = h.seed;
        for body in bodies {
            prev = encode_entry(prev, body, &mut b);
        }
        b.extend(std::iter::repeat_n(0, tail_zeros));
        b
    }

    #[test]
    fn clean_sealed_torn_and_corrupt_are_told_apart() {
        let bodies: Vec<&[u8]> = vec![b"alpha", b"", b"gamma-gamma"];
        let clean = segment(5, &bodies, 100);
        let s = scan_segment(&clean).unwrap();
        assert_eq!((s.entries.len(), s.end.clone()), (3, End::Clean));
        assert_eq!(s.header.first_index, 5);

        let mut sealed = segment(5, &bodies, 0);
        sealed.extend_from_slice(&encode_seal(scan_segment(&sealed).unwrap().last_crc, 8));
        assert_eq!(
            scan_segment(&sealed).unwrap().end,
            End::Sealed { next_index: 8 }
        );

        // A torn last entry: cut in the middle of its body.
        let torn = &clean[..clean.len() - 100 - 3];
        let s = scan_segment(torn).unwrap();
        assert_eq!(s.entries.len(), 2);
        assert!(matches!(
            s.end,
            End::Torn {
                dropped_entries: 1,
                ..
            }
        ));

        // A flipped bit in the first body, with valid entries after it: corruption.
        let mut flipped = clean.clone();
        flipped[HEADER_LEN + ENTRY_HEADER_LEN + 1] ^= 4;
        assert!(matches!(
            scan_segment(&flipped).unwrap().end,
            End::Corrupt { .. }
        ));
        // The same for a flipped bit in the length field.
        let mut flipped = clean.clone();
        flipped[HEADER_LEN] ^= 2;
        assert!(matches!(
            scan_segment(&flipped).unwrap().end,
            End::Corrupt { .. }
        ));
    }
}
