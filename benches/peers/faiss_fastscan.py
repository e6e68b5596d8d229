#!/usr/bin/env python3
"""FAISS 4-bit fast-scan product quantization (IndexPQFastScan), measured like
`sextant-bench quant --codecs pqMx4`: a flat scan over all codes, one query per
`index.search` call on one thread, one warm-up pass, then --repeats timed passes (the fastest
is reported). Recall@k raw, and after rescoring the top R·k of the codes with exact float
scores (numpy, outside the timed scan), for each R in --rescore.

The peers harness (peers.py, next to this script) measures FAISS's 8-bit PQ, SQ, RaBitQ and
TurboQuant codecs but not its fast-scan layout; this script fills that gap. With --bits 8 it
measures FAISS's 8-bit IndexPQ the same way (one query per call, fastest of --repeats), where
peers.py times one batched call once.

    python3 faiss_fastscan.py --dataset ../../datasets/minilm-pypi-20k --m 48,96 --out faiss-fastscan.json

Needs numpy and faiss-cpu (requirements.txt next to this script pins the versions).
"""
import argparse
import os
import time

import faiss
import numpy as np

from bench_data import load_dataset, recall, write_report


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--m", default="48,96", help="sub-spaces, comma-separated")
    ap.add_argument("--bits", type=int, default=4, choices=(4, 8),
                    help="4: IndexPQFastScan; 8: IndexPQ (256 centroids per sub-space)")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--rescore", default="1,2,4")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    meta, base, queries, gt = load_dataset(args.dataset, args.k)
    faiss.omp_set_num_threads(1)
    if meta["metric"] == "l2":
        metric = faiss.METRIC_L2
    else:
        if meta["metric"] == "cosine":
            faiss.normalize_L2(base)
            faiss.normalize_L2(queries)
        metric = faiss.METRIC_INNER_PRODUCT
    rs = [int(r) for r in args.rescore.split(",")]
    widest = args.k * max(rs)
    rows = [queries[i : i + 1] for i in range(len(queries))]
    records = []
    print(f"| codec | bytes/vector | ns/code | " + " | ".join(f"recall@{args.k} R={r}" for r in rs) + " | load1 |")
    print("| --- | ---: | ---: | " + " | ".join("---:" for _ in rs) + " | ---: |")
    for m in [int(x) for x in args.m.split(",")]:
        faiss.omp_set_num_threads(2)
        if args.bits == 4:
            index = faiss.IndexPQFastScan(base.shape[1], m, 4, metric)
            codec = f"IndexPQFastScan m={m} x 4 bit"
        else:
            index = faiss.IndexPQ(base.shape[1], m, 8, metric)
            codec = f"IndexPQ m={m} x 8 bit"
        t = time.perf_counter()
        index.train(base)
        index.add(base)
        build_s = time.perf_counter() - t
        faiss.omp_set_num_threads(1)

        def one_pass():
            found = []
            t = time.perf_counter()
            for q in rows:
                _, ids = index.search(q, widest)
                found.append(ids[0])
            return time.perf_counter() - t, found

        one_pass()
        passes = [one_pass() for _ in range(args.repeats)]
        secs, found = min(passes, key=lambda p: p[0])
        ns_per_code = secs / len(rows) / len(base) * 1e9
        recalls = []
        for r in rs:
            best = []
            for q, ids in zip(queries, found):
                cand = ids[: args.k * r]
                cand = cand[cand >= 0]
                if metric == faiss.METRIC_L2:
                    s = -((base[cand] - q) ** 2).sum(1)
                else:
                    s = base[cand] @ q
                best.append(cand[np.argsort(-s, kind="stable")][: args.k])
            recalls.append({"rescore": r, "recall": recall(best, gt, args.k)})
        rec = {
            "lib": "faiss-fastscan" if args.bits == 4 else "faiss-pq", "dataset": meta["name"], "kind": "quant",
            "codec": codec, "bytes_per_vector": m * args.bits // 8,
            "ns_per_code": ns_per_code, "k": args.k, "recall": recalls, "train_add_s": build_s,
            "runs_ns_per_code": [p[0] / len(rows) / len(base) * 1e9 for p in passes],
            "loadavg": list(os.getloadavg()),
        }
        records.append(rec)
        cells = " | ".join(f"{x['recall']:.4f}" for x in recalls)
        print(f"| faiss {codec} | {m * args.bits // 8} | {ns_per_code:.2f} | {cells} | {rec['loadavg'][0]:.2f} |")
    if args.out:
        write_report(args.out, "faiss_fastscan.py", meta, args, records,
                     {"faiss-cpu": faiss.__version__, "numpy": np.__version__})


if __name__ == "__main__":
    main()
