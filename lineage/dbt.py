"""dbt artifacts (manifest, catalog, run results) into the catalog and the lineage graph.

- Models, seeds and snapshots are datasets `<schema>.<alias>` of the system the project builds
  into, with their columns in the warehouse's order and types (catalog.json) and the manifest's
  descriptions; owners from `meta.owner`, tags from `tags`. Ephemeral models build nothing.
- Sources are datasets `<schema>.<identifier>`: the system named by the source's
  `meta.catalog_system`, else the system whose `openlineage_database` is the source's database,
  else the one registered dataset of that name in the catalog (as SQL names resolve), else a
  dataset of the project's system. A source already registered is only referred to.
- Each model and snapshot is a job `dbt.<project>.<name>` whose lineage is its `compiled_code`
  read by our own parser (lineage.sql) with the manifest's columns as the schema; the
  relations it names (`"db"."schema"."table"`) are the datasets above.
- Generic tests (not_null, unique, ...) are listed on the fields they check, with their status
  from run_results.json when given.
Re-importing the same artifacts changes nothing. The artifacts are validated with
dbt-artifacts-parser; a schema version we do not read is refused, naming it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from catalog.models import Dataset, SourceSystem
from catalog.services import bulk_upsert, create_system
from core.audit import Actor
from core.errors import BulkRejected, Invalid, PermissionDenied
from core.permissions import user_can
from lineage.choices import Dialect, VersionOrigin
from lineage.models import EtlJob
from lineage.services import Resolver, check_writes, create_job, record_version, update_job
from lineage.sql import extract_lineage

SUPPORTED = {
    "manifest": ("v10", "v11", "v12"),
    "catalog": ("v1",),
    "run-results": ("v4", "v5", "v6"),
}
BUILT = ("model", "seed", "snapshot")
ADAPTER_DIALECTS = {
    "postgres": Dialect.POSTGRES,
    "snowflake": Dialect.SNOWFLAKE,
    "bigquery": Dialect.BIGQUERY,
    "redshift": Dialect.REDSHIFT,
    "databricks": Dialect.DATABRICKS,
    "spark": Dialect.SPARK,
    "duckdb": Dialect.DUCKDB,
    "trino": Dialect.TRINO,
    "sqlserver": Dialect.TSQL,
    "fabric": Dialect.TSQL,
    "mysql": Dialect.MYSQL,
    "oracle": Dialect.ORACLE,
}


def schema_version(artifact, what: str) -> str:
    """`v12` for a manifest whose metadata names .../dbt/manifest/v12.json; Invalid otherwise."""
    url = (
        ((artifact or {}).get("metadata") or {}).get("dbt_schema_version")
        if isinstance(artifact, dict)
        else None
    )
    match = re.search(r"/dbt/([a-z-]+)/(v\d+)\.json$", url or "")
    if not match or match.group(1) != what:
        raise Invalid.at(
            f"{what.replace('-', '_')}.metadata.dbt_schema_version",
            f"Not a dbt {what} artifact (metadata.dbt_schema_version is {url!r}).",
        )
    version = match.group(2)
    if version not in SUPPORTED[what]:
        raise Invalid.at(
            f"{what.replace('-', '_')}.metadata.dbt_schema_version",
            f"dbt {what} schema version {version} is not supported; this service reads "
            f"{', '.join(SUPPORTED[what])}.",
            version=version,
        )
    return version


def validate(manifest, catalog=None, run_results=None) -> None:
    """Check versions, then the artifacts' shape with dbt-artifacts-parser (pydantic)."""
    from dbt_artifacts_parser import parser
    from pydantic import ValidationError

    checks = [("manifest", manifest, parser.parse_manifest)]
    if catalog is not None:
        checks.append(("catalog", catalog, parser.parse_catalog))
    if run_results is not None:
        checks.append(("run-results", run_results, parser.parse_run_results))
    errors = []
    for what, artifact, parse in checks:
        schema_version(artifact, what)
        try:
            parse(artifact)
        except ValidationError as exc:
            for problem in exc.errors()[:50]:
                where = ".".join(str(p) for p in problem["loc"])
                errors.append(
                    {"path": f"{what.replace('-', '_')}.{where}", "message": problem["msg"]}
                )
        except ValueError as exc:
            errors.append({"path": what.replace("-", "_"), "message": str(exc)})
    if errors:
        raise BulkRejected(errors)


@dataclass
class Report:
    system: str
    created_system: bool = False
    datasets: dict = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})
    fields: dict = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})
    sources: dict = field(default_factory=dict)  # dbt source id -> dataset ref
    jobs: dict = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})
    tests: int = 0
    warnings: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "system": self.system,
            "created_system": self.created_system,
            "datasets": self.datasets,
            "fields": self.fields,
            "sources": self.sources,
            "jobs": self.jobs,
            "tests": self.tests,
            "warnings": self.warnings,
        }


def _relation(node: dict) -> str:
    ident = node.get("identifier") or node.get("alias") or node["name"]
    return f"{node['schema']}.{ident}".lower()


def _full_names(node: dict) -> list[str]:
    """The names SQL may write the node's relation with (as the parser lower-cases them)."""
    ident = node.get("identifier") or node.get("alias") or node["name"]
    names = [f"{node['schema']}.{ident}".lower()]
    if node.get("database"):
        names.insert(0, f"{node['database']}.{node['schema']}.{ident}".lower())
    return names


def _owners(node: dict) -> list[str]:
    found = []
    for meta in (node.get("meta") or {}, (node.get("config") or {}).get("meta") or {}):
        owner = meta.get("owner") or meta.get("owners")
        if isinstance(owner, str):
            found.append(owner)
        elif isinstance(owner, list):
            found += [o for o in owner if isinstance(o, str)]
    return [o.strip() for o in dict.fromkeys(found) if o.strip()]


def _columns(node: dict, cataloged: dict | None) -> list[dict]:
    """The node's columns: the warehouse's (catalog.json) in order with their types, then any
    only the manifest documents; descriptions, types and tags from the manifest."""
    documented = {k.lower(): v for k, v in (node.get("columns") or {}).items()}
    rows = []
    seen = set()
    built = (cataloged or {}).get("columns") or {}
    for name, info in sorted(built.items(), key=lambda kv: kv[1].get("index") or 0):
        doc = documented.get(name.lower(), {})
        rows.append(
            {
                "name": name.lower(),
                "data_type": (info.get("type") or doc.get("data_type") or "").lower()[:100],
                "description": doc.get("description") or info.get("comment") or "",
                "tags": list(doc.get("tags") or []),
            }
        )
        seen.add(name.lower())
    for name, doc in documented.items():
        if name not in seen:
            rows.append(
                {
                    "name": name,
                    "data_type": (doc.get("data_type") or "").lower()[:100],
                    "description": doc.get("description") or "",
                    "tags": list(doc.get("tags") or []),
                }
            )
    for i, row in enumerate(rows, start=1):
        row["ordinal"] = i
    return rows


def _tests(manifest: dict, run_results: dict | None) -> dict[tuple[str, str], list[dict]]:
    """(node id, column) -> the generic tests checking it, with their last status."""
    status = {r.get("unique_id"): r.get("status") for r in (run_results or {}).get("results") or []}
    found: dict[tuple[str, str], list[dict]] = {}
    for uid, node in sorted(manifest.get("nodes", {}).items()):
        if node.get("resource_type") != "test":
            continue
        metadata = node.get("test_metadata") or {}
        column = node.get("column_name") or (metadata.get("kwargs") or {}).get("column_name")
        parents = [node["attached_node"]] if node.get("attached_node") else []
        parents = parents or (node.get("depends_on") or {}).get("nodes") or []
        if not column or not parents:
            continue
        test = {"name": metadata.get("name") or node["name"], "tool": "dbt", "id": uid}
        if uid in status:
            test["status"] = status[uid]
        found.setdefault((parents[0], column.lower()), []).append(test)
    return found


@transaction.atomic
def import_artifacts(
    actor: Actor,
    system_key: str,
    manifest: dict,
    catalog: dict | None = None,
    run_results: dict | None = None,
    *,
    create: bool = False,
    on_step: Callable[[str], None] | None = None,
) -> Report:
    """Import a dbt project's artifacts into `system_key`, all or nothing (see the module)."""
    validate(manifest, catalog, run_results)
    step = on_step or (lambda _: None)
    system = SourceSystem.objects.filter(key=str(system_key).strip().lower()).first()
    report = Report(system=str(system_key).strip().lower())
    if system is None:
        if not create:
            raise Invalid.at(
                "system", f"No system {system_key!r}; pass --create-system to register it."
            )
        project = (manifest.get("metadata") or {}).get("project_name") or system_key
        system = create_system(
            actor,
            {"key": report.system, "name": f"dbt project {project}", "kind": "warehouse"},
        )
        report.created_system = True
    user = actor.user_or_none
    if user is not None and not user_can(user, "change", system):
        raise PermissionDenied(f"You may not change system {system.key!r}.")
    cataloged = {**((catalog or {}).get("sources") or {}), **((catalog or {}).get("nodes") or {})}
    tests = _tests(manifest, run_results)
    nodes = {
        uid: node
        for uid, node in manifest.get("nodes", {}).items()
        if node.get("resource_type") in BUILT
        and (node.get("config") or {}).get("materialized") != "ephemeral"
        and (node.get("config") or {}).get("enabled", True)
    }

    def dataset_row(uid: str, node: dict) -> dict:
        columns = _columns(node, cataloged.get(uid))
        for column in columns:
            column["tests"] = tests.get((uid, column["name"]), [])
            report.tests += len(column["tests"])
        materialized = (node.get("config") or {}).get("materialized")
        return {
            "name": _relation(node),
            "kind": "view" if materialized == "view" else "table",
            "description": node.get("description") or "",
            "owners": _owners(node),
            "tags": list(node.get("tags") or []),
            "fields": columns,
        }

    # Sources: where each lives.
    refs: dict[str, str] = {}  # relation as SQL writes it -> system:dataset
    schema: dict[str, list[str]] = {}
    by_system: dict[str, list[dict]] = {system.key: []}
    resolver = Resolver(actor, system, create=False)
    databases = {
        s.openlineage_database: s
        for s in SourceSystem.objects.exclude(openlineage_database="").exclude(pk=system.pk)
    }
    for uid, node in sorted((manifest.get("sources") or {}).items()):
        name = _relation(node)
        meta_key = str((node.get("meta") or {}).get("catalog_system") or "").strip().lower()
        home = SourceSystem.objects.filter(key=meta_key).first() if meta_key else None
        if meta_key and home is None:
            raise Invalid.at(
                f"manifest.sources.{uid}.meta.catalog_system", f"No system {meta_key!r}."
            )
        home = home or databases.get(str(node.get("database") or "").lower())
        existing = None
        if home is not None:
            existing = Dataset.objects.filter(system=home, name=name).first()
        else:
            found = resolver.known(name)
            if found is not None and found.system_id != system.pk:
                existing, home = found, found.system
        home = home or system
        ref = f"{home.key}:{name}"
        report.sources[uid] = ref
        for written in _full_names(node):
            refs[written] = ref
        if existing is None:
            by_system.setdefault(home.key, []).append(dataset_row(uid, node))
        columns = [c["name"] for c in _columns(node, cataloged.get(uid))]
        if existing is not None:
            columns = columns or list(existing.fields.values_list("name", flat=True))
        for written in _full_names(node):
            schema[written] = columns
    for uid, node in sorted(nodes.items()):
        row = dataset_row(uid, node)
        by_system[system.key].append(row)
        for written in _full_names(node):
            refs[written] = f"{system.key}:{row['name']}"
            schema[written] = [c["name"] for c in row["fields"]]
    step("datasets")
    for key, rows in by_system.items():
        target = SourceSystem.objects.get(key=key)
        if user is not None and not user_can(user, "change", target):
            raise PermissionDenied(
                f"The dbt sources {', '.join(r['name'] for r in rows)} would be registered in "
                f"system {key!r}, which you may not change; nothing was imported."
            )
        try:
            result = bulk_upsert(actor, target, rows)
        except BulkRejected as exc:
            raise BulkRejected([{**e, "path": f"{key}.{e['path']}"} for e in exc.errors]) from None
        for what in ("datasets", "fields"):
            for how in ("created", "updated", "unchanged"):
                getattr(report, what)[how] += getattr(getattr(result, how), what)

    adapter = (manifest.get("metadata") or {}).get("adapter_type") or ""
    dialect = ADAPTER_DIALECTS.get(adapter, Dialect.ANSI)
    project = (manifest.get("metadata") or {}).get("project_name") or "project"
    for uid, node in sorted(nodes.items()):
        code = (node.get("compiled_code") or "").strip().rstrip(";").strip()
        if node["resource_type"] == "seed" or not code:
            continue
        step(uid)
        _record_model(actor, system, node, code, dialect, project, refs, schema, report)
    return report


def _record_model(actor, system, node, code, dialect, project, refs, schema, report) -> None:
    key = re.sub(r"[^a-z0-9_.-]+", "-", f"dbt.{project}.{node['name']}".lower())[:100]
    job = EtlJob.objects.filter(key=key).first()
    data = {
        "key": key,
        "name": f"dbt {node['resource_type']} {node['name']}"[:200],
        "system": system,
        "dialect": dialect,
        "description": (node.get("description") or "")[:2000],
    }
    if job is None:
        job = create_job(actor, data)
        report.jobs["created"] += 1
    elif (job.system_id, job.dialect) != (system.pk, dialect):
        job = update_job(actor, job, {"system": system, "dialect": dialect})
    job = EtlJob.objects.select_for_update().select_related("system").get(pk=job.pk)
    materialized = (node.get("config") or {}).get("materialized")
    verb = "VIEW" if materialized == "view" else "TABLE"
    target = next(iter(_full_names(node)))
    sql = f"CREATE {verb} {target} AS\n{code}"
    latest = job.current_version
    result = _rewrite(extract_lineage(sql, dialect=dialect, schema=schema).to_dict(), refs)
    if (
        latest is not None
        and latest.origin == VersionOrigin.DBT
        and (latest.sql, latest.result) == (sql, result)
    ):
        report.jobs["unchanged"] += 1
        return
    resolver = Resolver.for_job(actor, job)
    check_writes(actor, resolver, result)
    version = record_version(actor, job, resolver, result, origin=VersionOrigin.DBT, sql=sql)
    if latest is not None:
        report.jobs["updated"] += 1
    for warning in version.warnings:
        report.warnings.append(f"{job.key}: {warning['message']}")
    for error in version.errors:
        report.warnings.append(f"{job.key}: {error['message']}")


def _rewrite(result: dict, refs: dict[str, str]) -> dict:
    """The parser's table names as catalog references (`system:schema.table`)."""

    def table(name: str) -> str:
        return refs.get(name, name)

    def column(name: str) -> str:
        owner, _, col = name.rpartition(".")
        return f"{table(owner)}.{col}" if owner else name

    def tables(side: dict) -> dict:
        return {k: [table(n) for n in v] for k, v in side.items()}

    def columns(items: list) -> list:
        return [{**c, "source": column(c["source"]), "target": column(c["target"])} for c in items]

    out = dict(result)
    out["tables"] = tables(result["tables"])
    out["columns"] = columns(result["columns"])
    out["statements"] = [
        {**s, "tables": tables(s["tables"]), "columns": columns(s["columns"])}
        for s in result["statements"]
    ]
    return out
