//! Entry point for the fuzz target: arbitrary bytes become a store directory that is opened,
//! verified, read and repaired. Nothing may panic; errors are the expected outcome.

/// Packs store files into one fuzz input (the inverse of [`open_bytes`]'s split).
pub fn pack(meta: &[u8], tracker: &[u8], page: &[u8]) -> Vec<u8> {
    let mut out = meta.to_vec();
    out.extend_from_slice(&(tracker.len() as u32).to_le_bytes());
    out.extend_from_slice(tracker);
    out.extend_from_slice(page);
    out
}

use crate::{Gridstore, GridstoreReader};

/// Input layout: 64 bytes of meta, a u32 LE tracker length, the tracker, then one page file.
/// They are written to a temporary directory and every read path is exercised.
pub fn open_bytes(data: &[u8]) {
    let (meta, rest) = data.split_at(data.len().min(64));
    // Geometry claiming huge pages would make the open extend a page file to that size.
    match crate::meta::decode(std::path::Path::new("fuzz"), meta) {
        Ok(config) if config.page_size > 1 << 20 => return,
        _ => {}
    }
    let (len, rest) = rest.split_at(rest.len().min(4));
    let tracker_len = len
        .try_into()
        .map_or(0, |b| u32::from_le_bytes(b) as usize)
        .min(rest.len());
    let (tracker, page) = rest.split_at(tracker_len);
    let Ok(dir) = tempfile_dir() else { return };
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
