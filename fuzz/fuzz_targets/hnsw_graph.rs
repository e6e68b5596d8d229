//! Fuzz target: the HNSW graph file loader on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sextant_hnsw::fuzzing::load(data));
