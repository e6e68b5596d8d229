"""`sextant.local()`: a real QdrantClient on the in-process server; `local(path)` keeps its
data across close and reopen; close stops the server."""

import httpx
import pytest
from qdrant_client import QdrantClient, models

import sextant


def test_local_is_a_qdrant_client():
    client = sextant.local()
    assert isinstance(client, QdrantClient)
    client.create_collection("t", vectors_config=models.VectorParams(size=3, distance=models.Distance.COSINE))
    client.upsert("t", points=[models.PointStruct(id=i, vector=[i, 1.0, 0.5], payload={"i": i}) for i in range(20)])
    hits = client.query_points("t", query=[3, 1, 0.5], limit=2).points
    assert hits[0].id == 3
    url = f"http://127.0.0.1:{client.sextant_server.port}/readyz"
    assert httpx.get(url).status_code == 200
    client.close()
    assert not client.sextant_server.running
    with pytest.raises(httpx.HTTPError):
        httpx.get(url, timeout=2)


def test_a_path_keeps_its_data(tmp_path):
    client = sextant.local(tmp_path / "store")
    client.create_collection("k", vectors_config={"v": models.VectorParams(size=2, distance=models.Distance.DOT)})
    client.upsert("k", points=[models.PointStruct(id=i, vector={"v": [i, -i]}, payload={"i": i}) for i in range(50)])
    client.close()
    again = sextant.local(tmp_path / "store")
    assert again.count("k").count == 50
    assert again.retrieve("k", ids=[7])[0].payload == {"i": 7}
    again.close()
