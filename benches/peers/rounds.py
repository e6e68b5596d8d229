#!/usr/bin/env python3
"""Tables of interleaved rounds against a baseline, from a folder of result files.

Files are named DATASET-CONFIG-rN.json (any record file of peers.py or `sextant-bench --json`),
one per configuration per round, the baseline's config named as --baseline. Each round's ratio
is taken against the baseline of the same round (run minutes apart), then the median over
rounds is reported, with the range, the build-time ratio, the peak RSS growth of the build and
the load average the run recorded.

    python3 rounds.py DIR [--baseline hnswlib] [--recall 0.9,0.95,0.99] > table.md

Standard library only; QPS at a recall is read as compare.py reads it.
"""
import argparse
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import load_records, qps_at  # noqa: E402

NAME = re.compile(r"^(?P<ds>.+)-(?P<config>[^-]+)-r(?P<round>\d+)\.json$")


def summary(path, recalls):
    """QPS at each recall, build seconds, build peak RSS growth and load of one result file."""
    records = load_records(path)
    points = sorted(
        (r["recall"], r["qps"])
        for r in records
        if r.get("kind", "search") == "search" and "recall" in r and r.get("mode", "single") == "single"
    )
    build = next((r for r in records if r.get("kind") == "build" or "build_s" in r), {})
    loads = [r.get("load1") or (r.get("loadavg") or [None])[0] for r in records if "recall" in r]
    loads = [x for x in loads if isinstance(x, (int, float))]
    return {
        "qps": [qps_at(points, t) for t in recalls],
        "build_s": build.get("build_s"),
        "rss": build.get("peak_rss_delta_mib"),
        "load": statistics.median(loads) if loads else None,
    }


def fmt(x, digits=2):
    return "—" if x is None else f"{x:.{digits}f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--baseline", default="hnswlib")
    ap.add_argument("--recall", default="0.9,0.95,0.99")
    args = ap.parse_args()
    recalls = [float(x) for x in args.recall.split(",")]
    runs = {}
    for name in sorted(os.listdir(args.dir)):
        m = NAME.match(name)
        if m:
            key = (m["ds"], m["config"], int(m["round"]))
            runs[key] = summary(os.path.join(args.dir, name), recalls)
    for ds in sorted({k[0] for k in runs}):
        configs = sorted({k[1] for k in runs if k[0] == ds and k[1] != args.baseline})
        rounds = sorted({k[2] for k in runs if k[0] == ds})
        print(f"## {ds}\n")
        head = " | ".join(f"x@{t}" for t in recalls)
        print(f"| round | config | {head} | ours QPS@{recalls[1]} | {args.baseline} QPS@{recalls[1]} | build s | {args.baseline} build s | load |")
        print("|" + "---|" * (7 + len(recalls)))
        ratios = {c: [[] for _ in recalls] for c in configs}
        builds = {c: [] for c in configs}
        for r in rounds:
            base = runs.get((ds, args.baseline, r))
            if base is None:
                continue
            for c in configs:
                ours = runs.get((ds, c, r))
                if ours is None:
                    continue
                row = []
                for i, (a, b) in enumerate(zip(ours["qps"], base["qps"])):
                    x = a / b if a and b else None
                    row.append(x)
                    if x is not None:
                        ratios[c][i].append(x)
                if ours["build_s"] and base["build_s"]:
                    builds[c].append(ours["build_s"] / base["build_s"])
                cells = " | ".join(fmt(x) for x in row)
                print(f"| {r} | {c} | {cells} | {fmt(ours['qps'][1], 0)} | {fmt(base['qps'][1], 0)} | {fmt(ours['build_s'])} | {fmt(base['build_s'])} | {fmt(ours['load'])} |")
        print()
        head = " | ".join(f"median x@{t}" for t in recalls)
        print(f"| config | {head} | range x@{recalls[1]} | median build ratio | build peak RSS +MiB (ours / {args.baseline}) | rounds |")
        print("|" + "---|" * (5 + len(recalls)))
        base_rss = [runs[k]["rss"] for k in runs if k[0] == ds and k[1] == args.baseline and runs[k]["rss"] is not None]
        for c in configs:
            meds = " | ".join(fmt(statistics.median(v)) if v else "—" for v in ratios[c])
            mid = ratios[c][1]
            rng = f"{min(mid):.2f}-{max(mid):.2f}" if mid else "—"
            rss = [runs[k]["rss"] for k in runs if k[0] == ds and k[1] == c and runs[k]["rss"] is not None]
            rss_cell = f"{fmt(statistics.median(rss), 1) if rss else '—'} / {fmt(statistics.median(base_rss), 1) if base_rss else '—'}"
            bld = fmt(statistics.median(builds[c])) if builds[c] else "—"
            print(f"| {c} | {meds} | {rng} | {bld} | {rss_cell} | {len(mid)} |")
        print()


if __name__ == "__main__":
    main()
