//! Exact top-10 on the bundled `bm25-pypi-10k` (10,000 BM25 documents, 1,000 queries of 2–6
//! terms): recall 1.0 against the dataset's ground truth, ties counted (its scores are f64 sums
//! of the same f32 weights, ours f32 sums), with and without deleting and re-inserting points;
//! and documents as long queries against scoring every document.

use std::path::Path;

use sextant_core::{PointOffset, SparseVector};
use sextant_datasets::{SparseMatrix, VecsFile, recall_at_k_with_ties};
use sextant_sparse_index::{SparseIndex, SparseRequest};

fn row(m: &SparseMatrix, r: usize) -> SparseVector {
    let (i, v) = m.row(r);
    SparseVector::new(i.to_vec(), v.to_vec()).unwrap()
}

#[test]
fn exact_top_10_on_bm25_pypi_10k() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/bm25-pypi-10k");
    let base = SparseMatrix::read(dir.join("base.csr")).unwrap();
    let queries = SparseMatrix::read(dir.join("query.csr")).unwrap();
    let gt = VecsFile::<i32>::open(dir.join("groundtruth.ivecs")).unwrap();
    let gt_scores = VecsFile::<f32>::open(dir.join("groundtruth.scores.fvecs")).unwrap();
    let mut index = SparseIndex::new();
    for r in 0..base.n_rows() {
        index.insert(r as PointOffset, row(&base, r)).unwrap();
    }
    assert_eq!(index.postings(), base.nnz());
    let k = 10;
    let recall = |index: &SparseIndex, map: &dyn Fn(PointOffset) -> PointOffset| -> f64 {
        let mut sum = 0.0;
        for q in 0..queries.n_rows() {
            let mut found = index.search(&row(&queries, q), &SparseRequest::new(k));
            for p in &mut found {
                p.offset = map(p.offset);
            }
            let truth: Vec<PointOffset> = gt.row(q).iter().map(|&i| i as PointOffset).collect();
            sum += recall_at_k_with_ties(&found, &truth, gt_scores.row(q), k, 1e-4);
        }
        sum / queries.n_rows() as f64
    };
    let plain = recall(&index, &|o| o);
    assert_eq!(plain, 1.0, "exact search must find the true top-10");
    // Long queries (documents, ~12 terms: windows walk thousands of postings): the same
    // points and scores as scoring every document.
    let docs: Vec<SparseVector> = (0..base.n_rows()).map(|r| row(&base, r)).collect();
    for q in (0..docs.len()).step_by(50) {
        let query = &docs[q];
        let mut all: Vec<(PointOffset, f32)> = docs
            .iter()
            .enumerate()
            .filter_map(|(o, d)| Some((o as PointOffset, query.dot_if_shared(d)?)))
            .collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        all.truncate(k);
        let found: Vec<(PointOffset, f32)> = index
            .search(query, &SparseRequest::new(k))
            .iter()
            .map(|p| (p.offset, p.score))
            .collect();
        assert_eq!(found, all, "document {q} as the query");
    }
    // Every third document deleted and inserted again at a new offset (an update).
    let n = base.n_rows() as PointOffset;
    for r in (0..n).step_by(3) {
        assert!(index.delete(r));
        index.insert(n + r, row(&base, r as usize)).unwrap();
    }
    let moved = recall(&index, &|o| if o >= n { o - n } else { o });
    assert_eq!(moved, 1.0, "after updates");
}
