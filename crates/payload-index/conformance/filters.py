#!/usr/bin/env python3
"""Conformance of sextant-payload-index with qdrant-client's Local Mode.

Builds two point sets (the bundled minilm-pypi-20k payloads, and synthetic payloads with
nested objects, arrays, nulls, datetimes, geo points, uuids and text), generates filters that
cover every condition form, runs each filter in `QdrantClient(":memory:")` and through the Rust
example `filter_ids` (field indexes on most keys, of every type, next to unindexed keys; the
example also checks the indexes against payload-by-payload evaluation), and requires the same
matching ids. Exits 1 on any mismatch.

    python filters.py --bin target/debug/examples/filter_ids [--filters-per-set 320]

Needs qdrant-client==1.18.0 (ci/test.sh installs it in a venv). Filter forms where Local Mode
follows a Python accident rather than Qdrant (see the crate docs) are not generated: bool vs
integer matches, `text` on non-strings, `phrase`, and the `is_empty: true` field spelling.
"""

import argparse
import json
import random
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from qdrant_client import QdrantClient, models

ROOT = Path(__file__).resolve().parents[3]
BUNDLED = ROOT / "datasets" / "minilm-pypi-20k" / "payload.jsonl"

WORDS = "rust vector search index fast python graph sparse dense filter qdrant edge shard".split()
COLORS = ["red", "green", "blue", "cyan", "black"]


# ---------------------------------------------------------------- point sets

def bundled_points(n):
    points = []
    with open(BUNDLED) as f:
        for i, line in enumerate(f):
            if i >= n:
                break
            points.append({"id": i, "payload": json.loads(line), "vectors": vectors_of(i)})
    return points


def vectors_of(i):
    return ["a"] if i % 3 == 0 else ["a", "b"]


def synthetic_points(n, rng):
    points = []
    for i in range(n):
        p = {}
        r = rng.random
        if r() < 0.9:
            p["kw"] = rng.choice([rng.choice(COLORS), [rng.choice(COLORS) for _ in range(rng.randint(0, 3))], None])
        if r() < 0.9:
            p["num"] = rng.choice([rng.randint(-5, 20), round(rng.uniform(-5, 20), 2), float(rng.randint(0, 10)),
                                   [rng.randint(0, 10) for _ in range(rng.randint(0, 3))], None])
        if r() < 0.8:
            p["flag"] = rng.random() < 0.5
        if r() < 0.85:
            day = rng.randint(1, 28)
            month = rng.randint(1, 12)
            hh, mm, ss = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
            p["when"] = rng.choice([
                f"2024-{month:02d}-{day:02d}",
                f"2024-{month:02d}-{day:02d}T{hh:02d}:{mm:02d}:{ss:02d}",
                f"2024-{month:02d}-{day:02d} {hh:02d}:{mm:02d}",
                f"2024-{month:02d}-{day:02d}T{hh:02d}:{mm:02d}:{ss:02d}Z",
                f"2024-{month:02d}-{day:02d}T{hh:02d}:{mm:02d}:{ss:02d}.{rng.randint(0, 999999):06d}+02:00",
                f"2024-{month:02d}-{day:02d} {hh:02d}:{mm:02d}:{ss:02d}-0530",
                f"2024-{month:02d}-{day:02d}T{hh:02d}:{mm:02d}:{ss:02d}+01",
                "not a date", "2024-13-01", None,
                [f"2023-{month:02d}-{day:02d}", f"2025-{month:02d}-{day:02d}"],
            ])
        if r() < 0.8:
            def geo():
                return {"lat": round(rng.uniform(-85, 85), 4), "lon": round(rng.uniform(-180, 180), 4)}
            p["loc"] = rng.choice([geo(), geo(), [geo(), geo()], None, "nowhere"])
        if r() < 0.7:
            p["uid"] = str(uuid.UUID(int=rng.getrandbits(128)))
        if r() < 0.8:
            p["text"] = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6)))
        if r() < 0.8:
            p["tags"] = [rng.choice(WORDS) for _ in range(rng.randint(0, 4))]
        if r() < 0.8:
            meta = {"owner": {"name": rng.choice(["ann", "bob", "eve"]), "age": rng.randint(18, 80)},
                    "score": round(rng.uniform(0, 1), 3)}
            if r() < 0.5:
                meta["a.b"] = rng.choice(COLORS)
            p["meta"] = meta
        if r() < 0.8:
            p["reviews"] = [{"stars": rng.randint(1, 5), "user": rng.choice(["ann", "bob", "eve"]),
                             "tags": [rng.choice(COLORS) for _ in range(rng.randint(0, 2))]}
                            for _ in range(rng.randint(0, 3))]
        if r() < 0.4:
            p["matrix"] = [[rng.randint(0, 5) for _ in range(rng.randint(0, 3))] for _ in range(rng.randint(1, 3))]
        if r() < 0.7:
            p["mixed"] = rng.choice([["a", 1, None, 2.5], "a", 3, None, [], [None], [[]], ["b", [1, 2]]])
        if r() < 0.6:
            p["opt"] = rng.choice([None, [], [None], "x", 0, [[], None], {"k": 1}])
        if r() < 0.3:
            p["a.b"] = rng.choice(COLORS)
        points.append({"id": i, "payload": p, "vectors": vectors_of(i)})
    return points


# ---------------------------------------------------------------- filters

class Gen:
    """Random conditions over one point set's fields."""

    def __init__(self, rng, fields):
        self.rng = rng
        self.fields = fields  # name -> list of condition makers

    def condition(self, depth=0):
        rng = self.rng
        if depth < 2 and rng.random() < 0.15:
            return self.filter(depth + 1)
        return rng.choice(self.fields)(rng)

    def clause(self, depth):
        n = self.rng.randint(0, 3)
        conds = [self.condition(depth) for _ in range(n)]
        if n == 1 and self.rng.random() < 0.4:
            return conds[0]  # a single condition instead of a list
        return conds

    def filter(self, depth=0):
        rng = self.rng
        f = {}
        for name in ("must", "should", "must_not"):
            if rng.random() < 0.45:
                f[name] = self.clause(depth)
        if rng.random() < 0.12:
            conds = [self.condition(depth) for _ in range(rng.randint(1, 4))]
            f["min_should"] = {"conditions": conds, "min_count": rng.randint(0, len(conds))}
        if not f:
            f["must"] = [self.condition(depth)]
        return f


def rng_range(rng, lo, hi, as_int=False):
    out = {}
    for b in ("lt", "gt", "gte", "lte"):
        if rng.random() < 0.4:
            v = rng.uniform(lo, hi)
            out[b] = int(v) if as_int else round(v, 2)
    return out


def common_conditions(ids_max):
    return [
        lambda r: {"has_id": r.sample(range(ids_max), r.randint(0, 30))},
        lambda r: {"has_vector": r.choice(["a", "b", "c"])},
    ]


def bundled_fields(points):
    cats = sorted({p["payload"]["category"] for p in points})
    names = [p["payload"]["name"] for p in points]
    f = [
        lambda r: {"key": "category", "match": {"value": r.choice(cats + ["nope"])}},
        lambda r: {"key": "category", "match": {"any": r.sample(cats, r.randint(0, 3))}},
        lambda r: {"key": "category", "match": {"except": r.sample(cats, r.randint(0, 4))}},
        lambda r: {"key": "name", "match": {"value": r.choice(names)}},
        lambda r: {"key": "name", "match": {"text": r.choice(["py", "django", "-", "aws", "lib"])}},
        lambda r: {"key": "name", "match": {"text_any": r.choice(["py aws", "flask django", "x", ""])}},
        lambda r: {"key": "month", "match": {"text": r.choice(["2025-0", "2026-1", "-12"])}},
        lambda r: {"key": "year", "match": {"value": r.randint(2018, 2027)}},
        lambda r: {"key": "year", "match": {"any": [r.randint(2018, 2027) for _ in range(r.randint(0, 3))]}},
        lambda r: {"key": "year", "match": {"except": [r.randint(2020, 2027) for _ in range(r.randint(1, 3))]}},
        lambda r: {"key": "year", "range": rng_range(r, 2018, 2027)},
        lambda r: {"key": "year_frac", "range": rng_range(r, 2018, 2027)},
        lambda r: {"key": "rank", "range": rng_range(r, 0, 15000, as_int=True)},
        lambda r: {"key": "name_len", "range": rng_range(r, 0, 40, as_int=True)},
        lambda r: {"key": "version_major", "match": {"value": r.randint(0, 5)}},
        lambda r: {"key": "has_rank", "match": {"value": r.random() < 0.5}},
        lambda r: {"is_null": {"key": r.choice(["rank", "version_major", "month", "name"])}},
        lambda r: {"is_empty": {"key": r.choice(["rank", "version_major", "missing", "name"])}},
        lambda r: {"key": r.choice(["rank", "category", "nope"]), "values_count": rng_range(r, 0, 3, as_int=True)},
        lambda r: {"key": "month", "range": {"gte": "2025-01-01T00:00:00Z"}},
    ]
    return f + common_conditions(len(points))


def synthetic_fields(n):
    dt_bounds = ["2024-03-01", "2024-06-15T12:00:00Z", "2024-09-01T00:00:00+02:00", "2024-01-01 00:00:00",
                 "2024-12-31T23:59:59.999999Z", "2023-06-01", "2025-06-01"]

    def dt_range(r):
        out = {}
        for b in ("lt", "gt", "gte", "lte"):
            if r.random() < 0.4:
                out[b] = r.choice(dt_bounds)
        return out

    def geo_point(r):
        return {"lat": round(r.uniform(-80, 80), 2), "lon": round(r.uniform(-179, 179), 2)}

    def bbox(r):
        a, b = sorted([r.uniform(-85, 85), r.uniform(-85, 85)])
        west, east = r.uniform(-180, 180), r.uniform(-180, 180)  # west > east crosses the antimeridian
        return {"key": "loc", "geo_bounding_box": {"top_left": {"lat": b, "lon": west},
                                                      "bottom_right": {"lat": a, "lon": east}}}

    def polygon(r):
        lat, lon = r.uniform(-60, 60), r.uniform(-150, 150)
        d = r.uniform(10, 25)
        ext = [(lat - d, lon - d), (lat - d, lon + d), (lat + d, lon + d), (lat + d, lon - d), (lat - d, lon - d)]
        poly = {"exterior": {"points": [{"lat": a, "lon": b} for a, b in ext]}}
        if r.random() < 0.5:
            h = d / 3
            hole = [(lat - h, lon - h), (lat - h, lon + h), (lat + h, lon + h), (lat + h, lon - h), (lat - h, lon - h)]
            poly["interiors"] = [{"points": [{"lat": a, "lon": b} for a, b in hole]}]
        return {"key": "loc", "geo_polygon": poly}

    def nested(r):
        inner = [r.choice([
            lambda: {"key": "stars", "range": rng_range(r, 1, 5, as_int=True)},
            lambda: {"key": "stars", "match": {"value": r.randint(1, 5)}},
            lambda: {"key": "user", "match": {"value": r.choice(["ann", "bob", "eve"])}},
            lambda: {"key": "tags", "match": {"any": r.sample(COLORS, 2)}},
            lambda: {"is_empty": {"key": "tags"}},
        ])() for _ in range(r.randint(1, 2))]
        clause = r.choice(["must", "should", "must_not"])
        return {"nested": {"key": "reviews", "filter": {clause: inner}}}

    keys_any = ["kw", "num", "flag", "when", "loc", "uid", "text", "tags", "meta", "meta.owner", "reviews",
                "reviews[].tags", "matrix", "matrix[]", "mixed", "opt", "nope", "\"a.b\"", "meta.\"a.b\"", "tags[0]"]
    f = [
        lambda r: {"key": "kw", "match": {"value": r.choice(COLORS + ["nope"])}},
        lambda r: {"key": "kw", "match": {"any": r.sample(COLORS, r.randint(0, 3))}},
        lambda r: {"key": r.choice(["kw", "mixed", "tags", "opt"]), "match": {"except": r.sample(COLORS + ["a", "x"], r.randint(0, 3))}},
        lambda r: {"key": r.choice(["num", "mixed", "matrix[]", "matrix"]), "match": {"except": [r.randint(0, 10) for _ in range(r.randint(0, 3))]}},
        lambda r: {"key": "kw", "match": {"text": r.choice(["re", "bl", "e", "cyan"])}},
        lambda r: {"key": r.choice(["text", "tags", "meta.owner.name"]), "match": {"text": r.choice(WORDS + ["st", "an", "x y"])}},
        lambda r: {"key": r.choice(["text", "tags"]), "match": {"text_any": " ".join(r.sample(WORDS, r.randint(0, 3)))}},
        lambda r: {"key": r.choice(["num", "meta.owner.age", "reviews[].stars", "matrix[]", "matrix[0]", "mixed"]),
                   "match": {"value": r.randint(-2, 20)}},
        lambda r: {"key": r.choice(["num", "reviews[].stars", "matrix[]"]), "match": {"any": [r.randint(0, 10) for _ in range(r.randint(0, 4))]}},
        lambda r: {"key": "flag", "match": {"value": r.random() < 0.5}},
        lambda r: {"key": r.choice(["num", "meta.score", "meta.owner.age", "reviews[].stars", "mixed", "matrix[]"]),
                   "range": rng_range(r, -5, 30)},
        lambda r: {"key": "when", "range": dt_range(r)},
        lambda r: {"key": "loc", "geo_radius": {"center": geo_point(r), "radius": r.choice([1e5, 1e6, 3e6, 8e6])}},
        bbox,
        polygon,
        lambda r: {"key": r.choice(["uid", "meta.\"a.b\"", "\"a.b\"", "reviews[0].user", "reviews[1].user"]),
                   "match": {"value": r.choice(COLORS + ["ann", "bob"])}},
        lambda r: {"key": r.choice(keys_any), "values_count": rng_range(r, 0, 4, as_int=True)},
        lambda r: {"is_empty": {"key": r.choice(keys_any)}},
        lambda r: {"is_null": {"key": r.choice(keys_any + ["mixed[]", "opt[]", "opt[0]"])}},
        nested,
    ]
    return f + common_conditions(n)


def uid_filters(points, rng, n):
    uids = [p["payload"]["uid"] for p in points if "uid" in p["payload"]]
    out = []
    for _ in range(n):
        picks = rng.sample(uids, 3)
        out.append({"must": {"key": "uid", "match": {"any": picks}}})
        out.append({"should": [{"key": "uid", "match": {"value": rng.choice(uids)}}]})
    return out


# ---------------------------------------------------------------- running

def facet_queries(rng, gen, keys, n):
    out = []
    for _ in range(n):
        out.append({"facet": {"key": rng.choice(keys), "limit": rng.choice([3, 10, 100]),
                              "filter": gen.filter() if rng.random() < 0.6 else None}})
    return out


def order_queries(rng, gen, keys, n, starts):
    out = []
    for _ in range(n):
        key = rng.choice(keys)
        q = {"key": key, "direction": rng.choice(["asc", "desc"]), "limit": rng.choice([5, 50, 400]),
             "filter": gen.filter() if rng.random() < 0.5 else None}
        if rng.random() < 0.5:
            q["start_from"] = rng.choice(starts[key])
        out.append({"order_by": q})
    return out


def local_mode_ids(points, filters):
    client = QdrantClient(":memory:")
    client.create_collection("c", vectors_config={
        "a": models.VectorParams(size=2, distance=models.Distance.DOT),
        "b": models.VectorParams(size=2, distance=models.Distance.DOT),
    })
    client.upsert("c", [models.PointStruct(id=p["id"], payload=p["payload"],
                                           vector={name: [1.0, 0.5] for name in p["vectors"]})
                        for p in points])
    results = []
    for f in filters:
        if "facet" in f:
            q = f["facet"]
            flt = models.Filter.model_validate(q["filter"]) if q["filter"] else None
            res = client.facet("c", key=q["key"], facet_filter=flt, limit=q["limit"], exact=True)
            results.append({"hits": [[h.value, h.count] for h in res.hits]})
            continue
        if "order_by" in f:
            q = f["order_by"]
            flt = models.Filter.model_validate(q["filter"]) if q["filter"] else None
            order = models.OrderBy(key=q["key"], direction=q["direction"], start_from=q.get("start_from"))
            records, _ = client.scroll("c", scroll_filter=flt, limit=q["limit"], order_by=order,
                                       with_payload=False, with_vectors=False)
            results.append({"ordered": [r.id for r in records]})
            continue
        model = models.Filter.model_validate(f)
        records, _ = client.scroll("c", scroll_filter=model, limit=len(points) + 1,
                                   with_payload=False, with_vectors=False)
        results.append(sorted(r.id for r in records))
    return results


BUNDLED_SCHEMA = {"category": "keyword", "name": "keyword", "month": "keyword", "year": "integer",
                  "rank": "integer", "name_len": "integer", "version_major": "integer",
                  "year_frac": "float", "has_rank": "bool"}
SYNTHETIC_SCHEMA = {"kw": "keyword", "num": "float", "flag": "bool", "when": "datetime", "uid": "uuid",
                    "text": "keyword", "tags": "keyword", "meta.owner.name": "keyword",
                    "meta.owner.age": "integer", "meta.score": "float", "reviews[].stars": "integer",
                    "mixed": "keyword", "opt": "keyword", "matrix[]": "integer", "loc": "geo"}


def rust_ids(binary, points, filters, schema):
    with tempfile.TemporaryDirectory() as tmp:
        pp, fp, sp = Path(tmp) / "points.jsonl", Path(tmp) / "filters.jsonl", Path(tmp) / "schema.json"
        pp.write_text("".join(json.dumps(p) + "\n" for p in points))
        fp.write_text("".join(json.dumps(f) + "\n" for f in filters))
        sp.write_text(json.dumps(schema))
        out = subprocess.run([binary, str(pp), str(fp), str(sp)], check=True, capture_output=True,
                             text=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def compare(name, binary, points, filters, schema):
    ours = rust_ids(binary, points, filters, schema)
    theirs = local_mode_ids(points, filters)
    mismatches = 0
    for f, o, t in zip(filters, ours, theirs):
        if isinstance(t, dict):
            got = {"hits": o.get("hits")} if "hits" in t else {"ordered": o.get("ids")}
            if "error" in o or got != t:
                print(f"[{name}] mismatch: ours {o}, Local Mode {t}\n  {json.dumps(f)}")
                mismatches += 1
            continue
        if "error" in o:
            print(f"[{name}] our side failed a filter Local Mode ran: {o['error']}\n  {json.dumps(f)}")
            mismatches += 1
        elif sorted(o["ids"]) != t:
            extra = sorted(set(o["ids"]) - set(t))[:10]
            missing = sorted(set(t) - set(o["ids"]))[:10]
            print(f"[{name}] mismatch: ours {len(o['ids'])}, Local Mode {len(t)}; extra {extra}, missing {missing}\n  {json.dumps(f)}")
            mismatches += 1
    passing = sum(1 for t in theirs if t and not isinstance(t, dict))
    facets = sum(1 for t in theirs if isinstance(t, dict) and t.get("hits"))
    ordered = sum(1 for t in theirs if isinstance(t, dict) and t.get("ordered"))
    print(f"[{name}] {len(filters)} queries over {len(points)} points: {mismatches} mismatches "
          f"({passing} filters pass at least one point; {facets} facets and {ordered} order-bys non-empty)")
    return mismatches, len(filters)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="path of the filter_ids example binary")
    ap.add_argument("--filters-per-set", type=int, default=320)
    ap.add_argument("--seed", type=int, default=20261205)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    total_mismatch, total = 0, 0
    bundled = bundled_points(3000)
    gen = Gen(rng, bundled_fields(bundled))
    filters = [gen.filter() for _ in range(args.filters_per_set)]
    filters += facet_queries(rng, gen, ["category", "year", "has_rank", "version_major"], 30)
    filters += order_queries(rng, gen, ["year", "rank", "year_frac", "name_len"], 30,
                             {"year": [2020, 2024.5], "rank": [100, 5000], "year_frac": [2023.5, 2025],
                              "name_len": [5, 12]})
    m, n = compare("minilm-pypi-20k payloads", args.bin, bundled, filters, BUNDLED_SCHEMA)
    total_mismatch, total = total_mismatch + m, total + n

    synthetic = synthetic_points(1500, rng)
    gen = Gen(rng, synthetic_fields(len(synthetic)))
    filters = [gen.filter() for _ in range(args.filters_per_set)] + uid_filters(synthetic, rng, 10)
    filters += facet_queries(rng, gen, ["kw", "tags", "flag", "meta.owner.name", "reviews[].stars"], 30)
    filters += order_queries(rng, gen, ["num", "meta.owner.age", "when", "meta.score"], 30,
                             {"num": [0, 5.5], "meta.owner.age": [30, 60], "when": ["2024-06-01T00:00:00Z"],
                              "meta.score": [0.5]})
    m, n = compare("synthetic payloads", args.bin, synthetic, filters, SYNTHETIC_SCHEMA)
    total_mismatch, total = total_mismatch + m, total + n

    print(f"conformance: filters={total} mismatches={total_mismatch}")
    sys.exit(1 if total_mismatch else 0)


if __name__ == "__main__":
    main()
