//! `sextant-bench shard-crash`: kill a shard's writer process with SIGKILL at random moments;
//! after each kill the shard must reopen holding every acknowledged operation, nothing of an
//! unacknowledged one but all or nothing, and indexes that agree with the stored points.
//!
//! The child (`shard-crash-child`, hidden) runs operation `i`, a pure function of (seed, i) of
//! every update kind (upserts, deletes by id and by filter, the four payload operations, vector
//! updates and deletes, field indexes created and dropped), printing `ack i` or `refused i`
//! once `update` returned; it flushes every 37 operations and optimizes every 101 (both may be
//! cut by the kill). The parent replays the same operations on a model (a map of points) and,
//! after each kill, compares every point, the counts under filters and the graph's answers
//! with the exact scan.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use serde_json::{Map, Value, json};
use sextant_core::{Distance, PointId};
use sextant_payload_index::path::JsonPath;
use sextant_payload_index::{FieldType, Filter};
use sextant_shard::{
    Point, PointVectors, QueryRequest, Shard, ShardConfig, UpdateOp, VectorParams,
};

use crate::scratch::{scratch_dir, splitmix};

/// Crash test of the shard: SIGKILL a writer at random moments, then check the reopened shard.
#[derive(Debug, Args)]
pub struct ShardCrashArgs {
    /// Number of kill-and-reopen rounds.
    #[arg(long, default_value_t = 500)]
    kills: usize,
    /// Directory for the shard (default: a fresh temp directory).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Seed of the operations and the kill timing.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Longest time a writer runs before it is killed, in milliseconds.
    #[arg(long, default_value_t = 150)]
    max_run_ms: u64,
}

/// The writer process (internal; started by `shard-crash`).
#[derive(Debug, Args)]
pub struct ShardCrashChildArgs {
    #[arg(long)]
    dir: PathBuf,
    #[arg(long)]
    seed: u64,
    /// The first operation to run.
    #[arg(long)]
    from: u64,
}

/// Point ids are drawn from `0..IDS` (so operations meet existing points often).
const IDS: u64 = 200;
/// The dense vector's dimension.
const DIM: usize = 8;

fn config() -> ShardConfig {
    let params = VectorParams::new(DIM, Distance::Cosine)
        .with_quantization("sq8d".parse().expect("a codec"));
    let mut c = ShardConfig::new([("v".to_string(), params)]);
    c.durability = sextant_wal::Durability::SyncEach;
    c.optimizer.indexing_threshold = 20;
    c.optimizer.full_scan_threshold = 10;
    c.optimizer.threads = 1;
    c
}

/// The vector of (seed, i, j), as given (not normalized).
fn vector(h: u64) -> Vec<f32> {
    (0..DIM)
        .map(|d| (splitmix(h ^ d as u64) % 2001) as f32 / 1000.0 - 1.0 + 0.001)
        .collect()
}

fn g_is(k: u64) -> Value {
    json!({"must": [{"key": "g", "match": {"value": k}}]})
}

/// Operation `i` of the run seeded `seed`.
fn op(seed: u64, i: u64) -> UpdateOp {
    let h = splitmix(seed ^ splitmix(i));
    let id = |j: u64| PointId::from(splitmix(h ^ j) % IDS);
    let obj = |v: Value| v.as_object().cloned().unwrap_or_default();
    match h % 16 {
        0..=5 => UpdateOp::upsert(
            (0..1 + h % 3)
                .map(|j| {
                    Point::new(id(j), "v", vector(h ^ (j << 8))).with_payload(
                        json!({"g": splitmix(h + j) % 4, "h": splitmix(h + j + 7) % 16, "i": i}),
                    )
                })
                .collect(),
        ),
        6 => UpdateOp::Delete { ids: vec![id(1)] },
        // A sixteenth of the points at most: the shard keeps about 90 points.
        7 => UpdateOp::DeleteByFilter {
            filter: json!({"must": [{"key": "h", "match": {"value": h >> 8 & 15}}]}),
        },
        8 if h >> 8 & 1 == 0 => UpdateOp::set_payload(vec![id(2)], obj(json!({"s": i}))),
        // At a nested key, on the points of one `g`.
        8 => UpdateOp::SetPayload {
            ids: Vec::new(),
            filter: Some(g_is(h >> 9 & 3)),
            payload: obj(json!({"t": i})),
            key: Some("n.m".into()),
        },
        9 => UpdateOp::overwrite_payload(vec![id(3)], obj(json!({"g": h >> 8 & 3}))),
        10 => UpdateOp::delete_payload(vec![id(4)], vec!["s".into()]),
        11 if h >> 8 & 7 != 0 => UpdateOp::clear_payload(vec![id(5)]),
        // The points of one `h` (a sixteenth of them).
        11 => UpdateOp::ClearPayload {
            ids: Vec::new(),
            filter: Some(json!({"must": [{"key": "h", "match": {"value": h >> 12 & 15}}]})),
        },
        12 => UpdateOp::UpdateVectors {
            points: vec![PointVectors {
                id: id(6),
                vectors: BTreeMap::from([("v".to_string(), vector(h ^ 99).into())]),
            }],
            update_filter: None,
        },
        13 => UpdateOp::delete_vectors(vec![id(7)], vec!["v".into()]),
        14 => UpdateOp::CreateFieldIndex {
            key: "g".into(),
            schema: FieldType::Integer,
        },
        _ => UpdateOp::DeleteFieldIndex { key: "g".into() },
    }
}

pub fn child(args: ShardCrashChildArgs) -> Result<(), String> {
    let shard = match Shard::open(&args.dir) {
        Ok(s) => s,
        Err(sextant_shard::Error::Missing { .. }) => {
            Shard::create(&args.dir, config()).map_err(|e| e.to_string())?
        }
        Err(e) => return Err(e.to_string()),
    };
    let mut out = std::io::stdout().lock();
    for i in args.from.. {
        let word = match shard.update(op(args.seed, i)) {
            Ok(_) => "ack",
            Err(_) => "refused",
        };
        writeln!(out, "{word} {i}")
            .and_then(|_| out.flush())
            .map_err(|e| e.to_string())?;
        if i % 37 == 36 {
            shard.flush().map_err(|e| e.to_string())?;
        }
        if i % 101 == 100 {
            shard.optimize().map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// The model: id → (prepared vector, payload).
type Model = BTreeMap<u64, (Option<Vec<f32>>, Map<String, Value>)>;

fn prepared(v: &[f32]) -> Vec<f32> {
    let mut v = v.to_vec();
    Distance::Cosine
        .prepare(&mut v, DIM)
        .expect("finite, non-zero");
    v
}

fn num(id: &PointId) -> u64 {
    match id {
        PointId::Num(n) => *n,
        PointId::Uuid(_) => unreachable!("numeric ids only"),
    }
}

/// Applies `op` to `model` as the shard does; false when the shard refuses it.
fn apply(model: &mut Model, op: &UpdateOp) -> bool {
    let known = |ids: &[PointId], m: &Model| ids.iter().all(|i| m.contains_key(&num(i)));
    match op {
        UpdateOp::Upsert { points, .. } => {
            for p in points {
                let v = p.vectors.get("v").and_then(|v| match v {
                    sextant_shard::Vector::Dense(v) => Some(prepared(v)),
                    _ => None,
                });
                model.insert(num(&p.id), (v, p.payload.clone()));
            }
        }
        UpdateOp::Delete { ids } => ids.iter().for_each(|i| {
            model.remove(&num(i));
        }),
        UpdateOp::DeleteByFilter { filter } => {
            let k = &filter["must"][0]["match"]["value"];
            model.retain(|_, (_, p)| p.get("h") != Some(k));
        }
        UpdateOp::SetPayload {
            filter: Some(f),
            payload,
            key: Some(key),
            ..
        } => {
            let g = &f["must"][0]["match"]["value"];
            let path: JsonPath = key.parse().expect("a valid key");
            for (_, p) in model.values_mut().filter(|(_, p)| p.get("g") == Some(g)) {
                path.set(p, payload);
            }
        }
        UpdateOp::SetPayload { ids, payload, .. } if known(ids, model) => {
            for i in ids {
                let p = &mut model.get_mut(&num(i)).expect("known").1;
                p.extend(payload.clone());
            }
        }
        UpdateOp::OverwritePayload { ids, payload, .. } if known(ids, model) => {
            for i in ids {
                model.get_mut(&num(i)).expect("known").1 = payload.clone();
            }
        }
        UpdateOp::DeletePayload { ids, keys, .. } if known(ids, model) => {
            for i in ids {
                let p = &mut model.get_mut(&num(i)).expect("known").1;
                keys.iter().for_each(|k| {
                    p.remove(k);
                });
            }
        }
        UpdateOp::ClearPayload {
            filter: Some(f), ..
        } => {
            let h = &f["must"][0]["match"]["value"];
            for (_, p) in model.values_mut().filter(|(_, p)| p.get("h") == Some(h)) {
                p.clear();
            }
        }
        UpdateOp::ClearPayload { ids, .. } if known(ids, model) => {
            for i in ids {
                model.get_mut(&num(i)).expect("known").1.clear();
            }
        }
        UpdateOp::UpdateVectors { points, .. }
            if points.iter().all(|p| model.contains_key(&num(&p.id))) =>
        {
            for p in points {
                if let Some(sextant_shard::Vector::Dense(v)) = p.vectors.get("v") {
                    model.get_mut(&num(&p.id)).expect("known").0 = Some(prepared(v));
                }
            }
        }
        UpdateOp::DeleteVectors { ids, .. } if known(ids, model) => {
            for i in ids {
                model.get_mut(&num(i)).expect("known").0 = None;
            }
        }
        UpdateOp::CreateFieldIndex { .. } | UpdateOp::DeleteFieldIndex { .. } => {}
        _ => return false,
    }
    true
}

/// What differs between the shard and `model` (empty: nothing).
fn differences(shard: &Shard, model: &Model) -> Vec<String> {
    let all: Vec<PointId> = (0..IDS).map(PointId::from).collect();
    let got: BTreeMap<u64, _> = shard
        .retrieve(&all, true, true)
        .into_iter()
        .map(|r| (num(&r.id), r))
        .collect();
    let mut out = Vec::new();
    for id in got.keys().filter(|i| !model.contains_key(i)) {
        out.push(format!("point {id} is there, the model has none"));
    }
    for (id, (v, p)) in model {
        let Some(r) = got.get(id) else {
            out.push(format!("point {id} is missing"));
            continue;
        };
        if r.payload.as_ref() != Some(&Value::Object(p.clone())) {
            out.push(format!("point {id}: payload {:?}, model {p:?}", r.payload));
        }
        let vector = r.vectors.as_ref().and_then(|m| m.get("v"));
        let want = v.clone().map(sextant_shard::Vector::Dense);
        if vector != want.as_ref() {
            out.push(format!("point {id}: vector differs"));
        }
    }
    out
}

/// What differs between the indexes and the stored points: counts under filters against the
/// model, the graph's answers against the exact scan.
fn index_differences(shard: &Shard, model: &Model, seed: u64) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for k in 0..4u64 {
        let f = Filter::from_value(&g_is(k)).map_err(|e| e.to_string())?;
        let want = model
            .values()
            .filter(|(_, p)| p.get("g") == Some(&json!(k)))
            .count();
        let got = shard.count(Some(&f));
        if got != want {
            out.push(format!("count g = {k}: {got}, model {want}"));
        }
    }
    for q in 0..3u64 {
        let mut req = QueryRequest::new("v", vector(splitmix(seed ^ 0xC0FFEE ^ q)), 10);
        req.params.quantization.oversampling = 4.0;
        let graph = shard.query(&req).map_err(|e| e.to_string())?;
        req.params.exact = true;
        let scan = shard.query(&req).map_err(|e| e.to_string())?;
        let ids = |r: &[sextant_shard::Record]| r.iter().map(|r| r.id).collect::<Vec<_>>();
        if ids(&graph) != ids(&scan) {
            out.push(format!(
                "query {q}: graph {:?}, scan {:?}",
                ids(&graph),
                ids(&scan)
            ));
        }
    }
    Ok(out)
}

/// The run's tally.
#[derive(Default)]
struct Tally {
    acknowledged: u64,
    lost: u64,
    inconsistent: u64,
}

/// Checks the shard at `dir` after a kill: the model through the last acknowledged operation,
/// or through the one after it (logged before the kill, not yet acknowledged). Returns the
/// next operation to run.
fn verify(
    dir: &Path,
    seed: u64,
    model: &mut Model,
    next: u64,
    tally: &mut Tally,
) -> Result<u64, String> {
    let shard = Shard::open(dir).map_err(|e| format!("reopen after kill: {e}"))?;
    let mut ahead = model.clone();
    let pending = op(seed, next);
    let applied = apply(&mut ahead, &pending);
    let now = differences(&shard, model);
    let next = if now.is_empty() {
        next
    } else if applied && differences(&shard, &ahead).is_empty() {
        *model = ahead;
        next + 1
    } else {
        // Acknowledged operations missing count as lost, anything else as inconsistent.
        let missing = now.iter().filter(|d| d.contains("missing")).count() as u64;
        tally.lost += missing;
        tally.inconsistent += now.len() as u64 - missing;
        for d in now.iter().take(5) {
            eprintln!("shard-crash: {d}");
        }
        return Err("the reopened shard differs from every consistent state".into());
    };
    let idx = index_differences(&shard, model, seed)?;
    tally.inconsistent += idx.len() as u64;
    for d in idx.iter().take(5) {
        eprintln!("shard-crash: {d}");
    }
    Ok(next)
}

pub fn run(args: ShardCrashArgs) -> Result<(), String> {
    let scratch = scratch_dir(&args.dir)?;
    let dir = scratch.path().join("shard");
    let mut tally = Tally::default();
    let mut model = Model::new();
    let mut next = 0u64;
    let pb = crate::progress::bar(args.kills as u64, "kills");
    let mut failed = None;
    for round in 0..args.kills {
        let wait = 1 + splitmix(args.seed ^ round as u64 ^ 0x5EED) % args.max_run_ms.max(1);
        let (seed, from) = (args.seed.to_string(), next.to_string());
        let child_args: [&std::ffi::OsStr; 7] = [
            "shard-crash-child".as_ref(),
            "--dir".as_ref(),
            dir.as_os_str(),
            "--seed".as_ref(),
            seed.as_ref(),
            "--from".as_ref(),
            from.as_ref(),
        ];
        // Every line the child printed, in order: (operation, acknowledged).
        let lines = crate::kill_child::run_then_kill(
            &child_args,
            Duration::from_millis(wait),
            Vec::new(),
            |mut v, line| {
                let mut w = line.split(' ');
                if let (Some(word), Some(Ok(i))) = (w.next(), w.next().map(str::parse::<u64>)) {
                    v.push((i, word == "ack"));
                }
                v
            },
        )?;
        for (i, acked) in lines {
            if i != next {
                return Err(format!("the child reported operation {i}, expected {next}"));
            }
            let valid = apply(&mut model, &op(args.seed, i));
            if valid != acked {
                return Err(format!(
                    "operation {i}: the child says {acked}, the model {valid}"
                ));
            }
            tally.acknowledged += u64::from(acked);
            next += 1;
        }
        match verify(&dir, args.seed, &mut model, next, &mut tally) {
            Ok(n) => next = n,
            Err(e) => {
                failed = Some(format!("round {round}: {e}"));
                break;
            }
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    if let Some(e) = &failed {
        eprintln!("shard-crash: {e}");
    }
    println!(
        "({next} operations decided, {} points at the end)",
        model.len()
    );
    println!(
        "shard-crash: kills={} acknowledged={} lost={} inconsistent={}",
        args.kills, tally.acknowledged, tally.lost, tally.inconsistent
    );
    if tally.lost > 0 || tally.inconsistent > 0 || failed.is_some() {
        std::process::exit(1);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_and_the_checks_follow_the_shard() {
        let dir = tempfile::tempdir().unwrap();
        let shard = Shard::create(dir.path(), config()).unwrap();
        let mut model = Model::new();
        for i in 0..400 {
            let o = op(7, i);
            assert_eq!(
                shard.update(o.clone()).is_ok(),
                apply(&mut model, &o),
                "op {i}"
            );
            if i == 200 {
                shard.optimize().unwrap();
            }
        }
        assert!(differences(&shard, &model).is_empty());
        assert!(index_differences(&shard, &model, 7).unwrap().is_empty());
        // A point the model has and the shard lost is reported missing.
        let id = *model.keys().next().unwrap();
        shard
            .update(UpdateOp::Delete {
                ids: vec![PointId::from(id)],
            })
            .unwrap();
        let found = differences(&shard, &model);
        assert_eq!(found, vec![format!("point {id} is missing")]);
    }
}
