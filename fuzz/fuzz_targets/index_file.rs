//! Fuzz target: the labeled index file reader on arbitrary bytes (resealed with a valid CRC).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sextant_index::fuzzing::index_file(data));
