"""Multivectors (`multivector_config` with `max_sim`) through the unmodified qdrant-client,
against Local Mode on the same data, for each distance: the config echoed, the points upserted
in the list and the batch forms, then after a restart the same MaxSim answers (plain, filtered,
by a point id, re-ranking a dense prefetch; recommendations of each strategy, discovery and
context by MaxSim to each example) and the same vectors read back."""

import random

import pytest
from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import UnexpectedResponse

from test_conformance import DISTANCES, assert_same_hits, same_vectors

DIM = 4
N = 120


def rows(rng, k=None):
    return [[round(rng.uniform(-1, 1), 3) for _ in range(DIM)] for _ in range(k or rng.randint(1, 4))]


def create(client, distance, pts):
    client.create_collection("mv", vectors_config={
        "d": models.VectorParams(size=2, distance=models.Distance.DOT),
        "m": models.VectorParams(size=DIM, distance=distance, multivector_config=models.MultiVectorConfig(
            comparator=models.MultiVectorComparator.MAX_SIM)),
    })
    client.upsert("mv", points=pts[: N // 2], wait=True)
    rest = pts[N // 2:]
    client.upsert("mv", points=models.Batch(
        ids=[p.id for p in rest], vectors={n: [p.vector[n] for p in rest] for n in ("d", "m")},
        payloads=[p.payload for p in rest]), wait=True)


@pytest.mark.parametrize("distance", list(DISTANCES.values()))
def test_max_sim_as_local_mode(server, distance):
    rng = random.Random(str(distance))
    pts = [models.PointStruct(id=i, vector={"d": [i / N, 1.0], "m": rows(rng)}, payload={"g": i % 3})
           for i in range(N)]
    ours, local = server.client(), QdrantClient(":memory:")
    for c in (ours, local):
        create(c, distance, pts)
    info = ours.get_collection("mv").config.params.vectors["m"]
    assert info.multivector_config.comparator == models.MultiVectorComparator.MAX_SIM
    server.restart()
    ours = server.client()
    both = (ours, local)
    for _ in range(6):
        q = rows(rng, 2)
        a, b = (c.query_points("mv", query=q, using="m", limit=7, with_payload=True).points for c in both)
        assert_same_hits(a, b)
        flt = models.Filter(must=[models.FieldCondition(key="g", match=models.MatchValue(value=1))])
        a, b = (c.query_points("mv", query=q, using="m", limit=5, query_filter=flt).points for c in both)
        assert_same_hits(a, b)
        # Re-ranking the 30 points nearest a dense query.
        pre = models.Prefetch(query=[1.0, 0.0], using="d", limit=30)
        a, b = (c.query_points("mv", prefetch=pre, query=q, using="m", limit=5).points for c in both)
        assert_same_hits(a, b)
    a, b = (c.query_points("mv", query=11, using="m", limit=5).points for c in both)
    assert_same_hits(a, b)
    # Queries by examples: MaxSim to each example, in Local Mode's formulas.
    S = models.RecommendStrategy
    examples = [
        models.RecommendQuery(recommend=models.RecommendInput(positive=[1, 2], negative=[3], strategy=S.BEST_SCORE)),
        models.RecommendQuery(recommend=models.RecommendInput(positive=[1, rows(rng, 2)], negative=[3],
                                                              strategy=S.SUM_SCORES)),
        models.RecommendQuery(recommend=models.RecommendInput(positive=[4], negative=[5], strategy=S.AVERAGE_VECTOR)),
        models.DiscoverQuery(discover=models.DiscoverInput(
            target=6, context=[models.ContextPair(positive=7, negative=8)])),
        models.ContextQuery(context=[models.ContextPair(positive=9, negative=10),
                                     models.ContextPair(positive=12, negative=13)]),
    ]
    for query in examples:
        a, b = (c.query_points("mv", query=query, using="m", limit=6).points for c in both)
        assert_same_hits(a, b)
    a, b = (c.retrieve("mv", ids=[3, 64], with_vectors=True) for c in both)
    assert [str(p.id) for p in a] == [str(p.id) for p in b]
    for p, q in zip(a, b):
        assert len(p.vector["m"]) == len(q.vector["m"]), (p.vector, q.vector)
        assert all(same_vectors(x, y) for x, y in zip(p.vector["m"], q.vector["m"])), (p.vector, q.vector)
    with pytest.raises(UnexpectedResponse, match="expected dim: 4, got 3"):
        ours.upsert("mv", points=[models.PointStruct(id=1, vector={"m": [[1.0, 2.0, 3.0]]})])
    with pytest.raises(UnexpectedResponse, match="not supported for the multivector"):
        ours.query_points("mv", query=models.NearestQuery(nearest=1, mmr=models.Mmr(diversity=0.5)), using="m")
    ours.delete_collection("mv")
