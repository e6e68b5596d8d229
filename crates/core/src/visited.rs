//! Visited sets for graph traversal, reused across queries through a pool.
//!
//! Clearing a visited set of a million points per query would cost more than the search, so
//! each set stores a generation number per point: "visited" means "marked with the current
//! generation", and starting a new query just bumps the generation. The marks are u8, so every
//! 255 queries the array is zeroed once.

use crate::ids::PointOffset;
use std::sync::Mutex;

/// A visited set over offsets `0..capacity`, cleared in O(1).
#[derive(Debug, Clone)]
pub struct VisitedSet {
    marks: Vec<u8>,
    generation: u8,
}

impl VisitedSet {
    /// A set for offsets `0..capacity`.
    pub fn new(capacity: usize) -> Self {
        Self {
            marks: vec![0; capacity],
            generation: 1,
        }
    }

    /// Number of offsets the set covers.
    pub fn capacity(&self) -> usize {
        self.marks.len()
    }

    /// Forgets every visit and makes room for `capacity` offsets.
    pub fn reset(&mut self, capacity: usize) {
        if self.marks.len() < capacity {
            self.marks.resize(capacity, 0);
        }
        if self.generation == u8::MAX {
            self.marks.fill(0);
            self.generation = 1;
        } else {
            self.generation += 1;
        }
    }

    /// Marks `offset`; returns true when it had not been visited yet.
    /// Offsets past the capacity grow the set.
    #[inline]
    pub fn visit(&mut self, offset: PointOffset) -> bool {
        let i = offset as usize;
        if i >= self.marks.len() {
            self.marks.resize(i + 1, 0);
        }
        let fresh = self.marks[i] != self.generation;
        self.marks[i] = self.generation;
        fresh
    }

    /// True when `offset` was visited since the last reset.
    #[inline]
    pub fn is_visited(&self, offset: PointOffset) -> bool {
        self.marks.get(offset as usize) == Some(&self.generation)
    }
}

/// A pool of [`VisitedSet`]s shared by concurrent searches; a query takes one and gives it back
/// on drop, so steady-state searches allocate nothing.
#[derive(Debug, Default)]
pub struct VisitedPool {
    free: Mutex<Vec<VisitedSet>>,
}

impl VisitedPool {
    /// An empty pool (sets are created on demand, then kept).
    pub fn new() -> Self {
        Self::default()
    }

    /// A cleared set covering `capacity` offsets; it returns to the pool when dropped.
    pub fn get(&self, capacity: usize) -> PooledVisited<'_> {
        let set = self.free.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut set = set.unwrap_or_else(|| VisitedSet::new(capacity));
        set.reset(capacity);
        PooledVisited {
            set: Some(set),
            pool: self,
        }
    }

    /// Number of idle sets in the pool.
    pub fn idle(&self) -> usize {
        self.free.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// A [`VisitedSet`] borrowed from a [`VisitedPool`].
#[derive(Debug)]
pub struct PooledVisited<'a> {
    set: Option<VisitedSet>,
    pool: &'a VisitedPool,
}

impl std::ops::Deref for PooledVisited<'_> {
    type Target = VisitedSet;
    fn deref(&self) -> &VisitedSet {
        self.set.as_ref().expect("present until drop")
    }
}

impl std::ops::DerefMut for PooledVisited<'_> {
    fn deref_mut(&mut self) -> &mut VisitedSet {
        self.set.as_mut().expect("present until drop")
    }
}

impl Drop for PooledVisited<'_> {
    fn drop(&mut self) {
        if let Some(set) = self.set.take() {
            self.pool
                .free
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(set);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generations_clear_visits_across_wraparound() {
        let mut v = VisitedSet::new(4);
        for round in 0..600 {
            v.reset(4);
            assert!(!v.is_visited(2), "round {round}");
            assert!(v.visit(2));
            assert!(!v.visit(2));
            assert!(v.is_visited(2));
        }
        assert!(v.visit(10), "grows past capacity");
    }

    #[test]
    fn pool_reuses_sets() {
        let pool = VisitedPool::new();
        {
            let mut a = pool.get(8);
            a.visit(3);
            let b = pool.get(8);
            assert!(!b.is_visited(3));
        }
        assert_eq!(pool.idle(), 2);
        let a = pool.get(8);
        assert!(!a.is_visited(3), "a reused set starts empty");
        assert_eq!(pool.idle(), 1);
    }
}
