//! Block allocation: a bitmask over every block of every page, region summaries of the
//! largest free run, and a max-tree over the summaries so finding room is O(log regions).
//!
//! Blocks are numbered store-wide (`page * blocks_per_page + block`). A value of at most one
//! region's blocks is placed inside one region (so inside one page: reads stay zero-copy);
//! larger values take a run of whole free regions, which may cross pages. First fit keeps the
//! files dense after churn.
//!
//! The bitmask lives in memory only: on open it is rebuilt from the tracker, which is the one
//! source of truth, so a crash can never leave the two disagreeing.

/// Free-space bookkeeping for all pages.
#[derive(Debug)]
pub(crate) struct Allocator {
    region_blocks: usize,
    regions_per_page: usize,
    /// Bit set = block in use.
    words: Vec<u64>,
    /// Largest free run per region.
    max_run: Vec<u32>,
    tree: MaxTree,
    used_blocks: u64,
}

impl Allocator {
    pub fn new(region_blocks: u32, regions_per_page: u64) -> Self {
        debug_assert!(region_blocks.is_multiple_of(64));
        Self {
            region_blocks: region_blocks as usize,
            regions_per_page: regions_per_page as usize,
            words: Vec::new(),
            max_run: Vec::new(),
            tree: MaxTree::default(),
            used_blocks: 0,
        }
    }

    pub fn block_count(&self) -> u64 {
        self.words.len() as u64 * 64
    }

    pub fn used_blocks(&self) -> u64 {
        self.used_blocks
    }

    /// Adds one empty page's regions.
    pub fn add_page(&mut self) {
        let words_per_region = self.region_blocks / 64;
        self.words.resize(
            self.words.len() + self.regions_per_page * words_per_region,
            0,
        );
        let first = self.max_run.len();
        self.max_run
            .resize(first + self.regions_per_page, self.region_blocks as u32);
        self.tree.resize(self.max_run.len());
        for region in first..self.max_run.len() {
            self.tree.set(region, self.region_blocks as u32);
        }
    }

    /// Finds and claims `n > 0` free blocks; `None` when no run is large enough (add a page).
    pub fn alloc(&mut self, n: u64) -> Option<u64> {
        debug_assert!(n > 0);
        let start = if n <= self.region_blocks as u64 {
            let region = self.tree.first_at_least(n as u32)?;
            let base = region * self.region_blocks;
            base as u64
                + find_run(
                    &self.words[base / 64..(base + self.region_blocks) / 64],
                    n as usize,
                )? as u64
        } else {
            self.find_free_regions(n)?
        };
        self.set_range(start, n, true, true);
        Some(start)
    }

    /// First block of the first run of whole free regions holding `n` blocks.
    fn find_free_regions(&self, n: u64) -> Option<u64> {
        let needed = n.div_ceil(self.region_blocks as u64) as usize;
        let mut run = 0;
        for (region, &free) in self.max_run.iter().enumerate() {
            run = if free as usize == self.region_blocks {
                run + 1
            } else {
                0
            };
            if run == needed {
                return Some(((region + 1 - needed) * self.region_blocks) as u64);
            }
        }
        None
    }

    /// Marks `[start, start + n)` used when rebuilding from the tracker. Returns false (and
    /// changes nothing) if any of them is already used or past the last page. Summaries are
    /// stale until [`Allocator::summarize`].
    pub fn claim(&mut self, start: u64, n: u64) -> bool {
        let Some(end) = start.checked_add(n) else {
            return false;
        };
        if end > self.block_count() || (start..end).any(|b| self.is_used(b)) {
            return false;
        }
        self.set_range(start, n, true, false);
        true
    }

    /// Recomputes every region summary (once, after the claims of a rebuild).
    pub fn summarize(&mut self) {
        let words_per_region = self.region_blocks / 64;
        for region in 0..self.max_run.len() {
            let run = longest_free_run(
                &self.words[region * words_per_region..(region + 1) * words_per_region],
            );
            self.max_run[region] = run;
            self.tree.set(region, run);
        }
    }

    /// Returns `[start, start + n)` to the free pool.
    pub fn free(&mut self, start: u64, n: u64) {
        debug_assert!(
            (start..start + n).all(|b| self.is_used(b)),
            "double free of {start}+{n}"
        );
        self.set_range(start, n, false, true);
    }

    fn is_used(&self, block: u64) -> bool {
        self.words[(block / 64) as usize] >> (block % 64) & 1 == 1
    }

    fn set_range(&mut self, start: u64, n: u64, used: bool, summarize: bool) {
        if n == 0 {
            return;
        }
        let (start, end) = (start as usize, (start + n) as usize);
        let mut block = start;
        while block < end {
            let word = block / 64;
            let bits = (64 - block % 64).min(end - block);
            let mask = if bits == 64 {
                u64::MAX
            } else {
                ((1u64 << bits) - 1) << (block % 64)
            };
            if used {
                debug_assert_eq!(self.words[word] & mask, 0);
                self.words[word] |= mask;
            } else {
                self.words[word] &= !mask;
            }
            block += bits;
        }
        if used {
            self.used_blocks += n;
        } else {
            self.used_blocks -= n;
        }
        if !summarize {
            return;
        }
        for region in start / self.region_blocks..=(end - 1) / self.region_blocks {
            let words_per_region = self.region_blocks / 64;
            let run = longest_free_run(
                &self.words[region * words_per_region..(region + 1) * words_per_region],
            );
            self.max_run[region] = run;
            self.tree.set(region, run);
        }
    }

    /// Free blocks below the highest used block (holes), and that highest block + 1.
    pub fn holes(&self) -> (u64, u64) {
        let high = self.words.iter().rposition(|&w| w != 0).map_or(0, |i| {
            i as u64 * 64 + 64 - u64::from(self.words[i].leading_zeros())
        });
        (high - self.used_blocks, high)
    }
}

/// Longest run of zero bits (free blocks) in `words`, bit 0 of word 0 first.
fn longest_free_run(words: &[u64]) -> u32 {
    let (mut best, mut current) = (0u32, 0u32);
    for &w in words {
        if w == 0 {
            current += 64;
            continue;
        }
        // Free bits at the low end continue the run from the previous word.
        best = best.max(current + w.trailing_zeros());
        // Longest run of zeros strictly inside the word: runs of ones in !w, shrunk until empty.
        let mut ones = !w;
        let mut inner = 0;
        while ones != 0 {
            ones &= ones >> 1;
            inner += 1;
        }
        best = best.max(inner);
        current = w.leading_zeros();
    }
    best.max(current)
}

/// Index of the first block of the first run of `n` zero bits in `words`.
fn find_run(words: &[u64], n: usize) -> Option<usize> {
    let mut run_start = 0usize;
    let mut run = 0usize;
    for (i, &w) in words.iter().enumerate() {
        if w == 0 {
            if run == 0 {
                run_start = i * 64;
            }
            run += 64;
            if run >= n {
                return Some(run_start);
            }
            continue;
        }
        if w == u64::MAX {
            run = 0;
            continue;
        }
        for bit in 0..64 {
            if w >> bit & 1 == 0 {
                if run == 0 {
                    run_start = i * 64 + bit;
                }
                run += 1;
                if run >= n {
                    return Some(run_start);
                }
            } else {
                run = 0;
            }
        }
    }
    None
}

/// A segment tree of maxima: which is the first region whose largest free run is ≥ n.
#[derive(Debug, Default)]
struct MaxTree {
    leaves: usize,
    nodes: Vec<u32>,
}

impl MaxTree {
    fn resize(&mut self, len: usize) {
        if len <= self.leaves {
            return;
        }
        let leaves = len.next_power_of_two();
        let mut nodes = vec![0u32; 2 * leaves];
        nodes[leaves..leaves + self.leaves].copy_from_slice(&self.nodes[self.leaves..]);
        for i in (1..leaves).rev() {
            nodes[i] = nodes[2 * i].max(nodes[2 * i + 1]);
        }
        self.leaves = leaves;
        self.nodes = nodes;
    }

    fn set(&mut self, leaf: usize, value: u32) {
        let mut i = self.leaves + leaf;
        self.nodes[i] = value;
        while i > 1 {
            i /= 2;
            self.nodes[i] = self.nodes[2 * i].max(self.nodes[2 * i + 1]);
        }
    }

    fn first_at_least(&self, n: u32) -> Option<usize> {
        if self.leaves == 0 || self.nodes[1] < n {
            return None;
        }
        let mut i = 1;
        while i < self.leaves {
            i = if self.nodes[2 * i] >= n {
                2 * i
            } else {
                2 * i + 1
            };
        }
        Some(i - self.leaves)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive_longest(words: &[u64]) -> u32 {
        let (mut best, mut cur) = (0, 0);
        for b in 0..words.len() * 64 {
            if words[b / 64] >> (b % 64) & 1 == 0 {
                cur += 1;
                best = best.max(cur);
            } else {
                cur = 0;
            }
        }
        best
    }

    proptest! {
        #[test]
        fn free_run_summary_matches_a_bit_walk(words in proptest::collection::vec(
            prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>(), (0u32..64).prop_map(|s| 1u64 << s)], 1..6)) {
            prop_assert_eq!(longest_free_run(&words), naive_longest(&words));
            let longest = naive_longest(&words) as usize;
            if longest > 0 {
                let at = find_run(&words, longest).unwrap();
                prop_assert!((at..at + longest).all(|b| words[b / 64] >> (b % 64) & 1 == 0));
            }
            prop_assert_eq!(find_run(&words, longest + 1), None);
        }

        #[test]
        fn allocations_never_overlap_and_frees_are_reused(ops in proptest::collection::vec((1u64..300, any::<bool>()), 1..200)) {
            let mut a = Allocator::new(64, 4);
            let mut live: Vec<(u64, u64)> = Vec::new();
            let mut owner = std::collections::HashMap::new();
            for (n, free_one) in ops {
                if free_one && !live.is_empty() {
                    let (s, len) = live.swap_remove(live.len() / 2);
                    a.free(s, len);
                    for b in s..s + len { owner.remove(&b); }
                    continue;
                }
                let start = loop {
                    if let Some(s) = a.alloc(n) { break s; }
                    a.add_page();
                };
                for b in start..start + n { prop_assert!(owner.insert(b, start).is_none(), "block {} given twice", b); }
                if n <= 64 { prop_assert_eq!(start / 64, (start + n - 1) / 64, "small value crosses a region"); }
                live.push((start, n));
            }
            prop_assert_eq!(a.used_blocks(), live.iter().map(|l| l.1).sum::<u64>());
            let (holes, high) = a.holes();
            prop_assert!(holes <= high);
        }
    }

    #[test]
    fn claim_refuses_overlaps_and_out_of_range() {
        let mut a = Allocator::new(64, 2);
        a.add_page();
        assert!(a.claim(10, 20));
        assert!(!a.claim(29, 2));
        assert!(!a.claim(120, 10));
        assert!(a.claim(30, 98));
        a.summarize();
        assert_eq!(a.used_blocks(), 118);
        assert_eq!(a.alloc(11), None);
        assert_eq!(a.alloc(10), Some(0));
    }
}
