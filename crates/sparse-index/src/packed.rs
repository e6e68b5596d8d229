//! A list's offsets as a search reads them: a plain array (a growing list in RAM), or the saved
//! file's packed form: blocks of 128 offsets delta-coded and bit-packed (`bitpacking`'s
//! `BitPacker4x`, strictly increasing), each block's last offset kept plain so a seek skips
//! whole blocks, and the list's last `len % 128` offsets plain.
//!
//! A [`Cursor`] decodes one block at a time into a buffer of its own and keeps it while the
//! search stays in that block (walks and probes move forward, so each block is decoded about
//! once per query).

use bitpacking::{BitPacker, BitPacker4x};
use sextant_core::PointOffset;

/// Offsets per packed block (`BitPacker4x::BLOCK_LEN`).
pub const PACKED: usize = 128;

/// Bytes of a packed block of `bits`-bit deltas.
pub(crate) fn block_bytes(bits: usize) -> usize {
    PACKED * bits / 8
}

/// A list's offsets.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ids<'a> {
    Plain(&'a [PointOffset]),
    Packed(Packed<'a>),
}

/// A saved list's offsets: `lasts.len()` packed blocks, then `tail`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Packed<'a> {
    /// The packed bytes of every list of the file.
    pub bytes: &'a [u8],
    /// Where each of this list's blocks starts in `bytes`, and where its last ends
    /// (`lasts.len() + 1` values).
    pub starts: &'a [u64],
    /// The last offset of each block.
    pub lasts: &'a [PointOffset],
    /// The offsets after the last full block.
    pub tail: &'a [PointOffset],
}

impl Packed<'_> {
    /// Decodes block `b` into `out` (the previous block's last offset is its delta base).
    /// Block sizes were checked when the file was opened.
    pub fn decode(&self, b: usize, out: &mut [PointOffset; PACKED]) {
        let (start, end) = (self.starts[b] as usize, self.starts[b + 1] as usize);
        let bits = ((end - start) * 8 / PACKED) as u8;
        let initial = b.checked_sub(1).map(|p| self.lasts[p]);
        BitPacker4x::new().decompress_strictly_sorted(initial, &self.bytes[start..end], out, bits);
    }
}

impl<'a> Ids<'a> {
    /// Number of offsets.
    pub fn len(&self) -> usize {
        match self {
            Ids::Plain(s) => s.len(),
            Ids::Packed(p) => p.lasts.len() * PACKED + p.tail.len(),
        }
    }

    /// Every offset, decoded.
    pub fn decoded(self) -> Vec<PointOffset> {
        match self {
            Ids::Plain(s) => s.to_vec(),
            Ids::Packed(p) => {
                let mut out = Vec::with_capacity(self.len());
                let mut buf = [0; PACKED];
                for b in 0..p.lasts.len() {
                    p.decode(b, &mut buf);
                    out.extend_from_slice(&buf);
                }
                out.extend_from_slice(p.tail);
                out
            }
        }
    }
}

/// Reads one list's offsets by position, decoding packed blocks as it goes.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    ids: Ids<'a>,
    /// The block held in `buf` (`usize::MAX`: none yet).
    block: usize,
    /// Allocated at the first decode: a list in RAM never needs it, and a search makes a
    /// cursor per query term.
    buf: Option<Box<[PointOffset; PACKED]>>,
}

impl<'a> Cursor<'a> {
    pub fn new(ids: Ids<'a>) -> Self {
        Cursor {
            ids,
            block: usize::MAX,
            buf: None,
        }
    }

    /// Packed block `b`, decoded (kept while the cursor stays in it).
    #[inline]
    fn block(&mut self, p: Packed<'_>, b: usize) -> &[PointOffset; PACKED] {
        let buf = self.buf.get_or_insert_with(|| Box::new([0; PACKED]));
        if self.block != b {
            p.decode(b, buf);
            self.block = b;
        }
        buf
    }

    /// The offset at position `c`.
    #[inline]
    pub fn get(&mut self, c: usize) -> Option<PointOffset> {
        match self.ids {
            Ids::Plain(s) => s.get(c).copied(),
            Ids::Packed(p) => {
                let b = c / PACKED;
                if b < p.lasts.len() {
                    Some(self.block(p, b)[c % PACKED])
                } else {
                    p.tail.get(c - p.lasts.len() * PACKED).copied()
                }
            }
        }
    }

    /// Calls `f(first position, offsets)` over the positions `from..to` (`to` found by
    /// [`seek`](Self::seek)), a block at a time: the search's hot loop is a plain slice loop
    /// inside each, with no per-posting test.
    #[inline]
    pub fn chunks(&mut self, from: usize, to: usize, mut each: impl FnMut(usize, &[PointOffset])) {
        match self.ids {
            Ids::Plain(s) => each(from, s.get(from..to).unwrap_or_default()),
            Ids::Packed(p) => {
                let full = p.lasts.len() * PACKED;
                let mut c = from;
                while c < to.min(full) {
                    let b = c / PACKED;
                    let e = to.min((b + 1) * PACKED);
                    each(c, &self.block(p, b)[c % PACKED..e - b * PACKED]);
                    c = e;
                }
                if c < to {
                    each(c, p.tail.get(c - full..to - full).unwrap_or_default());
                }
            }
        }
    }

    /// The first position at or after `from` holding `o` or more (the length when none).
    pub fn seek(&mut self, from: usize, o: PointOffset) -> usize {
        match self.ids {
            Ids::Plain(s) => gallop(s, from, o),
            Ids::Packed(p) => {
                let full = p.lasts.len() * PACKED;
                if from < full {
                    let first = from / PACKED;
                    let b = first + gallop(&p.lasts[first..], 0, o);
                    if b < p.lasts.len() {
                        let at = b * PACKED + self.block(p, b).partition_point(|&x| x < o);
                        return at.max(from);
                    }
                }
                let start = from.max(full) - full;
                full + gallop(p.tail, start, o)
            }
        }
    }
}

/// The first position at or after `from` in `offsets` holding `o` or more (galloping: cheap
/// for the short forward steps a candidate stream makes).
pub(crate) fn gallop(offsets: &[PointOffset], from: usize, o: PointOffset) -> usize {
    let mut step = 1;
    let mut lo = from.min(offsets.len());
    let mut hi = lo;
    while hi < offsets.len() && offsets[hi] < o {
        lo = hi + 1;
        hi += step;
        step *= 2;
    }
    let hi = hi.min(offsets.len());
    lo + offsets[lo..hi].partition_point(|&x| x < o)
}

/// Packs `offsets` (strictly increasing): appends the full blocks' bytes to `bytes` and their
/// ends (positions in `bytes`) to `starts`, their last offsets to `lasts`, the rest to `tail`.
pub(crate) fn pack(
    offsets: &[PointOffset],
    bytes: &mut Vec<u8>,
    starts: &mut Vec<u64>,
    lasts: &mut Vec<PointOffset>,
    tail: &mut Vec<PointOffset>,
) {
    let packer = BitPacker4x::new();
    let mut initial = None;
    let (blocks, rest) = offsets.as_chunks::<PACKED>();
    for block in blocks {
        let bits = packer.num_bits_strictly_sorted(initial, block);
        let at = bytes.len();
        bytes.resize(at + block_bytes(bits as usize), 0);
        packer.compress_strictly_sorted(initial, block, &mut bytes[at..], bits);
        starts.push(bytes.len() as u64);
        lasts.push(block[PACKED - 1]);
        initial = Some(block[PACKED - 1]);
    }
    tail.extend_from_slice(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_lists_read_like_plain_ones() {
        for (n, gap) in [
            (0, 1),
            (5, 3),
            (128, 1),
            (300, 7),
            (1000, 1000),
            (777, 1 << 20),
        ] {
            let offsets: Vec<u32> = (0..n as u32)
                .map(|i| 3 + i * gap + (i * i) % gap.max(1))
                .collect();
            let (mut bytes, mut starts, mut lasts, mut tail) =
                (Vec::new(), vec![0], Vec::new(), Vec::new());
            pack(&offsets, &mut bytes, &mut starts, &mut lasts, &mut tail);
            let packed = Ids::Packed(Packed {
                bytes: &bytes,
                starts: &starts,
                lasts: &lasts,
                tail: &tail,
            });
            assert_eq!(packed.decoded(), offsets);
            let (mut a, mut b) = (Cursor::new(packed), Cursor::new(Ids::Plain(&offsets)));
            for c in 0..n + 2 {
                assert_eq!(a.get(c), b.get(c), "{n}/{gap}: position {c}");
            }
            for (from, stop) in [(0, 10), (0, u32::MAX), (5, 700), (130, 2000), (n, 5)] {
                let (mut wa, mut wb) = (Vec::new(), Vec::new());
                let (ta, tb) = (a.seek(from, stop), b.seek(from, stop));
                a.chunks(from, ta, |c, run| {
                    wa.extend(run.iter().enumerate().map(|(j, &o)| (c + j, o)))
                });
                b.chunks(from, tb, |c, run| {
                    wb.extend(run.iter().enumerate().map(|(j, &o)| (c + j, o)))
                });
                assert_eq!((ta, wa), (tb, wb), "{n}/{gap}: walk {from} {stop}");
            }
            let probes = [0, 1, 3, 4, 100, 129, 5000, u32::MAX];
            for from in [0, 1, 127, 128, 200, n] {
                for &o in &probes {
                    assert_eq!(
                        a.seek(from, o),
                        b.seek(from, o),
                        "{n}/{gap}: seek {from} {o}"
                    );
                }
            }
        }
    }
}
