"""What the Python benchmark scripts share: a dataset folder's files, recall@k, and the
report file in the peers' record format. Imported by the scripts next to it (and by
../analysis), which stay runnable from any directory.
"""
import json
import os
import platform

import numpy as np


def read_vecs(path, dtype):
    """An .fvecs / .ivecs file as a 2-D array (each row: an int32 count, then the values)."""
    raw = np.fromfile(path, dtype=np.int32)
    dim = int(raw[0])
    return raw.reshape(-1, dim + 1)[:, 1:].copy().view(dtype)


def load_dataset(folder, k):
    """(meta, base, queries, ground truth's first k ids) of a dataset folder, as float32."""
    meta = json.load(open(os.path.join(folder, "meta.json")))
    fvecs = os.path.join(folder, "base.fvecs")
    if os.path.exists(fvecs):
        base = read_vecs(fvecs, np.float32)
    else:  # the larger sets ship their base as float16 (base.f16.npy), widened here
        base = np.load(os.path.join(folder, "base.f16.npy")).astype(np.float32)
    queries = read_vecs(os.path.join(folder, "query.fvecs"), np.float32)
    gt = read_vecs(os.path.join(folder, "groundtruth.ivecs"), np.int32)[:, :k]
    return meta, base, queries, gt


def recall(found, gt, k):
    """Mean share of each query's true top k among the first k found."""
    return float(np.mean([len(set(f[:k]) & set(g[:k])) / k for f, g in zip(found, gt)]))


def write_report(path, harness, meta, args, records, versions, **extra):
    """The report file `sextant-bench plot` and compare.py next to it read."""
    report = {"harness": harness, "host": {"machine": platform.machine(), "nproc": os.cpu_count()},
              "versions": versions, "dataset": {"name": meta["name"], "meta": meta},
              "params": vars(args), **extra, "records": records}
    json.dump(report, open(path, "w"), indent=1)
