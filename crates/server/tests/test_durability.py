"""What the server keeps: points written with wait=true survive a SIGKILL and restart;
snapshots download, upload and recover; `qdrant_client.migrate` moves every point to Local Mode
and back; the background optimizer builds the graph and queries keep their recall."""

import random
import signal
import time

from qdrant_client import QdrantClient, models
from qdrant_client.migrate import migrate

from conftest import Server, needs_process


def vectors(seed, n, dim):
    r = random.Random(seed)
    return [[r.uniform(-1, 1) for _ in range(dim)] for _ in range(n)]


def test_acknowledged_writes_survive_sigkill(fresh_server):
    client = fresh_server.client()
    client.create_collection("k", vectors_config=models.VectorParams(size=4, distance=models.Distance.COSINE))
    vs = vectors(1, 500, 4)
    for start in range(0, 500, 50):
        client.upsert("k", points=[models.PointStruct(id=i, vector=vs[i], payload={"i": i})
                                   for i in range(start, start + 50)], wait=True)
    client.delete("k", points_selector=[3, 4], wait=True)
    client.set_payload("k", payload={"late": True}, points=[5], wait=True)
    fresh_server.restart(signal.SIGKILL)
    client = fresh_server.client()
    assert client.count("k").count == 498
    got = client.retrieve("k", ids=[0, 3, 5, 499], with_vectors=True)
    assert [p.id for p in got] == [0, 5, 499]
    assert got[1].payload == {"i": 5, "late": True}


def test_snapshots(fresh_server, tmp_path):
    client = fresh_server.client()
    client.create_collection("s", vectors_config={"v": models.VectorParams(size=3, distance=models.Distance.DOT)})
    client.upsert("s", points=[models.PointStruct(id=i, vector={"v": v}, payload={"i": i})
                               for i, v in enumerate(vectors(2, 100, 3))])
    snap = client.create_snapshot("s")
    assert snap.name in [x.name for x in client.list_snapshots("s")]
    # More writes after the snapshot, then recover: back to the snapshot's points.
    client.delete("s", points_selector=list(range(50)))
    file = tmp_path / snap.name
    import httpx
    file.write_bytes(httpx.get(f"{fresh_server.url}/collections/s/snapshots/{snap.name}").content)
    client.recover_snapshot("s", location=f"file://{file}")
    assert client.count("s").count == 100
    # Upload into a new collection.
    with open(file, "rb") as f:
        r = httpx.post(f"{fresh_server.url}/collections/copy/snapshots/upload", files={"snapshot": f})
    assert r.status_code == 200, r.text
    a, _ = client.scroll("s", limit=200, with_vectors=True)
    b, _ = client.scroll("copy", limit=200, with_vectors=True)
    assert [(p.id, p.payload, p.vector) for p in a] == [(p.id, p.payload, p.vector) for p in b]
    # Recover from an http:// location: this server's own download of the snapshot.
    client.delete("s", points_selector=list(range(50)))
    client.recover_snapshot("s", location=f"{fresh_server.url}/collections/s/snapshots/{snap.name}")
    assert client.count("s").count == 100
    for location, says in [("https://example.com/s.snapshot", "https"),
                           ("http://127.0.0.1:1/s.snapshot", "snapshot location"),
                           (f"{fresh_server.url}/collections/s/snapshots/none.snapshot", "404")]:
        r = httpx.put(f"{fresh_server.url}/collections/s/snapshots/recover", json={"location": location})
        assert r.status_code == 400 and says in r.json()["status"]["error"], r.text
    assert client.count("s").count == 100
    assert client.delete_snapshot("s", snapshot_name=snap.name)
    assert client.list_snapshots("s") == []


@needs_process
def test_snapshots_larger_than_the_request_limit(tmp_path):
    # A 1 MiB request limit and a snapshot of ~3 MiB: the download is streamed whole and the
    # upload (exempt from the limit, written as it arrives) restores every point.
    s = Server(tmp_path / "storage", "--max-request-mib", "1")
    try:
        client = s.client()
        client.create_collection("big", vectors_config=models.VectorParams(size=256, distance=models.Distance.DOT))
        vs = vectors(5, 3000, 256)
        for at in range(0, 3000, 100):  # requests under the 1 MiB limit
            client.upsert("big", points=[models.PointStruct(id=i, vector=vs[i]) for i in range(at, at + 100)])
        snap = client.create_snapshot("big")
        assert snap.size > 2 * (1 << 20)
        import httpx
        r = httpx.get(f"{s.url}/collections/big/snapshots/{snap.name}", timeout=60)
        assert r.status_code == 200 and len(r.content) == snap.size
        assert int(r.headers["content-length"]) == snap.size
        file = tmp_path / "big.snapshot"
        file.write_bytes(r.content)
        with open(file, "rb") as f:
            r = httpx.post(f"{s.url}/collections/copy/snapshots/upload", files={"snapshot": f}, timeout=60)
        assert r.status_code == 200, r.text
        assert client.count("copy").count == 3000
        a = client.retrieve("big", ids=[0, 2999], with_vectors=True)
        b = client.retrieve("copy", ids=[0, 2999], with_vectors=True)
        assert [p.vector for p in a] == [p.vector for p in b]
        # Other routes keep the limit.
        r = httpx.put(f"{s.url}/collections/big/points", content=b"[" + b"0," * (1 << 20) + b"0]",
                      headers={"content-type": "application/json"}, timeout=60)
        assert r.status_code == 413
    finally:
        s.stop()


def test_migrate_to_local_mode_and_back(fresh_server):
    ours = fresh_server.client()
    ours.create_collection("m", vectors_config={"a": models.VectorParams(size=4, distance=models.Distance.EUCLID)},
                           sparse_vectors_config={"s": models.SparseVectorParams()})
    r = random.Random(3)
    pts = [models.PointStruct(id=i if i % 3 else f"00000000-0000-0000-0000-{i:012d}",
                              vector={"a": [r.uniform(-1, 1) for _ in range(4)],
                                      "s": models.SparseVector(indices=[i % 5, 7], values=[0.5, r.random()])},
                              payload={"i": i, "f": r.random(), "nested": {"l": [1, "x", None]}})
           for i in range(120)]
    ours.upsert("m", points=pts)
    local = QdrantClient(":memory:")
    migrate(ours, local, batch_size=32)
    ours.delete_collection("m")
    migrate(local, ours, batch_size=50)
    a, _ = ours.scroll("m", limit=500, with_vectors=True)
    b, _ = local.scroll("m", limit=500, with_vectors=True)
    assert len(a) == 120
    assert [(p.id, p.payload) for p in a] == [(p.id, p.payload) for p in b]
    for p, q in zip(a, b):
        assert p.vector["s"] == q.vector["s"]
        assert all(abs(x - y) < 1e-6 for x, y in zip(p.vector["a"], q.vector["a"]))


def test_background_optimizer_keeps_recall(fresh_server):
    ours = fresh_server.client()
    # Thresholds of 1 KB: 64 points of 4 floats; the optimizer indexes them within a second.
    ours.create_collection("g", vectors_config=models.VectorParams(size=4, distance=models.Distance.COSINE),
                           hnsw_config=models.HnswConfigDiff(full_scan_threshold=1),
                           optimizers_config=models.OptimizersConfigDiff(indexing_threshold=1))
    vs = vectors(4, 2000, 4)
    ours.upsert("g", points=[models.PointStruct(id=i, vector=v) for i, v in enumerate(vs)])
    deadline = time.time() + 60
    while ours.get_collection("g").indexed_vectors_count == 0 and time.time() < deadline:
        time.sleep(0.2)
    assert ours.get_collection("g").indexed_vectors_count == 2000
    local = QdrantClient(":memory:")
    local.create_collection("g", vectors_config=models.VectorParams(size=4, distance=models.Distance.COSINE))
    local.upsert("g", points=[models.PointStruct(id=i, vector=v) for i, v in enumerate(vs)])
    hits = 0
    for q in vectors(5, 50, 4):
        a = {p.id for p in ours.query_points("g", query=q, limit=10).points}
        b = {p.id for p in local.query_points("g", query=q, limit=10).points}
        hits += len(a & b)
    assert hits / 500 >= 0.9
