#!/usr/bin/env python3
"""Qdrant Edge as the peer of `sextant-bench shard`: the same points (MiniLM vectors, payloads,
BM25 sparse vectors of the same texts), payload indexes, HNSW parameters and queries (read from
our result file), one query at a time on one thread. Ingest with Edge's WAL on, optimize,
dense queries over the same ef sweep (int8 codes in RAM, rescored with the same oversampling,
and the hybrid's dense prefetch with the same as ours: Edge's fastest configuration at these
recalls), the same filters, sparse, hybrid RRF, count,
facet, close and reopen times (the reopen and the reopened shard's RSS growth measured in a
fresh process, as ours), bytes on disk, and the optimize after the same new points our bench
added last (`--grow`); recall against Edge's own exact answers. Prints each
figure next to ours with the ratio (QPS at equal recall interpolated as compare.py does).

    sextant-bench shard --dataset D --sparse S --json ours.json
    .venv/bin/python edge_shard.py --dataset D --sparse S --ours ours.json --json edge.json

Needs qdrant-edge-py==0.9.0 and numpy (requirements.txt).
"""

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import qdrant_edge as q

from bench_data import load_dataset
from edge_filtered import qps_at
from edge_payload import to_filter
from sparse_peers import read_csr

TYPES = {"keyword": q.PayloadSchemaType.Keyword, "integer": q.PayloadSchemaType.Integer}
FIELDS = {"category": "keyword", "year": "integer", "name_len": "integer"}


def csr_row(m, r):
    indptr, indices, values = m
    a, b = indptr[r], indptr[r + 1]
    return q.SparseVector(indices[a:b].tolist(), values[a:b].tolist())


def rss_mib(field="VmRSS:"):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return None


def disk_bytes(path):
    total = 0
    for root, _dirs, files in os.walk(path):
        total += sum(os.stat(os.path.join(root, f)).st_blocks * 512 for f in files)
    return total


def timed(shard, reqs, repeats):
    found = [[int(p.id) for p in shard.query(r)] for r in reqs]
    best = None
    for _ in range(repeats):
        lat = []
        for r in reqs:
            t = time.perf_counter()
            shard.query(r)
            lat.append(time.perf_counter() - t)
        qps = len(lat) / sum(lat)
        if best is None or qps > best[0]:
            lat.sort()
            best = (qps, lat[len(lat) // 2] * 1e6, lat[min(len(lat) - 1, math.ceil(0.99 * len(lat)) - 1)] * 1e6)
    return best, found


def recall(found, truth, k):
    return float(np.mean([len(set(f) & set(t)) / max(1, min(k, len(t))) for f, t in zip(found, truth)]))


def median_us(f, repeats=201):
    f()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts) * 1e6


def reopen_child(path, dim):
    """Runs in a fresh process: opens the shard, runs a few queries, reports times and RSS."""
    rss0, file0 = rss_mib(), rss_mib("RssFile:")
    t = time.perf_counter()
    shard = q.EdgeShard.load(path)
    reopen_s = time.perf_counter() - t
    rng = np.random.default_rng(1)
    for _ in range(200):
        v = rng.standard_normal(dim).astype(np.float32)
        shard.query(q.QueryRequest(limit=10, query=q.Query.Nearest(v.tolist(), using="dense")))
    print(json.dumps({"reopen_s": reopen_s, "rss_growth_mib": rss_mib() - rss0,
                      "file_rss_growth_mib": rss_mib("RssFile:") - file0}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--sparse")
    ap.add_argument("--ours", help="result file of sextant-bench shard")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json")
    ap.add_argument("--reopen-child", help=argparse.SUPPRESS)
    ap.add_argument("--dim", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.reopen_child:
        reopen_child(args.reopen_child, args.dim)
        return
    ours = json.load(open(args.ours))
    p = ours["params"]
    k, m, efc, os_ = p["k"], p["m"], p["ef_construction"], p["oversampling"]
    meta, base, queries, _ = load_dataset(args.dataset, k)
    n, d = base.shape
    n_q = ours["dataset"]["n_query"]
    queries = queries[:n_q]
    payloads = [json.loads(line) for line in open(os.path.join(args.dataset, "payload.jsonl"))]
    sparse = sparse_q = None
    hybrid = []
    if args.sparse:
        sparse = read_csr(os.path.join(args.sparse, "base.csr"))
        qm = read_csr(os.path.join(args.sparse, "query.csr"))
        sparse_q = [csr_row(qm, r) for r in range(min(n_q, len(qm[0]) - 1))]
        all_q = load_dataset(args.dataset, k)[2]
        for r, line in enumerate(open(os.path.join(args.sparse, "queries.jsonl"))):
            if r >= len(qm[0]) - 1:
                break
            dq = json.loads(line)["source_pos"] - meta.get("selection", {}).get("offset", 0) - meta["n_base"]
            if 0 <= dq < len(all_q) and len(hybrid) < n_q:
                hybrid.append((all_q[dq], csr_row(qm, r)))
        if not hybrid:  # no sparse query shares a dense query's text: query i with query i
            hybrid = [(all_q[i], sparse_q[i]) for i in range(min(len(sparse_q), len(all_q)))]
    dist = {"cosine": q.Distance.Cosine, "l2": q.Distance.Euclid, "dot": q.Distance.Dot}[meta["metric"]]
    quant = None
    if p["quantization"] != "none":
        quant = q.ScalarQuantizationConfig(type=q.ScalarType.Int8, quantile=0.99, always_ram=True)
    records = []
    ours_by = {}
    for r in ours["records"]:
        ours_by.setdefault(r["kind"], []).append(r)
    rows = []

    def row(what, edge, us, ratio):
        rows.append((what, edge, us, ratio))

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "shard")
        cfg = q.EdgeConfig(
            vectors={"dense": q.EdgeVectorParams(size=d, distance=dist, quantization_config=quant)},
            sparse_vectors={"bm25": q.EdgeSparseVectorParams()} if sparse is not None else None,
            hnsw_config=q.HnswIndexConfig(m=m, ef_construct=efc, full_scan_threshold=10000,
                                          max_indexing_threads=p["threads"]),
            optimizers=q.EdgeOptimizersConfig(default_segment_number=1),
            max_search_threads=1, wal_enabled=True)
        shard = q.EdgeShard.create(path, cfg)
        t0 = time.perf_counter()
        for key, t in FIELDS.items():
            shard.update(q.UpdateOperation.create_field_index(key, TYPES[t]))
        batch = p["batch"]
        for s in range(0, n, batch):
            pts = []
            for i in range(s, min(n, s + batch)):
                vecs = {"dense": base[i].tolist()}
                if sparse is not None and i < len(sparse[0]) - 1:
                    vecs["bm25"] = csr_row(sparse, i)
                pts.append(q.Point(i, vecs, payloads[i]))
            shard.update(q.UpdateOperation.upsert_points(pts))
        ingest_s = time.perf_counter() - t0
        records.append({"lib": "qdrant-edge", "kind": "ingest", "s": ingest_s, "points_per_s": n / ingest_s})
        ours_ingest = {r["durability"]: r for r in ours_by.get("ingest", [])}
        for pol, r in ours_ingest.items():
            row(f"ingest points/s (ours: {pol})", f"{n / ingest_s:.0f}", f"{r['points_per_s']:.0f}",
                r["points_per_s"] / (n / ingest_s))
        t0 = time.perf_counter()
        shard.optimize()
        opt_s = time.perf_counter() - t0
        records.append({"lib": "qdrant-edge", "kind": "optimize", "s": opt_s})
        o = ours_by["optimize"][0]["s"]
        row("optimize s", f"{opt_s:.2f}", f"{o:.2f}", opt_s / o)
        t0 = time.perf_counter()
        shard.close()
        close_s = time.perf_counter() - t0
        disk = disk_bytes(path)
        child = subprocess.run([sys.executable, __file__, "--dataset", args.dataset, "--reopen-child", path,
                                "--dim", str(d)], capture_output=True, text=True, check=True)
        reopened = json.loads(child.stdout.strip().splitlines()[-1])
        records.append({"lib": "qdrant-edge", "kind": "reopen", "close_s": close_s, "disk_bytes": disk, **reopened})
        our = ours_by["reopen"][0]
        row("close (flush) s", f"{close_s:.3f}", f"{our['close_s']:.3f}", close_s / our["close_s"])
        row("reopen s (fresh process)", f"{reopened['reopen_s']:.3f}", f"{our['reopen_s']:.3f}",
            reopened["reopen_s"] / our["reopen_s"])
        row("disk MiB", f"{disk / 2**20:.1f}", f"{our['disk_bytes'] / 2**20:.1f}", disk / our["disk_bytes"])
        mem = ours_by["memory"][0]
        if mem.get("rss_growth_mib"):
            row("RSS growth MiB (fresh process: open + queries)", f"{reopened['rss_growth_mib']:.1f}",
                f"{mem['rss_growth_mib']:.1f}", reopened["rss_growth_mib"] / mem["rss_growth_mib"])
            e_heap = reopened["rss_growth_mib"] - reopened["file_rss_growth_mib"]
            o_heap = mem["rss_growth_mib"] - (mem.get("file_rss_growth_mib") or 0)
            row("  of it not file pages (heap) MiB", f"{e_heap:.1f}", f"{o_heap:.1f}", e_heap / o_heap)
        shard = q.EdgeShard.load(path)

        def curve_ratio(label, reqs_for, ours_label):
            exact = reqs_for(None, True)
            _, truth = timed(shard, exact, 1)
            curve = []
            for ef in p["ef"]:
                (qps, p50, p99), found = timed(shard, reqs_for(ef, False), args.repeats)
                rec = recall(found, truth, k)
                curve.append((rec, qps))
                records.append({"lib": "qdrant-edge", "kind": "query", "query": ours_label, "ef": ef, "recall": rec,
                                "qps": qps, "p50_us": p50, "p99_us": p99})
            ours_curve = [(r["recall"], r["qps"]) for r in ours_by["query"]
                          if r["query"] == ours_label and not r.get("exact")]
            for target in (0.9, 0.95, 0.99):
                e, o = qps_at(curve, target), qps_at(ours_curve, target)
                row(f"{label} QPS at recall {target}", f"{e:.0f}" if e else "-", f"{o:.0f}" if o else "-",
                    o / e if e and o else None)

        def dense(flt):
            def reqs(ef, exact):
                params = q.SearchParams(exact=True) if exact else q.SearchParams(
                    hnsw_ef=ef, quantization=q.QuantizationSearchParams(rescore=True, oversampling=os_) if quant else None)
                return [q.QueryRequest(limit=k, query=q.Query.Nearest(v.tolist(), using="dense"), filter=flt,
                                       params=params) for v in queries]
            return reqs

        curve_ratio("dense", dense(None), "dense")
        for fj in p["filters"]:
            flt = to_filter(fj)
            passing = shard.count(q.CountRequest(exact=True, filter=flt))
            label = f"dense, filter passing {100 * passing / n:.2f}%"
            curve_ratio(label, dense(flt), label)
        if sparse_q:
            reqs = [q.QueryRequest(limit=k, query=q.Query.Nearest(v, using="bm25")) for v in sparse_q]
            (qps, p50, p99), _ = timed(shard, reqs, args.repeats)
            records.append({"lib": "qdrant-edge", "kind": "query", "query": "sparse", "qps": qps, "p50_us": p50,
                            "p99_us": p99})
            o = next(r for r in ours_by["query"] if r["query"] == "sparse")
            row("sparse QPS (exact)", f"{qps:.0f}", f"{o['qps']:.0f}", o["qps"] / qps)
        if hybrid:
            # The dense prefetch's oversampling as ours (older result files: the dense one).
            hos = p.get("hybrid_oversampling", os_)

            def hyb(ef, exact):
                out = []
                for dv, sv in hybrid:
                    dp = q.SearchParams(exact=True) if exact else q.SearchParams(
                        hnsw_ef=ef, quantization=q.QuantizationSearchParams(rescore=True, oversampling=hos) if quant else None)
                    out.append(q.QueryRequest(limit=k, query=q.Fusion.Rrf(k=p["rrf_k"]), prefetches=[
                        q.Prefetch(limit=p["hybrid_prefetch"], query=q.Query.Nearest(dv.tolist(), using="dense"), params=dp),
                        q.Prefetch(limit=p["hybrid_prefetch"], query=q.Query.Nearest(sv, using="bm25"))]))
                return out
            curve_ratio("hybrid RRF", hyb, "hybrid")
        for r in ours_by.get("count", []):
            flt = to_filter(r["filter"])
            req = q.CountRequest(exact=True, filter=flt)
            c = shard.count(req)
            us = median_us(lambda: shard.count(req))
            records.append({"lib": "qdrant-edge", "kind": "count", "filter": r["filter"], "count": c, "us": us})
            same = "" if c == r["count"] else f" (count differs: {c} vs {r['count']})"
            row(f"count {c} points{same}, µs", f"{us:.2f}", f"{r['us']:.2f}", us / r["us"])
        for r in ours_by.get("facet", []):
            req = q.FacetRequest(r["key"], limit=r["limit"], exact=True)
            us = median_us(lambda: shard.facet(req))
            records.append({"lib": "qdrant-edge", "kind": "facet", "key": r["key"], "us": us})
            row(f"facet {r['key']} µs", f"{us:.1f}", f"{r['us']:.1f}", us / r["us"])
        # The same new points our bench added last (two neighbouring rows summed, the first
        # one's payload and sparse vector), then the optimize that takes them in.
        for r in ours_by.get("optimize_grown", []):
            added = r["added"]
            pts = []
            for i in range(added):
                vecs = {"dense": (base[i].astype(np.float32) + base[i + 1].astype(np.float32)).tolist()}
                if sparse is not None and i < len(sparse[0]) - 1:
                    vecs["bm25"] = csr_row(sparse, i)
                pts.append(q.Point(n + i, vecs, payloads[i]))
            for s in range(0, added, batch):
                shard.update(q.UpdateOperation.upsert_points(pts[s:s + batch]))
            t0 = time.perf_counter()
            shard.optimize()
            grow_s = time.perf_counter() - t0
            records.append({"lib": "qdrant-edge", "kind": "optimize_grown", "added": added, "s": grow_s})
            row(f"optimize after +{added} points s", f"{grow_s:.2f}", f"{r['s']:.2f}", grow_s / r["s"])
        shard.close()

    print("| figure | Qdrant Edge | ours | ours better by |")
    print("| --- | --- | --- | --- |")
    for what, e, o, ratio in rows:
        print(f"| {what} | {e} | {o} | {f'{ratio:.2f}x' if ratio else '-'} |")
    if args.json:
        json.dump({"harness": "edge_shard.py", "dataset": meta["name"], "records": records},
                  open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
