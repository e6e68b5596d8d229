//! Fuzz target: the shard's snapshot reader on arbitrary bytes (resealed with a valid CRC).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sextant_shard::fuzzing::snapshot_file(data));
