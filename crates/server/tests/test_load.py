"""A bounded load test on loopback: 16 clients (threads, one qdrant-client each) upserting
batches and querying for `$SEXTANT_LOAD_SECONDS` (30 by default); no request may fail and
no acknowledged point may be missing afterwards. Prints (and writes to
`target/server-load.json`) the request count and p50 / p99 latencies."""

import json
import os
import random
import threading
import time
from pathlib import Path

from qdrant_client import models

CLIENTS = 16
DIM = 32
SECONDS = float(os.environ.get("SEXTANT_LOAD_SECONDS", "30"))


def test_sixteen_clients(fresh_server):
    admin = fresh_server.client()
    admin.create_collection("load", vectors_config=models.VectorParams(size=DIM, distance=models.Distance.COSINE))
    admin.create_payload_index("load", field_name="c", field_schema="integer")
    acked = [[] for _ in range(CLIENTS)]
    latencies = {"upsert": [], "query": []}
    errors = []
    lock = threading.Lock()
    stop = time.time() + SECONDS

    def work(c):
        client = fresh_server.client()
        r = random.Random(c)
        next_id = c * 10_000_000
        mine = {"upsert": [], "query": []}
        try:
            while time.time() < stop:
                ids = list(range(next_id, next_id + 8))
                next_id += 8
                pts = [models.PointStruct(id=i, vector=[r.uniform(-1, 1) for _ in range(DIM)], payload={"c": c})
                       for i in ids]
                t = time.perf_counter()
                client.upsert("load", points=pts, wait=True)
                mine["upsert"].append(time.perf_counter() - t)
                acked[c].extend(ids)
                flt = models.Filter(must=[models.FieldCondition(key="c", match=models.MatchValue(value=c))])
                t = time.perf_counter()
                hits = client.query_points("load", query=[r.uniform(-1, 1) for _ in range(DIM)], limit=10,
                                           query_filter=flt if r.random() < 0.5 else None).points
                mine["query"].append(time.perf_counter() - t)
                assert len(hits) > 0
        except Exception as e:  # noqa: BLE001 - every failure is reported
            with lock:
                errors.append(repr(e))
        with lock:
            for k in mine:
                latencies[k].extend(mine[k])

    threads = [threading.Thread(target=work, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    total = sum(len(a) for a in acked)
    assert admin.count("load").count == total
    for c in range(CLIENTS):
        got = admin.retrieve("load", ids=acked[c], with_payload=False)
        assert len(got) == len(acked[c])

    def pct(xs, p):
        xs = sorted(xs)
        return 1e3 * xs[min(len(xs) - 1, int(p * len(xs)))]

    report = {"clients": CLIENTS, "seconds": SECONDS, "points": total,
              **{f"{k}_requests": len(v) for k, v in latencies.items()},
              **{f"{k}_p50_ms": round(pct(v, 0.5), 3) for k, v in latencies.items()},
              **{f"{k}_p99_ms": round(pct(v, 0.99), 3) for k, v in latencies.items()}}
    print(f"\nserver load: {json.dumps(report)}")
    out = Path(__file__).resolve().parents[3] / "target" / "server-load.json"
    out.write_text(json.dumps(report) + "\n")
