"""Bulk registration speed: 100,000 fields over 2,000 datasets through the bulk endpoint
(in-process API client), against a raw `bulk_create` of the same rows, in the same run.

    .venv/bin/python bench/ingest.py                 # SQLite and PostgreSQL
    .venv/bin/python bench/ingest.py --database sqlite --fields 20000

Targets (issue 2): >= 5,000 fields/s through the API, and >= 0.3 of the raw rate.

Also printed (issue 12): what the audit trail of those API requests costs, as audit rows per bulk
request and, on PostgreSQL, audit bytes per field created (pg_total_relation_size of the audit
tables: rows, TOAST and indexes) against the field table's bytes per field."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))


def payload(system_index: int, datasets: int, fields_per_dataset: int) -> dict:
    return {
        "datasets": [
            {
                "name": f"schema{system_index}.table_{d:04d}",
                "kind": "table",
                "description": f"Benchmark table {d}",
                "fields": [
                    {
                        "name": f"column_{c:03d}",
                        "data_type": "varchar(100)" if c % 3 else "numeric(12,2)",
                        "nullable": bool(c % 2),
                        "description": f"Column {c} of table {d}",
                    }
                    for c in range(fields_per_dataset)
                ],
            }
            for d in range(datasets)
        ]
    }


def run_one(
    kind: str, total_fields: int, datasets_total: int, rounds: int, systems: int = 20
) -> dict:
    from bench._django import median, setup

    teardown = setup(kind)
    try:
        from django.contrib.auth import get_user_model
        from rest_framework.test import APIClient

        from catalog.models import Dataset, Field, SourceSystem

        admin = get_user_model().objects.create_superuser("bench", "b@example.com", "x")
        client = APIClient()
        client.force_authenticate(admin)
        systems_per_round = systems
        per_system_datasets = datasets_total // systems_per_round
        fields_per_dataset = total_fields // datasets_total
        api_rates, raw_rates, rerun_rates = [], [], []
        from core.models import ChangeRecord

        audit_rows = requests = api_fields = 0
        for r in range(rounds):
            bodies = [
                json.dumps(payload(s, per_system_datasets, fields_per_dataset))
                for s in range(systems_per_round)
            ]
            keys = [f"api-{r}-{s}" for s in range(systems_per_round)]
            for key in keys:
                SourceSystem.objects.create(key=key, name=key)
            audit_before = ChangeRecord.objects.count()
            started = time.perf_counter()
            for key, body in zip(keys, bodies, strict=True):
                response = client.post(
                    f"/api/v1/catalog/systems/{key}/bulk/", body, content_type="application/json"
                )
                assert response.status_code == 200, response.content[:500]
            elapsed = time.perf_counter() - started
            api_rates.append(total_fields / elapsed)
            audit_rows += ChangeRecord.objects.count() - audit_before
            requests += len(keys)
            api_fields += Field.objects.filter(dataset__system__key__in=keys).count()

            # Re-sending the same payloads: everything unchanged (the idempotent path).
            started = time.perf_counter()
            for key, body in zip(keys, bodies, strict=True):
                client.post(
                    f"/api/v1/catalog/systems/{key}/bulk/", body, content_type="application/json"
                )
            rerun_rates.append(total_fields / (time.perf_counter() - started))

            raw_keys = [f"raw-{r}-{s}" for s in range(systems_per_round)]
            systems = [SourceSystem.objects.create(key=k, name=k) for k in raw_keys]
            started = time.perf_counter()
            for system, body in zip(systems, bodies, strict=True):
                data = json.loads(body)["datasets"]
                datasets = Dataset.objects.bulk_create(
                    [
                        Dataset(
                            system=system,
                            name=d["name"],
                            kind=d["kind"],
                            description=d["description"],
                        )
                        for d in data
                    ],
                    batch_size=1000,
                )
                Field.objects.bulk_create(
                    [
                        Field(
                            dataset=ds,
                            name=fd["name"],
                            ordinal=i + 1,
                            data_type=fd["data_type"],
                            nullable=fd["nullable"],
                            description=fd["description"],
                        )
                        for ds, d in zip(datasets, data, strict=True)
                        for i, fd in enumerate(d["fields"])
                    ],
                    batch_size=2000,
                )
            raw_rates.append(total_fields / (time.perf_counter() - started))
        sizes = audit_sizes(api_fields) if kind == "postgres" else {}
        return {
            **sizes,
            "audit_rows_per_request": audit_rows / requests,
            "database": kind,
            "fields": total_fields,
            "datasets": datasets_total,
            "rounds": rounds,
            "api_fields_per_s": median(api_rates),
            "raw_fields_per_s": median(raw_rates),
            "rerun_fields_per_s": median(rerun_rates),
            "ratio": median([a / b for a, b in zip(api_rates, raw_rates, strict=True)]),
        }
    finally:
        teardown()


def audit_sizes(api_fields: int) -> dict:
    """PostgreSQL: the audit tables' bytes (rows, TOAST, indexes) per field the API created,
    against the field table's bytes per field (every field: the API's and the raw ones)."""
    from django.apps import apps
    from django.db import connection

    from catalog.models import Field

    audit_tables = [
        m._meta.db_table
        for m in apps.get_app_config("core").get_models()
        if m._meta.db_table.startswith("core_change")
    ]
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        sizes = {}
        for table in [*audit_tables, Field._meta.db_table]:
            cursor.execute("SELECT pg_total_relation_size(%s)", [table])
            sizes[table] = cursor.fetchone()[0]
    audit = sum(sizes[t] for t in audit_tables)
    field_bytes = sizes[Field._meta.db_table] / Field.objects.count()
    return {
        "audit_tables": {t: sizes[t] for t in audit_tables},
        "audit_bytes_per_field": audit / api_fields,
        "field_bytes_per_field": field_bytes,
        "audit_to_field": audit / api_fields / field_bytes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--fields", type=int, default=100_000)
    parser.add_argument("--datasets", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--systems",
        type=int,
        default=20,
        help="bulk requests per round, one per system (1M fields: 200, to stay under the body "
        "size limit)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(
            json.dumps(
                run_one(args.database, args.fields, args.datasets, args.rounds, args.systems)
            )
        )
        return
    from bench._django import machine, run_child

    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    print(f"bench/ingest.py on {machine()}")
    print(f"{args.fields:,} fields over {args.datasets:,} datasets, median of {args.rounds} rounds")
    print(
        f"{'database':<10} {'API fields/s':>14} {'raw bulk_create/s':>18} "
        f"{'API/raw':>8} {'re-run fields/s':>16}"
    )
    results = {}
    for kind in kinds:
        r = run_child(
            __file__,
            kind,
            {
                "fields": args.fields,
                "datasets": args.datasets,
                "rounds": args.rounds,
                "systems": args.systems,
            },
        )
        if r is None:
            continue
        results[kind] = r
        print(
            f"{kind:<10} {r['api_fields_per_s']:>14,.0f} {r['raw_fields_per_s']:>18,.0f} "
            f"{r['ratio']:>8.2f} {r['rerun_fields_per_s']:>16,.0f}"
        )
    print("targets: API >= 5,000 fields/s and API/raw >= 0.30")
    print()
    print(
        f"{'database':<10} {'audit rows/request':>19} {'audit B/field':>14} "
        f"{'field table B/field':>20} {'audit/field table':>18}"
    )
    for kind, r in results.items():
        sized = "audit_bytes_per_field" in r
        print(
            f"{kind:<10} {r['audit_rows_per_request']:>19,.1f} "
            + (
                f"{r['audit_bytes_per_field']:>14,.0f} {r['field_bytes_per_field']:>20,.0f} "
                f"{r['audit_to_field']:>18.2f}"
                if sized
                else f"{'-':>14} {'-':>20} {'-':>18}"
            )
        )
        if sized:
            print(f"{'':<10} audit tables: " + ", ".join(
                f"{t} {b / 1e6:,.1f} MB" for t, b in r["audit_tables"].items()
            ))  # fmt: skip


if __name__ == "__main__":
    main()
