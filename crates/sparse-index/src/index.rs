//! `SparseIndex`: the growing (mutable) form, or a saved index read in place. Offsets arrive in
//! increasing order, so every term's list stays sorted by appending; a delete is a bit that
//! searches honour at once (its postings stay, skipped); an update is a delete plus an insert
//! at a new offset. Each document's vector is kept too (in RAM, or in the saved file): it gives
//! the live document counts the IDF needs after deletes, and scores points one by one under a
//! selective filter.

use std::collections::HashMap;

use sextant_core::{BitSet, PointFilter, PointOffset, ScoredPoint, SparseVector};

use crate::postings::{FileLists, ListRef, TermList};
use crate::request::SparseRequest;
use crate::search::SearchStats;
use crate::store::Saved;
use crate::{Error, Result};

/// The (term, weight) pairs of weighted terms as a vector (already sorted and finite).
pub(crate) fn as_vector(terms: &[(u32, f32, ListRef<'_>)]) -> SparseVector {
    let (indices, values) = terms.iter().map(|&(t, w, _)| (t, w)).unzip();
    SparseVector::new(indices, values).unwrap_or_default()
}

/// An inverted index over sparse vectors, searched for the exact top-k by dot product.
#[derive(Debug, Clone, Default)]
pub struct SparseIndex {
    /// Term index → its list in `lists`.
    pub(crate) terms: HashMap<u32, usize>,
    pub(crate) lists: Vec<TermList>,
    /// The file this index was opened from: postings and the vectors of offsets below its
    /// `end`, read in place.
    pub(crate) file: Option<std::sync::Arc<Saved>>,
    /// The vectors of offsets from the file's `end` on (`None`: never inserted).
    pub(crate) docs: Vec<Option<SparseVector>>,
    pub(crate) deleted: BitSet,
    pub(crate) live: usize,
    /// Points ever inserted (live + deleted).
    pub(crate) inserted: usize,
    pub(crate) postings: usize,
}

impl SparseIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Indexes `vector` at `offset`, which must be above every offset inserted before. An
    /// empty vector is stored and matches nothing.
    pub fn insert(&mut self, offset: PointOffset, vector: SparseVector) -> Result<()> {
        let end = self.end();
        if (offset as usize) < end {
            return Err(Error::OutOfOrder {
                offset,
                last: (end - 1) as PointOffset,
            });
        }
        let saved = self.file.clone();
        for (t, w) in vector.iter() {
            let next = self.lists.len();
            let slot = *self.terms.entry(t).or_insert(next);
            if slot == next {
                self.lists.push(TermList::default());
            }
            if let Some(saved) = saved.as_deref()
                && self.lists[slot].is_mapped()
            {
                let list = &mut self.lists[slot];
                let exact = list
                    .view(saved.lists())
                    .ids
                    .decoded()
                    .into_iter()
                    .map(|o| saved.weight(o, t).unwrap_or_default())
                    .collect();
                list.own(exact, saved.lists());
            }
            self.lists[slot].push(offset, w);
        }
        self.postings += vector.len();
        self.docs.resize(offset as usize - self.first_owned(), None);
        self.docs.push(Some(vector));
        self.live += 1;
        self.inserted += 1;
        Ok(())
    }

    /// An index over `points` (offsets increasing), the same as inserting them one by one
    /// into a new index, built at once: the postings are sorted by term through one flat
    /// array, then each list is made in one pass (inserting touches each posting's list in
    /// turn, a cache miss or more per posting).
    ///
    /// ```
    /// use sextant_core::SparseVector;
    /// use sextant_sparse_index::{SparseIndex, SparseRequest};
    ///
    /// let points = vec![
    ///     (0, SparseVector::new(vec![3, 7], vec![1.0, 0.5])?),
    ///     (2, SparseVector::new(vec![7], vec![2.0])?),
    /// ];
    /// let index = SparseIndex::build(points)?;
    /// let query = SparseVector::new(vec![7], vec![1.0])?;
    /// assert_eq!(index.search(&query, &SparseRequest::new(1))[0].offset, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(points: impl IntoIterator<Item = (PointOffset, SparseVector)>) -> Result<Self> {
        let mut index = SparseIndex::new();
        let mut counts: Vec<usize> = Vec::new();
        // Each posting's list, in offset order: the second pass needs no lookup.
        let mut slots: Vec<u32> = Vec::new();
        for (offset, vector) in points {
            let end = index.end();
            if (offset as usize) < end {
                return Err(Error::OutOfOrder {
                    offset,
                    last: (end - 1) as PointOffset,
                });
            }
            for &t in vector.indices() {
                let next = counts.len();
                let slot = *index.terms.entry(t).or_insert(next);
                if slot == next {
                    counts.push(0);
                }
                counts[slot] += 1;
                slots.push(slot as u32);
            }
            index.postings += vector.len();
            index.docs.resize(offset as usize, None);
            index.docs.push(Some(vector));
            index.live += 1;
            index.inserted += 1;
        }
        // Each term's postings at `starts[slot]..`, in offset order.
        let mut starts = Vec::with_capacity(counts.len() + 1);
        let mut at = 0;
        for &c in &counts {
            starts.push(at);
            at += c;
        }
        starts.push(at);
        let mut fill = starts.clone();
        let mut offsets = vec![0 as PointOffset; at];
        let mut weights = vec![0.0f32; at];
        let mut slots = slots.into_iter();
        for (o, doc) in index.docs.iter().enumerate() {
            let doc = doc.iter().flat_map(|d| d.values());
            for (&w, slot) in doc.zip(slots.by_ref()) {
                let at = &mut fill[slot as usize];
                offsets[*at] = o as PointOffset;
                weights[*at] = w;
                *at += 1;
            }
        }
        index.lists = starts
            .windows(2)
            .map(|s| TermList::owned(offsets[s[0]..s[1]].to_vec(), weights[s[0]..s[1]].to_vec()))
            .collect();
        Ok(index)
    }

    /// Removes `offset` from every later search; false when it is not a live point.
    pub fn delete(&mut self, offset: PointOffset) -> bool {
        if !self.contains(offset) {
            return false;
        }
        self.deleted.insert(offset);
        let Some((terms, _)) = self.doc(offset) else {
            return false;
        };
        let slots: Vec<usize> = terms
            .iter()
            .filter_map(|t| self.terms.get(t).copied())
            .collect();
        for slot in slots {
            self.lists[slot].live_df -= 1;
        }
        self.live -= 1;
        true
    }

    /// Offsets below this come from the saved file.
    fn first_owned(&self) -> usize {
        self.file.as_deref().map_or(0, Saved::end)
    }

    /// One past the highest offset ever inserted.
    pub fn end(&self) -> usize {
        self.first_owned() + self.docs.len()
    }

    /// The terms and weights of an inserted point (deleted or not).
    pub(crate) fn doc(&self, offset: PointOffset) -> Option<(&[u32], &[f32])> {
        let o = offset as usize;
        match o.checked_sub(self.first_owned()) {
            Some(i) => self
                .docs
                .get(i)?
                .as_ref()
                .map(|v| (v.indices(), v.values())),
            None => self.file.as_ref()?.doc(offset),
        }
    }

    /// True when some inserted point is deleted (searches then mask them).
    pub(crate) fn has_deleted(&self) -> bool {
        self.live < self.inserted
    }

    /// Number of live points.
    pub fn len(&self) -> usize {
        self.live
    }

    /// No live points.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Postings held (deleted points' included until a rebuild).
    pub fn postings(&self) -> usize {
        self.postings
    }

    /// True when `offset` is a live point.
    pub fn contains(&self, offset: PointOffset) -> bool {
        self.doc(offset).is_some() && !self.deleted.contains(offset)
    }

    /// A copy of the vector of a live point.
    pub fn vector(&self, offset: PointOffset) -> Option<SparseVector> {
        if self.deleted.contains(offset) {
            return None;
        }
        let (indices, values) = self.doc(offset)?;
        SparseVector::new(indices.to_vec(), values.to_vec()).ok()
    }

    /// Live documents holding term `t`.
    pub fn document_frequency(&self, t: u32) -> usize {
        self.terms
            .get(&t)
            .map_or(0, |&slot| self.lists[slot].live_df)
    }

    /// The query as scored: with `idf`, each weight times its term's IDF over the live points
    /// ([`crate::idf`]); terms no point holds are dropped (they add nothing).
    pub fn weighted_query(&self, query: &SparseVector, idf: bool) -> SparseVector {
        as_vector(&self.weighted_terms(query, idf))
    }

    /// The query's terms that have a list, in term order: (term, weight as scored, list).
    pub(crate) fn weighted_terms(
        &self,
        query: &SparseVector,
        idf: bool,
    ) -> Vec<(u32, f32, ListRef<'_>)> {
        let file = self
            .file
            .as_deref()
            .map_or_else(FileLists::default, Saved::lists);
        // In stages, each starting every term's loads before any is waited for: on a large
        // vocabulary each level (the term's entry, its list, what the list points to) is a
        // cache miss, and taken term by term they were 15% of bm25-pypi-10k short queries.
        let found: Vec<(u32, f32, &TermList)> = query
            .iter()
            .filter_map(|(t, w)| {
                let list = &self.lists[*self.terms.get(&t)?];
                sextant_core::kernels::prefetch(std::slice::from_ref(list));
                Some((t, w, list))
            })
            .collect();
        for (_, _, list) in &found {
            list.prefetch(file);
        }
        found
            .into_iter()
            .map(|(t, w, list)| {
                let w = if idf {
                    w * crate::idf(self.live, list.live_df)
                } else {
                    w
                };
                (t, w, list.view(file))
            })
            .collect()
    }

    /// The `req.k` live points with the highest dot product with `query` (ties: smaller
    /// offset first), among the points sharing a term with it and passing the filter. Exact:
    /// the same points and scores as scoring every point.
    pub fn search<F: PointFilter + ?Sized>(
        &self,
        query: &SparseVector,
        req: &SparseRequest<'_, F>,
    ) -> Vec<ScoredPoint> {
        crate::search::search(self, query, req, &mut SearchStats::default())
    }

    /// [`Self::search`], also counting the postings read and the points scored.
    pub fn search_counted<F: PointFilter + ?Sized>(
        &self,
        query: &SparseVector,
        req: &SparseRequest<'_, F>,
    ) -> (Vec<ScoredPoint>, SearchStats) {
        let mut stats = SearchStats::default();
        let found = crate::search::search(self, query, req, &mut stats);
        (found, stats)
    }

    /// Approximate heap bytes: postings held in RAM (offset and weight, 8 bytes each), block
    /// maxima, each list's largest weights and window starts, the vectors held in RAM (8 bytes
    /// per term), the term map and the deleted set; a saved file read in place counts only
    /// what was copied from it (its live-point bits).
    pub fn bytes(&self) -> usize {
        let lists: usize = self
            .lists
            .iter()
            .map(|l| {
                let owned = match &l.postings {
                    crate::postings::Postings::Owned { offsets, .. } => 8 * offsets.len(),
                    crate::postings::Postings::Mapped { .. } => 0,
                };
                let guides = 8 * l.guides.tops.len() + 4 * l.guides.windows.len();
                owned + 8 * l.blocks.len() + guides + size_of::<TermList>()
            })
            .sum();
        let docs: usize = self
            .docs
            .iter()
            .map(|d| size_of::<Option<SparseVector>>() + d.as_ref().map_or(0, |v| 8 * v.len()))
            .sum();
        let file = self.file.as_deref().map_or(0, Saved::heap_bytes);
        lists + docs + file + self.terms.len() * 16 + self.deleted.as_words().len() * 8
    }
}
