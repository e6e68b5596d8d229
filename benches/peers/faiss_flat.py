#!/usr/bin/env python3
"""FAISS exact search (IndexFlatIP / IndexFlatL2), measured like `sextant-bench exact`.

One query per `index.search` call on one thread (omp_set_num_threads(1)), one warm-up pass,
then --repeats timed passes; the fastest pass is reported. For cosine, base and queries are
normalized before the timed calls (as peers.py does for FAISS). Writes the peers' record format
with "lib": "faiss-flat", so compare.py and `sextant-bench plot` read it next to ours.

    python3 faiss_flat.py --dataset ../../datasets/minilm-pypi-20k --k 10 --out faiss-flat.json

Needs numpy and faiss-cpu (requirements.txt next to this script pins the versions).
"""
import argparse
import os
import resource
import time

import faiss
import numpy as np

from bench_data import load_dataset, recall, write_report


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    meta, base, queries, gt = load_dataset(args.dataset, args.k)
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
    recall_k = recall(found, gt, args.k)
    us = np.sort(lat * 1e6)
    rec = {
        "lib": "faiss-flat", "dataset": meta["name"], "kind": "search", "mode": "single",
        "index": type(index).__name__, "k": args.k, "query_threads": 1, "recall": recall_k,
        "qps": len(lat) / lat.sum(), "p50_us": float(np.percentile(us, 50)),
        "p99_us": float(np.percentile(us, 99)), "mean_us": float(us.mean()),
        "cpu_us_per_query": cpu * 1e6 / len(lat), "loadavg": list(os.getloadavg()),
        "runs_qps": [round(len(p[0]) / p[0].sum(), 1) for p in passes],
    }
    print(f"| lib | index | recall@{args.k} | QPS | p50 us | p99 us | CPU us/query | load1 |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| faiss-flat | {rec['index']} | {recall_k:.4f} | {rec['qps']:.0f} | {rec['p50_us']:.1f} | "
          f"{rec['p99_us']:.1f} | {rec['cpu_us_per_query']:.1f} | {rec['loadavg'][0]:.2f} |")
    if args.out:
        write_report(args.out, "faiss_flat.py", meta, args, [rec],
                     {"faiss-cpu": faiss.__version__, "numpy": np.__version__},
                     peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


if __name__ == "__main__":
    main()
