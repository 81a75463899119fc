"""Stored lineage graph: 100,000 fields and 500,000 edges in the database, walked there (one
query per level of a walk, as the API does; nothing is loaded into the process).

    .venv/bin/python bench/lineage_graph.py                       # SQLite and PostgreSQL
    .venv/bin/python bench/lineage_graph.py --database sqlite --fields 20000

The synthetic warehouse has 10 layers of datasets (50 fields each); every field of a layer takes
~5.5 edges (70% DIRECT) from fields of nearby datasets in the layer before, one job per target
dataset, like ETL built layer on layer. "Typical" fields are drawn from the first five layers,
so they have several layers downstream.

Targets (issues 3 and 12): 3-hop downstream p95 <= 20 ms, full downstream closure <= 0.5 s, the
first query within 2 s of start, memory that does not grow with the graph.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

LAYERS = 10
FIELDS_PER_DATASET = 50
WINDOW = 2  # a target dataset reads datasets d-2 .. d+2 of the layer before


def rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def build(total_fields: int, total_edges: int, seed: int = 7) -> dict:
    """Write the synthetic graph with bulk_create; returns the field ids per layer."""
    from catalog.models import Dataset, Field, SourceSystem
    from lineage.models import EtlJob, EtlJobVersion, LineageEdge

    rng = random.Random(seed)
    per_layer = max(1, total_fields // FIELDS_PER_DATASET // LAYERS)
    system = SourceSystem.objects.create(key="bench", name="bench", kind="warehouse")
    datasets = Dataset.objects.bulk_create(
        [
            Dataset(system=system, name=f"layer{layer}.table_{d:04d}")
            for layer in range(LAYERS)
            for d in range(per_layer)
        ],
        batch_size=2000,
    )
    fields = Field.objects.bulk_create(
        [
            Field(dataset=ds, name=f"c{c:02d}", ordinal=c + 1)
            for ds in datasets
            for c in range(FIELDS_PER_DATASET)
        ],
        batch_size=5000,
    )
    # ids[layer][dataset][column]
    ids = [
        [
            [
                fields[(layer * per_layer + d) * FIELDS_PER_DATASET + c].pk
                for c in range(FIELDS_PER_DATASET)
            ]
            for d in range(per_layer)
        ]
        for layer in range(LAYERS)
    ]
    jobs = EtlJob.objects.bulk_create(
        [
            EtlJob(key=f"job-{ds.pk}", name=ds.name, system=system)
            for ds in datasets[per_layer:]  # one job per dataset that has an upstream
        ],
        batch_size=2000,
    )
    versions = EtlJobVersion.objects.bulk_create(
        [
            EtlJobVersion(job=job, number=1, origin="sql", status="ok", submitted_by_name="bench")
            for job in jobs
        ],
        batch_size=2000,
    )
    targets = (LAYERS - 1) * per_layer * FIELDS_PER_DATASET
    per_target = total_edges / targets
    edges = 0
    batch = []
    for layer in range(1, LAYERS):
        for d in range(per_layer):
            index = (layer - 1) * per_layer + d
            job, version = jobs[index], versions[index]
            for c in range(FIELDS_PER_DATASET):
                target = ids[layer][d][c]
                count = int(per_target) + (rng.random() < per_target % 1)
                sources = set()
                while len(sources) < count:
                    src_d = (d + rng.randint(-WINDOW, WINDOW)) % per_layer
                    sources.add(ids[layer - 1][src_d][rng.randrange(FIELDS_PER_DATASET)])
                for source in sources:
                    kind = "DIRECT" if rng.random() < 0.7 else "INDIRECT"
                    batch.append(
                        LineageEdge(
                            source_id=source,
                            target_id=target,
                            type=kind,
                            subtype="IDENTITY" if kind == "DIRECT" else "JOIN",
                            job=job,
                            job_version=version,
                        )
                    )
                edges += len(sources)
            if len(batch) >= 20000:
                LineageEdge.objects.bulk_create(batch, batch_size=5000)
                batch = []
    LineageEdge.objects.bulk_create(batch, batch_size=5000)
    return {"ids": ids, "fields": len(fields), "edges": edges, "jobs": len(jobs)}


def run_one(kind: str, total_fields: int, total_edges: int, samples: int) -> dict:
    import tempfile

    from bench._django import median, setup

    # A private directory for the SQLite file: other benchmarks may run at the same time.
    tempfile.tempdir = tempfile.mkdtemp(prefix="bench-lineage-")
    teardown = setup(kind)
    try:
        from lineage import adjacency
        from lineage import graph as g

        started = time.perf_counter()
        built = build(total_fields, total_edges)
        write_s = time.perf_counter() - started

        gc.collect()
        before = rss_bytes()
        rng = random.Random(11)
        ids = built["ids"]
        typical = [rng.choice(rng.choice(ids[rng.randrange(LAYERS // 2)])) for _ in range(samples)]
        started = time.perf_counter()
        g.traverse(adjacency.fields(), [typical[0]], depth=3)
        first_s = time.perf_counter() - started
        hop3, closure, sizes = [], [], []
        for node in typical:
            started = time.perf_counter()
            g.traverse(adjacency.fields(), [node], depth=3)
            hop3.append(time.perf_counter() - started)
            started = time.perf_counter()
            result = g.traverse(adjacency.fields(), [node])
            closure.append(time.perf_counter() - started)
            sizes.append(len(result["results"]))
        gc.collect()
        memory = rss_bytes() - before
        return {
            "database": kind,
            "fields": built["fields"],
            "edges": built["edges"],
            "jobs": built["jobs"],
            "write_s": write_s,
            "first_s": first_s,
            "memory_mb": memory / 2**20,
            "hop3_p50_ms": median(hop3) * 1000,
            "hop3_p95_ms": percentile(hop3, 0.95) * 1000,
            "closure_p50_ms": median(closure) * 1000,
            "closure_p95_ms": percentile(closure, 0.95) * 1000,
            "closure_median_size": median(sizes),
        }
    finally:
        teardown()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--fields", type=int, default=100_000)
    parser.add_argument("--edges", type=int, help="default: 5 per field")
    parser.add_argument("--samples", type=int, default=200, help="typical fields queried")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    edges = args.edges or args.fields * 5
    if args.child:
        print(json.dumps(run_one(args.database, args.fields, edges, args.samples)))
        return
    from bench._django import machine, run_child

    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    print(f"bench/lineage_graph.py on {machine()}")
    print(f"{args.fields:,} fields, {edges:,} edges, {args.samples} typical fields queried")
    header = (
        f"{'database':<9} {'write s':>8} {'first s':>7} {'mem MB':>7} {'3-hop p50/p95 ms':>17} "
        f"{'closure p50/p95 ms':>19} {'closure size':>12}"
    )
    print(header)
    for kind in kinds:
        r = run_child(
            __file__, kind, {"fields": args.fields, "edges": edges, "samples": args.samples}
        )
        if r is None:
            continue
        print(
            f"{kind:<9} {r['write_s']:>8.1f} {r['first_s']:>7.3f} {r['memory_mb']:>7.0f} "
            f"{r['hop3_p50_ms']:>8.2f}/{r['hop3_p95_ms']:<8.2f} "
            f"{r['closure_p50_ms']:>9.1f}/{r['closure_p95_ms']:<9.1f} "
            f"{r['closure_median_size']:>12,.0f}"
        )
    print("targets: 3-hop p95 <= 20 ms, full closure <= 500 ms")
    print("mem MB: how much the process grew over all the walks")


if __name__ == "__main__":
    main()
