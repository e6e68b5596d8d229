#!/usr/bin/env python3
"""Qdrant Edge as the peer of the shard's `multivector` criterion bench: the same shape (2,000
points of 16 vectors of 128 dimensions, cosine, MaxSim, pseudo-random values from the same
xorshift generator, a dense `d` vector per point: the mean of its vectors), the multivector
kept out of the graph (`m` 0, Qdrant's advice for re-ranking vectors, so both sides score
exactly), optimized; then one query at a time: a MaxSim scan of every point (`exact`) and a
dense prefetch of 100 points re-ranked by MaxSim. Prints the median µs per query (best of 3
passes over 50 queries); the Python call adds a few µs to Edge's figures.

    cargo bench -p sextant-shard --bench multivector
    .venv/bin/python edge_multivector.py

Needs qdrant-edge-py==0.9.0 (requirements.txt).
"""

import statistics
import tempfile
import time

import qdrant_edge as q

POINTS, ROWS, DIM = 2_000, 16, 128
MASK = (1 << 64) - 1


def vectors(seed, n):
    """The bench's generator: xorshift64 from `seed·φ | 1`, values `(x >> 40) / 2^23 - 1`."""
    x = (seed * 0x9E3779B97F4A7C15 & MASK) | 1
    out = []
    for _ in range(n):
        row = []
        for _ in range(DIM):
            x ^= (x << 13) & MASK
            x ^= x >> 7
            x ^= (x << 17) & MASK
            row.append((x >> 40) / (1 << 23) - 1.0)
        out.append(row)
    return out


def main():
    multi = q.MultiVectorConfig(comparator=q.MultiVectorComparator.MaxSim)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = q.EdgeConfig(vectors={
            "d": q.EdgeVectorParams(size=DIM, distance=q.Distance.Cosine),
            "m": q.EdgeVectorParams(size=DIM, distance=q.Distance.Cosine, multivector_config=multi,
                                    hnsw_config=q.HnswIndexConfig(m=0, ef_construct=100, full_scan_threshold=10000)),
        })
        shard = q.EdgeShard.create(tmp, cfg)
        for start in range(0, POINTS, 250):
            pts = []
            for i in range(start, start + 250):
                rows = vectors(i + 1, ROWS)
                mean = [sum(r[j] for r in rows) / ROWS for j in range(DIM)]
                pts.append(q.Point(i, {"d": mean, "m": rows}, {}))
            shard.update(q.UpdateOperation.upsert_points(pts))
        shard.optimize()
        queries = [vectors(1_000_000 + k, ROWS) for k in range(50)]
        exact = q.SearchParams(exact=True)
        scan = [q.QueryRequest(limit=10, query=q.Query.Nearest(v, using="m"), params=exact) for v in queries]
        rerank = [q.QueryRequest(limit=10, query=q.Query.Nearest(v, using="m"), prefetches=[
            q.Prefetch(limit=100, query=q.Query.Nearest(v[0], using="d"))]) for v in queries]
        for name, reqs in [("max_sim_scan_2k", scan), ("rerank_100", rerank)]:
            best = None
            for _ in range(3):
                lat = []
                for r in reqs:
                    t = time.perf_counter()
                    shard.query(r)
                    lat.append(time.perf_counter() - t)
                med = statistics.median(lat) * 1e6
                best = med if best is None else min(best, med)
            print(f"edge multivector/{name}: {best:.1f} us median")


if __name__ == "__main__":
    main()
