"""The retail demo's ETL jobs: staging and dimensional layers of the warehouse built from the
source systems, and the CDP mart built from the warehouse, in several SQL dialects, plus one job
whose SQL does not parse (to show how errors are reported).

Loaded by `manage.py load_demo` after the catalog; idempotent (SQL already current is skipped).
The dbt project `retail_analytics` (artifacts in dbt/, the same as the tests' fixtures) builds
the `analytics` system: staging views over the POS, online-order and CRM sources and two marts.

`loyalty.point_ledger.amount` (membership) feeds `dw.sales_fact.net_amount` and from there
`cdp.customer_profile.lifetime_value`: an upstream field without an approved definition."""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.auth import get_user_model

from catalog.models import SourceSystem
from core.audit import Actor
from lineage import dbt
from lineage.models import EtlJob
from lineage.services import create_job, submit_sql

SQL_DIR = Path(__file__).resolve().parent / "sql"
DBT_DIR = Path(__file__).resolve().parent / "dbt"

# (key, name, system, dialect, schedule); the SQL of each job is in sql/<key>.sql.
JOBS = [
    ("stg_pos_transactions", "Stage till receipts", "dw", "postgres", "daily 01:00"),
    ("stg_online_orders", "Stage online orders", "dw", "postgres", "daily 01:00"),
    ("dw_customer_dim", "Customer dimension", "dw", "snowflake", "daily 02:00"),
    ("dw_sales_fact", "Build the sales fact", "dw", "snowflake", "daily 02:30"),
    ("cdp_customer_profile", "CDP profile mart", "cdp", "snowflake", "daily 04:00"),
    ("stg_epay_payments", "Stage e-payments (broken)", "dw", "tsql", "hourly"),
]


def load(actor: Actor) -> list[EtlJob]:
    """Create the demo's jobs (owner eric) and submit their SQL unless already current."""
    owner = get_user_model().objects.filter(username="eric").first()
    jobs = []
    for key, name, system, dialect, schedule in JOBS:
        sql = (SQL_DIR / f"{key}.sql").read_text(encoding="utf-8")
        job = EtlJob.objects.filter(key=key).first()
        if job is None:
            job = create_job(
                actor,
                {
                    "key": key,
                    "name": name,
                    "system": SourceSystem.objects.get(key=system),
                    "dialect": dialect,
                    "schedule": schedule,
                    "owner": owner,
                },
            )
        latest = job.versions.order_by("-number").first()
        if latest is None or latest.sql != sql:
            submit_sql(actor, job, sql)
        jobs.append(job)
    return jobs


def load_dbt(actor: Actor) -> dbt.Report:
    """Import the demo dbt project's artifacts into the `analytics` system (idempotent)."""
    artifacts = {
        name: json.loads((DBT_DIR / f"{name}.json").read_text(encoding="utf-8"))
        for name in ("manifest", "catalog", "run_results")
    }
    return dbt.import_artifacts(
        actor,
        "analytics",
        artifacts["manifest"],
        artifacts["catalog"],
        artifacts["run_results"],
        create=True,
    )
