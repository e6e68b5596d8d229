//! Fuzz target: the csr reader of sextant-datasets on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sextant_datasets::fuzzing::csr(data));
