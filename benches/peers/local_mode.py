#!/usr/bin/env python3
"""Qdrant's local mode on sextant (`sextant.local()`) against qdrant-client's own
`QdrantClient(":memory:")`: the same application code on both, timed.

Upserts the dataset's points with their payloads (batches of 256), indexes `category`, then runs
`--queries` filtered queries (query i's vector, `category` equal to point i's category, k 10,
payloads returned), one per call. Prints a table and writes the records as JSON.

    python local_mode.py --dataset ../../datasets/minilm-pypi-20k [--queries 1000] [--out FILE]

Needs `sextant` (pip install "./crates/python[local]") and qdrant-client.
"""

import argparse
import json
import platform
import time
from importlib import metadata

import numpy as np
from qdrant_client import QdrantClient, models

import sextant
from texmex import read_fvecs


def run(client, base, payloads, queries, n_q):
    dim = base.shape[1]
    t = time.perf_counter()
    client.create_collection("bench", vectors_config=models.VectorParams(size=dim, distance=models.Distance.COSINE))
    client.create_payload_index("bench", field_name="category", field_schema="keyword")
    for start in range(0, len(base), 256):
        stop = min(start + 256, len(base))
        client.upsert("bench", points=models.Batch(ids=list(range(start, stop)), vectors=base[start:stop].tolist(),
                                                    payloads=payloads[start:stop]), wait=True)
    upsert_s = time.perf_counter() - t
    lat = []
    for i in range(n_q):
        flt = models.Filter(must=[models.FieldCondition(key="category",
                                                        match=models.MatchValue(value=payloads[i]["category"]))])
        t = time.perf_counter()
        client.query_points("bench", query=queries[i % len(queries)].tolist(), query_filter=flt, limit=10,
                            with_payload=True)
        lat.append(time.perf_counter() - t)
    lat.sort()
    return {"upsert_s": upsert_s, "points_per_s": len(base) / upsert_s, "queries": n_q,
            "query_total_s": sum(lat), "query_p50_ms": 1e3 * lat[len(lat) // 2],
            "query_p99_ms": 1e3 * lat[min(len(lat) - 1, int(0.99 * len(lat)))]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--out")
    args = ap.parse_args()
    base = read_fvecs(f"{args.dataset}/base.fvecs")
    queries = read_fvecs(f"{args.dataset}/query.fvecs")
    with open(f"{args.dataset}/payload.jsonl") as f:
        payloads = [json.loads(line) for line in f]
    records = []
    for name, make in [("sextant.local()", sextant.local), ("QdrantClient(':memory:')", lambda: QdrantClient(":memory:"))]:
        client = make()
        r = run(client, base, payloads, queries, args.queries)
        client.close()
        records.append(dict(r, client=name))
        print(f"{name}: upsert {r['upsert_s']:.2f} s ({r['points_per_s']:.0f} points/s), "
              f"{args.queries} filtered queries {r['query_total_s']:.2f} s "
              f"(p50 {r['query_p50_ms']:.2f} ms, p99 {r['query_p99_ms']:.2f} ms)")
    ours, theirs = records
    print(f"ratios: upsert {theirs['upsert_s'] / ours['upsert_s']:.1f}x, "
          f"queries {theirs['query_total_s'] / ours['query_total_s']:.1f}x")
    if args.out:
        report = {"harness": "local_mode.py", "dataset": args.dataset, "n": len(base),
                  "versions": {"python": platform.python_version(), "qdrant-client": metadata.version("qdrant-client"),
                               "sextant": sextant.__version__},
                  "records": records}
        with open(args.out, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
