//! Fuzz target: Qdrant filter JSON (what every filtered request hands the payload index).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sextant_payload_index::fuzzing::filter_json(data));
