#!/usr/bin/env python3
"""Peers of `sextant-bench sparse`: exact sparse top-k on the same dataset folder, one query at
a time on one thread.

- Qdrant Edge (qdrant-edge-py 0.9.0): a shard with one sparse vector `bm25` (no modifier: the
  dataset's weights are already BM25), points upserted in batches of 1,000 and queried while
  the segment is still the appendable one ("edge-mutable"), then after `optimize()` builds its
  immutable sparse index ("edge-optimized").
- An exhaustive baseline in numpy: every query term's column (documents and weights, from a
  CSC copy of the matrix) added into a dense score array, then the top k: no pruning at all.

Recall is tie-aware against groundtruth.scores.fvecs, as ours is. Run from any directory:

    sextant-bench sparse --dataset DIR --json ours.json
    .venv/bin/python sparse_peers.py --dataset DIR --ours ours.json --json peers.json

Needs numpy and qdrant-edge-py==0.9.0 (requirements.txt).
"""

import argparse
import json
import os
import tempfile
import time

import numpy as np
import qdrant_edge as q

from bench_data import read_vecs


def read_csr(path):
    """A big-ann-benchmarks CSR file as (indptr, indices, data)."""
    with open(path, "rb") as f:
        n_rows, _n_cols, nnz = np.fromfile(f, dtype=np.int64, count=3)
        indptr = np.fromfile(f, dtype=np.int64, count=n_rows + 1)
        indices = np.fromfile(f, dtype=np.int32, count=nnz)
        data = np.fromfile(f, dtype=np.float32, count=nnz)
    return indptr, indices, data


def rows(csr):
    indptr, indices, data = csr
    return [(indices[indptr[r]:indptr[r + 1]], data[indptr[r]:indptr[r + 1]]) for r in range(len(indptr) - 1)]


def tie_recall(found_ids, found_scores, gt, gt_scores, k):
    kth = gt_scores[k - 1]
    hits = sum(1 for i, s in zip(found_ids[:k], found_scores[:k]) if i in set(gt[:k]) or s >= kth - 1e-4)
    return hits / k


def timed(queries, search, repeats):
    """Fastest of `repeats` passes: (qps, p50_us, p99_us, results of the first pass)."""
    first = [search(qv) for qv in queries]
    best = None
    for _ in range(repeats):
        lat = []
        for qv in queries:
            t0 = time.perf_counter()
            search(qv)
            lat.append(time.perf_counter() - t0)
        lat = np.array(lat) * 1e6
        qps = len(lat) / (lat.sum() / 1e6)
        if best is None or qps > best[0]:
            best = (qps, float(np.percentile(lat, 50)), float(np.percentile(lat, 99)))
    return best + (first,)


def column_scorer(base, k):
    """Exact top-k by a dense score array: every query term's column (documents and weights,
    from a CSC copy of `base`) added in, then the k best (ties by smaller id)."""
    indptr, indices, data = base
    n = len(indptr) - 1
    doc_of = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    order = np.argsort(indices, kind="stable")
    col_terms, col_docs, col_w = indices[order], doc_of[order], data[order]
    starts = np.searchsorted(col_terms, np.arange(col_terms.max() + 2))

    def exhaustive(qv):
        scores = np.zeros(n, dtype=np.float32)
        for t, w in zip(*qv):
            if t + 1 < len(starts):
                a, b = starts[t], starts[t + 1]
                scores[col_docs[a:b]] += w * col_w[a:b]
        top = np.argpartition(-scores, k)[:k]
        top = top[np.lexsort((top, -scores[top]))]
        return [int(i) for i in top], [float(scores[i]) for i in top]

    return exhaustive


def load_workload(args):
    """(base, queries, truth ids, truth scores): the dataset's queries and ground truth, or with
    `--long-queries N` the last N documents held out as queries, their truth left `None` (the
    caller scores them exhaustively)."""
    base = read_csr(os.path.join(args.dataset, "base.csr"))
    if args.long_queries:
        held = len(base[0]) - 1 - args.long_queries
        queries = rows(base)[held:][: args.max_queries]
        cut = base[0][held]
        return (base[0][: held + 1], base[1][:cut], base[2][:cut]), queries, None, None
    queries = rows(read_csr(os.path.join(args.dataset, "query.csr")))[: args.max_queries]
    gt = read_vecs(os.path.join(args.dataset, "groundtruth.ivecs"), np.int32)
    gt_scores = read_vecs(os.path.join(args.dataset, "groundtruth.scores.fvecs"), np.float32)
    return base, queries, gt, gt_scores


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--ours", help="result file of sextant-bench sparse (for the ratio)")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--max-queries", type=int)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--long-queries", type=int, default=0,
                    help="hold out the last N base documents as queries (as sextant-bench sparse "
                         "--long-queries N); their truth is the exhaustive scores")
    ap.add_argument("--json")
    args = ap.parse_args()
    k = args.k
    base, queries, gt, gt_scores = load_workload(args)
    n = len(base[0]) - 1
    records = []

    def report(lib, qps, p50, p99, found, extra=None):
        rec = float(np.mean([tie_recall(ids, sc, gt[i], gt_scores[i], k) for i, (ids, sc) in enumerate(found)]))
        records.append({"lib": lib, "kind": "search", "mode": "single", "filter": None, "k": k,
                        "recall": rec, "qps": qps, "p50_us": p50, "p99_us": p99, **(extra or {})})
        print(f"| {lib} | {rec:.4f} | {qps:.0f} | {p50:.1f} | {p99:.1f} |")

    print("| lib | recall@k | QPS | p50 µs | p99 µs |\n| --- | --- | --- | --- | --- |")

    # Exhaustive numpy baseline over a CSC copy.
    exhaustive = column_scorer(base, k)

    if gt is None:
        truth = [exhaustive(qv) for qv in queries]
        gt = [np.array(ids) for ids, _ in truth]
        gt_scores = [np.array(sc, dtype=np.float32) for _, sc in truth]
    report("numpy-exhaustive", *timed(queries, exhaustive, args.repeats))

    with tempfile.TemporaryDirectory() as tmp:
        cfg = q.EdgeConfig(sparse_vectors={"bm25": q.EdgeSparseVectorParams()},
                           optimizers=q.EdgeOptimizersConfig(default_segment_number=1, indexing_threshold=1),
                           max_search_threads=1, wal_enabled=False)
        shard = q.EdgeShard.create(os.path.join(tmp, "shard"), cfg)
        t0 = time.perf_counter()
        docs = rows(base)
        for s in range(0, n, 1000):
            pts = [q.Point(i, {"bm25": q.SparseVector(docs[i][0].tolist(), docs[i][1].tolist())})
                   for i in range(s, min(n, s + 1000))]
            shard.update(q.UpdateOperation.upsert_points(pts))
        upsert_s = time.perf_counter() - t0

        def edge(qv):
            req = q.QueryRequest(limit=k, query=q.Query.Nearest(q.SparseVector(qv[0].tolist(), qv[1].tolist()), using="bm25"))
            pts = shard.query(req)
            return [int(p.id) for p in pts], [float(p.score) for p in pts]

        report("qdrant-edge-mutable", *timed(queries, edge, args.repeats))
        t0 = time.perf_counter()
        shard.optimize()
        optimize_s = time.perf_counter() - t0
        report("qdrant-edge-optimized", *timed(queries, edge, args.repeats))
        # Bytes of the optimized segment (the one holding `vector_index-*`): its inverted index
        # files, and its vector storage (the documents' sparse vectors), allocated as `du`
        # counts them.
        index_bytes = storage_bytes = 0
        for root, dirs, _files in os.walk(os.path.join(tmp, "shard", "segments")):
            if any(d.startswith("vector_index") for d in dirs):
                for sub, _d, files in os.walk(root):
                    size = sum(os.stat(os.path.join(sub, f)).st_blocks * 512 for f in files)
                    if "vector_index" in sub:
                        index_bytes += size
                    elif "vector_storage" in sub:
                        storage_bytes += size
        postings = int(len(base[1]))
        records.append({"lib": "qdrant-edge", "kind": "build", "upsert_s": upsert_s, "optimize_s": optimize_s,
                        "build_s": upsert_s + optimize_s, "bytes": index_bytes, "storage_bytes": storage_bytes,
                        "postings": postings, "bytes_per_posting": index_bytes / postings,
                        "storage_bytes_per_posting": storage_bytes / postings})
        print(f"\nEdge build: upsert {upsert_s:.3f} s, optimize {optimize_s:.3f} s; optimized segment: "
              f"inverted index {index_bytes / postings:.1f} bytes per posting, vector storage "
              f"{storage_bytes / postings:.1f}")
        shard.close()

    if args.ours:
        ours = json.load(open(args.ours))["records"]
        mine = next((r for r in ours if r.get("kind") == "search" and r.get("filter") is None
                     and r.get("approximate", 1) == 1), None)
        build = next((r for r in ours if r.get("kind") == "build"), None)
        if mine:
            for r in records:
                if r["kind"] == "search":
                    print(f"ours ÷ {r['lib']}: QPS {mine['qps'] / r['qps']:.2f}x, p50 {r['p50_us'] / mine['p50_us']:.2f}x")
        if build:
            edge_build = next(r for r in records if r["lib"] == "qdrant-edge" and r["kind"] == "build")
            print(f"build: Edge {edge_build['build_s']:.3f} s ÷ ours {build['build_s']:.3f} s = {edge_build['build_s'] / build['build_s']:.1f}x")
    if args.json:
        json.dump({"harness": "sparse_peers.py", "dataset": os.path.basename(os.path.normpath(args.dataset)),
                   "records": records}, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
