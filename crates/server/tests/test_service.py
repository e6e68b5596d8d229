"""The service around the points: version check, health, metrics, API keys, and bad input
(answered with Qdrant's status codes and messages, the server serving on)."""

import warnings

import httpx
import pytest
from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import UnexpectedResponse

from conftest import Server, needs_process


def test_no_compatibility_warning_and_health(server):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client = QdrantClient(url=server.url)
        client.get_collections()
    root = httpx.get(server.url + "/").json()
    assert root["version"].startswith("1.18")
    for path in ("/healthz", "/livez", "/readyz"):
        assert httpx.get(server.url + path).status_code == 200


def test_metrics(server):
    client = server.client()
    client.create_collection("metered", vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    client.upsert("metered", points=[models.PointStruct(id=1, vector=[1, 2])])
    client.query_points("metered", query=[1, 0])
    text = httpx.get(server.url + "/metrics").text
    assert 'rest_responses_total{method="POST",endpoint="/collections/{name}/points/query",status="200"}' in text
    assert 'collection_points{collection="metered"} 1' in text


def raw(server, method, path, **kw):
    return httpx.request(method, server.url + path, timeout=30, **kw)


def test_bad_input_is_a_4xx_and_the_server_goes_on(server):
    client = server.client()
    client.create_collection("bad", vectors_config={"v": models.VectorParams(size=3, distance=models.Distance.COSINE)})
    cases = [
        ("PUT", "/collections/bad/points", {"content": b'{"points": [{"id": 1, "vector": '}, 400, "Format error"),
        ("PUT", "/collections/bad/points", {"json": {"points": [{"id": 1, "vector": {"v": [1, 2]}}]}}, 400,
         "Vector dimension error"),
        ("PUT", "/collections/bad/points", {"json": {"points": [{"id": 1, "vector": {"w": [1, 2, 3]}}]}}, 400,
         "Not existing vector name"),
        ("PUT", "/collections/bad/points", {"json": {"points": [{"id": 1, "vector": {"v": [1, None, 3]}}]}}, 400,
         "NaN"),
        ("PUT", "/collections/nope/points", {"json": {"points": []}}, 404, "Not found: Collection `nope`"),
        ("POST", "/collections/bad/points/query", {"json": {"query": [1, 2, 3], "using": "x"}}, 400,
         "Not existing vector name"),
        ("POST", "/collections/bad/points/query",
         {"json": {"query": [1, 2, 3], "using": "v", "filter": {"must": [{"key": "a", "match": {}}]}}}, 400, "filter"),
        ("POST", "/collections/bad/points/scroll", {"json": {"limit": -3}}, 400, "limit"),
        ("POST", "/collections/bad/points/query",
         {"json": {"prefetch": {"query": [1, 2, 3], "using": "v"}, "query": {"formula": {"sqrt": "$score[x]"}}}},
         400, "Invalid score pattern"),
        ("GET", "/collections/bad/points/77", {}, 404, "No point with id 77"),
        ("PUT", "/collections/bad", {"json": {"vectors": {"size": 3, "distance": "Cosine"}}}, 400, "already exists"),
        ("PUT", "/collections/x", {"json": {"vectors": {"size": 3, "distance": "Cosine", "datatype": "float64"}}}, 400,
         "datatype"),
        ("GET", "/nowhere", {}, 404, "no such endpoint"),
    ]
    for method, path, kw, status, says in cases:
        r = raw(server, method, path, **kw)
        assert r.status_code == status, (path, r.text)
        assert says in r.json()["status"]["error"], (path, r.text)
        # The next request succeeds.
        assert client.count("bad").count == 0
    # Through the client: an exception naming the problem.
    with pytest.raises(UnexpectedResponse, match="Vector dimension error"):
        client.upsert("bad", points=[models.PointStruct(id=1, vector={"v": [1.0]})])


@needs_process
def test_body_limit_and_api_keys(tmp_path):
    s = Server(tmp_path / "storage", "--max-request-mib", "1", "--api-key", "secret",
               "--read-only-api-key", "reader")
    try:
        # Open paths need no key; others do.
        assert raw(s, "GET", "/readyz").status_code == 200
        assert raw(s, "GET", "/collections").status_code == 401
        assert raw(s, "GET", "/collections", headers={"api-key": "wrong"}).status_code == 401
        admin = QdrantClient(url=s.url, api_key="secret", https=False)
        admin.create_collection("k", vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
        assert raw(s, "GET", "/collections", headers={"Authorization": "Bearer secret"}).status_code == 200
        reader = QdrantClient(url=s.url, api_key="reader", https=False)
        assert reader.count("k").count == 0
        assert reader.query_points("k", query=[1, 0]).points == []
        with pytest.raises(UnexpectedResponse) as e:
            reader.upsert("k", points=[models.PointStruct(id=1, vector=[1, 2])])
        assert e.value.status_code == 403
        # A body over 1 MiB: 413, and the server goes on.
        big = {"points": [{"id": i, "vector": [0.5, 0.5]} for i in range(60_000)]}
        r = raw(s, "PUT", "/collections/k/points", json=big, headers={"api-key": "secret"})
        assert r.status_code == 413, r.text
        admin.upsert("k", points=[models.PointStruct(id=1, vector=[1, 2])])
        assert admin.count("k").count == 1
    finally:
        s.stop()
