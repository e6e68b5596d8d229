//! Entry point for the fuzz target: arbitrary bytes become a store directory that is opened,
//! verified, read and repaired. Nothing may panic; errors are the expected outcome.

use crate::{Gridstore, GridstoreReader};

/// Splits `data` into meta, tracker and one page file, writes them to a temporary directory
/// and exercises every read path.
pub fn open_bytes(data: &[u8]) {
    let Ok(dir) = tempfile_dir() else { return };
    let (meta, rest) = data.split_at(data.len().min(64));
    let split = rest.len() / 2;
    let (tracker, page) = rest.split_at(split);
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).is_ok();
    if !(write("meta", meta) && write("tracker", tracker) && write("page_000000.dat", page)) {
        return;
    }
    if let Ok(reader) = GridstoreReader::open(&dir) {
        for item in reader.iter().take(10_000) {
            let _ = item;
        }
    }
    if let Ok(store) = Gridstore::open(&dir) {
        let _ = store.verify();
        for item in store.iter().take(10_000) {
            let _ = item;
        }
        store.abandon();
    }
    if let Ok((store, _dropped)) = Gridstore::open_repair(&dir) {
        assert!(
            store.verify().map(|r| r.is_clean()).unwrap_or(true),
            "repair left a bad value"
        );
        store.abandon();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "sextant-gridstore-fuzz-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
