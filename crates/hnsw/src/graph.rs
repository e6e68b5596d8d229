//! Link storage: level-0 lists in one flat array, upper levels per node, a lock per node for
//! writers. Links are atomics so that readers (searches, concurrent inserts) never block and
//! never see undefined data; a relaxed load of a u32 is a plain load on x86 and ARM.

use crate::config::HnswConfig;
use sextant_core::PointOffset;
use std::sync::atomic::{AtomicU16, AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};

/// No entry point yet (empty graph).
const NO_ENTRY: u64 = u64::MAX;

/// The graph of an HNSW index.
#[derive(Debug)]
pub(crate) struct Graph {
    pub m: usize,
    pub m0: usize,
    levels: Vec<u8>,
    /// Node `i`, level 0: `links0[i * (m0 + 1)]` is the count, the next `m0` slots the links.
    links0: Vec<AtomicU32>,
    /// Node `i`, level `l >= 1`: `upper[i][(l - 1) * (m + 1)..]`, same layout with `m` links.
    upper: Vec<Box<[AtomicU32]>>,
    /// Node `i`'s first `pruned0[i]` level-0 links were kept together by its last pruning
    /// (links appended since come after them); 0 when not known. The next pruning skips the
    /// pairs among them (see `select_neighbors`).
    pruned0: Vec<AtomicU16>,
    locks: Vec<Mutex<()>>,
    /// Entry point and its level, packed `point << 8 | level`.
    entry: Mutex<u64>,
}

fn atomics(n: usize) -> impl Iterator<Item = AtomicU32> {
    (0..n).map(|_| AtomicU32::new(0))
}

impl Graph {
    /// A graph with room for `n` nodes whose levels come from `params`, and `m0` slots per
    /// node on level 0 (`params.m0`, or more while a build runs); no links yet.
    pub fn new(n: usize, params: &HnswConfig, m0: usize) -> Graph {
        let mut g = Graph {
            m: params.m,
            m0,
            levels: Vec::with_capacity(n),
            // On huge pages: every expansion reads the list of a random node.
            links0: sextant_mmap_advice::huge_page_vec(n * (m0 + 1)),
            upper: Vec::with_capacity(n),
            pruned0: Vec::with_capacity(n),
            locks: Vec::with_capacity(n),
            entry: Mutex::new(NO_ENTRY),
        };
        for p in 0..n {
            g.push_node(params.level_of(p as u32));
        }
        g
    }

    /// A graph from saved parts (already validated by the loader).
    pub fn from_parts(
        m: usize,
        m0: usize,
        levels: Vec<u8>,
        links0: Vec<u32>,
        upper: Vec<Vec<u32>>,
        entry: Option<PointOffset>,
    ) -> Graph {
        let g = Graph {
            m,
            m0,
            locks: levels.iter().map(|_| Mutex::new(())).collect(),
            pruned0: levels.iter().map(|_| AtomicU16::new(0)).collect(),
            levels,
            links0: {
                let mut slots = sextant_mmap_advice::huge_page_vec(links0.len());
                slots.extend(links0.into_iter().map(AtomicU32::new));
                slots
            },
            upper: upper
                .into_iter()
                .map(|u| u.into_iter().map(AtomicU32::new).collect())
                .collect(),
            entry: Mutex::new(NO_ENTRY),
        };
        g.set_entry(entry);
        g
    }

    /// The raw level-0 slots and upper-level slots, for saving.
    pub fn raw(
        &self,
    ) -> (
        impl Iterator<Item = u32> + '_,
        impl Iterator<Item = u32> + '_,
    ) {
        (
            self.links0.iter().map(|a| a.load(Ordering::Acquire)),
            self.upper
                .iter()
                .flat_map(|u| u.iter().map(|a| a.load(Ordering::Acquire))),
        )
    }

    /// Levels of all nodes.
    pub fn levels(&self) -> &[u8] {
        &self.levels
    }

    /// Adds a node of `level` (no links).
    pub fn push_node(&mut self, level: usize) {
        let level = level.min(u8::MAX as usize);
        self.levels.push(level as u8);
        self.links0.extend(atomics(self.m0 + 1));
        self.upper.push(atomics(level * (self.m + 1)).collect());
        self.pruned0.push(AtomicU16::new(0));
        self.locks.push(Mutex::new(()));
    }

    /// Gives every node `m0` level-0 slots (a build's slack, then back to the saved size),
    /// keeping the links. Lists must fit: a build prunes them first.
    pub fn set_level0_capacity(&mut self, m0: usize) {
        if m0 == self.m0 {
            return;
        }
        let mut links0 = sextant_mmap_advice::huge_page_vec(self.len() * (m0 + 1));
        for old in self.links0.chunks_exact_mut(self.m0 + 1) {
            let count = (*old[0].get_mut() as usize).min(self.m0);
            assert!(
                count <= m0,
                "a list of {count} links does not fit {m0} slots"
            );
            links0.extend(
                old[..=count]
                    .iter_mut()
                    .map(|a| AtomicU32::new(*a.get_mut())),
            );
            links0.extend(atomics(m0 - count));
        }
        self.links0 = links0;
        self.m0 = m0;
    }

    /// Number of links of `p` on `level`.
    pub fn link_count(&self, p: PointOffset, level: usize) -> usize {
        let slots = self.slots(p, level);
        (slots[0].load(Ordering::Acquire) as usize).min(slots.len() - 1)
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.levels.len()
    }

    /// Level of `p`.
    pub fn level(&self, p: PointOffset) -> usize {
        self.levels[p as usize] as usize
    }

    /// Entry point and top level, `None` for an empty graph.
    pub fn entry(&self) -> Option<(PointOffset, usize)> {
        let e = *self.entry.lock().unwrap_or_else(|e| e.into_inner());
        (e != NO_ENTRY).then_some(((e >> 8) as PointOffset, (e & 0xFF) as usize))
    }

    /// Makes `p` the entry point if its level is above the current top (or there is none).
    /// Returns true when it did.
    pub fn offer_entry(&self, p: PointOffset) -> bool {
        let level = self.level(p) as u64;
        let mut e = self.entry.lock().unwrap_or_else(|e| e.into_inner());
        if *e == NO_ENTRY || level > (*e & 0xFF) {
            *e = (p as u64) << 8 | level;
            return true;
        }
        false
    }

    /// Sets (or clears) the entry point outright.
    pub fn set_entry(&self, entry: Option<PointOffset>) {
        let mut e = self.entry.lock().unwrap_or_else(|e| e.into_inner());
        *e = entry.map_or(NO_ENTRY, |p| (p as u64) << 8 | self.level(p) as u64);
    }

    /// Link capacity on `level`.
    pub fn max_links(&self, level: usize) -> usize {
        if level == 0 { self.m0 } else { self.m }
    }

    #[inline]
    fn slots(&self, p: PointOffset, level: usize) -> &[AtomicU32] {
        if level == 0 {
            let s = p as usize * (self.m0 + 1);
            &self.links0[s..s + self.m0 + 1]
        } else {
            let s = (level - 1) * (self.m + 1);
            &self.upper[p as usize][s..s + self.m + 1]
        }
    }

    /// Copies the links of `p` on `level` into `out` (cleared first).
    #[inline]
    pub fn links_into(&self, p: PointOffset, level: usize, out: &mut Vec<PointOffset>) {
        out.clear();
        let n = self.link_count(p, level);
        let slots = self.slots(p, level);
        out.extend(slots[1..=n].iter().map(|a| a.load(Ordering::Relaxed)));
    }

    /// Starts loading the links of `p` on `level` into cache.
    #[inline]
    pub fn prefetch_links(&self, p: PointOffset, level: usize) {
        sextant_core::kernels::prefetch(self.slots(p, level));
    }

    /// Locks node `p` for writing its links.
    pub fn lock(&self, p: PointOffset) -> MutexGuard<'_, ()> {
        self.locks[p as usize]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the links of `p` on `level` (the caller holds `p`'s lock).
    pub fn set_links(&self, p: PointOffset, level: usize, links: &[PointOffset]) {
        self.set_links_kept(p, level, links, 0);
    }

    /// Replaces the links of `p` on `level` with the output of a pruning (the caller holds
    /// `p`'s lock): on level 0 the next pruning knows they were kept together.
    pub fn set_pruned_links(&self, p: PointOffset, level: usize, links: &[PointOffset]) {
        self.set_links_kept(p, level, links, links.len());
    }

    /// How many of `p`'s first links on `level` its last pruning kept together (0 above
    /// level 0, or when not known).
    pub fn pruned_links(&self, p: PointOffset, level: usize) -> usize {
        if level == 0 {
            self.pruned0[p as usize].load(Ordering::Relaxed) as usize
        } else {
            0
        }
    }

    fn set_links_kept(&self, p: PointOffset, level: usize, links: &[PointOffset], kept: usize) {
        if level == 0 {
            // m0 <= 512 (validated), so the count fits.
            self.pruned0[p as usize].store(kept as u16, Ordering::Relaxed);
        }
        let slots = self.slots(p, level);
        debug_assert!(links.len() < slots.len());
        for (slot, &l) in slots[1..].iter().zip(links) {
            slot.store(l, Ordering::Relaxed);
        }
        slots[0].store(links.len() as u32, Ordering::Release);
    }

    /// Appends one link when there is room (the caller holds `p`'s lock); false when full.
    pub fn try_push_link(&self, p: PointOffset, level: usize, link: PointOffset) -> bool {
        let slots = self.slots(p, level);
        let n = slots[0].load(Ordering::Relaxed) as usize;
        if n + 1 >= slots.len() {
            return false;
        }
        slots[n + 1].store(link, Ordering::Relaxed);
        slots[0].store(n as u32 + 1, Ordering::Release);
        true
    }
}
