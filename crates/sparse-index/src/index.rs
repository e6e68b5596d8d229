//! `SparseIndex`: the growing (mutable) form. Offsets arrive in increasing order, so every
//! term's list stays sorted by appending; a delete is a bit that searches honour at once (its
//! postings stay, skipped); an update is a delete plus an insert at a new offset. Each
//! document's vector is kept too: it gives the live document counts the IDF needs after
//! deletes, and the exact score of a candidate.

use std::collections::HashMap;

use sextant_core::{BitSet, PointFilter, PointOffset, ScoredPoint, SparseVector};

use crate::postings::TermList;
use crate::request::SparseRequest;
use crate::search::SearchStats;
use crate::{Error, Result};

/// The (term, weight) pairs of weighted terms as a vector (already sorted and finite).
pub(crate) fn as_vector(terms: &[(u32, f32, &TermList)]) -> SparseVector {
    let (indices, values) = terms.iter().map(|&(t, w, _)| (t, w)).unzip();
    SparseVector::new(indices, values).unwrap_or_default()
}

/// An inverted index over sparse vectors, searched for the exact top-k by dot product.
#[derive(Debug, Clone, Default)]
pub struct SparseIndex {
    /// Term index → its list in `lists`.
    terms: HashMap<u32, usize>,
    pub(crate) lists: Vec<TermList>,
    /// Each offset's vector (`None`: never inserted).
    pub(crate) docs: Vec<Option<SparseVector>>,
    pub(crate) deleted: BitSet,
    live: usize,
    /// Points ever inserted (live + deleted).
    inserted: usize,
    postings: usize,
}

impl SparseIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Indexes `vector` at `offset`, which must be above every offset inserted before. An
    /// empty vector is stored and matches nothing.
    pub fn insert(&mut self, offset: PointOffset, vector: SparseVector) -> Result<()> {
        if let Some(last) = self.docs.len().checked_sub(1)
            && offset as usize <= last
        {
            return Err(Error::OutOfOrder {
                offset,
                last: last as PointOffset,
            });
        }
        for (t, w) in vector.iter() {
            let next = self.lists.len();
            let slot = *self.terms.entry(t).or_insert(next);
            if slot == next {
                self.lists.push(TermList::default());
            }
            self.lists[slot].push(offset, w);
        }
        self.postings += vector.len();
        self.docs.resize(offset as usize, None);
        self.docs.push(Some(vector));
        self.live += 1;
        self.inserted += 1;
        Ok(())
    }

    /// Removes `offset` from every later search; false when it is not a live point.
    pub fn delete(&mut self, offset: PointOffset) -> bool {
        let Some(Some(doc)) = self.docs.get(offset as usize) else {
            return false;
        };
        if !self.deleted.insert(offset) {
            return false;
        }
        for t in doc.indices() {
            if let Some(&slot) = self.terms.get(t) {
                self.lists[slot].live_df -= 1;
            }
        }
        self.live -= 1;
        true
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
        matches!(self.docs.get(offset as usize), Some(Some(_))) && !self.deleted.contains(offset)
    }

    /// The vector of a live point.
    pub fn vector(&self, offset: PointOffset) -> Option<&SparseVector> {
        if self.deleted.contains(offset) {
            return None;
        }
        self.docs.get(offset as usize)?.as_ref()
    }

    /// The list of term `t`, if any point ever held it.
    pub(crate) fn list(&self, t: u32) -> Option<&TermList> {
        self.terms.get(&t).map(|&slot| &self.lists[slot])
    }

    /// Live documents holding term `t`.
    pub fn document_frequency(&self, t: u32) -> usize {
        self.list(t).map_or(0, |l| l.live_df)
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
    ) -> Vec<(u32, f32, &TermList)> {
        query
            .iter()
            .filter_map(|(t, w)| {
                let list = self.list(t)?;
                let w = if idf {
                    w * crate::idf(self.live, list.live_df)
                } else {
                    w
                };
                Some((t, w, list))
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

    /// Approximate heap bytes: postings (offset and weight, 8 bytes each), block maxima, each
    /// point's vector (8 bytes per term), the term map and the deleted set.
    pub fn bytes(&self) -> usize {
        let lists: usize = self
            .lists
            .iter()
            .map(|l| 8 * l.offsets.len() + 8 * l.blocks.len() + size_of::<TermList>())
            .sum();
        let docs: usize = self
            .docs
            .iter()
            .map(|d| size_of::<Option<SparseVector>>() + d.as_ref().map_or(0, |v| 8 * v.len()))
            .sum();
        lists + docs + self.terms.len() * 16 + self.deleted.as_words().len() * 8
    }
}
