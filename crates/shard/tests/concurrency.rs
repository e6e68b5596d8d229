//! Readers during writes: every operation is seen whole or not at all, and a reader never
//! blocks forever behind a writer.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;
use sextant_core::{Distance, PointId};
use sextant_shard::{Point, QueryRequest, Shard, ShardConfig, UpdateOp, VectorParams};

#[test]
fn readers_see_whole_operations() {
    let dir = tempfile::tempdir().unwrap();
    let config = ShardConfig::new([("v".to_string(), VectorParams::new(2, Distance::Dot))]);
    let shard = Arc::new(Shard::create(dir.path(), config).unwrap());
    let done = Arc::new(AtomicBool::new(false));
    // Each upsert writes a pair of points (2i, 2i + 1) with payload {"round": i}; a later
    // upsert moves both to the next round. A reader must always see pairs in one round.
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (shard, done) = (Arc::clone(&shard), Arc::clone(&done));
            std::thread::spawn(move || {
                let mut checks = 0;
                while !done.load(Ordering::Acquire) {
                    let got = shard.retrieve(&[0u64.into(), 1u64.into()], true, false);
                    if got.len() == 2 {
                        assert_eq!(got[0].payload, got[1].payload, "half an upsert seen");
                    } else {
                        assert!(got.is_empty(), "half an upsert seen: {got:?}");
                    }
                    let count = shard.count(None);
                    assert_eq!(count % 2, 0, "half an upsert counted");
                    let hits = shard
                        .query(&QueryRequest::new("v", vec![1.0, 0.0], 10))
                        .unwrap();
                    assert_eq!(hits.len() % 2, 0);
                    checks += 1;
                }
                checks
            })
        })
        .collect();
    for round in 0..300u64 {
        let pair = |id: u64| {
            Point::new(id, "v", vec![round as f32, 1.0]).with_payload(json!({"round": round}))
        };
        let op = if round % 10 == 9 {
            UpdateOp::Delete {
                ids: vec![PointId::from(0u64), PointId::from(1u64)],
            }
        } else {
            UpdateOp::upsert(vec![pair(0), pair(1)])
        };
        shard.update(op).unwrap();
        if round % 50 == 0 {
            shard.flush().unwrap();
        }
    }
    done.store(true, Ordering::Release);
    let checks: usize = readers.into_iter().map(|r| r.join().unwrap()).sum();
    assert!(checks > 0);
}
