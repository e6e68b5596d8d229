//! Fuzz target: the codec file readers (scalar int8, RaBitQ, TurboQuant, product) on
//! arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sextant_quantization::fuzzing::load(data));
