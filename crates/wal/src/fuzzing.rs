//! Entry point for the cargo-fuzz target and its corpus replay test: the segment scanner on
//! arbitrary bytes must never panic, and whatever it accepts must be self-consistent.

use crate::format::HEADER_LEN;
use crate::scan::{End, scan_segment};

/// Scans `data` as a segment file.
pub fn scan(data: &[u8]) {
    if let Ok(scan) = scan_segment(data) {
        let mut pos = HEADER_LEN;
        for e in &scan.entries {
            assert_eq!(e.offset as usize, pos);
            pos += scan.layout.entry_header_len() + e.len as usize;
        }
        assert_eq!(pos, scan.end_offset);
        assert!(scan.end_offset <= data.len());
        if let End::Torn {
            dropped_entries, ..
        } = scan.end
        {
            assert!(dropped_entries >= 1);
        }
    }
}
