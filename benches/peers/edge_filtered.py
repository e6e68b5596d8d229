#!/usr/bin/env python3
"""Qdrant Edge as the peer of `sextant-bench filtered`: the same vectors, payloads, payload
indexes (each field typed by the values it holds, as sextant-bench does), the same filters
(read from our result file), the same HNSW parameters; single-threaded filtered queries over an
ef sweep, recall against Edge's own exact filtered search, and QPS at recall 0.95 per filter
next to ours (log-interpolated, as compare.py does).

    sextant-bench filtered --dataset DIR --json ours.json [--filters F.jsonl]
    .venv/bin/python edge_filtered.py --dataset DIR --ours ours.json --json edge.json

`--quantization int8 --oversampling R` gives Edge scalar int8 codes (quantile 0.99, in RAM)
searched with rescoring and that oversampling, its fastest configuration at this recall.

Needs qdrant-edge-py==0.9.0 and numpy (requirements.txt). Filters with a bool `match` are
skipped (the binding reads `MatchValue(True)` as 1).
"""

import argparse
import json
import math
import os
import tempfile
import time

import numpy as np
import qdrant_edge as q

from bench_data import load_dataset
from edge_payload import TYPES, Unsupported, to_filter


def infer_types(payloads):
    votes = {}
    for p in payloads:
        for k, v in p.items():
            for x in (v if isinstance(v, list) else [v]):
                if isinstance(x, bool):
                    t = "bool"
                elif isinstance(x, int):
                    t = "integer"
                elif isinstance(x, float):
                    t = "float"
                elif isinstance(x, str):
                    t = "keyword"
                else:
                    continue
                votes.setdefault(k, {}).setdefault(t, 0)
                votes[k][t] += 1
    out = {}
    for k, v in votes.items():
        t = max(v, key=v.get)
        out[k] = "float" if t == "integer" and "float" in v else t
    return out


def qps_at(curve, target):
    pts = sorted(curve)
    if not pts or pts[-1][0] < target:
        return None
    if pts[0][0] >= target:
        return max(qps for r, qps in pts if r >= target)
    for (r0, q0), (r1, q1) in zip(pts, pts[1:]):
        if r0 <= target <= r1:
            t = 1.0 if r1 == r0 else (target - r0) / (r1 - r0)
            return math.exp(math.log(q0) + t * (math.log(q1) - math.log(q0)))
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--ours", required=True, help="result file of sextant-bench filtered")
    ap.add_argument("--ef", default="16,32,64,128,256,512")
    ap.add_argument("--max-queries", type=int, default=200)
    ap.add_argument("--quantization", choices=["none", "int8"], default="none")
    ap.add_argument("--oversampling", type=float, default=2.0)
    ap.add_argument("--json")
    args = ap.parse_args()
    ours = json.load(open(args.ours))
    p = ours["params"]
    k, m, efc = p["k"], p["m"], p["ef_construction"]
    meta, base, queries, _ = load_dataset(args.dataset, k)
    queries = queries[: args.max_queries]
    payloads = [json.loads(line) for line in open(os.path.join(args.dataset, "payload.jsonl"))]
    schema = infer_types(payloads)
    dist = {"cosine": q.Distance.Cosine, "l2": q.Distance.Euclid, "dot": q.Distance.Dot}[meta["metric"]]
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        n, d = base.shape
        quant = None
        if args.quantization == "int8":
            quant = q.ScalarQuantizationConfig(type=q.ScalarType.Int8, quantile=0.99, always_ram=True)
        cfg = q.EdgeConfig(
            vectors=q.EdgeVectorParams(size=d, distance=dist, quantization_config=quant),
            hnsw_config=q.HnswIndexConfig(m=m, ef_construct=efc, full_scan_threshold=1, max_indexing_threads=2),
            optimizers=q.EdgeOptimizersConfig(default_segment_number=1, indexing_threshold=1,
                                              max_segment_size=max(4 * n * d * 4 // 1024, 1 << 20)),
            max_search_threads=1, wal_enabled=False)
        shard = q.EdgeShard.create(os.path.join(tmp, "shard"), cfg)
        for key, t in schema.items():
            shard.update(q.UpdateOperation.create_field_index(key, TYPES[t]))
        for s in range(0, n, 1000):
            pts = [q.Point(i, base[i].tolist(), payloads[i]) for i in range(s, min(n, s + 1000))]
            shard.update(q.UpdateOperation.upsert_points(pts))
        t0 = time.perf_counter()
        shard.optimize()
        build_s = time.perf_counter() - t0
        records.append({"lib": "qdrant-edge", "kind": "build", "optimize_s": build_s})
        ours_by_filter = {}
        for r in ours["records"]:
            if r.get("kind") == "search" and r.get("variant") == "planner":
                ours_by_filter.setdefault(json.dumps(r["filter"], sort_keys=True), []).append((r["recall"], r["qps"]))
        print(f"| filter | passing | Edge QPS at 0.95 | ours (planner) at 0.95 | ours ÷ Edge |")
        print("| --- | --- | --- | --- | --- |")
        for fj in p["filters"]:
            try:
                flt = to_filter(fj)
            except Unsupported as e:
                print(f"| {json.dumps(fj)} | skipped: {e} | | | |")
                continue
            passing = shard.count(q.CountRequest(exact=True, filter=flt))
            truth = [[pt.id for pt in shard.query(q.QueryRequest(limit=k, query=q.Query.Nearest(v.tolist()),
                                                                     filter=flt, params=q.SearchParams(exact=True)))]
                     for v in queries]
            curve = []
            for ef in [int(x) for x in args.ef.split(",")]:
                qp = None
                if quant is not None:
                    qp = q.QuantizationSearchParams(rescore=True, oversampling=args.oversampling)
                reqs = [q.QueryRequest(limit=k, query=q.Query.Nearest(v.tolist()), filter=flt,
                                       params=q.SearchParams(hnsw_ef=ef, quantization=qp)) for v in queries]
                shard.query(reqs[0])
                t0 = time.perf_counter()
                found = [[pt.id for pt in shard.query(r)] for r in reqs]
                el = time.perf_counter() - t0
                rec = float(np.mean([len(set(f) & set(t)) / max(1, min(k, len(t))) for f, t in zip(found, truth)]))
                qps = len(reqs) / el
                curve.append((rec, qps))
                records.append({"lib": "qdrant-edge", "kind": "search", "quantization": args.quantization,
                                "oversampling": args.oversampling if quant is not None else None,
                                "filter": fj, "passing": passing,
                                "selectivity": passing / n, "ef": ef, "k": k, "recall": rec, "qps": qps})
            edge95 = qps_at(curve, 0.95)
            ours95 = qps_at(ours_by_filter.get(json.dumps(fj, sort_keys=True), []), 0.95)
            ratio = f"{ours95 / edge95:.2f}x" if edge95 and ours95 else "-"
            fmt = lambda x: f"{x:.0f}" if x else "-"
            print(f"| {json.dumps(fj)} | {passing} ({100 * passing / n:.2f}%) | {fmt(edge95)} | {fmt(ours95)} | {ratio} |")
        shard.close()
    if args.json:
        json.dump({"harness": "edge_filtered.py", "dataset": meta["name"], "records": records},
                  open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
