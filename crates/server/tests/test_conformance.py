"""The server driven by the unmodified qdrant-client, against qdrant-client's Local Mode on the
same data: every read the same (scores within 1e-4, points of equal score in any order, payloads
and vectors as stored), after the same updates. The data is read after a restart of the server
(or a close and reopen of `sextant.local(path)`).

The collection: four named dense vectors (one per distance), a sparse vector with and one
without the IDF modifier, integer and UUID ids, payloads with integers, floats, keywords,
datetimes, geo points, arrays and nested objects, five payload indexes.
"""

import math
import random
import time
import uuid

import pytest
from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import UnexpectedResponse

DIM = 8
N = 300
DISTANCES = {"c": models.Distance.COSINE, "d": models.Distance.DOT,
             "e": models.Distance.EUCLID, "m": models.Distance.MANHATTAN}
TAGS = ["red", "green", "blue", "cyan"]


def vec(rng):
    return [round(rng.uniform(-1, 1), 4) for _ in range(DIM)]


def sparse(rng):
    terms = sorted(rng.sample(range(40), rng.randint(1, 6)))
    return models.SparseVector(indices=terms, values=[round(rng.uniform(0.1, 3), 3) for _ in terms])


def point_id(i):
    return str(uuid.UUID(int=i)) if i % 4 == 3 else i


def payload(rng, i):
    return {
        "g": i % 5, "x": round(rng.uniform(0, 100), 3), "tag": rng.choice(TAGS),
        "t": f"2024-0{1 + i % 9}-1{i % 10}T10:00:00Z", "arr": [i % 3, i % 7],
        "loc": {"lon": round(rng.uniform(-10, 10), 3), "lat": round(rng.uniform(40, 50), 3)},
        "nested": {"a": {"b": i % 4}}, "text": rng.choice(["a quick fox", "the lazy dog", "quick dog"]),
    }


def points(seed, n):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        vectors = {name: vec(rng) for name in DISTANCES}
        if i % 5:
            vectors["s"] = sparse(rng)
            vectors["si"] = sparse(rng)
        out.append(models.PointStruct(id=point_id(i), vector=vectors, payload=payload(rng, i)))
    return out


def create(client):
    client.create_collection(
        "c", vectors_config={n: models.VectorParams(size=DIM, distance=d) for n, d in DISTANCES.items()},
        sparse_vectors_config={"s": models.SparseVectorParams(),
                               "si": models.SparseVectorParams(modifier=models.Modifier.IDF)})
    for field, schema in [("g", "integer"), ("x", "float"), ("tag", "keyword"), ("t", "datetime"),
                          ("nested.a.b", "integer")]:
        client.create_payload_index("c", field_name=field, field_schema=schema)
    pts = points(1, N)
    client.upsert("c", points=pts[: N // 2], wait=True)
    # The rest in the batch form.
    rest = pts[N // 2:]
    client.upsert("c", points=models.Batch(
        ids=[p.id for p in rest],
        vectors={name: [p.vector[name] for p in rest] for name in DISTANCES},
        payloads=[p.payload for p in rest]), wait=True)
    # The batch form cannot carry some points' sparse vectors only: set them now.
    client.update_vectors("c", points=[models.PointVectors(id=p.id, vector={k: v for k, v in p.vector.items()
                                                                             if k in ("s", "si")})
                                       for p in rest if "s" in p.vector], wait=True)


@pytest.fixture(scope="module")
def pair(server):
    local = QdrantClient(":memory:")
    for client in (server.client(), local):
        create(client)
    # Every read below is of the data as reopened: the server stopped (flushed) and started
    # again on the same folder.
    server.restart()
    return server.client(), local


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-5)


def same_vectors(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_vectors(a[k], b[k]) for k in a)
    if isinstance(a, models.SparseVector) and isinstance(b, models.SparseVector):
        return list(a.indices) == list(b.indices) and all(map(close, a.values, b.values))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(close, a, b))
    return a == b


def assert_same_hits(ours, theirs, key=lambda p: p.score):
    """Same length, scores (or `key`) close in order; each run of equal scores holds the same
    points (but the last, which the limit may cut anywhere); the same payload and vectors."""
    assert len(ours) == len(theirs), (ours, theirs)
    for o, t in zip(ours, theirs):
        assert close(key(o), key(t)), ([key(p) for p in ours], [key(p) for p in theirs])
    runs = []
    for i, p in enumerate(ours):
        if i == 0 or not close(key(p), key(ours[i - 1])):
            runs.append([])
        runs[-1].append(i)
    for r in runs[:-1]:
        assert {str(ours[i].id) for i in r} == {str(theirs[i].id) for i in r}, (ours, theirs)
    mine = {str(p.id): p for p in ours}
    for t in theirs:
        o = mine.get(str(t.id))
        if o is not None:
            assert o.payload == t.payload, (o, t)
            assert same_vectors(o.vector, t.vector), (o.vector, t.vector)


rng = random.Random(7)
F = models.FieldCondition
FILTERS = [
    None,
    models.Filter(must=[F(key="g", match=models.MatchValue(value=2))]),
    models.Filter(must=[F(key="tag", match=models.MatchAny(any=["red", "blue"]))]),
    models.Filter(must_not=[F(key="tag", match=models.MatchExcept(**{"except": ["red"]}))]),
    models.Filter(must=[F(key="x", range=models.Range(gte=20, lt=70))]),
    models.Filter(must=[F(key="t", range=models.DatetimeRange(gt="2024-03-01T00:00:00Z"))]),
    models.Filter(should=[F(key="arr", match=models.MatchValue(value=2)),
                          F(key="nested.a.b", match=models.MatchValue(value=3))]),
    models.Filter(must=[F(key="loc", geo_radius=models.GeoRadius(
        center=models.GeoPoint(lon=0, lat=45), radius=400_000))]),
    models.Filter(must=[F(key="text", match=models.MatchText(text="quick"))]),
    models.Filter(must=[models.HasIdCondition(has_id=[1, 2, 5, 8, 13, str(uuid.UUID(int=7))])]),
    models.Filter(must=[F(key="arr", values_count=models.ValuesCount(gte=2))]),
    # Every fifth point holds no sparse vector: has_vector on a sparse name tells them apart.
    models.Filter(must=[models.HasVectorCondition(has_vector="c")],
                  must_not=[models.HasVectorCondition(has_vector="si")]),
    models.Filter(must=[models.HasVectorCondition(has_vector="s"), F(key="g", match=models.MatchValue(value=2))]),
    models.Filter(must_not=[models.IsEmptyCondition(is_empty=models.PayloadField(key="tag"))],
                  min_should=models.MinShould(conditions=[F(key="g", match=models.MatchValue(value=1)),
                                                          F(key="arr", match=models.MatchValue(value=1))],
                                              min_count=1)),
]


def queries():
    r = random.Random(3)
    out = []
    for name in DISTANCES:
        for f in FILTERS:
            out.append(dict(query=vec(r), using=name, query_filter=f, limit=7))
    for name in ("s", "si"):
        for f in FILTERS[:4]:
            out.append(dict(query=sparse(r), using=name, query_filter=f, limit=6))
    out += [
        dict(query=5, using="c", limit=5),
        dict(query=str(uuid.UUID(int=11)), using="e", limit=5, with_vectors=True),
        dict(query=models.NearestQuery(nearest=vec(r)), using="d", limit=4, offset=3),
        dict(query=vec(r), using="c", limit=10, score_threshold=0.3, with_payload=["g", "nested"]),
        dict(query=vec(r), using="e", limit=10, score_threshold=2.0,
             with_payload=models.PayloadSelectorExclude(exclude=["text", "loc"])),
        dict(query=models.RecommendQuery(recommend=models.RecommendInput(positive=[1, vec(r)], negative=[2])),
             using="c", limit=6),
        dict(query=models.RecommendQuery(recommend=models.RecommendInput(
            positive=[4, 6], negative=[vec(r)], strategy=models.RecommendStrategy.BEST_SCORE)), using="m", limit=6),
        dict(query=models.RecommendQuery(recommend=models.RecommendInput(
            positive=[vec(r)], negative=[9], strategy=models.RecommendStrategy.SUM_SCORES)), using="d", limit=6),
        dict(query=models.DiscoverQuery(discover=models.DiscoverInput(
            target=vec(r), context=[models.ContextPair(positive=1, negative=vec(r))])), using="c", limit=6),
        dict(query=models.ContextQuery(context=[models.ContextPair(positive=vec(r), negative=vec(r))]),
             using="e", limit=1),
        dict(query=models.OrderByQuery(order_by=models.OrderBy(key="x", direction=models.Direction.DESC)),
             limit=8, query_filter=FILTERS[1]),
        dict(query=models.FusionQuery(fusion=models.Fusion.RRF), limit=8, prefetch=[
            models.Prefetch(query=vec(r), using="c", limit=20),
            models.Prefetch(query=sparse(r), using="s", limit=20, filter=FILTERS[2])]),
        dict(query=models.FusionQuery(fusion=models.Fusion.DBSF), limit=8, prefetch=[
            models.Prefetch(query=vec(r), using="d", limit=15),
            models.Prefetch(query=vec(r), using="e", limit=15)]),
        dict(query=models.RrfQuery(rrf=models.Rrf(k=10, weights=[2.0, 0.5])), limit=8, prefetch=[
            models.Prefetch(query=vec(r), using="c", limit=15),
            models.Prefetch(query=sparse(r), using="si", limit=15)]),
        dict(query=vec(r), using="m", limit=5, prefetch=[models.Prefetch(query=vec(r), using="c", limit=30)]),
        dict(query_filter=FILTERS[4], limit=6),
        # Maximal marginal relevance: dense, sparse, with an offset, over prefetched points.
        dict(query=models.NearestQuery(nearest=vec(r), mmr=models.Mmr(diversity=0.6, candidates_limit=20)),
             using="c", limit=6, query_filter=FILTERS[1]),
        dict(query=models.NearestQuery(nearest=vec(r), mmr=models.Mmr()), using="e", limit=5, offset=2),
        dict(query=models.NearestQuery(nearest=sparse(r), mmr=models.Mmr(diversity=0.9, candidates_limit=15)),
             using="s", limit=5),
        dict(query=models.NearestQuery(nearest=vec(r), mmr=models.Mmr(diversity=0.4, candidates_limit=10)),
             using="m", limit=4, prefetch=[models.Prefetch(query=vec(r), using="c", limit=30)]),
        # Relevance feedback (naive): judged examples by vector and by id (left out).
        dict(query=models.RelevanceFeedbackQuery(relevance_feedback=models.RelevanceFeedbackInput(
            target=vec(r), feedback=[models.FeedbackItem(example=vec(r), score=0.9),
                                     models.FeedbackItem(example=4, score=0.2),
                                     models.FeedbackItem(example=vec(r), score=0.5)],
            strategy=models.NaiveFeedbackStrategy(naive=models.NaiveFeedbackStrategyParams(a=1.0, b=2.0, c=0.5)))),
            using="c", limit=6, query_filter=FILTERS[2]),
        dict(query=models.RelevanceFeedbackQuery(relevance_feedback=models.RelevanceFeedbackInput(
            target=9, feedback=[models.FeedbackItem(example=vec(r), score=1.0),
                                models.FeedbackItem(example=vec(r), score=0.0)],
            strategy=models.NaiveFeedbackStrategy(naive=models.NaiveFeedbackStrategyParams(a=0.5, b=1.0, c=1.0)))),
            using="d", limit=5, offset=1),
    ]
    out += formula_queries(r)
    return out


def formula_queries(r):
    """Score formulas over prefetched points: boosts by conditions and payload values, decays
    over datetimes and geo distances, arithmetic, defaults for missing scores and keys."""
    F, X = models.FieldCondition, models
    dense = models.Prefetch(query=vec(r), using="c", limit=30)
    red = F(key="tag", match=models.MatchValue(value="red"))
    return [
        dict(query=X.FormulaQuery(formula=X.SumExpression(sum=[
            "$score", X.MultExpression(mult=[0.5, red]), X.MultExpression(mult=[0.01, "x"])])),
            prefetch=dense, limit=8),
        dict(query=X.FormulaQuery(formula=X.MultExpression(mult=["$score", X.GaussDecayExpression(
            gauss_decay=X.DecayParamsExpression(x=X.DatetimeKeyExpression(datetime_key="t"),
                                                target=X.DatetimeExpression(datetime="2024-05-01T00:00:00Z"),
                                                scale=86400 * 40, midpoint=0.3))])),
            prefetch=models.Prefetch(query=vec(r), using="d", limit=25), limit=6, offset=2),
        dict(query=X.FormulaQuery(formula=X.SumExpression(sum=[
            X.ExpDecayExpression(exp_decay=X.DecayParamsExpression(
                x=X.GeoDistance(geo_distance=X.GeoDistanceParams(origin=models.GeoPoint(lon=0.0, lat=45.0), to="loc")),
                scale=300_000)),
            "$score[1]", X.MultExpression(mult=["$score", 0.2])]), defaults={"$score[1]": 0.1}),
            prefetch=[models.Prefetch(query=vec(r), using="e", limit=20),
                      models.Prefetch(query=sparse(r), using="s", limit=20)], limit=10),
        dict(query=X.FormulaQuery(formula=X.SumExpression(sum=[
            X.SqrtExpression(sqrt="x"), X.LnExpression(ln=X.SumExpression(sum=["x", 1])),
            X.Log10Expression(log10=X.SumExpression(sum=["g", 10])),
            X.DivExpression(div=X.DivParams(left="$score", right="g", by_zero_default=-1.0)),
            X.PowExpression(pow=X.PowParams(base="$score", exponent=2)),
            X.NegExpression(neg=X.AbsExpression(abs="nested.a.b")),
            X.LinDecayExpression(lin_decay=X.DecayParamsExpression(x="nested.a.b", target=2, scale=3)),
            X.ExpExpression(exp=X.MultExpression(mult=["missing", -0.1])),
            X.MultExpression(mult=[F(key="g", range=models.Range(gte=2)), 0.3])]),
            defaults={"missing": 2.5}),
            prefetch=dense, limit=7, score_threshold=5.0),
        dict(query=X.FormulaQuery(formula=X.SumExpression(sum=[
            "$score", models.HasIdCondition(has_id=[1, 2, 3, 4, 5, 6]),
            models.Filter(should=[red, F(key="g", match=models.MatchValue(value=3))])])),
            prefetch=models.Prefetch(query=vec(r), using="m", limit=20, filter=FILTERS[1]), limit=5),
    ]


QUERIES = queries()


@pytest.mark.parametrize("i", range(len(QUERIES)))
def test_query(pair, i):
    q = dict(QUERIES[i])
    q.setdefault("with_payload", True)
    ours, local = (c.query_points("c", **q).points for c in pair)
    if isinstance(q.get("query"), models.OrderByQuery):
        assert_same_hits(ours, local, key=lambda p: p.order_value)
    else:
        assert_same_hits(ours, local)


def test_query_batch(pair):
    reqs = [models.QueryRequest(query=QUERIES[i]["query"], using=QUERIES[i].get("using"),
                                filter=QUERIES[i].get("query_filter"), limit=5, with_payload=True)
            for i in (0, 13, 40, 60)]
    ours, local = (c.query_batch_points("c", requests=reqs) for c in pair)
    for o, t in zip(ours, local):
        assert_same_hits(o.points, t.points)


def test_older_search_endpoints(pair):
    """`points/search`, `recommend`, `discover` (single, batch, groups) through qdrant-client's
    generated REST API, as older clients call them: the same points as Local Mode's query."""
    ours, local = pair
    api = ours.http.search_api
    r = random.Random(4)
    q, s, flt = vec(r), sparse(r), FILTERS[1]
    cases = [
        (lambda: api.search_points("c", search_request=models.SearchRequest(
            vector=models.NamedVector(name="c", vector=q), filter=flt, limit=6, with_payload=True)).result,
         dict(query=q, using="c", query_filter=flt, limit=6)),
        (lambda: api.search_points("c", search_request=models.SearchRequest(
            vector=models.NamedSparseVector(name="si", vector=s), limit=5, offset=1, with_payload=True)).result,
         dict(query=s, using="si", limit=5, offset=1)),
        (lambda: api.discover_points("c", discover_request=models.DiscoverRequest(
            target=5, context=[models.ContextExamplePair(positive=1, negative=q)], using="e", limit=4,
            with_payload=True)).result,
         dict(query=models.DiscoverQuery(discover=models.DiscoverInput(
             target=5, context=[models.ContextPair(positive=1, negative=q)])), using="e", limit=4)),
    ]
    for call, equivalent in cases:
        assert_same_hits(call(), local.query_points("c", with_payload=True, **equivalent).points)
    rec = models.RecommendRequest(positive=[1, q], negative=[2], strategy=models.RecommendStrategy.SUM_SCORES,
                                  using="d", limit=5, with_payload=True)
    want = local.query_points("c", query=models.RecommendQuery(recommend=models.RecommendInput(
        positive=[1, q], negative=[2], strategy=models.RecommendStrategy.SUM_SCORES)), using="d", limit=5,
        with_payload=True).points
    assert_same_hits(api.recommend_points("c", recommend_request=rec).result, want)
    # Batches: a list of lists, in order.
    batch = api.search_batch_points("c", search_request_batch=models.SearchRequestBatch(searches=[
        models.SearchRequest(vector=models.NamedVector(name="m", vector=q), limit=3, with_payload=True),
        models.SearchRequest(vector=models.NamedVector(name="c", vector=q), limit=4, with_payload=True)])).result
    for got, using, limit in zip(batch, ["m", "c"], [3, 4]):
        assert_same_hits(got, local.query_points("c", query=q, using=using, limit=limit, with_payload=True).points)
    batch = api.recommend_batch_points("c", recommend_request_batch=models.RecommendRequestBatch(searches=[rec])).result
    assert_same_hits(batch[0], want)
    batch = api.discover_batch_points("c", discover_request_batch=models.DiscoverRequestBatch(searches=[
        models.DiscoverRequest(context=[models.ContextExamplePair(positive=1, negative=2)], using="c", limit=3,
                               with_payload=True)])).result
    assert_same_hits(batch[0], local.query_points("c", query=models.ContextQuery(
        context=[models.ContextPair(positive=1, negative=2)]), using="c", limit=3, with_payload=True).points)
    # Groups.
    groups = api.search_point_groups("c", search_groups_request=models.SearchGroupsRequest(
        vector=models.NamedVector(name="c", vector=q), group_by="tag", group_size=2, limit=3,
        with_payload=True)).result.groups
    theirs = local.query_points_groups("c", query=q, using="c", group_by="tag", group_size=2, limit=3,
                                       with_payload=True).groups
    assert [str(g.id) for g in groups] == [str(g.id) for g in theirs]
    for o, t in zip(groups, theirs):
        assert_same_hits(o.hits, t.hits)
    groups = api.recommend_point_groups("c", recommend_groups_request=models.RecommendGroupsRequest(
        positive=[1], using="c", group_by="g", group_size=2, limit=2, with_payload=True)).result.groups
    theirs = local.query_points_groups("c", query=models.RecommendQuery(recommend=models.RecommendInput(
        positive=[1])), using="c", group_by="g", group_size=2, limit=2, with_payload=True).groups
    assert [str(g.id) for g in groups] == [str(g.id) for g in theirs]
    # A missing limit: Qdrant's request types require one.
    with pytest.raises(UnexpectedResponse, match="limit"):
        ours.http.client.request(type_=object, method="POST", url="/collections/c/points/search",
                                 json={"vector": {"name": "c", "vector": q}})


def test_float16_vectors(server):
    """A `float16` vector (values f16 holds exactly, so Local Mode, which keeps float32,
    scores the same): the same answers, the datatype echoed, the values read back."""
    ours, local = server.client(), QdrantClient(":memory:")
    r = random.Random(16)
    exact = lambda: [r.randint(-256, 256) / 256 for _ in range(DIM)]
    pts = [models.PointStruct(id=i, vector={"h": exact()}, payload={"g": i % 3}) for i in range(200)]
    for c in (ours, local):
        c.create_collection("h", vectors_config={"h": models.VectorParams(
            size=DIM, distance=models.Distance.DOT, datatype=models.Datatype.FLOAT16)})
        c.upsert("h", points=pts, wait=True)
    info = ours.get_collection("h")
    assert info.config.params.vectors["h"].datatype == models.Datatype.FLOAT16
    for _ in range(10):
        q = exact()
        a, b = (c.query_points("h", query=q, using="h", limit=8, with_payload=True).points for c in (ours, local))
        assert_same_hits(a, b)
    a, b = (c.retrieve("h", ids=[5, 77], with_vectors=True) for c in (ours, local))
    assert [p.vector for p in a] == [p.vector for p in b]
    ours.delete_collection("h")


@pytest.mark.parametrize("distance", list(DISTANCES.values()))
def test_uint8_vectors(server, distance):
    """A `uint8` vector of integers 0..=255 (Local Mode keeps them as float32, and a cosine
    over both norms equals its normalized dot product): the same answers; the same values
    read back but for cosine, which Qdrant keeps as given and Local Mode normalizes."""
    ours, local = server.client(), QdrantClient(":memory:")
    r = random.Random(8)
    ints = lambda: [float(r.randint(0, 255)) for _ in range(DIM)]
    pts = [models.PointStruct(id=i, vector={"u": ints()}) for i in range(150)]
    for c in (ours, local):
        c.create_collection("u8", vectors_config={"u": models.VectorParams(
            size=DIM, distance=distance, datatype=models.Datatype.UINT8)})
        c.upsert("u8", points=pts, wait=True)
    for _ in range(8):
        q = ints()
        a, b = (c.query_points("u8", query=q, using="u", limit=6).points for c in (ours, local))
        assert_same_hits(a, b)
    a, b = (c.retrieve("u8", ids=[3, 99], with_vectors=True) for c in (ours, local))
    if distance == models.Distance.COSINE:
        # Qdrant keeps uint8 cosine vectors as given (it cannot normalize bytes); Local Mode,
        # which ignores the datatype, returns them normalized.
        assert [p.vector["u"] for p in a] == [pts[3].vector["u"], pts[99].vector["u"]]
    else:
        assert [p.vector for p in a] == [p.vector for p in b]
    with pytest.raises(UnexpectedResponse, match="0..=255"):
        ours.upsert("u8", points=[models.PointStruct(id=1, vector={"u": [300.0] * DIM})])
    ours.delete_collection("u8")


@pytest.mark.parametrize("group_by", ["g", "tag"])
def test_query_groups(pair, group_by):
    q = vec(random.Random(group_by))
    ours, local = (c.query_points_groups("c", group_by=group_by, query=q, using="c", limit=3,
                                         group_size=2).groups for c in pair)
    assert [str(g.id) for g in ours] == [str(g.id) for g in local]
    for o, t in zip(ours, local):
        assert_same_hits(o.hits, t.hits)


@pytest.mark.parametrize("f", range(len(FILTERS)))
def test_count_scroll_facet(pair, f):
    flt = FILTERS[f]
    ours, local = pair
    assert ours.count("c", count_filter=flt).count == local.count("c", count_filter=flt).count
    # Scroll every passing point a page at a time: the same pages.
    offsets = [None, None]
    while True:
        (a, na), (b, nb) = (c.scroll("c", scroll_filter=flt, limit=17, offset=o, with_vectors=True)
                            for c, o in zip(pair, offsets))
        assert [p.id for p in a] == [p.id for p in b]
        assert all(p.payload == q.payload and same_vectors(p.vector, q.vector) for p, q in zip(a, b))
        assert na == nb
        if na is None:
            break
        offsets = [na, nb]
    for key in ("g", "tag"):
        fa, fb = (c.facet("c", key=key, facet_filter=flt, limit=3, exact=True).hits for c in pair)
        assert [(h.value, h.count) for h in fa] == [(h.value, h.count) for h in fb]


def test_scroll_order_by(pair):
    by = models.OrderBy(key="t", direction=models.Direction.ASC, start_from="2024-04-01T00:00:00Z")
    (a, _), (b, _) = (c.scroll("c", order_by=by, limit=12) for c in pair)
    assert_same_hits(a, b, key=lambda p: p.order_value)


def test_retrieve(pair):
    ids = [0, 3, str(uuid.UUID(int=7)), 150, 299, 10_000]
    a, b = (c.retrieve("c", ids=ids, with_vectors=["c", "s"]) for c in pair)
    assert [p.id for p in a] == [p.id for p in b]
    assert all(p.payload == q.payload and same_vectors(p.vector, q.vector) for p, q in zip(a, b))


def test_updates_then_reads(server):
    """Every update kind on both, then every point compared."""
    ours, local = server.client(), QdrantClient(":memory:")
    for c in (ours, local):
        c.create_collection("u", vectors_config={"a": models.VectorParams(size=4, distance=models.Distance.DOT)},
                            sparse_vectors_config={"s": models.SparseVectorParams()})
        c.create_payload_index("u", field_name="g", field_schema="integer")
    r = random.Random(5)
    pts = [models.PointStruct(id=i, vector={"a": [r.uniform(-1, 1) for _ in range(4)],
                                            "s": models.SparseVector(indices=[i % 7, 10 + i % 3], values=[1.0, 0.5])},
                              payload={"g": i % 4, "k": {"m": i}}) for i in range(60)]
    flt = models.Filter(must=[models.FieldCondition(key="g", match=models.MatchValue(value=1))])
    steps = [
        lambda c: c.upsert("u", points=pts),
        lambda c: c.set_payload("u", payload={"new": 1}, points=[1, 2, 3]),
        lambda c: c.set_payload("u", payload={"deep": True}, points=flt, key="k"),
        lambda c: c.overwrite_payload("u", payload={"g": 3}, points=[4]),
        lambda c: c.delete_payload("u", keys=["k"], points=models.Filter(must=[models.FieldCondition(
            key="g", match=models.MatchValue(value=2))])),
        lambda c: c.clear_payload("u", points_selector=[5, 6]),
        lambda c: c.update_vectors("u", points=[models.PointVectors(id=7, vector={"a": [1, 2, 3, 4]})]),
        lambda c: c.delete_vectors("u", vectors=["s"], points=[8, 9]),
        lambda c: c.delete("u", points_selector=models.FilterSelector(filter=models.Filter(must=[
            models.FieldCondition(key="g", match=models.MatchValue(value=3))]))),
        lambda c: c.delete("u", points_selector=[10, 11, 999]),
        lambda c: c.upsert("u", points=[models.PointStruct(id=12, vector={"a": [0, 0, 1, 0]}, payload={"g": 0})],
                           update_filter=models.Filter(must=[models.FieldCondition(
                               key="g", match=models.MatchValue(value=0))])),
        lambda c: c.batch_update_points("u", update_operations=[
            models.UpsertOperation(upsert=models.PointsList(points=[models.PointStruct(
                id=100, vector={"a": [1, 0, 0, 0]}, payload={"g": 1})])),
            models.DeletePayloadOperation(delete_payload=models.DeletePayload(keys=["new"], points=[1])),
            models.DeleteOperation(delete=models.PointIdsList(points=[13])),
        ]),
    ]
    for step in steps:
        for c in (ours, local):
            step(c)
        a, _ = ours.scroll("u", limit=1000, with_vectors=True)
        b, _ = local.scroll("u", limit=1000, with_vectors=True)
        assert [p.id for p in a] == [p.id for p in b]
        for p, q in zip(a, b):
            assert p.payload == q.payload, (p, q)
            assert same_vectors(p.vector, q.vector), (p, q)
    info = ours.get_collection("u")
    assert info.points_count == local.count("u").count
    assert "g" in info.payload_schema


def test_collections_lifecycle(server):
    c = server.client()
    body = dict(vectors_config=models.VectorParams(size=3, distance=models.Distance.EUCLID,
                                                   hnsw_config=models.HnswConfigDiff(m=8), on_disk=True),
                optimizers_config=models.OptimizersConfigDiff(indexing_threshold=0))
    c.create_collection("life", **body)
    assert c.collection_exists("life")
    assert "life" in [x.name for x in c.get_collections().collections]
    info = c.get_collection("life")
    # The vectors config comes back exactly as created.
    assert info.config.params.vectors == body["vectors_config"]
    assert info.config.optimizer_config.indexing_threshold == 0
    c.update_collection("life", optimizer_config=models.OptimizersConfigDiff(indexing_threshold=20000))
    assert c.get_collection("life").config.optimizer_config.indexing_threshold == 20000
    c.delete_payload_index("life", field_name="nothing")
    assert c.delete_collection("life")
    assert not c.collection_exists("life")


def test_collection_update(server):
    """PATCH /collections: the IDF modifier and metadata as Local Mode applies them (same
    scores after, metadata merged); a graph deferred with m 0 turned on, a codec added, the
    new parameters echoed and the indexes rebuilt by the background optimizer; an unknown
    vector refused."""
    ours, local = server.client(), QdrantClient(":memory:")
    pts = points(5, N)
    for c in (ours, local):
        c.create_collection(
            "upd", vectors_config={"c": models.VectorParams(size=DIM, distance=models.Distance.COSINE)},
            sparse_vectors_config={"s": models.SparseVectorParams()},
            hnsw_config=models.HnswConfigDiff(m=0),
            optimizers_config=models.OptimizersConfigDiff(indexing_threshold=1),
            metadata={"team": "search", "v": 1})
        c.upsert("upd", points=[models.PointStruct(id=p.id, vector={k: v for k, v in p.vector.items() if k in ("c", "s")})
                                for p in pts], wait=True)
    q = models.SparseVector(indices=[1, 5, 9, 20], values=[1.0, 0.5, 2.0, 1.0])
    before = ours.query_points("upd", query=q, using="s", limit=10).points
    assert_same_hits(before, local.query_points("upd", query=q, using="s", limit=10).points)
    for c in (ours, local):
        assert c.update_collection("upd", sparse_vectors_config={"s": models.SparseVectorParams(modifier=models.Modifier.IDF)},
                                   metadata={"v": 2})
    after = ours.query_points("upd", query=q, using="s", limit=10).points
    assert_same_hits(after, local.query_points("upd", query=q, using="s", limit=10).points)
    assert [p.score for p in after] != [p.score for p in before]
    assert ours.get_collection("upd").config.metadata == local.get_collection("upd").config.metadata \
        == {"team": "search", "v": 2}

    # Local Mode keeps no graph: the rest is checked against the exact answers it gives.
    ours.update_collection("upd", hnsw_config=models.HnswConfigDiff(m=16),
                           vectors_config={"c": models.VectorParamsDiff(
                               quantization_config=models.ScalarQuantization(
                                   scalar=models.ScalarQuantizationConfig(type=models.ScalarType.INT8)))})
    info = ours.get_collection("upd")
    assert info.config.hnsw_config.m == 16
    assert info.config.params.vectors["c"].quantization_config.scalar.type == models.ScalarType.INT8
    # The indexes were dropped: grey (waiting) or yellow (building) until rebuilt, then
    # green, as clients polling after an upload expect.
    deadline = time.time() + 60
    while ours.get_collection("upd").status != models.CollectionStatus.GREEN and time.time() < deadline:
        time.sleep(0.05)
    assert ours.get_collection("upd").indexed_vectors_count == N
    qv = vec(random.Random(11))
    exact = models.SearchParams(exact=True)
    assert_same_hits(ours.query_points("upd", query=qv, using="c", limit=10, search_params=exact).points,
                     local.query_points("upd", query=qv, using="c", limit=10).points)
    with pytest.raises(UnexpectedResponse, match="Not existing vector name error: nope"):
        ours.update_collection("upd", vectors_config={"nope": models.VectorParamsDiff(on_disk=True)})
    assert ours.get_collection("upd").config.hnsw_config.m == 16


def test_distance_matrix(server):
    """search_matrix_pairs / _offsets as Local Mode answers them, on a sample holding every
    point that passes the filter (so both sample the same points): the same pairs, scores and
    offsets, for a dense and a sparse vector; fewer than two points give an empty matrix."""
    ours, local = server.client(), QdrantClient(":memory:")
    rng = random.Random(3)
    # Every point holds both vectors: Local Mode 1.18 fails (KeyError) on a sampled point
    # without the sparse one.
    pts = [models.PointStruct(id=i, vector={"c": vec(rng), "s": sparse(rng)}, payload={"g": i % 3})
           for i in range(60)]
    for c in (ours, local):
        c.create_collection("mx", vectors_config={"c": models.VectorParams(size=DIM, distance=models.Distance.EUCLID)},
                            sparse_vectors_config={"s": models.SparseVectorParams()})
        c.upsert("mx", points=pts, wait=True)
    g1 = models.Filter(must=[models.FieldCondition(key="g", match=models.MatchValue(value=1))])
    for using, flt in [("c", g1), ("s", g1), ("c", None)]:
        args = dict(query_filter=flt, sample=100, limit=4, using=using)
        a, b = ours.search_matrix_pairs("mx", **args), local.search_matrix_pairs("mx", **args)
        assert [(p.a, p.b) for p in a.pairs] == [(p.a, p.b) for p in b.pairs]
        assert all(close(p.score, q.score) for p, q in zip(a.pairs, b.pairs))
        a, b = ours.search_matrix_offsets("mx", **args), local.search_matrix_offsets("mx", **args)
        assert (a.ids, a.offsets_row, a.offsets_col) == (b.ids, b.offsets_row, b.offsets_col)
        assert all(map(close, a.scores, b.scores))
    one = models.Filter(must=[models.HasIdCondition(has_id=[5])])
    assert ours.search_matrix_pairs("mx", query_filter=one, using="c").pairs == []
    assert len(ours.search_matrix_offsets("mx", using="c").ids) == 10  # Qdrant's default sample
    with pytest.raises(UnexpectedResponse, match="Not existing vector name error: nope"):
        ours.search_matrix_pairs("mx", using="nope")


def test_aliases(server):
    ours, local = server.client(), QdrantClient(":memory:")
    for c in (ours, local):
        c.create_collection("al", vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
        c.upsert("al", points=[models.PointStruct(id=1, vector=[1, 0], payload={"a": 1})])
        c.update_collection_aliases(change_aliases_operations=[
            models.CreateAliasOperation(create_alias=models.CreateAlias(collection_name="al", alias_name="live")),
            models.CreateAliasOperation(create_alias=models.CreateAlias(collection_name="al", alias_name="old")),
        ])
        c.update_collection_aliases(change_aliases_operations=[
            models.RenameAliasOperation(rename_alias=models.RenameAlias(old_alias_name="old", new_alias_name="older")),
        ])
    server.restart()  # aliases are kept across a restart
    ours = server.client()
    for c in (ours, local):
        assert c.query_points("live", query=[1, 0]).points[0].id == 1
        c.upsert("live", points=[models.PointStruct(id=2, vector=[0, 1])])
        assert c.count("al").count == 2
    pairs = [sorted((a.alias_name, a.collection_name) for a in c.get_aliases().aliases) for c in (ours, local)]
    assert pairs[0] == pairs[1] == [("live", "al"), ("older", "al")]
    assert [a.alias_name for a in ours.get_collection_aliases("al").aliases] == ["live", "older"]
    for c in (ours, local):
        c.update_collection_aliases(change_aliases_operations=[
            models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name="older"))])
    assert [a.alias_name for a in ours.get_aliases().aliases] == ["live"]
    ours.delete_collection("al")
    assert ours.get_aliases().aliases == []


def test_lookup_from_and_with_lookup(pair, server):
    """Examples and group ids read from another collection, as Local Mode reads them."""
    ours, local = server.client(), pair[1]  # a fresh client: an earlier test restarts the server
    r = random.Random(11)
    for c in (ours, local):
        if c.collection_exists("examples"):
            c.delete_collection("examples")
        c.create_collection("examples", vectors_config={"other": models.VectorParams(size=DIM, distance=models.Distance.COSINE)})
        c.upsert("examples", points=[models.PointStruct(id=i, vector={"other": vec(random.Random(i))},
                                                        payload={"about": f"group {i}"}) for i in range(6)])
    lookup = models.LookupLocation(collection="examples", vector="other")
    queries = [
        dict(query=models.RecommendQuery(recommend=models.RecommendInput(positive=[1, 2], negative=[3])),
             using="c", lookup_from=lookup, limit=6),
        dict(query=models.NearestQuery(nearest=4), using="c", lookup_from=lookup, limit=5),
        dict(query=models.DiscoverQuery(discover=models.DiscoverInput(
            target=0, context=[models.ContextPair(positive=5, negative=vec(r))])), using="c",
             lookup_from=lookup, limit=5),
    ]
    for q in queries:
        a, b = (c.query_points("c", with_payload=True, **q).points for c in (ours, local))
        assert_same_hits(a, b)
    q = vec(r)
    a, b = (c.query_points_groups("c", group_by="g", query=q, using="c", limit=3, group_size=1,
                                  with_lookup=models.WithLookup(collection="examples", with_payload=True)).groups
            for c in (ours, local))
    assert [(g.id, g.lookup.payload if g.lookup else None) for g in a] == \
           [(g.id, g.lookup.payload if g.lookup else None) for g in b]
