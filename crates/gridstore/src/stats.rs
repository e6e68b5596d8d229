//! Space accounting of a store.

/// Where the bytes of a store go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StorageStats {
    /// Offsets holding a value.
    pub values: u64,
    /// Sum of stored value lengths (after compression).
    pub stored_bytes: u64,
    /// Bytes of the blocks those values occupy (stored bytes rounded up to blocks).
    pub used_block_bytes: u64,
    /// Size of all page files.
    pub page_bytes: u64,
    /// Size of the tracker file.
    pub tracker_bytes: u64,
    /// Free blocks below the highest used block, as a share of the blocks up to it (0..1):
    /// holes left by deletes and updates that new values have not yet filled.
    pub fragmentation: f64,
}

impl StorageStats {
    /// Bytes of all store files.
    pub fn file_bytes(&self) -> u64 {
        self.page_bytes + self.tracker_bytes
    }
}
