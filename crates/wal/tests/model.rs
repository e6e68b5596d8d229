//! Model-based property test: random appends, batches, rollbacks, acks, syncs and reopens
//! against a `Vec` model; contents and indexes always agree.

use proptest::prelude::*;
use sextant_wal::{Durability, Wal, WalConfig};

#[derive(Debug, Clone)]
enum Op {
    Append(Vec<u8>),
    Batch(Vec<Vec<u8>>),
    /// Truncate at this fraction of the held range.
    Truncate(f64),
    /// Ack up to this fraction of the held range.
    Ack(f64),
    Sync,
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    let body = prop::collection::vec(any::<u8>(), 0..700);
    prop_oneof![
        6 => body.clone().prop_map(Op::Append),
        3 => prop::collection::vec(body, 0..6).prop_map(Op::Batch),
        1 => (0.0..1.0f64).prop_map(Op::Truncate),
        1 => (0.0..1.0f64).prop_map(Op::Ack),
        1 => Just(Op::Sync),
        2 => Just(Op::Reopen),
    ]
}

fn options(durability: Durability) -> WalConfig {
    // Small segments so that rollover, sealing and prefix truncation happen constantly.
    WalConfig {
        segment_size: 4096,
        durability,
        ..WalConfig::default()
    }
}

fn check(wal: &Wal, model: &[Vec<u8>], acked: u64) -> Result<(), TestCaseError> {
    prop_assert_eq!(wal.next_index(), model.len() as u64);
    let first = wal.first_index();
    prop_assert!(
        first <= acked,
        "dropped {first} > acked {acked}: data still needed was lost"
    );
    prop_assert!(first <= model.len() as u64);
    let got: Vec<(u64, Vec<u8>)> = wal
        .iter_from(first)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    prop_assert_eq!(got.len() as u64, model.len() as u64 - first);
    for (i, body) in &got {
        prop_assert_eq!(body, &model[*i as usize]);
    }
    if let Some(last) = wal.last_index() {
        prop_assert_eq!(wal.entry(last).unwrap(), model[last as usize].clone());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn behaves_like_a_vec(ops in prop::collection::vec(op(), 1..60), group in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let durability = if group { Durability::GroupCommit } else { Durability::SyncEach };
        let mut wal = Wal::open(dir.path(), options(durability)).unwrap();
        let mut model: Vec<Vec<u8>> = Vec::new();
        // Everything below `acked` may be dropped by the WAL; above it must stay.
        let mut acked = 0u64;
        for op in ops {
            match op {
                Op::Append(b) => {
                    prop_assert_eq!(wal.append(&b).unwrap(), model.len() as u64);
                    model.push(b);
                }
                Op::Batch(bs) => {
                    let refs: Vec<&[u8]> = bs.iter().map(|b| b.as_slice()).collect();
                    let r = wal.append_batch(&refs).unwrap();
                    prop_assert_eq!(r, model.len() as u64..(model.len() + bs.len()) as u64);
                    model.extend(bs);
                }
                Op::Truncate(f) => {
                    let first = wal.first_index();
                    let from = first + ((model.len() as u64 - first) as f64 * f) as u64;
                    wal.truncate(from).unwrap();
                    model.truncate(from as usize);
                    acked = acked.min(from);
                }
                Op::Ack(f) => {
                    let up_to = (model.len() as f64 * f) as u64;
                    acked = acked.max(up_to + 1);
                    let first = wal.ack(up_to).unwrap();
                    prop_assert!(first <= acked);
                }
                Op::Sync => wal.sync().unwrap(),
                Op::Reopen => {
                    drop(wal);
                    wal = Wal::open(dir.path(), options(durability)).unwrap();
                    prop_assert_eq!(wal.recovery_report().dropped.clone(), None);
                }
            }
            check(&wal, &model, acked)?;
        }
    }
}
