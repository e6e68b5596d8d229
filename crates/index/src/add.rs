//! Adding points to a [`LabeledIndex`]: new labels appended (the first rows build the graph,
//! later ones grow it on the given threads), labels it holds updated in place (vector, codes,
//! links chosen again), and with hnswlib's `replace_deleted` new labels taking deleted points' places.

use std::collections::HashSet;

use sextant_core::{
    DensePairScorer, DenseQueryScorer, DenseVectorSource, DenseVectors, PointOffset,
};
use sextant_hnsw::HnswIndex;
use sextant_quantization::{AnyCodes, CodecConfig, EncodedVectors};

use crate::bounds::Bounds;
use crate::error::{Error, Result};
use crate::labeled::LabeledIndex;

impl LabeledIndex {
    /// Adds `rows` (`labels.len()` vectors of `dim` values, row after row) under `labels`.
    /// The first call builds the graph on `threads` threads (and trains the codes); later
    /// calls insert point by point. A label the index holds is updated in place, as hnswlib
    /// does: its vector replaced, its links chosen again, and a deleted one made live.
    /// Everything is checked before anything changes.
    pub fn add(&mut self, rows: &[f32], labels: &[u64], threads: usize) -> Result<()> {
        self.add_owned(rows.to_vec(), labels, threads)
    }

    /// [`add`](Self::add), taking the rows' buffer (prepared in place: no copy of them).
    pub fn add_owned(&mut self, rows: Vec<f32>, labels: &[u64], threads: usize) -> Result<()> {
        self.add_rows(rows, labels, threads, false)
    }

    /// [`add_owned`](Self::add_owned), new labels taking the places of deleted points first
    /// (hnswlib's `replace_deleted`): the deleted point's label is forgotten, its place holds
    /// the new vector under the new label. Labels the index holds are updated as by `add`.
    pub fn add_replacing_deleted(
        &mut self,
        rows: Vec<f32>,
        labels: &[u64],
        threads: usize,
    ) -> Result<()> {
        self.add_rows(rows, labels, threads, true)
    }

    fn add_rows(
        &mut self,
        rows: Vec<f32>,
        labels: &[u64],
        threads: usize,
        replace_deleted: bool,
    ) -> Result<()> {
        let dim = self.config.dim;
        if rows.len() != labels.len() * dim {
            return Err(Error::bad(format!(
                "{} values for {} labels of dimension {dim}",
                rows.len(),
                labels.len()
            )));
        }
        let mut seen = HashSet::with_capacity(labels.len());
        if let Some(l) = labels.iter().find(|l| !seen.insert(**l)) {
            return Err(Error::bad(format!("label {l} is given twice")));
        }
        let mut prepared = rows;
        for row in prepared.chunks_exact_mut(dim) {
            self.config
                .distance
                .prepare(row, dim)
                .map_err(|e| Error::bad(e.to_string()))?;
        }
        // Each row's place: a point it updates, a deleted one it takes, or a new one.
        let mut free = if replace_deleted {
            let updated: HashSet<PointOffset> = labels
                .iter()
                .filter_map(|l| self.by_label.get(l).copied())
                .collect();
            self.deleted
                .iter()
                .filter(|o| !updated.contains(o))
                .collect::<Vec<_>>()
        } else {
            Vec::new()
        };
        free.reverse();
        let mut in_place = Vec::new();
        let mut appended = Vec::new();
        let mut new_labels = Vec::new();
        for (row, &l) in prepared.chunks_exact(dim).zip(labels) {
            match self.by_label.get(&l).copied().or_else(|| free.pop()) {
                Some(o) => in_place.push((o, l, row)),
                None => {
                    appended.extend_from_slice(row);
                    new_labels.push(l);
                }
            }
        }
        if self.labels.len() + new_labels.len() > self.config.max_elements {
            return Err(Error::Full(self.config.max_elements));
        }
        for &(o, l, row) in &in_place {
            self.replace(o, l, row)?;
        }
        self.append(appended, &new_labels, threads)?;
        if let (Some(graph), false) = (self.graph.as_mut(), in_place.is_empty()) {
            let vectors = &self.vectors;
            let pair =
                DensePairScorer::for_source(vectors).map_err(|e| Error::bad(e.to_string()))?;
            let mut changed: Vec<PointOffset> = in_place.iter().map(|&(o, _, _)| o).collect();
            changed.sort_unstable();
            changed.dedup();
            let search = |p| DenseQueryScorer::for_source(vectors, vectors.vector(p));
            graph.grow_with_search(&changed, 0, &pair, search, threads.max(1))?;
        }
        Ok(())
    }

    /// Puts the prepared `row` under `label` at point `o` (an update of its label, or a
    /// deleted point taken over), live, its codes re-encoded; the caller relinks it.
    fn replace(&mut self, o: PointOffset, label: u64, row: &[f32]) -> Result<()> {
        // Prepared above, as `append` pushes its rows.
        self.vectors
            .set(o, row)
            .map_err(|e| Error::bad(e.to_string()))?;
        if let Some(codes) = self.codes.as_mut() {
            codes.set(o, row)?;
        }
        if let Some(bounds) = self.bounds.as_mut() {
            bounds.set(o, &self.vectors)?;
        }
        let old = std::mem::replace(&mut self.labels[o as usize], label);
        if old != label {
            self.by_label.remove(&old);
            self.by_label.insert(label, o);
        }
        if self.deleted.remove(o) {
            self.deleted_count -= 1;
        }
        Ok(())
    }

    /// Appends prepared `rows` under new `labels`: the first rows build the graph.
    fn append(&mut self, prepared: Vec<f32>, labels: &[u64], threads: usize) -> Result<()> {
        if labels.is_empty() {
            return Ok(());
        }
        let dim = self.config.dim;
        let start = self.labels.len() as PointOffset;
        if self.vectors.len() == 0 {
            // The first rows become the set as they are: no copy, no growth by doubling.
            self.vectors = DenseVectors::from_prepared(dim, prepared, self.config.distance)
                .map_err(|e| Error::bad(e.to_string()))?;
        } else {
            for row in prepared.chunks_exact(dim) {
                self.vectors
                    .push(row)
                    .map_err(|e| Error::bad(e.to_string()))?;
            }
        }
        for (i, &l) in labels.iter().enumerate() {
            self.by_label.insert(l, start + i as PointOffset);
            self.labels.push(l);
        }
        self.deleted.grow(self.labels.len());
        let pair =
            DensePairScorer::for_source(&self.vectors).map_err(|e| Error::bad(e.to_string()))?;
        match self.graph.as_mut() {
            None => {
                let threads = threads.max(1);
                let (n, hnsw) = (self.vectors.len(), self.config.hnsw);
                self.graph = Some(if self.config.bounds {
                    // Inserts search the int8 codes (the floats still choose the links).
                    let bounds =
                        Bounds::train(&self.vectors, self.config.distance, hnsw.seed, threads)?;
                    let search = |p| bounds.codes.query_scorer(self.vectors.vector(p));
                    let graph = HnswIndex::build_with_search(n, &pair, search, hnsw, threads)?;
                    self.bounds = Some(bounds);
                    graph
                } else {
                    HnswIndex::build(n, &pair, hnsw, threads)?
                });
                if let Some(codec) = self.config.codec {
                    let config = CodecConfig::new(codec);
                    let codes =
                        AnyCodes::train(&self.vectors, self.config.distance, &config, threads)?;
                    self.codes = Some(codes);
                }
            }
            Some(graph) => {
                // On `threads` threads, every node left reachable (one by one, an insert's
                // pruned back links could strand a node).
                let vectors = &self.vectors;
                let search = |p| DenseQueryScorer::for_source(vectors, vectors.vector(p));
                graph.grow_with_search(&[], labels.len(), &pair, search, threads.max(1))?;
                if let Some(codes) = self.codes.as_mut() {
                    for o in start..self.vectors.len() as PointOffset {
                        codes.push(self.vectors.vector(o))?;
                    }
                }
                if let Some(bounds) = self.bounds.as_mut() {
                    bounds.extend(&self.vectors)?;
                }
            }
        }
        Ok(())
    }
}
