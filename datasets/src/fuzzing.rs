//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the corpus replay test: each
//! feeds arbitrary bytes to a reader and checks that a successful parse is self-consistent.
//! A panic anywhere is a bug (readers must return errors on bad input).

use crate::{SparseMatrix, VecsElement, VecsFile, parse_npy};
use std::path::Path;

fn vecs_of<T: VecsElement>(data: &[u8]) {
    if let Ok(file) = VecsFile::<T>::from_vec(data.to_vec(), "fuzz") {
        let row_bytes = 4 + file.dim() * size_of::<T>();
        assert_eq!(file.len() * row_bytes, data.len());
        assert!(file.rows().all(|r| r.len() == file.dim()));
    }
}

/// The texmex readers (fvecs, ivecs, bvecs) on arbitrary bytes.
pub fn vecs(data: &[u8]) {
    vecs_of::<f32>(data);
    vecs_of::<i32>(data);
    vecs_of::<u8>(data);
}

/// The CSR reader on arbitrary bytes.
pub fn csr(data: &[u8]) {
    if let Ok(m) = SparseMatrix::parse(data, Path::new("fuzz")) {
        let mut total = 0;
        for r in 0..m.n_rows() {
            let (cols, vals) = m.row(r);
            assert_eq!(cols.len(), vals.len());
            assert!(cols.iter().all(|&c| (c as usize) < m.n_cols));
            total += cols.len();
        }
        assert_eq!(total, m.nnz());
    }
}

/// The npy reader on arbitrary bytes.
pub fn npy(data: &[u8]) {
    let _ = parse_npy(data, Path::new("fuzz"));
}
