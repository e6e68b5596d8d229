//! Version 1 segments: chained checksums, read and replayed by this build (never written,
//! except for the seal that closes a version 1 segment found last on open). Damage counts as
//! corruption only when the next record visibly continues the chain.

use crate::format::v1::{ENTRY_HEADER_LEN, entry_crc, seal_crc};
use crate::format::{HEADER_LEN, SEAL_LEN, SegmentHeader};
use crate::scan::{End, EntryMeta, Layout, Scan, data_end, u32_at, u64_at};

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

/// Scans a version 1 segment whose header is `header`.
pub(crate) fn scan(b: &[u8], header: SegmentHeader) -> Scan {
    let mut entries = Vec::new();
    let mut pos = HEADER_LEN;
    let mut prev = header.seed;
    let data_end = data_end(b);
    let end = loop {
        let next_index = header.first_index + entries.len() as u64;
        if pos >= data_end {
            break End::Clean;
        }
        if !valid_record_at(b, pos, prev, next_index) {
            break classify_damage(b, pos, prev, next_index, data_end);
        }
        let len = u32_at(b, pos).expect("checked");
        if len == SEAL_LEN {
            break End::Sealed { next_index };
        }
        entries.push(EntryMeta {
            offset: pos as u32,
            len,
            seed: prev,
        });
        prev = u32_at(b, pos + 4).expect("checked");
        pos += ENTRY_HEADER_LEN + len as usize;
    };
    Scan {
        header,
        layout: Layout::V1,
        entries,
        end_offset: pos,
        next_seed: prev,
        end,
    }
}

/// An invalid record at `pos`: corruption when the chain visibly continues after it (allowing
/// for one flipped bit in its length or checksum field), a torn write otherwise.
fn classify_damage(b: &[u8], pos: usize, prev: u32, index: u64, data_end: usize) -> End {
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
    let dropped_entries = dropped_entries.max(1);
    if let (Some(len), Some(crc)) = (u32_at(b, pos), u32_at(b, pos + 4))
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
                    dropped_entries,
                };
            }
        }
    }
    End::Torn {
        dropped_bytes: (data_end - pos) as u64,
        dropped_entries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::v1::{encode_entry, encode_seal};
    use crate::scan::scan_segment;

    fn segment(first: u64, bodies: &[&[u8]], tail_zeros: usize) -> Vec<u8> {
        let h = SegmentHeader {
            version: 1,
            first_index: first,
            seed: 77,
            capacity: 0,
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
        assert_eq!(
            (s.entries.len(), s.end.clone(), s.layout),
            (3, End::Clean, Layout::V1)
        );

        let mut sealed = segment(5, &bodies, 0);
        sealed.extend_from_slice(&encode_seal(scan_segment(&sealed).unwrap().next_seed, 8));
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

        // A flipped bit in the first body or its length, with valid entries after it.
        for at in [HEADER_LEN + ENTRY_HEADER_LEN + 1, HEADER_LEN] {
            let mut flipped = clean.clone();
            flipped[at] ^= 2;
            assert!(matches!(
                scan_segment(&flipped).unwrap().end,
                End::Corrupt { .. }
            ));
        }
    }
}
