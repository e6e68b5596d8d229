#!/usr/bin/env python3
"""Recall@k of an ideal codec: what no 4-bit codec can beat on a dataset (for a Gaussian source).

For a Gaussian source with the dataset's covariance, the rate-distortion bound is reached by
reverse water-filling over the principal components: component i gets distortion
D_i = min(theta, lambda_i), with theta set so that sum(max(0, log2(lambda_i / theta) / 2))
equals the bit budget. Its forward test channel reconstructs y_i as a_i y_i + sqrt(a_i D_i) n
(a_i = 1 - D_i / lambda_i, n standard normal), the least mean-squared error any codec of that
rate can reach on that source. This script encodes the base vectors through that channel and
measures recall@k of exact inner products (cosine datasets are unit-normalized) against the
ground truth, averaged over a few noise draws.

With --weighted the codec minimizes the error a query sees instead of the plain squared error:
sum(mu_i D_i), mu_i the queries' mean squared coordinate on component i. The same Lagrangian
gives D_i = min(lambda_i, theta / mu_i): more bits go where queries look. This is the better
yardstick for ranking, since a score's error is the query's inner product with the vector's.

Real embeddings are not Gaussian, so a codec could in principle do better than this; the figure
is a yardstick, not a proof. Our measured codecs sit about one bit per dimension below it.

    python3 ideal_codec_recall.py --dataset ../../datasets/minilm-pypi-20k --bits 2,3,4,5,6,8

Needs numpy.
"""
import argparse
import os
import sys

import numpy as np

# The dataset reader the benchmark scripts share lives with the peers' scripts.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peers"))
from bench_data import load_dataset  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--bits", default="2,3,4,5,6,8", help="bits per dimension, comma-separated")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--draws", type=int, default=3)
    ap.add_argument("--weighted", action="store_true", help="minimize the query-weighted error")
    args = ap.parse_args()
    _, base, queries, gt = load_dataset(args.dataset, args.k)
    base, queries = base.astype(np.float64), queries.astype(np.float64)
    mean = base.mean(0)
    lam, vecs = np.linalg.eigh(np.cov((base - mean).T))
    lam = np.maximum(lam, 1e-12)
    coords = (base - mean) @ vecs
    dim = base.shape[1]
    rng = np.random.default_rng(1)
    query_moment = np.mean((queries @ vecs) ** 2, axis=0)
    weight = query_moment if args.weighted else np.ones(dim)

    def distortions(total_bits):
        lo, hi = 1e-30, (lam * weight).max()
        for _ in range(300):
            theta = np.sqrt(lo * hi)
            if np.maximum(0, 0.5 * np.log2(lam * weight / theta)).sum() > total_bits:
                lo = theta
            else:
                hi = theta
        return np.minimum(theta / weight, lam)

    def recall(decoded):
        top = np.argsort(-(queries @ decoded.T), axis=1)[:, : args.k]
        return float(np.mean([len(set(a) & set(b)) / args.k for a, b in zip(top, gt)]))

    print(f"| bits/dim | bytes/vector | MSE per vector | error a query sees | ideal recall@{args.k} (mean of {args.draws}) | range |")
    print("| ---: | ---: | ---: | ---: | ---: | --- |")
    for bits in [float(b) for b in args.bits.split(",")]:
        d = distortions(bits * dim)
        a = 1 - d / lam
        rs = [recall((a * coords + np.sqrt(a * d) * rng.standard_normal(coords.shape)) @ vecs.T + mean)
              for _ in range(args.draws)]
        print(f"| {bits:g} | {bits * dim / 8:g} | {d.sum():.3e} | {(query_moment * d).sum():.3e} | {np.mean(rs):.4f} | {min(rs):.4f}-{max(rs):.4f} |")


if __name__ == "__main__":
    main()
