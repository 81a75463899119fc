"""Lineage walks in one process against a catalog bench/scale.py built (read only): how long the
walks take without HTTP, what they leave in the process, and the whole-graph cycles question
step by step.

    BENCH_SCALE_URL=postgres://postgres@127.0.0.1:5432/db_scale \
        .venv/bin/python bench/lineage_walks.py
    .venv/bin/python bench/lineage_walks.py --samples 100 --no-cycles
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

URL = os.environ.get("BENCH_SCALE_URL", "postgres://postgres@127.0.0.1:5432/db_scale")


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=50, help="fields per kind of walk")
    parser.add_argument("--no-cycles", action="store_true")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["TESTING"] = "1"
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from bench._django import machine
    from catalog.models import Field
    from lineage import adjacency, queries
    from lineage import graph as g

    def sample(layer: str) -> list[int]:
        fields = Field.objects.filter(dataset__name__startswith=f"s{layer}.").order_by("?")
        return list(fields.values_list("pk", flat=True)[: args.samples])

    print(f"bench/lineage_walks.py on {machine()}, {URL.rsplit('/', 1)[1]}")
    start_mb = rss_mb()
    rows = []
    walks = (
        ("3-hop downstream of a source field", sample("0"), False, 3),
        ("full downstream closure of a source field", sample("0"), False, None),
        ("full upstream closure of a mart field", sample("3"), True, None),
    )
    for name, ids, upstream, depth in walks:
        times, sizes = [], []
        for node in ids:
            started = time.perf_counter()
            result = g.traverse(
                g.cached(adjacency.fields()), [node], upstream=upstream, depth=depth, limit=10_000
            )
            times.append(time.perf_counter() - started)
            sizes.append(len(result["results"]))
        p50, p95, size = pct(times, 50) * 1000, pct(times, 95) * 1000, pct(sizes, 50)
        rows.append((f"{name} p50 / p95", f"{p50:.1f} / {p95:.1f} ms (median {size:,} fields)"))
    rows.append(("process after the walks", f"{rss_mb():.0f} MB (before {start_mb:.0f} MB)"))
    if not args.no_cycles:
        started = time.perf_counter()
        pairs = 0
        kept: list = []
        for pair in adjacency.cycle_pairs():
            pairs += 1
            kept.append(pair)
        sql_s = time.perf_counter() - started
        started = time.perf_counter()
        left = g.on_cycles(kept)
        del kept
        trim_s = time.perf_counter() - started
        rows.append(("cycles: edges left by the SQL trim", f"{pairs:,} in {sql_s:.1f} s"))
        rows.append(("cycles: nodes left by the array trim", f"{len(left):,} in {trim_s:.1f} s"))
        before = rss_mb()
        started = time.perf_counter()
        user = get_user_model().objects.filter(is_superuser=True).first()
        found = queries.cycles(user, types=g.ALL_TYPES, limit=100)
        rows.append(("cycles: the whole question (lineage.queries.cycles)",
                     f"{time.perf_counter() - started:.1f} s, {found['count']} cycles; process "
                     f"{before:.0f} MB before, {rss_mb():.0f} MB after"))  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows.append(("process peak (the cycles step above holds every pair)", f"{peak:.0f} MB"))
    print()
    print("| measure | value |")
    print("| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
