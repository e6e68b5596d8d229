//! Entry points for the fuzz targets `shard_points_file`, `shard_base_file`,
//! `shard_index_file` and `shard_snapshot_file` and their
//! corpus replay tests: arbitrary bytes, resealed with a valid checksum so the structure checks
//! are what is exercised, read as a points file of [`config`] (refused with an error, or read,
//! written again and read again to the same bytes) or as its `indexes.bin` (refused or
//! accepted), never a panic.

use std::collections::BTreeMap;

use sextant_core::Distance;

use crate::config::{ShardConfig, SparseVectorParams, VectorParams};

/// The config the fuzzed files are read with: a 2-dim cosine vector `a`, a sparse vector `s`;
/// `optimize` indexes every vector, on one thread (the same graph every run), and links the
/// points of every indexed payload value at least two points hold.
pub fn config() -> ShardConfig {
    let mut c = ShardConfig::new([("a".to_string(), VectorParams::new(2, Distance::Cosine))]);
    c.sparse_vectors = BTreeMap::from([("s".to_string(), SparseVectorParams::default())]);
    c.optimizer.indexing_threshold = 1;
    c.optimizer.full_scan_threshold = 2;
    c.optimizer.threads = 1;
    c
}

/// A points file of [`config`] read and written again in the current version.
pub fn rewrite_points_file(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let (state, covers) = crate::checkpoint::read(bytes, &config())?;
    Ok(crate::checkpoint::write(&state, covers))
}

/// Reads `data` (its checksum recomputed) as a base file of [`config`]'s vectors.
pub fn base_file(data: &[u8]) {
    let mut bytes = data.to_vec();
    sextant_mmap_advice::header::seal(&mut bytes);
    let _ = crate::base::check(&bytes);
}

/// Reads `data` (its checksum recomputed) as a snapshot file.
pub fn snapshot_file(data: &[u8]) {
    let mut bytes = data.to_vec();
    sextant_mmap_advice::header::seal(&mut bytes);
    let _ = crate::snapshot::parse(&bytes);
}

/// Reads `data` (its checksum recomputed) as the `indexes.bin` of a shard of [`config`].
pub fn index_file(data: &[u8]) {
    let mut bytes = data.to_vec();
    sextant_mmap_advice::header::seal(&mut bytes);
    let _ = crate::index_files::check(&bytes, 1, 1);
}

/// Reads `data` (its checksum recomputed) as a points file and checks the round trip.
pub fn points_file(data: &[u8]) {
    let mut bytes = data.to_vec();
    sextant_mmap_advice::header::seal(&mut bytes);
    let config = config();
    if let Ok((state, covers)) = crate::checkpoint::read(&bytes, &config) {
        let once = crate::checkpoint::write(&state, covers);
        let (again, covers_again) =
            crate::checkpoint::read(&once, &config).expect("a written file reads back");
        assert_eq!(covers_again, covers);
        assert_eq!(
            crate::checkpoint::write(&again, covers),
            once,
            "write ∘ read is stable"
        );
    }
}
