#!/usr/bin/env python3
"""FAISS exact search (IndexFlatIP / IndexFlatL2), measured like `sextant-bench exact`.

One query per `index.search` call on one thread (omp_set_num_threads(1)), one warm-up pass,
then --repeats timed passes; the fastest pass is reported. For cosine, base and queries are
normalized before the timed calls (as peers.py does for FAISS). Writes the peers' record format
with "lib": "faiss-flat", so compare.py and `sextant-bench plot` read it next to ours.

    python3 faiss_flat.py --dataset ../../datasets/minilm-pypi-20k --k 10 --out faiss-flat.json

Needs numpy and faiss-cpu (../shared/peers/requirements.txt pins the versions).
"""
import argparse
import json
import os
import platform
import resource
import time

import faiss
import numpy as np


def read_vecs(path, dtype):
    raw = np.fromfile(path, dtype=np.int32)
    dim = int(raw[0])
    rows = raw.reshape(-1, dim + 1)
    return rows[:, 1:].copy().view(dtype)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    meta = json.load(open(os.path.join(args.dataset, "meta.json")))
    base = read_vecs(os.path.join(args.dataset, "base.fvecs"), np.float32)
    queries = read_vecs(os.path.join(args.dataset, "query.fvecs"), np.float32)
    gt = read_vecs(os.path.join(args.dataset, "groundtruth.ivecs"), np.int32)[:, : args.k]
    faiss.omp_set_num_threads(1)
    if meta["metric"] == "l2":
        index = faiss.IndexFlatL2(base.shape[1])
    else:
        if meta["metric"] == "cosine":
            faiss.normalize_L2(base)
            faiss.normalize_L2(queries)
        index = faiss.IndexFlatIP(base.shape[1])
    index.add(base)
    rows = [queries[i : i + 1] for i in range(len(queries))]

    def one_pass():
        lat, found = [], []
        cpu0 = time.process_time()
        for q in rows:
            t = time.perf_counter()
            _, ids = index.search(q, args.k)
            lat.append(time.perf_counter() - t)
            found.append(ids[0])
        return np.array(lat), found, time.process_time() - cpu0

    one_pass()
    passes = [one_pass() for _ in range(args.repeats)]
    lat, found, cpu = min(passes, key=lambda p: p[0].sum())
    recall = float(np.mean([len(set(f) & set(g)) / args.k for f, g in zip(found, gt)]))
    us = np.sort(lat * 1e6)
    rec = {
        "lib": "faiss-flat", "dataset": meta["name"], "kind": "search", "mode": "single",
        "index": type(index).__name__, "k": args.k, "query_threads": 1, "recall": recall,
        "qps": len(lat) / lat.sum(), "p50_us": float(np.percentile(us, 50)),
        "p99_us": float(np.percentile(us, 99)), "mean_us": float(us.mean()),
        "cpu_us_per_query": cpu * 1e6 / len(lat), "loadavg": list(os.getloadavg()),
        "runs_qps": [round(len(p[0]) / p[0].sum(), 1) for p in passes],
    }
    print(f"| lib | index | recall@{args.k} | QPS | p50 us | p99 us | CPU us/query | load1 |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| faiss-flat | {rec['index']} | {recall:.4f} | {rec['qps']:.0f} | {rec['p50_us']:.1f} | "
          f"{rec['p99_us']:.1f} | {rec['cpu_us_per_query']:.1f} | {rec['loadavg'][0]:.2f} |")
    if args.out:
        report = {"harness": "faiss_flat.py", "host": {"machine": platform.machine(), "nproc": os.cpu_count()},
                  "versions": {"faiss-cpu": faiss.__version__, "numpy": np.__version__},
                  "dataset": {"name": meta["name"], "meta": meta}, "params": vars(args),
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "records": [rec]}
        json.dump(report, open(args.out, "w"), indent=1)


if __name__ == "__main__":
    main()
