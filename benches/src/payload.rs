//! `sextant-bench payload`: payload indexes over a dataset's `payload.jsonl` (every top-level
//! field indexed with the type its values have), then exact counts, materialized sets and
//! estimates per filter, and facets, each timed (median of `--repeats`). The peer is
//! `benches/peers/edge_payload.py` (Qdrant Edge), which reads the filters from our `--json`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use serde_json::{Value, json};
use sextant_payload_index::{FieldType, Filter};

use crate::payloads::{self, infer_types};
use crate::report::{Report, Table};

/// Payload indexes: build, exact count, materialization and facets per filter.
#[derive(Debug, Args)]
pub struct PayloadArgs {
    /// Dataset folder with a `payload.jsonl`.
    #[arg(long)]
    dataset: PathBuf,
    /// Filters, one Qdrant filter JSON object per line (default: a set derived from the data:
    /// ranges at the 50/90/99/99.9th percentiles of numeric fields, common and rare keyword
    /// values, bools, nulls, and combinations).
    #[arg(long)]
    filters: Option<PathBuf>,
    /// Timed repetitions per measurement (the median is reported).
    #[arg(long, default_value_t = 21, value_parser = crate::query_args::at_least_one())]
    repeats: usize,
    /// Facet results per key.
    #[arg(long, default_value_t = 10, value_parser = crate::query_args::at_least_one())]
    limit: usize,
    /// Save the built index to this file, open it mapped, and measure the mapped index
    /// (counts are first checked equal to the in-RAM index's on every filter).
    #[arg(long)]
    save: Option<PathBuf>,
    /// Also write the records to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Filters derived from the data, spanning selectivities from ~50% to ~0.1%.
fn derived_filters(payloads: &[Value], types: &BTreeMap<String, FieldType>) -> Vec<Value> {
    let mut out = Vec::new();
    let mut numeric: Vec<(String, Vec<f64>)> = Vec::new();
    let mut keywords: Vec<(String, Vec<(String, usize)>)> = Vec::new();
    for (key, t) in types {
        let values = payloads.iter().filter_map(|p| p.get(key));
        match t {
            FieldType::Integer | FieldType::Float => {
                let mut v: Vec<f64> = values.filter_map(Value::as_f64).collect();
                v.sort_by(f64::total_cmp);
                if !v.is_empty() {
                    numeric.push((key.clone(), v));
                }
            }
            FieldType::Keyword => {
                let mut counts: BTreeMap<String, usize> = BTreeMap::new();
                for v in values.filter_map(Value::as_str) {
                    *counts.entry(v.to_string()).or_default() += 1;
                }
                let mut c: Vec<(String, usize)> = counts.into_iter().collect();
                c.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                if c.len() > 1 && c.len() < payloads.len() / 2 {
                    keywords.push((key.clone(), c));
                }
            }
            FieldType::Bool => out.push(json!({"must": [{"key": key, "match": {"value": true}}]})),
            _ => {}
        }
    }
    let n = payloads.len() as f64;
    for (key, v) in &numeric {
        for q in [0.5, 0.9, 0.99, 0.999] {
            let at = v[((v.len() as f64 * q) as usize).min(v.len() - 1)];
            out.push(json!({"must": [{"key": key, "range": {"gte": at}}]}));
        }
    }
    for (key, c) in &keywords {
        let near = |share: f64| {
            c.iter()
                .min_by(|a, b| {
                    let d = |x: usize| (x as f64 / n - share).abs();
                    d(a.1).total_cmp(&d(b.1))
                })
                .map(|(v, _)| v.clone())
        };
        for share in [0.1, 0.01] {
            if let Some(v) = near(share) {
                out.push(json!({"must": [{"key": key, "match": {"value": v}}]}));
            }
        }
        let top: Vec<&String> = c.iter().take(3).map(|(v, _)| v).collect();
        out.push(json!({"must": [{"key": key, "match": {"any": top}}]}));
        out.push(json!({"must": [{"key": key, "match": {"except": [top[0]]}}]}));
    }
    if let (Some((nk, nv)), Some((kk, kc))) = (numeric.first(), keywords.first()) {
        let median = nv[nv.len() / 2];
        out.push(json!({"must": [{"key": kk, "match": {"value": kc[0].0}}, {"key": nk, "range": {"gte": median}}]}));
        if kc.len() > 2 {
            out.push(json!({"should": [{"key": kk, "match": {"value": kc[1].0}}, {"key": kk, "match": {"value": kc[2].0}}],
                            "must_not": [{"key": nk, "range": {"lt": median}}]}));
        }
    }
    for key in types.keys() {
        if payloads
            .iter()
            .any(|p| p.get(key).is_some_and(Value::is_null))
        {
            out.push(json!({"must": [{"is_null": {"key": key}}]}));
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|f| seen.insert(f.to_string()));
    out
}

/// Median time of one call of `f`, in µs, over `repeats` samples. A sample runs the call as
/// many times as fill about 20 µs (from a timed call after a warm-up), so a call of tens of
/// nanoseconds is not dwarfed by reading the clock (~25 ns here); `edge_payload.py` times
/// Edge the same way.
fn median_us(repeats: usize, mut f: impl FnMut()) -> f64 {
    f();
    let s = Instant::now();
    f();
    let once = s.elapsed().as_secs_f64() * 1e6;
    let inner = (20.0 / once.max(1e-3)).clamp(1.0, 1000.0) as usize;
    let mut t: Vec<f64> = (0..repeats)
        .map(|_| {
            let s = Instant::now();
            for _ in 0..inner {
                f();
            }
            s.elapsed().as_secs_f64() * 1e6 / inner as f64
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

pub fn run(args: PayloadArgs) -> Result<(), String> {
    let payloads = payloads::load(&args.dataset)?;
    let types = infer_types(&payloads.0);
    let filters: Vec<Value> = match &args.filters {
        Some(f) => payloads::read_filters(f)?,
        None => derived_filters(&payloads.0, &types),
    };
    let parsed: Vec<Filter> = filters
        .iter()
        .map(|f| Filter::from_value(f).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;

    let t0 = Instant::now();
    let index = payloads::index_all(&payloads, &types)?;
    let index_s = t0.elapsed().as_secs_f64();
    let values: usize = types
        .keys()
        .filter_map(|k| index.field(k))
        .map(|f| f.indexed_values())
        .sum();
    let bytes = index.bytes();
    let n = payloads.0.len();
    let mut saved = json!(null);
    let index = match &args.save {
        None => index,
        Some(path) => {
            let t = Instant::now();
            index.save(path).map_err(|e| e.to_string())?;
            let save_s = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let opened = sextant_payload_index::PayloadIndex::open_mapped(path)
                .map_err(|e| e.to_string())?;
            let open_s = t.elapsed().as_secs_f64();
            for (json_filter, f) in filters.iter().zip(&parsed) {
                let (a, b) = (index.count(f, &payloads), opened.count(f, &payloads));
                if a != b || index.filter(f, &payloads) != opened.filter(f, &payloads) {
                    return Err(format!("mapped index differs on {json_filter}: {b} vs {a}"));
                }
            }
            let file_bytes = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
            println!(
                "saved to {}: {file_bytes} bytes in {save_s:.3} s, opened (checked) in {open_s:.3} s; measuring the mapped index",
                path.display()
            );
            saved = json!({"file_bytes": file_bytes, "save_s": save_s, "open_s": open_s});
            opened
        }
    };
    let lib = if args.save.is_some() {
        "sextant-payload-index (mapped)"
    } else {
        "sextant-payload-index"
    };
    let mut report = Report::new(
        json!({"name": args.dataset.file_name().map(|s| s.to_string_lossy().to_string()), "n_base": n}),
        json!({"repeats": args.repeats, "limit": args.limit,
               "schema": types.iter().map(|(k, t)| (k.clone(), json!(t))).collect::<serde_json::Map<_, _>>()}),
    );
    report.push(
        json!({"lib": lib, "kind": "build", "index_s": index_s, "saved": saved,
        "bytes": bytes, "values": values, "bytes_per_value": bytes as f64 / values.max(1) as f64}),
    );
    println!(
        "payload indexes over {n} points, {} fields: built in {:.3} s, {bytes} bytes ({:.1} per indexed value)\n",
        types.len(),
        index_s,
        bytes as f64 / values.max(1) as f64
    );

    let mut table = Table::new(&[
        "filter",
        "count",
        "estimate (min/exp/max)",
        "count µs",
        "materialize µs",
        "µs per 10k points",
    ]);
    for (json_filter, f) in filters.iter().zip(&parsed) {
        let count = index.count(f, &payloads);
        let e = index.estimate(f, &payloads);
        let count_us = median_us(args.repeats, || {
            std::hint::black_box(index.count(f, &payloads));
        });
        let materialize_us = median_us(args.repeats, || {
            std::hint::black_box(index.filter(f, &payloads));
        });
        report.push(json!({"lib": lib, "kind": "count", "filter": json_filter,
            "count": count, "estimate": {"min": e.min, "exp": e.exp, "max": e.max},
            "count_us": count_us, "materialize_us": materialize_us}));
        table.row(vec![
            json_filter.to_string(),
            count.to_string(),
            format!("{}/{}/{}", e.min, e.exp, e.max),
            format!("{count_us:.1}"),
            format!("{materialize_us:.1}"),
            format!("{:.2}", materialize_us * 10_000.0 / n.max(1) as f64),
        ]);
    }
    println!("{}", table.render());

    let mut facets = Table::new(&["key", "filter", "µs", "hits"]);
    let facet_keys: Vec<&String> = types
        .iter()
        .filter(|(k, t)| {
            matches!(t, FieldType::Keyword | FieldType::Integer | FieldType::Bool)
                && index
                    .field(k)
                    .is_some_and(|f| f.distinct_values() <= 10_000)
        })
        .map(|(k, _)| k)
        .collect();
    for key in facet_keys {
        for (fj, f) in [(None, None), (filters.first(), parsed.first())] {
            if fj.is_none() && f.is_some() {
                continue;
            }
            let hits = index
                .facet(key, f, args.limit, &payloads)
                .map_err(|e| e.to_string())?;
            let us = median_us(args.repeats, || {
                std::hint::black_box(index.facet(key, f, args.limit, &payloads).ok());
            });
            let hits_json: Vec<Value> = hits.iter().map(|h| json!([h.value, h.count])).collect();
            report.push(json!({"lib": lib, "kind": "facet", "key": key,
                "filter": fj, "limit": args.limit, "us": us, "hits": hits_json}));
            facets.row(vec![
                key.clone(),
                fj.map_or("-".into(), |f| f.to_string()),
                format!("{us:.1}"),
                hits.iter()
                    .take(3)
                    .map(|h| format!("{}:{}", json!(h.value), h.count))
                    .collect::<Vec<_>>()
                    .join(" "),
            ]);
        }
    }
    println!("{}", facets.render());
    if let Some(out) = &args.json {
        report.write(out)?;
    }
    Ok(())
}
