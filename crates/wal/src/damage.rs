//! Telling a torn write from damage to synced data in a version 2 segment: the three rules
//! of [`crate::format`]'s "Torn writes and damage", applied to the first invalid record.

use crate::format::{ENTRY_HEADER_LEN, SEAL_LEN, SECTOR, SegmentHeader};
use crate::scan::{End, max_entry_len, record_at, u32_at};

/// What the bytes after a damaged record show.
#[derive(Debug, Default)]
struct After {
    /// Index after the last intact record found (an entry's index + 1, a seal's index).
    next_index: Option<u64>,
    /// Offset right after that record.
    end: usize,
    /// Highest `index − lag` among the intact records: everything below it had been synced.
    synced: u64,
}

/// Classifies the invalid record at `pos`, which should have held entry `index`.
pub(crate) fn classify(
    b: &[u8],
    pos: usize,
    header: &SegmentHeader,
    index: u64,
    data_end: usize,
) -> End {
    let after = intact_records_after(b, pos, header.seed, index, data_end);
    // The damaged record, the intact ones after it, and what their length fields chain to.
    let dropped_entries = match after.next_index {
        Some(next) => next - index + records_by_length(b, after.end, data_end, next, true),
        None => {
            // A length of 0 may be a zeroed one: the chain then starts inside the record's
            // own body, where zeroed bytes must not pass for a header.
            let len = u32_at(b, pos + 12).unwrap_or(0) as usize;
            let from = pos + ENTRY_HEADER_LEN + len;
            1 + records_by_length(b, from, data_end, index + 1, len > 0)
        }
    };
    let corrupt = |what: String| End::Corrupt {
        what,
        dropped_entries,
    };
    if (b.len() as u64) < header.capacity {
        return corrupt(format!(
            "entry {index} runs into the end of a file of {} bytes, shorter than the {} it was preallocated to (truncated)",
            b.len(),
            header.capacity
        ));
    }
    if after.synced > index {
        return corrupt(format!(
            "entry {index} is damaged, and a record after it was written once entries below {} had been synced",
            after.synced
        ));
    }
    if !could_be_torn(b, pos, header.capacity) {
        return corrupt(format!(
            "entry {index} is damaged and cannot be an interrupted write: no 512-byte sector of it reads as never written"
        ));
    }
    End::Torn {
        dropped_bytes: data_end.saturating_sub(pos) as u64,
        dropped_entries,
    }
}

/// Finds the intact records between `pos` and `data_end`, skipping over damage byte by byte.
/// A candidate must have an index that the bytes since `pos` leave room for, which rejects
/// almost every offset before its checksum is computed.
fn intact_records_after(b: &[u8], pos: usize, seed: u32, index: u64, data_end: usize) -> After {
    let mut after = After::default();
    let mut q = pos + 1;
    while q + ENTRY_HEADER_LEN <= data_end {
        let room = ((q - pos) / ENTRY_HEADER_LEN) as u64;
        let plausible =
            crate::scan::u64_at(b, q).is_some_and(|i| i > index && i - index <= room.max(1));
        match plausible.then(|| record_at(b, q, seed)).flatten() {
            Some(r) => {
                after.next_index = Some(if r.is_seal() { r.index } else { r.index + 1 });
                after.synced = after.synced.max(r.synced());
                q += r.size();
                after.end = q;
            }
            None => q += 1,
        }
    }
    after
}

/// Records that follow one another from `from` by their length fields, each carrying the
/// next index in turn from `index` (a seal, or a header with neither its index nor a length,
/// ends the count). With `zeroed`, `from` is known to start a record, and a header whose
/// index reads zero but whose length does not is a record whose first bytes were zeroed with
/// the end of the one before it (one tear or scatter across both): it counts, and the count
/// goes on by its length if that is still right.
fn records_by_length(b: &[u8], from: usize, data_end: usize, index: u64, zeroed: bool) -> u64 {
    let (mut q, mut n) = (from, 0);
    while q < data_end {
        match (crate::scan::u64_at(b, q), u32_at(b, q + 12)) {
            (Some(i), Some(len))
                if (i == index + n || (zeroed && i == 0 && len > 0)) && len != SEAL_LEN =>
            {
                q = q.saturating_add(ENTRY_HEADER_LEN + len as usize);
                n += 1;
            }
            _ => break,
        }
    }
    n
}

/// Could the record at `pos` be one a crash left without some of its sectors?
fn could_be_torn(b: &[u8], pos: usize, capacity: u64) -> bool {
    if zero_sector_within(b, pos, pos + ENTRY_HEADER_LEN) {
        return true;
    }
    // The header's sectors were written, so its length is the one the writer wrote.
    match u32_at(b, pos + 12) {
        Some(len) if len != SEAL_LEN && len as usize <= max_entry_len(capacity) => {
            zero_sector_within(b, pos, pos + ENTRY_HEADER_LEN + len as usize)
        }
        _ => false,
    }
}

/// Is the part of `start..end` in some 512-byte sector all zero (bytes past the file count
/// as zero)?
fn zero_sector_within(b: &[u8], start: usize, end: usize) -> bool {
    let mut s = start;
    while s < end {
        let e = ((s / SECTOR + 1) * SECTOR).min(end);
        let part = b.get(s.min(b.len())..e.min(b.len())).unwrap_or_default();
        if part.iter().all(|&x| x == 0) {
            return true;
        }
        s = e;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::HEADER_LEN;
    use crate::scan::scan_segment;
    use crate::scan::tests::segment;

    fn body(i: usize) -> Vec<u8> {
        (0..300).map(|k| (k * 7 + i * 13) as u8 | 1).collect()
    }

    /// Ten entries of 300 bytes, each written after the ones before it were synced.
    fn synced_log() -> (Vec<u8>, Vec<usize>) {
        let bodies: Vec<Vec<u8>> = (0..10).map(body).collect();
        let refs: Vec<(&[u8], u32)> = bodies.iter().map(|b| (b.as_slice(), 0)).collect();
        let seg = segment(0, &refs, 8192);
        let offsets = (0..10)
            .map(|k| HEADER_LEN + k * (ENTRY_HEADER_LEN + 300))
            .collect();
        (seg, offsets)
    }

    #[test]
    fn damage_before_synced_records_is_corruption() {
        let (seg, at) = synced_log();
        // The length of entry 5 zeroed, and a byte of each of entries 5 and 6 changed.
        let mut a = seg.clone();
        a[at[5] + 12..at[5] + 16].fill(0);
        let mut b = seg.clone();
        b[at[5] + 100] ^= 0xFF;
        b[at[6] + 100] ^= 0xFF;
        for damaged in [a, b] {
            let s = scan_segment(&damaged).unwrap();
            assert_eq!(s.entries.len(), 5);
            match s.end {
                End::Corrupt {
                    dropped_entries, ..
                } => assert_eq!(dropped_entries, 5),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_changed_last_record_is_corruption_a_missing_sector_is_torn() {
        let (seg, at) = synced_log();
        let mut flipped = seg.clone();
        flipped[at[9] + 200] ^= 0x04;
        assert!(matches!(
            scan_segment(&flipped).unwrap().end,
            End::Corrupt { .. }
        ));
        // Entry 9 spans a sector boundary; the sector after it never written.
        let boundary = (at[9] / SECTOR + 1) * SECTOR;
        assert!(boundary < at[9] + ENTRY_HEADER_LEN + 300);
        let mut torn = seg.clone();
        torn[boundary..].fill(0);
        let s = scan_segment(&torn).unwrap();
        assert_eq!(s.entries.len(), 9);
        assert!(matches!(
            s.end,
            End::Torn {
                dropped_entries: 1,
                ..
            }
        ));
    }

    #[test]
    fn one_tear_across_the_last_two_records_drops_both() {
        // Entry 0 ends 4 bytes into the second sector; 16 zeroed bytes there take its last 4
        // bytes and the index and lag of entry 1, the last record.
        let (first, last) = (vec![7u8; 432], body(1));
        let mut seg = segment(0, &[(&first, 0), (&last, 0)], 8192);
        assert_eq!(HEADER_LEN + ENTRY_HEADER_LEN + first.len(), SECTOR + 4);
        seg[SECTOR..SECTOR + 16].fill(0);
        assert_eq!(kept_and_torn(&seg), (0, 2));
    }

    /// The entries a segment keeps and the entries its torn end drops.
    fn kept_and_torn(seg: &[u8]) -> (usize, u64) {
        let s = scan_segment(seg).unwrap();
        match s.end {
            End::Torn {
                dropped_entries, ..
            } => (s.entries.len(), dropped_entries),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_zeroed_length_does_not_count_its_own_body_as_records() {
        // The last record's length, checksum and first 8 body bytes zeroed (its header ends
        // a sector, so it may be torn): one entry dropped, not two.
        let (first, last) = (vec![7u8; 416], body(1));
        let mut seg = segment(0, &[(&first, 0), (&last, 0)], 8192);
        let at = HEADER_LEN + ENTRY_HEADER_LEN + first.len();
        assert_eq!(at + 12, SECTOR);
        seg[at + 12..at + 28].fill(0);
        assert_eq!(kept_and_torn(&seg), (1, 1));
    }

    #[test]
    fn an_unsynced_batch_may_be_torn_anywhere() {
        // Entries 5..10 written in one batch after entries below 5 were synced.
        let bodies: Vec<Vec<u8>> = (0..10).map(body).collect();
        let refs: Vec<(&[u8], u32)> = bodies
            .iter()
            .enumerate()
            .map(|(k, b)| (b.as_slice(), k.saturating_sub(5) as u32))
            .collect();
        let mut seg = segment(0, &refs, 8192);
        let at = |k: usize| HEADER_LEN + k * (ENTRY_HEADER_LEN + 300);
        // The sector holding the start of entry 6 never written (it keeps what was synced
        // before the batch, and zeros); later sectors were.
        let s6 = (at(6) / SECTOR) * SECTOR;
        seg[s6.max(at(5))..s6 + SECTOR].fill(0);
        let s = scan_segment(&seg).unwrap();
        assert!(s.entries.len() <= 6);
        match s.end {
            End::Torn {
                dropped_entries, ..
            } => assert_eq!(dropped_entries as usize, 10 - s.entries.len()),
            other => panic!("{other:?}"),
        }
    }
}
