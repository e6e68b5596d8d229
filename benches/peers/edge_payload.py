#!/usr/bin/env python3
"""Qdrant Edge as the peer of `sextant-bench payload`: the same payloads, the same field indexes
(types taken from our result file's schema), the same filters and facets, timed the same way
(median of --repeats after one warm-up call), and the ratios printed against our records.

    sextant-bench payload --dataset DIR --json ours.json
    .venv/bin/python edge_payload.py --dataset DIR --ours ours.json --json edge.json

Needs qdrant-edge-py==0.9.0 (requirements.txt). Filters with a bool `match` are left out: the
binding reads `MatchValue(True)` as the integer 1. Edge's times include the Python call (a few
microseconds); the filter and request objects are built before timing.
"""

import argparse
import json
import os
import statistics
import tempfile
import time

import qdrant_edge as q

TYPES = {"keyword": q.PayloadSchemaType.Keyword, "integer": q.PayloadSchemaType.Integer,
         "float": q.PayloadSchemaType.Float, "bool": q.PayloadSchemaType.Bool,
         "datetime": q.PayloadSchemaType.Datetime, "uuid": q.PayloadSchemaType.Uuid}


class Unsupported(Exception):
    pass


def conditions(v):
    items = v if isinstance(v, list) else [v]
    return [condition(c) for c in items]


def to_filter(f):
    return q.Filter(
        must=conditions(f["must"]) if "must" in f else None,
        should=conditions(f["should"]) if "should" in f else None,
        must_not=conditions(f["must_not"]) if "must_not" in f else None,
        min_should=q.MinShould(conditions(f["min_should"]["conditions"]), f["min_should"]["min_count"])
        if "min_should" in f else None,
    )


def match(m):
    if "value" in m:
        if isinstance(m["value"], bool):
            raise Unsupported("bool match (the binding reads True as 1)")
        return q.MatchValue(m["value"])
    if "any" in m:
        return q.MatchAny(m["any"])
    if "except" in m:
        return q.MatchExcept(m["except"])
    if "text" in m:
        return q.MatchText(m["text"])
    if "text_any" in m:
        return q.MatchTextAny(m["text_any"])
    raise Unsupported(f"match {m}")


def rng(r):
    if any(isinstance(v, str) for v in r.values()):
        return q.RangeDateTime(**r)
    return q.RangeFloat(**{k: float(v) for k, v in r.items()})


def condition(c):
    if "key" in c:
        key = c["key"]
        if "match" in c:
            return q.FieldCondition(key, match=match(c["match"]))
        if "range" in c:
            return q.FieldCondition(key, range=rng(c["range"]))
        if "values_count" in c:
            return q.FieldCondition(key, values_count=q.ValuesCount(**c["values_count"]))
        raise Unsupported(f"field condition {c}")
    if "is_empty" in c:
        return q.IsEmptyCondition(c["is_empty"]["key"])
    if "is_null" in c:
        return q.IsNullCondition(c["is_null"]["key"])
    if "has_id" in c:
        return q.HasIdCondition(set(c["has_id"]))
    if "nested" in c:
        return q.NestedCondition(c["nested"]["key"], to_filter(c["nested"]["filter"]))
    return to_filter(c)


def median_us(repeats, fn):
    """Median time of one call, in µs. A sample runs the call as many times as fill about
    20 µs (from a timed call after a warm-up), as sextant-bench payload does, so reading the clock does
    not weigh on short calls."""
    fn()
    t0 = time.perf_counter()
    fn()
    once = (time.perf_counter() - t0) * 1e6
    inner = int(min(1000.0, max(1.0, 20.0 / max(once, 1e-3))))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t0) * 1e6 / inner)
    return statistics.median(times)


def dir_bytes(path, part):
    total = 0
    for root, _, files in os.walk(path):
        if part in root:
            total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--ours", required=True, help="result file of sextant-bench payload")
    ap.add_argument("--repeats", type=int, default=21)
    ap.add_argument("--json")
    args = ap.parse_args()
    ours = json.load(open(args.ours))
    schema = ours["params"]["schema"]
    payloads = [json.loads(line) for line in open(os.path.join(args.dataset, "payload.jsonl"))]
    records = []

    with tempfile.TemporaryDirectory() as tmp:
        cfg = q.EdgeConfig(vectors=q.EdgeVectorParams(size=1, distance=q.Distance.Dot),
                           optimizers=q.EdgeOptimizersConfig(default_segment_number=1),
                           max_search_threads=1, wal_enabled=False)
        path = os.path.join(tmp, "shard")
        shard = q.EdgeShard.create(path, cfg)
        t0 = time.perf_counter()
        for s in range(0, len(payloads), 1000):
            pts = [q.Point(i, [1.0], payloads[i]) for i in range(s, min(len(payloads), s + 1000))]
            shard.update(q.UpdateOperation.upsert_points(pts))
        upsert_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for key, t in schema.items():
            shard.update(q.UpdateOperation.create_field_index(key, TYPES[t]))
        index_s = time.perf_counter() - t0
        shard.flush()
        index_bytes = dir_bytes(path, "payload_index")
        records.append({"lib": "qdrant-edge", "kind": "build", "index_s": index_s, "upsert_s": upsert_s,
                        "bytes": index_bytes})
        ours_build = next(r for r in ours["records"] if r["kind"] == "build")
        print(f"index build: Edge {index_s:.3f} s, ours {ours_build['index_s']:.3f} s "
              f"({index_s / ours_build['index_s']:.1f}x); index bytes: Edge {index_bytes} on disk, "
              f"ours {ours_build['bytes']} in RAM\n")

        print("| filter | count (ours / Edge) | Edge count µs | ours count µs | ratio |")
        print("| --- | --- | --- | --- | --- |")
        ratios = []
        for r in ours["records"]:
            if r["kind"] != "count":
                continue
            try:
                flt = to_filter(r["filter"])
            except Unsupported as e:
                print(f"| {json.dumps(r['filter'])} | skipped: {e} | | | |")
                continue
            req = q.CountRequest(exact=True, filter=flt)
            count = shard.count(req)
            us = median_us(args.repeats, lambda: shard.count(req))
            ratio = us / r["count_us"]
            ratios.append(ratio)
            records.append({"lib": "qdrant-edge", "kind": "count", "filter": r["filter"], "count": count,
                            "count_us": us})
            same = "" if count == r["count"] else " MISMATCH"
            print(f"| {json.dumps(r['filter'])} | {r['count']} / {count}{same} | {us:.1f} | {r['count_us']:.1f} | "
                  f"{ratio:.1f}x |")
        if ratios:
            print(f"\ncount: Edge/ours median {statistics.median(ratios):.1f}x, "
                  f"min {min(ratios):.1f}x, max {max(ratios):.1f}x over {len(ratios)} filters\n")

        print("| facet key | filter | Edge µs | ours µs | ratio | same hits |")
        print("| --- | --- | --- | --- | --- | --- |")
        fratios = []
        for r in ours["records"]:
            if r["kind"] != "facet":
                continue
            try:
                flt = to_filter(r["filter"]) if r["filter"] else None
            except Unsupported as e:
                print(f"| {r['key']} | skipped: {e} | | | | |")
                continue
            req = q.FacetRequest(r["key"], limit=r["limit"], exact=True, filter=flt)
            hits = [[h.value, h.count] for h in shard.facet(req).hits]
            us = median_us(args.repeats, lambda: shard.facet(req))
            ratio = us / r["us"]
            fratios.append(ratio)
            records.append({"lib": "qdrant-edge", "kind": "facet", "key": r["key"], "filter": r["filter"],
                            "limit": r["limit"], "us": us, "hits": hits})
            print(f"| {r['key']} | {json.dumps(r['filter'])} | {us:.1f} | {r['us']:.1f} | {ratio:.1f}x | "
                  f"{hits == r['hits']} |")
        if fratios:
            print(f"\nfacets: Edge/ours median {statistics.median(fratios):.1f}x, "
                  f"min {min(fratios):.1f}x, max {max(fratios):.1f}x over {len(fratios)} facets")
        shard.close()

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"harness": "edge_payload.py", "dataset": args.dataset, "records": records}, f, indent=1)


if __name__ == "__main__":
    main()
