//! `sextant-bench filtered`: filtered search at several selectivities, with Qdrant filters
//! evaluated by sextant-payload-index over the dataset's `payload.jsonl` (which also gives the
//! planner its estimate), against exact filtered ground truth. Each filter is run four
//! ways: the planner (`search_planned`), plain filtered graph traversal, the ACORN-style
//! two-hop traversal (`search_acorn`), and an exact scan of the passing points; the planner is also compared with half the unfiltered QPS at the same
//! recall. Each timed query evaluates its filter into a bit set first (as a store does per
//! query), and with `--quantization` searches on codes and rescores the candidates with
//! the float vectors.

use crate::float_scorer::{self, QueryScorers, ScorerFactory};
use crate::host::{loadavg, process_cpu_time};
use crate::query_args::{GraphArgs, QueryArgs};
use crate::report::{Report, Table, dataset_header};
use crate::stats::PassStats;
use clap::Args;
use serde_json::{Value, json};
use sextant_core::{DensePairScorer, DenseVectorSource, DenseVectors, PointOffset, ScoredPoint};
use sextant_datasets::{Dataset, ground_truth, recall_at_k};
use sextant_hnsw::{Found, HnswIndex, SearchContext, SearchMode, SearchPlan, SearchRequest};
use sextant_payload_index::Filter;
use sextant_quantization::rescore;
use std::path::PathBuf;
use std::time::Instant;

/// Filtered search: planner vs plain filtered traversal vs exact scan, per selectivity.
#[derive(Debug, Args)]
pub struct FilteredArgs {
    #[command(flatten)]
    q: QueryArgs,
    /// Filters, one Qdrant filter JSON object per line, evaluated by sextant-payload-index over
    /// payload.jsonl (every field indexed with its values' type). Default: four filters that
    /// pass about 50%, 10%, 1% and 0.1% of minilm-pypi-20k.
    #[arg(long)]
    filters: Option<PathBuf>,
    /// Search list sizes.
    #[arg(long, value_delimiter = ',', default_value = "64,128", value_parser = crate::query_args::at_least_one())]
    ef: Vec<usize>,
    /// Exact scores behind code bounds: none, or sq8d (floats read only where per-dimension
    /// int8 codes bound a point above the search's floor; same results).
    #[arg(long, default_value = "none")]
    bounds: String,
    /// Search on codes (a codec name of `sextant-bench hnsw`, e.g. sq4d), then rescore the
    /// candidates with the float vectors; none searches the floats.
    #[arg(long, default_value = "none")]
    quantization: String,
    /// With a codec: the search on codes returns ceil(R·k) candidates, rescored to the top k.
    #[arg(long, default_value_t = 2.0)]
    oversampling: f64,
    /// Payload-aware links (as Qdrant builds for indexed keyword and integer fields): for each
    /// value of these keys held by at least `--block-min` points, an HNSW over those points
    /// whose links become extra links that filtered searches follow.
    #[arg(long, value_delimiter = ',')]
    block_links: Vec<String>,
    /// Fewest points a value needs for its block links (default: 1% of the points).
    #[arg(long)]
    block_min: Option<usize>,
    /// Links per point of each block's graph (default: the graph's m).
    #[arg(long)]
    block_m: Option<usize>,
    /// Quantile for the codecs that clip (scalar codes; default: the codec's own).
    #[arg(long)]
    quantile: Option<f32>,
    #[command(flatten)]
    g: GraphArgs,
}

/// QPS at `recall` on a (recall, qps) curve, interpolated in log(QPS) as compare.py does.
fn qps_at(curve: &[(f64, f64)], recall: f64) -> Option<f64> {
    let mut pts = curve.to_vec();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    if pts.last()?.0 < recall {
        return None;
    }
    if pts[0].0 >= recall {
        return pts
            .iter()
            .filter(|p| p.0 >= recall)
            .map(|p| p.1)
            .reduce(f64::max);
    }
    pts.windows(2)
        .find(|w| w[0].0 <= recall && recall <= w[1].0)
        .map(|w| {
            let t = if w[1].0 == w[0].0 {
                1.0
            } else {
                (recall - w[0].0) / (w[1].0 - w[0].0)
            };
            (w[0].1.ln() + t * (w[1].1.ln() - w[0].1.ln())).exp()
        })
}

/// Times `search` over the queries (one warm-up, fastest of `repeats`); returns (stats, results).
fn timed(
    factory: &ScorerFactory,
    queries: &[&[f32]],
    repeats: usize,
    mut search: impl FnMut(&QueryScorers, &mut Vec<ScoredPoint>),
) -> Result<(PassStats, f64, Vec<Vec<PointOffset>>), String> {
    let mut out = Vec::new();
    let mut found = Vec::with_capacity(queries.len());
    for q in queries {
        search(&factory.make(q)?, &mut out);
        found.push(out.iter().map(|p| p.offset).collect());
    }
    let mut best: Option<(PassStats, f64)> = None;
    for _ in 0..repeats {
        let mut lat = Vec::with_capacity(queries.len());
        let cpu0 = process_cpu_time();
        for q in queries {
            let t = Instant::now();
            let s = factory.make(q).expect("made above");
            search(&s, &mut out);
            lat.push(t.elapsed());
        }
        let cpu_us = (process_cpu_time() - cpu0).as_secs_f64() * 1e6 / queries.len() as f64;
        let st = PassStats::from_latencies(&lat).ok_or("no queries")?;
        if best.is_none_or(|b| st.qps > b.0.qps) {
            best = Some((st, cpu_us));
        }
    }
    let (st, cpu) = best.ok_or("--repeats must be at least 1")?;
    Ok((st, cpu, found))
}

pub fn run(args: FilteredArgs) -> Result<(), String> {
    let q = &args.q;
    crate::float_scorer::check_bounds(&args.bounds)?;
    crate::query_args::check_json(q.json.as_deref())?;
    let ds = Dataset::open(&q.dataset).map_err(|e| e.to_string())?;
    let payloads = crate::payloads::load(&q.dataset)?;
    let types = crate::payloads::infer_types(&payloads.0);
    let payload_index = crate::payloads::index_all(&payloads, &types)?;
    let filters = match &args.filters {
        Some(path) => crate::payloads::read_filters(path)?,
        None => crate::payloads::default_filters(),
    };
    let parsed: Vec<Filter> = filters
        .iter()
        .map(|f| Filter::from_value(f).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let distance = ds.distance();
    let base = ds.base_prepared().map_err(|e| e.to_string())?;
    if payloads.0.len() != base.len() {
        return Err(format!(
            "{} payload rows for {} base vectors",
            payloads.0.len(),
            base.len()
        ));
    }
    let queries = ds.queries_prepared().map_err(|e| e.to_string())?;
    let n_q = q.n_queries(queries.len());
    let name = ds.meta().name.clone();
    let params = args.g.params();
    eprintln!(
        "filtered: building the graph of {name} on {} threads",
        args.g.threads
    );
    let t = Instant::now();
    let mut index = HnswIndex::build(
        base.len(),
        &DensePairScorer::new(&base, distance),
        params,
        args.g.threads,
    )
    .map_err(|e| e.to_string())?;
    let build_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let block_min = args.block_min.unwrap_or(base.len() / 100).max(2);
    let mut blocks = 0;
    for key in &args.block_links {
        let hits = payload_index
            .facet(key, None, usize::MAX, &payloads)
            .map_err(|e| format!("--block-links {key}: {e}"))?;
        for hit in hits.iter().filter(|h| h.count >= block_min) {
            let value = json!({"must": [{"key": key, "match": {"value": hit.value}}]});
            let f = Filter::from_value(&value).map_err(|e| e.to_string())?;
            let block: Vec<PointOffset> = payload_index.filter(&f, &payloads).iter().collect();
            index
                .add_block_links(
                    &block,
                    &DensePairScorer::new(&base, distance),
                    args.block_m.unwrap_or(args.g.m),
                    args.g.threads,
                )
                .map_err(|e| e.to_string())?;
            blocks += 1;
        }
    }
    let block_s = t.elapsed().as_secs_f64();
    eprintln!(
        "filtered: graph in {build_s:.1} s, {blocks} value blocks linked ({} extra links) in {block_s:.1} s",
        index.block_link_count()
    );
    let bound_codes = float_scorer::bound_codes(&args.bounds, &base, distance, args.g.threads)?;
    let bounded = float_scorer::bounded(bound_codes.as_ref(), &base)?;
    let query_rows =
        DenseVectors::from_flat(base.dim(), queries.as_flat()[..n_q * base.dim()].to_vec())
            .map_err(|e| e.to_string())?;
    let mut ctx = SearchContext::new();
    let codes = crate::quant::train_codes(
        &args.quantization,
        args.quantile,
        &base,
        distance,
        args.g.threads,
    )?;
    crate::quant::check_oversampling(args.oversampling)?;
    let factory = ScorerFactory::new(&base, distance, bounded.as_ref(), codes.as_ref());
    let query_list: Vec<&[f32]> = (0..n_q as PointOffset).map(|q| queries.vector(q)).collect();
    // Results asked of the search: k, or the candidates rescored to k.
    let search_k = if codes.is_some() {
        (q.k as f64 * args.oversampling).ceil() as usize
    } else {
        q.k
    };

    // The unfiltered curve, for the "half the unfiltered QPS at the same recall" bar.
    let unfiltered_gt = ground_truth(&base, &query_rows, q.k, distance, args.g.threads, &|_| {})
        .map_err(|e| e.to_string())?;
    let mut unfiltered = Vec::new();
    for ef in [16, 32, 64, 128, 256] {
        let (st, _, found) = timed(&factory, &query_list, q.repeats, |s, out| {
            let req = SearchRequest::new(search_k).ef(ef.max(search_k));
            search_one(&index, s, &req, q.k, &mut ctx, out);
        })?;
        let r = found
            .iter()
            .zip(&unfiltered_gt)
            .map(|(f, t)| recall_at_k(f, &t.iter().map(|p| p.offset).collect::<Vec<_>>(), q.k))
            .sum::<f64>()
            / n_q as f64;
        unfiltered.push((r, st.qps));
    }

    let mut table = Table::new(&[
        "filter",
        "passing",
        "ef",
        "method",
        &format!("recall@{}", q.k),
        "QPS",
        "p99 us",
        "CPU us/query",
        "planner ÷ bar",
    ]);
    let mut report = Report::new(
        dataset_header(&ds, n_q),
        json!({"m": args.g.m, "ef_construction": args.g.ef_construction, "ef": args.ef, "k": q.k, "filters": filters, "build_threads": args.g.threads,
               "build_s": build_s, "block_links": args.block_links, "block_min": block_min, "block_m": args.block_m.unwrap_or(args.g.m), "blocks": blocks, "block_s": block_s,
               "quantization": args.quantization, "oversampling": args.oversampling}),
    );
    for (filter_json, filter) in filters.iter().zip(&parsed) {
        let spec = filter_json.to_string();
        let mut allowed = payload_index.filter(filter, &payloads);
        allowed.grow(base.len());
        let estimate = payload_index.estimate(filter, &payloads);
        let passing: Vec<PointOffset> = allowed.iter().collect();
        if passing.is_empty() {
            return Err(format!("filter {spec:?} passes no point"));
        }
        // Exact filtered ground truth: brute force over the passing points (datasets crate).
        let subset = DenseVectors::from_flat(
            base.dim(),
            passing
                .iter()
                .flat_map(|&p| base.vector(p).to_vec())
                .collect(),
        )
        .map_err(|e| e.to_string())?;
        let k_gt = q.k.min(passing.len());
        let gt: Vec<Vec<PointOffset>> = ground_truth(
            &subset,
            &query_rows,
            k_gt,
            distance,
            args.g.threads,
            &|_| {},
        )
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|row| row.iter().map(|p| passing[p.offset as usize]).collect())
        .collect();
        let recall_of = |found: &[Vec<PointOffset>]| {
            found
                .iter()
                .zip(&gt)
                .map(|(f, t)| recall_at_k(f, t, k_gt))
                .sum::<f64>()
                / n_q as f64
        };
        let selectivity = passing.len() as f64 / base.len() as f64;
        // Payload-aware links cover a filter whose every condition matches a value of a
        // linked key (what a store knows from its schema); the planner may then go ACORN.
        let linked = filter_json.as_object().is_some_and(|o| {
            o.keys().all(|k| k == "must")
                && o["must"].as_array().is_some_and(|conds| {
                    conds.iter().all(|c| {
                        c.get("match").is_some()
                            && c["key"]
                                .as_str()
                                .is_some_and(|k| args.block_links.iter().any(|b| b == k))
                    })
                })
        });
        // One `match` of one value on a linked key passes exactly that value's block: the
        // search may then walk the block's own links.
        let block = linked
            && filter_json["must"]
                .as_array()
                .is_some_and(|conds| conds.len() == 1 && conds[0]["match"].get("value").is_some());
        for &ef in &args.ef {
            // Each query evaluates the filter (and its estimate, for the planner) itself.
            let mut run = |mode: Option<SearchMode>, s: &QueryScorers, out: &mut _| {
                let allowed = payload_index.filter(filter, &payloads);
                let req = SearchRequest::new(search_k)
                    .ef(ef.max(search_k))
                    .filter(&allowed);
                let req = match mode {
                    Some(m) => req.mode(m),
                    None => req
                        .estimate(payload_index.estimate(filter, &payloads))
                        .linked(linked)
                        .block(block),
                };
                search_one(&index, s, &req, q.k, &mut ctx, out)
            };
            let (exact, exact_cpu, exact_found) =
                timed(&factory, &query_list, q.repeats, |s, out| {
                    run(Some(SearchMode::ExactScan), s, out);
                })?;
            let (graph, graph_cpu, graph_found) =
                timed(&factory, &query_list, q.repeats, |s, out| {
                    run(Some(SearchMode::Graph), s, out);
                })?;
            let (acorn, acorn_cpu, acorn_found) =
                timed(&factory, &query_list, q.repeats, |s, out| {
                    run(Some(SearchMode::Acorn), s, out);
                })?;
            let mut plan = None;
            let (planned, planned_cpu, planned_found) =
                timed(&factory, &query_list, q.repeats, |s, out| {
                    plan = Some(run(None, s, out));
                })?;
            let planned_recall = recall_of(&planned_found);
            let half_unfiltered = qps_at(&unfiltered, planned_recall).map(|x| x / 2.0);
            let bar = half_unfiltered.map_or(exact.qps, |h| h.max(exact.qps));
            let plan_name = format!("{:?}", plan.expect("ran at least once"));
            for (method, st, cpu, found) in [
                (
                    format!("planner ({plan_name})"),
                    planned,
                    planned_cpu,
                    &planned_found,
                ),
                (
                    "graph, filtered traversal".to_string(),
                    graph,
                    graph_cpu,
                    &graph_found,
                ),
                (
                    "graph, ACORN-style two-hop".to_string(),
                    acorn,
                    acorn_cpu,
                    &acorn_found,
                ),
                ("exact scan".to_string(), exact, exact_cpu, &exact_found),
            ] {
                let recall = recall_of(found);
                let ratio = if method.starts_with("planner") {
                    format!("{:.2}", st.qps / bar)
                } else {
                    "".into()
                };
                table.row(vec![
                    spec.clone(),
                    format!("{} ({:.2}%)", passing.len(), 100.0 * selectivity),
                    ef.to_string(),
                    method.clone(),
                    format!("{recall:.4}"),
                    format!("{:.0}", st.qps),
                    format!("{:.1}", st.p99_us),
                    format!("{cpu:.1}"),
                    ratio,
                ]);
                let variant = match method.split_whitespace().next() {
                    Some("planner") => "planner",
                    Some("exact") => "exact",
                    _ if method.contains("ACORN") => "acorn",
                    _ => "traversal",
                };
                report.push(json!({"lib": "sextant-hnsw", "dataset": name, "kind": "search", "mode": "single",
                    "variant": variant, "method": method, "filter": filter_json, "selectivity": selectivity,
                    "estimate": {"min": estimate.min, "exp": estimate.exp, "max": estimate.max},
                    "passing": passing.len(), "linked": linked, "bounds": args.bounds, "quantization": args.quantization,
                    "oversampling": if codes.is_some() { json!(args.oversampling) } else { Value::Null }, "ef": ef, "k": q.k, "recall": recall, "qps": st.qps, "p50_us": st.p50_us,
                    "p99_us": st.p99_us, "cpu_us_per_query": cpu, "loadavg": loadavg(),
                    "bar_qps": if method.starts_with("planner") { json!(bar) } else { Value::Null }}));
            }
        }
    }
    println!(
        "## sextant-hnsw filtered search: {name}, m={} ef_construction={}, k={}\n",
        args.g.m, args.g.ef_construction, q.k
    );
    print!("{}", table.render());
    println!(
        "\nbar = max(exact-scan QPS, half the unfiltered QPS at the planner's recall); unfiltered curve (recall, QPS): {}",
        unfiltered
            .iter()
            .map(|(r, q)| format!("({r:.3}, {q:.0})"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    if let Some(path) = &q.json {
        report.write(path)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// One query: on the floats, or on codes for `k`·R candidates rescored with the floats to
/// the top `k`; returns the plan the search took.
fn search_one<F: sextant_core::PointFilter + ?Sized>(
    index: &HnswIndex,
    s: &QueryScorers,
    req: &SearchRequest<'_, F>,
    k: usize,
    ctx: &mut SearchContext,
    out: &mut Vec<ScoredPoint>,
) -> SearchPlan {
    match &s.codes {
        None => fill(out, index.search(&s.floats, req, ctx)),
        Some(c) => {
            let mut candidates = Vec::new();
            let plan = fill(&mut candidates, index.search(c, req, ctx));
            rescore(&candidates, &s.floats, k, out);
            plan
        }
    }
}

/// Copies a search's results into `out` and returns its plan. The scorers cover the whole
/// base the graph was built on, so a search error is a bug of this bench.
fn fill(out: &mut Vec<ScoredPoint>, found: sextant_hnsw::Result<Found<'_>>) -> SearchPlan {
    let found = found.expect("every scorer covers the whole base");
    out.clear();
    out.extend_from_slice(&found);
    found.plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_like_compare_py() {
        let curve = [(0.8, 10_000.0), (0.9, 5_000.0), (1.0, 1_000.0)];
        assert!((qps_at(&curve, 0.85).unwrap() - (50_000_000.0f64).sqrt()).abs() < 1e-6);
        assert_eq!(qps_at(&curve, 0.7), Some(10_000.0));
        assert_eq!(qps_at(&[(0.5, 1.0)], 0.9), None);
    }
}
