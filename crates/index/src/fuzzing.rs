//! Entry point of the fuzz target `index_file` and its corpus replay test: arbitrary bytes,
//! resealed with a valid checksum so the structure checks are what is exercised, read as an
//! index file (refused with an error, or read, written again and read again to the same
//! bytes), never a panic.

/// `data` with its last 4 bytes replaced by the checksum of the rest.
fn resealed(data: &[u8]) -> Vec<u8> {
    let mut b = data[..data.len().saturating_sub(4)].to_vec();
    sextant_mmap_advice::header::seal(&mut b);
    b
}

/// The fuzz target's body.
pub fn index_file(data: &[u8]) {
    let bytes = resealed(data);
    if let Ok(index) = crate::LabeledIndex::from_bytes(&bytes) {
        let again = index.to_bytes();
        let back = crate::LabeledIndex::from_bytes(&again).expect("a written file reads");
        assert_eq!(
            back.to_bytes(),
            again,
            "written, read, written: the same bytes"
        );
    }
}
