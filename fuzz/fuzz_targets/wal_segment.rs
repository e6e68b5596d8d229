//! Fuzz target: the WAL segment scanner (what recovery runs on every segment) on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sextant_wal::fuzzing::scan(data));
