//! A window's accumulator: its sums (one per offset), how a walk records the points it
//! touches (a bit each, a list of first touches with the bits or, when every posting adds
//! above 0, without them, or nothing), and how their sums are taken back (leaving the
//! accumulator zero for the next window): from the list, from the bits, or by scanning the
//! sums for those reaching the cut. Also the bits of the points a window may
//! score under deletes or a bit-set filter.

use sextant_core::BitSet;

use crate::window::WINDOW;

/// A window's sums and its touched bits, as fixed-size arrays: a position masked with
/// `WINDOW - 1` indexes them without a bounds check in the walk's loop.
pub(crate) type Sums = [f32; WINDOW];
pub(crate) type Marks = [u64; WINDOW / 64];

thread_local! {
    /// Each thread's accumulator: zero between searches (every touched entry is taken back
    /// to zero), so it is reused instead of allocating and clearing 66 KiB per query.
    pub(crate) static ACC: std::cell::RefCell<Accumulator> = const {
        std::cell::RefCell::new(Accumulator {
            sums: Vec::new(),
            bits: Vec::new(),
            allow: Vec::new(),
            touched: Vec::new(),
        })
    };
}

/// A window's sums, one per offset, and the positions touched in the window, each listed
/// once, in the order first touched (one increasing run per list walked).
///
/// Why the list: a window touches ~3% of its slots (bm25-pypi-120k short queries: ~490 of
/// 16,384), so most of its 256 mark words hold one to four marks, and a loop over each
/// word's set bits mispredicts its exit on nearly every word (those loops held 39% of
/// the bench's profile). Reading the listed positions instead is one predictable loop.
pub(crate) struct Accumulator {
    pub sums: Vec<f32>,
    /// A touched bit per offset of the window.
    pub bits: Vec<u64>,
    /// Under deletes or a bit-set filter: a bit per offset of the window that may be scored.
    pub allow: Vec<u64>,
    /// `WINDOW + 1` long: a walk writes the next entry before knowing whether it counts.
    pub touched: Vec<u32>,
}

impl Accumulator {
    /// Sized for a window (zero, as every search leaves it).
    pub fn ready(&mut self) {
        self.sums.resize(WINDOW, 0.0);
        self.bits.resize(WINDOW / 64, 0);
        self.allow.resize(WINDOW / 64, 0);
        self.touched.resize(WINDOW + 1, 0);
    }
}

/// How a window's walk records the points it touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Record {
    /// A bit per point, and the list of first touches (few postings).
    Listed,
    /// The list of the points whose sums the walk lifted off 0, no bits (few postings, each
    /// adding above 0).
    Lifted,
    /// A bit per point.
    Marked,
    /// Nothing: the sums are scanned (see [`scan_take`]).
    Scanned,
}

/// The touched positions of a window: marks (a bit per offset) and, when few are expected,
/// the list of them.
pub(crate) struct Touched<'a> {
    pub bits: &'a mut Marks,
    /// How this window's walk records its points.
    pub record: Record,
    pub list: &'a mut [u32],
    pub len: usize,
}

impl Touched<'_> {
    /// Takes every touched point's sum (the accumulator back to zero, the marks cleared) and
    /// calls `keep(position, sum)` for each sum reaching `cut` (at least it, or NaN); `keep`
    /// returns the cut from then on. In list order when listed, else in offset order (under
    /// a mask, only allowed points were marked; a scan reads the first `span` sums and is
    /// exact only while the cut stays above 0, see [`scan_take`]).
    #[inline]
    pub fn take(
        &mut self,
        sums: &mut Sums,
        span: usize,
        mut cut: f32,
        mut keep: impl FnMut(u32, f32) -> f32,
    ) {
        match self.record {
            Record::Scanned => scan_take(sums, span, cut, keep, self.list),
            Record::Listed => take_listed::<true>(self, sums, cut, keep),
            Record::Lifted => take_listed::<false>(self, sums, cut, keep),
            // Only the marked sums are nonzero (a masked walk added +0 to the others).
            Record::Marked => {
                for (i, word) in self.bits.iter_mut().enumerate() {
                    let mut w = std::mem::take(word);
                    while w != 0 {
                        let at = (i * 64 + w.trailing_zeros() as usize) & (WINDOW - 1);
                        w &= w - 1;
                        let sum = std::mem::take(&mut sums[at]);
                        if reaches(sum, cut) {
                            cut = keep(at as u32, sum);
                        }
                    }
                }
            }
        }
    }
}

/// [`Touched::take`] of a list (`MARKED`: its points' bits cleared too). Not inlined, as
/// the walk's `add_run`: the loop's values then stay in registers.
#[inline(never)]
fn take_listed<const MARKED: bool>(
    touched: &mut Touched<'_>,
    sums: &mut Sums,
    mut cut: f32,
    mut keep: impl FnMut(u32, f32) -> f32,
) {
    for &at in &touched.list[..touched.len] {
        let at = at as usize & (WINDOW - 1);
        if MARKED {
            touched.bits[at / 64] = 0;
        }
        let sum = std::mem::take(&mut sums[at]);
        if reaches(sum, cut) {
            cut = keep(at as u32, sum);
        }
    }
    touched.len = 0;
}

/// Whether a sum reaches the cut: at least it, or NaN (a NaN sum is taken, not dropped).
#[inline]
fn reaches(sum: f32, cut: f32) -> bool {
    sum >= cut || sum.is_nan()
}

/// Takes the first `span` sums of a window walked without marks (the accumulator back to
/// zero) and calls `keep(position, sum)` in offset order for each sum reaching `cut`; `keep`
/// returns the cut from then on. The core's `sift_f32` zeroes the sums below the first cut
/// and lists the others in `at` (sixteen compared per instruction where the CPU has
/// AVX-512), which are then taken in order. Exact only when `cut` stays above 0: a touched
/// point whose sum is 0 is not told apart from an untouched one, and neither can enter.
fn scan_take(
    sums: &mut Sums,
    span: usize,
    mut cut: f32,
    mut keep: impl FnMut(u32, f32) -> f32,
    at: &mut [u32],
) {
    // Past the index's end (the last window, a small index) no sum was touched.
    let listed = sextant_core::kernels::sift_f32(&mut sums[..span.min(WINDOW)], cut, at);
    for &a in &at[..listed] {
        let sum = std::mem::take(&mut sums[a as usize]);
        if reaches(sum, cut) {
            cut = keep(a, sum);
        }
    }
}

/// The points of the window at `start` that may be scored: not deleted, and passing a
/// bit-set filter.
pub(crate) fn allowed(allow: &mut Marks, start: usize, deleted: &BitSet, filter: Option<&BitSet>) {
    let words = start / 64;
    let deleted = deleted.as_words().get(words..).unwrap_or_default();
    let passing = filter.map(|f| f.as_words().get(words..).unwrap_or_default());
    for (i, a) in allow.iter_mut().enumerate() {
        let live = !deleted.get(i).copied().unwrap_or(0);
        *a = live & passing.map_or(u64::MAX, |p| p.get(i).copied().unwrap_or(0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zeroed() -> Box<Sums> {
        vec![0.0f32; WINDOW].into_boxed_slice().try_into().unwrap()
    }

    #[test]
    fn a_scan_takes_what_reaches_the_cut_in_offset_order_and_leaves_zeros() {
        let mut sums = zeroed();
        for (at, v) in [(3, 0.5), (17, 2.0), (40, f32::NAN), (100, 1.0), (150, 3.0)] {
            sums[at] = v;
        }
        sums[5000] = 9.0; // past the span: never touched, as a scan's caller vouches
        let mut seen = Vec::new();
        // The cut rises to 1.5 after the second point kept: 100 (1.0) no longer reaches it.
        let mut at = vec![0; 200];
        let keep = |at, v: f32| {
            seen.push((at, v.to_bits()));
            if seen.len() == 2 { 1.5 } else { 0.9 }
        };
        scan_take(&mut sums, 200, 0.9, keep, &mut at);
        let want = [(17, 2.0f32), (40, f32::NAN), (150, 3.0)].map(|(a, v)| (a, v.to_bits()));
        assert_eq!(seen, want);
        assert!(
            sums[..200].iter().all(|&v| v.to_bits() == 0),
            "taken back to +0"
        );
        assert_eq!(sums[5000], 9.0);
    }

    #[test]
    fn taking_a_list_or_the_marks_clears_them() {
        let (mut sums, mut bits, mut list) = (zeroed(), [0u64; WINDOW / 64], vec![0u32; 4]);
        for (at, v) in [(70usize, 1.0f32), (3, 2.0)] {
            sums[at] = v;
            bits[at / 64] |= 1 << (at % 64);
        }
        list[..2].copy_from_slice(&[70, 3]);
        for record in [Record::Listed, Record::Lifted, Record::Marked] {
            // A lifted list has no bits to clear.
            let (mut s, mut b) = match record {
                Record::Lifted => (sums.clone(), [0u64; WINDOW / 64]),
                _ => (sums.clone(), bits),
            };
            let mut touched = Touched {
                bits: &mut b,
                record,
                list: &mut list,
                len: 2,
            };
            let mut seen = Vec::new();
            touched.take(&mut s, WINDOW, f32::NEG_INFINITY, |at, v| {
                seen.push((at, v));
                f32::NEG_INFINITY
            });
            let want: &[(u32, f32)] = match record {
                Record::Listed | Record::Lifted => &[(70, 1.0), (3, 2.0)],
                _ => &[(3, 2.0), (70, 1.0)],
            };
            assert_eq!(seen, want, "{record:?}");
            assert!(s.iter().all(|&v| v == 0.0) && b.iter().all(|&w| w == 0));
        }
    }
}
