//! Each point's own keys in a field (for per-point checks, updates and deletes): lists in RAM
//! while a segment grows, or, in a saved index, key ids read in place from the mapped file
//! (`starts[o]..starts[o + 1]` indexes `ids`, each an index into the sorted `keys`).

use sextant_core::PointOffset;

use crate::store::MappedU32;

#[derive(Debug, Clone)]
pub(crate) enum Forward<K> {
    Owned(Vec<Vec<K>>),
    /// Checked at open: `starts` ascending from 0 to `ids.len()`, every id below `keys.len()`.
    Mapped {
        starts: MappedU32,
        ids: MappedU32,
        keys: Vec<K>,
    },
}

impl<K> Default for Forward<K> {
    fn default() -> Self {
        Forward::Owned(Vec::new())
    }
}

impl<K: Clone> Forward<K> {
    /// Number of point slots (the highest offset seen + 1).
    pub fn points(&self) -> usize {
        match self {
            Forward::Owned(f) => f.len(),
            Forward::Mapped { starts, .. } => starts.as_slice().len().saturating_sub(1),
        }
    }

    /// True when the lists are read in place from a saved index file.
    pub fn is_mapped(&self) -> bool {
        matches!(self, Forward::Mapped { .. })
    }

    /// The own keys of `o`, in key order.
    #[inline]
    pub fn keys_of(&self, o: PointOffset) -> impl Iterator<Item = &K> + '_ {
        let (owned, ids, keys): (&[K], &[u32], &[K]) = match self {
            Forward::Owned(f) => (f.get(o as usize).map_or(&[], Vec::as_slice), &[], &[]),
            Forward::Mapped { starts, ids, keys } => {
                let s = starts.as_slice();
                let i = o as usize;
                let range = match (s.get(i), s.get(i + 1)) {
                    (Some(&a), Some(&b)) => a as usize..b as usize,
                    _ => 0..0,
                };
                (&[], ids.as_slice().get(range).unwrap_or(&[]), keys)
            }
        };
        owned
            .iter()
            .chain(ids.iter().filter_map(move |&id| keys.get(id as usize)))
    }

    /// The lists in RAM (a mapped form is copied out first: a saved index that changes).
    pub fn owned(&mut self) -> &mut Vec<Vec<K>> {
        if let Forward::Mapped { .. } = self {
            let n = self.points();
            let lists = (0..n as PointOffset)
                .map(|o| self.keys_of(o).cloned().collect())
                .collect();
            *self = Forward::Owned(lists);
        }
        match self {
            Forward::Owned(f) => f,
            Forward::Mapped { .. } => unreachable!("copied just above"),
        }
    }

    /// Sets the keys of `o`, growing the slots as needed.
    pub fn set(&mut self, o: PointOffset, keys: Vec<K>) {
        let f = self.owned();
        let i = o as usize;
        if f.len() <= i {
            f.resize_with(i + 1, Vec::new);
        }
        f[i] = keys;
    }

    /// Takes the keys of `o` out (leaving none).
    pub fn take(&mut self, o: PointOffset) -> Option<Vec<K>> {
        self.owned().get_mut(o as usize).map(std::mem::take)
    }
}
