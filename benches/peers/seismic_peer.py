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

from bench_data import read_vecs
from sparse_peers import read_csr, rows, tie_recall


def exact_truth(base, queries, k):
    """Exact top-k ids and scores of each query over `base`, by a dense score array."""
    indptr, indices, data = base
    n = len(indptr) - 1
    doc_of = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    order = np.argsort(indices, kind="stable")
    col_terms, col_docs, col_w = indices[order], doc_of[order], data[order]
    starts = np.searchsorted(col_terms, np.arange(col_terms.max() + 2))
    ids, scores = [], []
    for terms, weights in queries:
        s = np.zeros(n, dtype=np.float32)
        for t, w in zip(terms, weights):
            if t + 1 < len(starts):
                s[col_docs[starts[t]:starts[t + 1]]] += w * col_w[starts[t]:starts[t + 1]]
        top = np.argpartition(-s, k)[:k]
        top = top[np.lexsort((top, -s[top]))]
        ids.append(top)
        scores.append(s[top])
    return ids, scores


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
    base = read_csr(os.path.join(args.dataset, "base.csr"))
    if args.long_queries:
        held = len(base[0]) - 1 - args.long_queries
        queries = rows(base)[held:][: args.max_queries]
        cut = base[0][held]
        base = (base[0][: held + 1], base[1][:cut], base[2][:cut])
        gt, gt_scores = exact_truth(base, queries, k)
    else:
        queries = rows(read_csr(os.path.join(args.dataset, "query.csr")))[: args.max_queries]
        gt = read_vecs(os.path.join(args.dataset, "groundtruth.ivecs"), np.int32)
        gt_scores = read_vecs(os.path.join(args.dataset, "groundtruth.scores.fvecs"), np.float32)
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
