//! The shard bench's last phase: a few more points after the first optimize, then an
//! optimize that grows the graph instead of building it again (what a collection taking a
//! steady trickle of writes pays), timed against the first one, and the recall after it.

use std::time::Instant;

use serde_json::{Value, json};
use sextant_payload_index::Filter;
use sextant_shard::{QueryRequest, Shard, UpdateOp};

use super::{Data, ShardArgs, dense_req, point, recall, timed};
use crate::report::{Report, Table};

/// Adds `args.grow` × n new points (each the sum of two neighbouring base rows, so new
/// vectors from the same distribution, with the first row's payload and sparse vector), then
/// times the optimize and measures recall at the sweep's middle ef, unfiltered and under
/// each filter.
pub(super) fn run(
    args: &ShardArgs,
    shard: &Shard,
    data: &Data<'_>,
    full_optimize_s: f64,
    (filters, parsed): (&[Value], &[Filter]),
    (table, results): (&mut Table, &mut Table),
    report: &mut Report,
) -> Result<(), String> {
    let n = data.n;
    let added = ((n as f64 * args.grow).round() as usize).min(n.saturating_sub(1));
    if added == 0 {
        return Ok(());
    }
    for start in (0..added).step_by(args.batch.max(1)) {
        let points = (start..(start + args.batch).min(added))
            .map(|i| {
                let (a, b) = (data.base.row(i), data.base.row(i + 1));
                let v: Vec<f32> = a.iter().zip(b).map(|(x, y)| x + y).collect();
                point(data, (n + i) as u64, i, v)
            })
            .collect();
        shard
            .update(UpdateOp::upsert(points))
            .map_err(|e| e.to_string())?;
    }
    let t = Instant::now();
    shard.optimize().map_err(|e| e.to_string())?;
    let s = t.elapsed().as_secs_f64();
    let grown = shard.info().graphs_grown > 0;
    table.row(vec![
        format!("optimize after +{added} points"),
        format!("{s:.2} s"),
        format!(
            "{:.3}x the first optimize; graph {}",
            s / full_optimize_s,
            if grown { "grown" } else { "built anew" }
        ),
    ]);
    report.push(json!({"kind": "optimize_grown", "added": added, "s": s, "ratio_to_first": s / full_optimize_s, "grown": grown}));
    let ef = args.ef[args.ef.len() / 2];
    let unfiltered = std::iter::once((None, None));
    let filtered = filters.iter().zip(parsed).map(|(f, p)| (Some(f), Some(p)));
    for (raw, filter) in unfiltered.chain(filtered) {
        let exact: Vec<QueryRequest> = data
            .queries
            .iter()
            .map(|v| {
                let mut r = dense_req(args, v, 0, filter);
                r.params.exact = true;
                r
            })
            .collect();
        let (_, truth) = timed(shard, &exact, 1)?;
        let reqs: Vec<QueryRequest> = data
            .queries
            .iter()
            .map(|v| dense_req(args, v, ef, filter))
            .collect();
        let (st, found) = timed(shard, &reqs, args.repeats)?;
        let r = recall(&found, &truth, args.k);
        let label = match filter {
            None => format!("dense after +{added}"),
            Some(f) => {
                let share = 100.0 * shard.count(Some(f)) as f64 / shard.info().points as f64;
                format!("dense after +{added}, filter passing {share:.2}%")
            }
        };
        results.row(vec![
            label,
            ef.to_string(),
            format!("{r:.3}"),
            format!("{:.0}", st.qps),
            format!("{:.0}", st.p50_us),
            format!("{:.0}", st.p99_us),
        ]);
        report.push(json!({"kind": "query", "query": "dense_after_growth", "filter": raw, "ef": ef, "recall": r, "qps": st.qps, "p50_us": st.p50_us, "p99_us": st.p99_us}));
    }
    Ok(())
}
