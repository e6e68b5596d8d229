//! Entry point for the cargo-fuzz target and its corpus replay test: the segment scanner on
//! arbitrary bytes must never panic, and whatever it accepts must be self-consistent.

use crate::format::{ENTRY_HEADER_LEN, HEADER_LEN};
use crate::scan::scan_segment;

/// Scans `data` as a segment file.
pub fn scan(data: &[u8]) {
    if let Ok(scan) = scan_segment(data) {
        let mut pos = HEADER_LEN;
        for e in &scan.entries {
            assert_eq!(e.offset as usize, pos);
            pos += ENTRY_HEADER_LEN + e.len as usize;
        }
        assert_eq!(pos, scan.end_offset);
        assert!(scan.end_offset <= data.len());
    }
}
