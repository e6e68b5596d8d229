#!/usr/bin/env python3
"""Seismic (pyseismic-lsr 0.5.4), the approximate peer of `sextant-bench sparse --max-terms`:
the same dataset folder, one query at a time on one thread, recall against the exact scores.

Seismic keeps the heaviest postings of each list in blocks with summaries, and answers a query
from its `query_cut` heaviest terms, skipping a block when its summary's score is below
`heap_factor` times the k-th score. It is built for learned sparse vectors (SPLADE); here it
gets the dataset's BM25 vectors, terms as strings of their ids. Every (query_cut, heap_factor)
pair swept is one point of its recall / QPS curve.

    sextant-bench sparse --dataset DIR --long-queries 1000 --max-terms 0,8,10,12 --json ours.json
    .venv/bin/python seismic_peer.py --dataset DIR --long-queries 1000 --ours ours.json --json seismic.json

The last N base documents are held out as queries with `--long-queries N` (as ours); their
truth is the exact scores, computed here with numpy. Needs numpy and pyseismic-lsr==0.5.4
(requirements.txt).
"""

import argparse
import json
import os
import time

import numpy as np
import seismic

from sparse_peers import column_scorer, load_workload, rows, tie_recall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--ours", help="result file of sextant-bench sparse --approximate (for the ratio)")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--max-queries", type=int)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--long-queries", type=int, default=0)
    ap.add_argument("--query-cuts", default="5,10,20,40")
    ap.add_argument("--heap-factors", default="0.3,0.5,0.7,0.9")
    ap.add_argument("--n-postings", type=int, default=0,
                    help="postings kept per list on average (0: the longest list's length, every posting kept)")
    ap.add_argument("--json")
    args = ap.parse_args()
    k = args.k
    base, queries, gt, gt_scores = load_workload(args)
    if gt is None:
        truth = [column_scorer(base, k)(qv) for qv in queries]
        gt = [np.array(ids) for ids, _ in truth]
        gt_scores = [np.array(sc, dtype=np.float32) for _, sc in truth]
    n = len(base[0]) - 1
    postings = int(len(base[1]))
    string_type = seismic.get_seismic_string()

    t0 = time.perf_counter()
    dataset = seismic.SeismicDataset()
    for i, (terms, weights) in enumerate(rows(base)):
        dataset.add_document(str(i), np.asarray([str(t) for t in terms], dtype=string_type),
                             np.asarray(weights, dtype=np.float32))
    # Every posting kept by default: the longest list's length.
    n_postings = args.n_postings or int(np.bincount(base[1]).max())
    index = seismic.SeismicIndex.build_from_dataset(dataset, n_postings=n_postings, num_threads=1)
    build_s = time.perf_counter() - t0
    print(f"Seismic build: {build_s:.2f} s ({n} documents, {postings} postings, n_postings {n_postings})")
    qs = [(np.asarray([str(t) for t in terms], dtype=string_type), np.asarray(w, dtype=np.float32))
          for terms, w in queries]

    records = [{"lib": "seismic", "kind": "build", "build_s": build_s, "postings": postings,
                "n_postings": n_postings}]
    print("| query_cut | heap_factor | recall@k | QPS | p50 µs | p99 µs |\n| --- | --- | --- | --- | --- | --- |")
    for query_cut in [int(x) for x in args.query_cuts.split(",")]:
        for heap_factor in [float(x) for x in args.heap_factors.split(",")]:
            def search(i):
                comps, vals = qs[i]
                return index.search(query_id=str(i), query_components=comps, query_values=vals, k=k,
                                    query_cut=query_cut, heap_factor=heap_factor)
            found = [search(i) for i in range(len(qs))]
            best = None
            for _ in range(args.repeats):
                lat = []
                for i in range(len(qs)):
                    t = time.perf_counter()
                    search(i)
                    lat.append(time.perf_counter() - t)
                lat = np.array(lat) * 1e6
                qps = len(lat) / (lat.sum() / 1e6)
                if best is None or qps > best[0]:
                    best = (qps, float(np.percentile(lat, 50)), float(np.percentile(lat, 99)))
            # Each hit is (query id, score, document id).
            rec = float(np.mean([tie_recall([int(h[2]) for h in f], [float(h[1]) for h in f],
                                            gt[i], gt_scores[i], k) for i, f in enumerate(found)]))
            qps, p50, p99 = best
            records.append({"lib": "seismic", "kind": "search", "mode": "single", "filter": None, "k": k,
                            "query_cut": query_cut, "heap_factor": heap_factor, "recall": rec,
                            "qps": qps, "p50_us": p50, "p99_us": p99})
            print(f"| {query_cut} | {heap_factor} | {rec:.4f} | {qps:.0f} | {p50:.1f} | {p99:.1f} |")

    def best_at(recs, floor):
        ok = [r for r in recs if r["recall"] >= floor]
        return max(ok, key=lambda r: r["qps"]) if ok else None

    if args.ours:
        ours = [r for r in json.load(open(args.ours))["records"]
                if r.get("kind") == "search" and r.get("filter") is None]
        mine = {}
        for r in ours:
            mine.setdefault(r.get("storage"), []).append(r)
        seis = [r for r in records if r["kind"] == "search"]
        for floor in (0.9, 0.95, 0.99):
            s = best_at(seis, floor)
            for storage, recs in mine.items():
                o = best_at(recs, floor)
                if s and o:
                    terms = o.get("max_terms") or "all"
                    print(f"recall >= {floor}: ours ({storage}, factor {o['approximate']}, terms {terms}, "
                          f"recall {o['recall']:.3f}) {o['qps']:.0f} QPS "
                          f"÷ Seismic (cut {s['query_cut']}, heap {s['heap_factor']}, recall {s['recall']:.3f}) "
                          f"{s['qps']:.0f} = "
                          f"{o['qps'] / s['qps']:.2f}x")
    if args.json:
        json.dump({"harness": "seismic_peer.py", "dataset": os.path.basename(os.path.normpath(args.dataset)),
                   "long_queries": args.long_queries, "records": records}, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
