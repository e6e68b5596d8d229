//! Fuzz target: a gridstore directory built from arbitrary bytes (meta, tracker, one page),
//! opened strictly, read-only and in repair mode.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sextant_gridstore::fuzzing::open_bytes(data));
