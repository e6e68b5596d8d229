//! Fuzz target: Qdrant's REST query body (the universal query, by groups too: prefetch trees,
//! formulas, filters) parsed and run on a small optimized shard.
#![no_main]

use std::sync::OnceLock;

fn shard() -> &'static sextant_shard::Shard {
    static SHARD: OnceLock<sextant_shard::Shard> = OnceLock::new();
    SHARD.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("sextant-fuzz-query-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        sextant_shard::fuzzing::query_shard(&dir).expect("the fuzzed shard is created")
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| sextant_shard::fuzzing::query_json(shard(), data));
