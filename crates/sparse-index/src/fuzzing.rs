//! Entry point for the fuzz target `sparse_index_file` and its corpus replay test: arbitrary
//! bytes, resealed with a valid checksum so the structure checks are what is exercised, opened
//! as a saved index: refused with an error, or opened, searched on every path, changed, saved
//! (each weight type) and opened again with the same answers, never a panic.

use sextant_core::{BitSet, SparseVector};

use crate::{SparseIndex, SparseRequest, WeightType};

/// Opens `data` (its checksum recomputed) as a sparse index file and exercises it.
pub fn index_file(data: &[u8]) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "sextant-fuzz-sparse-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let path = dir.join("sparse.idx");
    let mut bytes = data.to_vec();
    sextant_mmap_advice::header::seal(&mut bytes);
    if std::fs::write(&path, &bytes).is_ok()
        && let Ok(mut index) = SparseIndex::open_mapped(&path)
    {
        let terms: Vec<u32> = index.terms.keys().copied().take(8).collect();
        let query =
            SparseVector::from_unsorted(terms.clone(), vec![1.0; terms.len()]).unwrap_or_default();
        let mut half = BitSet::new(index.end());
        (0..index.end() as u32).step_by(2).for_each(|o| {
            half.insert(o);
        });
        let answers = |index: &SparseIndex| {
            let base = SparseRequest::new(5).idf(true);
            let all = index.search(&query, &base);
            let windows = index.search(&query, &base.filter(&half));
            let direct = index.search(&query, &base.filter(&half).passing(0));
            assert_eq!(windows, direct, "both filtered paths agree");
            all
        };
        let before = answers(&index);
        // Whatever the weight type, the answers are the exact ones.
        for ty in [WeightType::F32, WeightType::F16, WeightType::U8] {
            let again = dir.join("again.idx");
            index.save(&again, ty).expect("an opened index saves");
            let reopened = SparseIndex::open_mapped(&again).expect("what was saved opens");
            assert_eq!(
                answers(&reopened),
                before,
                "the same answers after a round trip ({ty:?})"
            );
        }
        index.delete(0);
        let next = index.end() as u32;
        if let Ok(v) = SparseVector::new(terms, vec![0.5; query.len()]) {
            let _ = index.insert(next, v);
        }
        let _ = answers(&index);
        let _ = index.to_bytes(WeightType::U8);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
