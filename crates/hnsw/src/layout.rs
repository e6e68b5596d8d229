//! Graph files read in place: one parser for both list encodings (plain and compressed), which
//! validates everything once, and a [`FileGraph`] view that serves links straight from the
//! bytes. Loading into RAM and opening through mmap both go through here. The layout is in
//! the [`format`](mod@crate::format) module.

use sextant_core::{BitSet, PointOffset};

use crate::block_links::ExtraLinks;
use crate::config::HnswConfig;
use crate::error::{Error, Result};
use crate::links::Links;

pub(crate) use crate::format::{
    FLAG_COMPRESSED, FLAG_EXTRA, FLAG_WIDE_OFFSETS, HEADER_LEN as HEADER, MAGIC, VERSION,
};

pub(crate) fn corrupt(offset: usize, what: impl Into<String>) -> Error {
    Error::Corrupt {
        path: None,
        offset: offset as u64,
        what: what.into(),
    }
}

/// Where level-0 lists live.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Level0 {
    /// `n` slots of `m0 + 1` u32: count, then links.
    Plain { at: usize },
    /// `n + 1` offsets (u32 or u64) into the data, then encoded lists.
    Compressed {
        offsets_at: usize,
        wide: bool,
        data_at: usize,
    },
}

/// A validated graph file's shape.
#[derive(Debug)]
pub(crate) struct Layout {
    pub params: HnswConfig,
    pub n: usize,
    pub entry: Option<(PointOffset, usize)>,
    pub deleted: BitSet,
    pub level0: Level0,
    pub upper_at: usize,
    /// Per node, the first u32 slot of its upper lists, counted from `upper_at`.
    pub upper_start: Vec<u32>,
    /// Payload-aware extra links (decoded into memory: they are few).
    pub extra: ExtraLinks,
}

use sextant_mmap_advice::header::{self, le_u32 as u32_at, le_u64 as u64_at};

/// Eight bytes from `at` (zero-padded past the end), little endian.
#[inline]
fn window(b: &[u8], at: usize) -> u64 {
    match b.get(at..at + 8) {
        Some(w) => u64::from_le_bytes(w.try_into().expect("8 bytes")),
        None => {
            let mut w = [0u8; 8];
            let tail = b.get(at..).unwrap_or(&[]);
            w[..tail.len()].copy_from_slice(tail);
            u64::from_le_bytes(w)
        }
    }
}

/// Encodes a list: u16 count; when non-empty, u8 width, u32 first link, then `count - 1`
/// gaps (difference to the previous link minus one) of `width` bits, packed LSB first.
pub(crate) fn encode_list(links: &mut [PointOffset], out: &mut Vec<u8>) {
    links.sort_unstable();
    out.extend_from_slice(&(links.len() as u16).to_le_bytes());
    let Some(&first) = links.first() else { return };
    let max_gap = links.windows(2).map(|w| w[1] - w[0] - 1).max().unwrap_or(0);
    let width = 32 - max_gap.leading_zeros();
    out.push(width as u8);
    out.extend_from_slice(&first.to_le_bytes());
    let (mut acc, mut bits) = (0u64, 0u32);
    for w in links.windows(2) {
        acc |= u64::from(w[1] - w[0] - 1) << bits;
        bits += width;
        while bits >= 8 {
            out.push(acc as u8);
            acc >>= 8;
            bits -= 8;
        }
    }
    if bits > 0 {
        out.push(acc as u8);
    }
}

/// Decodes one list from the start of `d` into `out`; returns the bytes it spans, or `None`
/// when it is malformed or holds a link `>= limit`.
#[inline]
pub(crate) fn decode_list(d: &[u8], limit: u64, out: &mut Vec<PointOffset>) -> Option<usize> {
    out.clear();
    let count = u16::from_le_bytes(d.get(0..2)?.try_into().ok()?) as usize;
    if count == 0 {
        return Some(2);
    }
    let width = u32::from(*d.get(2)?);
    if width > 32 {
        return None;
    }
    let first = u64::from(u32_at(d, 3)?);
    let len = 7 + ((count - 1) * width as usize).div_ceil(8);
    let packed = d.get(7..len)?;
    let mask = (1u64 << width) - 1;
    let mut prev = first;
    if prev >= limit {
        return None;
    }
    out.push(prev as PointOffset);
    for i in 0..count - 1 {
        let bit = i * width as usize;
        prev += (window(packed, bit / 8) >> (bit % 8) & mask) + 1;
        if prev >= limit {
            return None;
        }
        out.push(prev as PointOffset);
    }
    Some(len)
}

/// Parses and validates a whole graph file: header, checksum, sizes, every list.
pub(crate) fn parse(b: &[u8]) -> Result<Layout> {
    let damaged = |e: header::HeaderError| corrupt(e.offset(), e.to_string());
    header::check_start(
        b,
        HEADER + 4,
        &MAGIC,
        "sextant-hnsw graph",
        VERSION..=VERSION,
    )
    .map_err(damaged)?;
    let u32h = |o: usize| u32_at(b, o).expect("header and checksum lie inside the file");
    let u64h = |o: usize| u64_at(b, o).expect("inside the header");
    let flags = u32h(12);
    if flags & !(FLAG_COMPRESSED | FLAG_WIDE_OFFSETS | FLAG_EXTRA) != 0
        || (flags & FLAG_WIDE_OFFSETS != 0 && flags & FLAG_COMPRESSED == 0)
    {
        return Err(corrupt(12, format!("unknown flags {flags:#x}")));
    }
    let (m, m0) = (u32h(24) as usize, u32h(28) as usize);
    let params = HnswConfig {
        m,
        m0,
        ef_construction: u32h(32) as usize,
        seed: u64h(40),
        // Not in the file: a build policy, not the graph's shape.
        ..HnswConfig::default()
    };
    params.validate().map_err(|e| corrupt(24, e.to_string()))?;
    let n = usize::try_from(u64h(16)).map_err(|_| corrupt(16, "point count overflows"))?;
    let crc_at = b.len() - 4;
    let too_big = || {
        corrupt(
            16,
            format!("{n} points do not fit in a {}-byte file", b.len()),
        )
    };
    // Sizes are checked against the file length before anything is allocated or read.
    let deleted_at = HEADER
        .checked_add(n)
        .filter(|&x| x <= crc_at)
        .ok_or_else(too_big)?;
    let after_deleted = n
        .div_ceil(64)
        .checked_mul(8)
        .and_then(|x| x.checked_add(deleted_at));
    let after_deleted = after_deleted.filter(|&x| x <= crc_at).ok_or_else(too_big)?;
    header::check_seal(b).map_err(damaged)?;
    let levels = &b[HEADER..deleted_at];
    let mut deleted = BitSet::new(n);
    for w in 0..n.div_ceil(64) {
        let word = u64_at(b, deleted_at + 8 * w).expect("size checked");
        for bit in (0..64).filter(|bit| word >> bit & 1 == 1) {
            let p = w * 64 + bit;
            if p >= n {
                return Err(corrupt(
                    deleted_at + 8 * w,
                    "deleted bit past the last point",
                ));
            }
            deleted.insert(p as u32);
        }
    }
    let mut upper_start = Vec::with_capacity(n);
    let mut upper_slots = 0u64;
    for &l in levels {
        upper_start.push(
            u32::try_from(upper_slots).map_err(|_| corrupt(HEADER, "upper levels too large"))?,
        );
        upper_slots += u64::from(l) * (m as u64 + 1);
    }
    let upper_bytes = usize::try_from(upper_slots * 4).map_err(|_| too_big())?;
    let mut scratch = Vec::new();
    let (level0, upper_at) = if flags & FLAG_COMPRESSED == 0 {
        let at = after_deleted;
        let upper_at = n
            .checked_mul(4 * (m0 + 1))
            .and_then(|x| x.checked_add(at))
            .ok_or_else(too_big)?;
        (Level0::Plain { at }, upper_at)
    } else {
        let wide = flags & FLAG_WIDE_OFFSETS != 0;
        let width = if wide { 8 } else { 4 };
        let offsets_at = after_deleted;
        let data_at = (n + 1)
            .checked_mul(width)
            .and_then(|x| x.checked_add(offsets_at));
        let data_at = data_at.filter(|&x| x <= crc_at).ok_or_else(too_big)?;
        let offset = |i: usize| -> u64 {
            if wide {
                u64_at(b, offsets_at + 8 * i).expect("size checked")
            } else {
                u64::from(u32_at(b, offsets_at + 4 * i).expect("size checked"))
            }
        };
        if offset(0) != 0 {
            return Err(corrupt(offsets_at, "first level-0 offset is not 0"));
        }
        let data_len = usize::try_from(offset(n)).map_err(|_| too_big())?;
        let data = b
            .get(data_at..data_at.checked_add(data_len).ok_or_else(too_big)?)
            .ok_or_else(too_big)?;
        for p in 0..n {
            let (start, end) = (offset(p), offset(p + 1));
            let list = usize::try_from(start).ok().and_then(|s| data.get(s..));
            let spans = list.and_then(|l| decode_list(l, n as u64, &mut scratch));
            if spans.map(|s| s as u64) != end.checked_sub(start) || scratch.len() > m0 {
                return Err(corrupt(
                    data_at + start as usize,
                    format!("level-0 list of point {p} is malformed"),
                ));
            }
        }
        // Upper lists start 4-aligned after the data.
        let upper_at = (data_at + data_len).next_multiple_of(4);
        (
            Level0::Compressed {
                offsets_at,
                wide,
                data_at,
            },
            upper_at,
        )
    };
    let upper_end = upper_at
        .checked_add(upper_bytes)
        .filter(|&e| e <= crc_at)
        .ok_or_else(too_big)?;
    let mut extra = ExtraLinks::default();
    let mut end = upper_end;
    if flags & FLAG_EXTRA != 0 {
        let mut lists = Vec::with_capacity(n);
        for p in 0..n {
            let spans = b
                .get(end..crc_at)
                .and_then(|d| decode_list(d, n as u64, &mut scratch));
            let Some(spans) = spans else {
                return Err(corrupt(
                    end,
                    format!("extra links of point {p} are malformed"),
                ));
            };
            lists.push(scratch.clone());
            end += spans;
        }
        extra = ExtraLinks::from_lists(lists).map_err(|e| corrupt(upper_end, e.to_string()))?;
    }
    if end != crc_at {
        return Err(corrupt(
            HEADER,
            format!(
                "levels and lists announce {end} bytes before the checksum, the file has {crc_at}"
            ),
        ));
    }
    let entry = match u64h(48) {
        0 => None,
        e if e as usize <= n => Some(((e - 1) as u32, levels[e as usize - 1] as usize)),
        e => return Err(corrupt(48, format!("entry point {} is not a point", e - 1))),
    };
    let layout = Layout {
        params,
        n,
        entry,
        deleted,
        level0,
        upper_at,
        upper_start,
        extra,
    };
    // Every slot-based list: count within capacity, links inside the graph. Plain level-0
    // rows are contiguous: checked row by row (a third of a 120k-node graph's load time went
    // to reading each slot through a checked offset).
    if let Level0::Plain { at } = layout.level0 {
        let row = 4 * (m0 + 1);
        let rows = b.get(at..at + n * row).ok_or_else(too_big)?;
        let word = |c: &[u8]| u32::from_le_bytes(c.try_into().expect("4 bytes")) as usize;
        for (p, r) in rows.chunks_exact(row).enumerate() {
            let here = at + p * row;
            let count = word(&r[..4]);
            if count > m0 {
                return Err(corrupt(
                    here,
                    format!("list of {count} links exceeds the capacity {m0}"),
                ));
            }
            let links = r[4..4 + 4 * count].chunks_exact(4);
            if let Some(i) = links.map(word).position(|v| v >= n) {
                let v = word(&r[4 + 4 * i..8 + 4 * i]);
                return Err(corrupt(
                    here + 4 + 4 * i,
                    format!("link to point {v}, past the last point"),
                ));
            }
        }
    }
    let view = FileGraph { b, layout: &layout };
    for p in 0..n as PointOffset {
        for l in 1..=view.level(p) {
            let at = view.slots_at(p, l);
            let count = u32_at(b, at).expect("size checked") as usize;
            if count > view.max_links(l) {
                return Err(corrupt(
                    at,
                    format!(
                        "list of {count} links exceeds the capacity {}",
                        view.max_links(l)
                    ),
                ));
            }
            for i in 1..=count {
                let v = u32_at(b, at + 4 * i).expect("size checked");
                if v as usize >= n {
                    return Err(corrupt(
                        at + 4 * i,
                        format!("link to point {v}, past the last point"),
                    ));
                }
            }
        }
    }
    Ok(layout)
}

/// A validated graph file's links, read in place.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FileGraph<'a> {
    pub b: &'a [u8],
    pub layout: &'a Layout,
}

impl FileGraph<'_> {
    /// Byte offset of the slot-based list (count + capacity slots) of `p` on `level`.
    #[inline]
    fn slots_at(&self, p: PointOffset, level: usize) -> usize {
        let l = self.layout;
        match (level, l.level0) {
            (0, Level0::Plain { at }) => at + 4 * p as usize * (l.params.m0 + 1),
            _ => {
                l.upper_at
                    + 4 * (l.upper_start[p as usize] as usize + (level - 1) * (l.params.m + 1))
            }
        }
    }

    /// Whether level-0 lists are compressed.
    pub fn compressed(&self) -> bool {
        matches!(self.layout.level0, Level0::Compressed { .. })
    }
}

impl Links for FileGraph<'_> {
    #[inline]
    fn len(&self) -> usize {
        self.layout.n
    }

    #[inline]
    fn level(&self, p: PointOffset) -> usize {
        self.b[HEADER + p as usize] as usize
    }

    #[inline]
    fn entry(&self) -> Option<(PointOffset, usize)> {
        self.layout.entry
    }

    #[inline]
    fn max_links(&self, level: usize) -> usize {
        if level == 0 {
            self.layout.params.m0
        } else {
            self.layout.params.m
        }
    }

    /// Reads never panic, even on bytes changed after validation: a list that no longer
    /// decodes reads as empty.
    #[inline]
    fn links_into(&self, p: PointOffset, level: usize, out: &mut Vec<PointOffset>) {
        if let (
            0,
            Level0::Compressed {
                offsets_at,
                wide,
                data_at,
            },
        ) = (level, self.layout.level0)
        {
            let start = if wide {
                u64_at(self.b, offsets_at + 8 * p as usize).unwrap_or(u64::MAX)
            } else {
                u64::from(u32_at(self.b, offsets_at + 4 * p as usize).unwrap_or(u32::MAX))
            };
            let list = usize::try_from(start)
                .ok()
                .and_then(|s| self.b.get(data_at + s..));
            if list
                .and_then(|l| decode_list(l, u64::from(u32::MAX), out))
                .is_none()
            {
                out.clear();
            }
            return;
        }
        out.clear();
        let at = self.slots_at(p, level);
        let count = u32_at(self.b, at).unwrap_or(0) as usize;
        let cap = self.max_links(level);
        if let Some(slots) = self.b.get(at + 4..at + 4 + 4 * count.min(cap)) {
            out.extend(
                slots
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes"))),
            );
        }
    }

    /// Plain lists only: a compressed list's place is itself behind a read.
    #[inline]
    fn prefetch_links(&self, p: PointOffset, level: usize) {
        if !(level == 0 && self.compressed()) {
            let at = self.slots_at(p, level);
            if let Some(slots) = self.b.get(at..at + 4 * (self.max_links(level) + 1)) {
                sextant_core::kernels::prefetch(slots);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn lists_round_trip(mut links in proptest::collection::btree_set(any::<u32>(), 0..70)
            .prop_map(|s| s.into_iter().collect::<Vec<_>>())) {
            let mut bytes = Vec::new();
            encode_list(&mut links, &mut bytes);
            bytes.extend_from_slice(&[0xAB; 3]); // what follows must not be read
            let mut out = Vec::new();
            let spans = decode_list(&bytes, 1 << 32, &mut out).unwrap();
            prop_assert_eq!(spans, bytes.len() - 3);
            prop_assert_eq!(out, links);
        }
    }

    #[test]
    fn links_past_the_limit_or_truncated_lists_fail() {
        let mut bytes = Vec::new();
        encode_list(&mut [3, 9, 1000], &mut bytes);
        let mut out = Vec::new();
        assert!(decode_list(&bytes, 1000, &mut out).is_none());
        assert!(decode_list(&bytes, 1001, &mut out).is_some());
        assert!(decode_list(&bytes[..bytes.len() - 1], 1001, &mut out).is_none());
        assert!(decode_list(&[], 10, &mut out).is_none());
    }
}
