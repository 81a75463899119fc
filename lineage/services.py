"""Operations that change lineage: jobs, SQL versions and the stored edges. Each is one
transaction and leaves audit records.

Submitting SQL parses it against the catalog's schema, resolves table names to datasets
(registering unknown tables and columns as `discovered`), stores an immutable version and
replaces the job's edges. Policy for errors:
- every statement failed: the version is stored with its errors, the job keeps its edges;
- some statements failed (partial): edges of the statements that parsed, table-level edges the
  fallback found for the failed ones, and the previous column edges into tables that only the
  failed statements write are carried over (they keep the version that produced them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from guardian.shortcuts import assign_perm

from catalog.models import Dataset, Field, SourceSystem
from catalog.services import create_dataset, create_field
from core.audit import Actor, record_change, record_changes, snapshot
from core.choices import ChangeAction
from core.services import create_object, delete_object, update_object
from lineage.choices import EdgeType, ParseStatus, VersionOrigin
from lineage.models import DatasetEdge, EtlJob, EtlJobVersion, GraphRevision, LineageEdge
from lineage.sql import extract_lineage

JOB_OWNER_PERMS = ("view_etljob", "change_etljob", "delete_etljob")
UNKNOWN_TABLE = "<unknown>"


# Jobs -----------------------------------------------------------------------------------------


def _grant_owner(job: EtlJob, *users) -> None:
    for user in users:
        if user is not None:
            for perm in JOB_OWNER_PERMS:
                assign_perm(f"lineage.{perm}", user, job)


@transaction.atomic
def create_job(actor: Actor, data: dict) -> EtlJob:
    """Register a job; its creator and its owner may maintain it. The owner defaults to the
    creator."""
    data = {"owner": actor.user_or_none, **data}
    job = create_object(actor, EtlJob, data)
    _grant_owner(job, actor.user_or_none, job.owner)
    return job


@transaction.atomic
def update_job(actor: Actor, job: EtlJob, data: dict) -> EtlJob:
    old_owner = job.owner_id
    job = update_object(actor, job, data)
    if job.owner_id != old_owner:
        _grant_owner(job, job.owner)
    return job


@transaction.atomic
def delete_job(actor: Actor, job: EtlJob) -> None:
    """Delete a job with its versions and edges (the audit trail keeps every version's SQL)."""
    job_id = job.pk
    delete_object(actor, job)
    GraphRevision.objects.create(job_id=job_id)


class JobService:
    create = staticmethod(create_job)
    update = staticmethod(update_job)
    delete = staticmethod(delete_job)


# Resolving table and column names -------------------------------------------------------------


def split_column(name: str) -> tuple[str, str]:
    """`sales.transactions.amount` -> (`sales.transactions`, `amount`)."""
    table, _, column = name.rpartition(".")
    return table, column


class Resolver:
    """Maps table names as written in SQL to catalog datasets, and columns to fields.

    A name resolves, in order: `system:dataset` as written (OpenLineage); a dataset of that
    name in the job's system; the one dataset of that name in any system; `<system>.<rest>`
    where the first part is a system key; for a name without a schema, the one dataset of the
    job's system named `<schema>.<name>`. Anything else is a new dataset of the job's system.
    With `create`, unknown datasets and fields are registered as `discovered` (audited);
    without it (the pre-change check) they are returned unsaved."""

    def __init__(self, actor: Actor, system: SourceSystem, create: bool = True):
        self.actor = actor
        self.system = system
        self.create = create
        self.warnings: list[dict] = []
        self._datasets: dict[str, Dataset | None] = {}
        self._fields: dict[tuple[int | str, str], Field | None] = {}
        self._loaded: set[int] = set()
        self._ordinals: dict[int, int] = {}

    def warn(self, message: str, statement: int | None = None) -> None:
        item = {"statement": statement, "message": message}
        if item not in self.warnings:
            self.warnings.append(item)

    def dataset(self, name: str) -> Dataset | None:
        """The dataset `name` stands for, registering it as discovered when unknown."""
        name = name.lower()
        if name not in self._datasets:
            found = self._find(name)
            if found is None:
                self._datasets[name] = None
            else:
                system, dataset_name, dataset = found
                self._datasets[name] = dataset or self._new(system, dataset_name)
        return self._datasets[name]

    def known(self, name: str) -> Dataset | None:
        """The registered dataset `name` stands for, without registering anything."""
        name = name.lower()
        if name in self._datasets:
            found = self._datasets[name]
            return found if found is not None and found.pk else None
        found = self._find(name)
        return found[2] if found is not None else None

    def _find(self, name: str) -> tuple[SourceSystem, str, Dataset | None] | None:
        datasets = Dataset.objects.select_related("system")
        if ":" in name:
            key, _, rest = name.partition(":")
            system = SourceSystem.objects.filter(key=key).first()
            if system is None:
                self.warn(f"Unknown system {key!r} in {name!r}: not recorded.")
                return None
            return system, rest, datasets.filter(system=system, name=rest).first()
        found = datasets.filter(system=self.system, name=name).first()
        if found is not None:
            return self.system, name, found
        others = list(datasets.filter(name=name)[:2])
        if len(others) == 1:
            return others[0].system, name, others[0]
        first, dot, rest = name.partition(".")
        system = SourceSystem.objects.filter(key=first).exclude(pk=self.system.pk).first()
        if dot and system is not None:
            return system, rest, datasets.filter(system=system, name=rest).first()
        if not dot:
            suffixed = list(datasets.filter(system=self.system, name__endswith=f".{name}")[:2])
            if len(suffixed) == 1:
                return self.system, suffixed[0].name, suffixed[0]
        if others:
            self.warn(f"{name!r} names datasets in several systems; read as {self.system.key}.")
        return self.system, name, None

    def _new(self, system: SourceSystem, name: str) -> Dataset | None:
        data = {"system": system, "name": name, "discovered": True}
        try:
            if self.create:
                return create_dataset(self.actor, data)
            dataset = Dataset(**data)
            dataset.full_clean(validate_unique=False, validate_constraints=False)
            return dataset
        except ValidationError as exc:
            self.warn(f"Table {name!r} cannot be registered: {'; '.join(exc.messages)}")
            return None

    def field(self, dataset: Dataset, column: str) -> Field | None:
        column = column.lower()
        key = (dataset.pk or dataset.name, column)
        if dataset.pk and dataset.pk not in self._loaded:
            self._loaded.add(dataset.pk)
            for f in Field.objects.filter(dataset=dataset):
                self._fields[(dataset.pk, f.name)] = f
        if key not in self._fields:
            self._fields[key] = self._new_field(dataset, column)
        return self._fields[key]

    def _new_field(self, dataset: Dataset, column: str) -> Field | None:
        if dataset.pk not in self._ordinals:
            top = Field.objects.filter(dataset_id=dataset.pk).aggregate(m=Max("ordinal"))["m"]
            self._ordinals[dataset.pk] = top or 0
        self._ordinals[dataset.pk] += 1
        data = {"dataset": dataset, "name": column, "discovered": True}
        data["ordinal"] = self._ordinals[dataset.pk]
        try:
            if self.create:
                return create_field(self.actor, data)
            return Field(**data)
        except ValidationError as exc:
            self.warn(f"Column {dataset.name}.{column} cannot be registered: {exc.messages[0]}")
            return None

    def schema(self, tables: list[str]) -> dict[str, list[str]]:
        """The parser's schema for the registered datasets among `tables`."""
        found = {t: self.known(t) for t in tables}
        ids = {d.pk for d in found.values() if d is not None}
        columns: dict[int, list[str]] = {}
        rows = Field.objects.filter(dataset_id__in=ids).order_by("dataset_id", "ordinal", "name")
        for dataset_id, name in rows.values_list("dataset_id", "name"):
            columns.setdefault(dataset_id, []).append(name)
        return {t: columns[d.pk] for t, d in found.items() if d is not None and d.pk in columns}


# Parsing and planning edges ------------------------------------------------------------------


def parse(resolver: Resolver, sql: str, dialect: str) -> dict:
    """Parse twice: once for the table names, then with the catalog's columns for them (which
    expands `*` and places unqualified columns). A parser crash is reported like bad SQL."""
    try:
        tables = extract_lineage(sql, dialect=dialect).to_dict()["tables"]
        schema = resolver.schema(sorted({*tables["read"], *tables["write"]}))
        return extract_lineage(sql, dialect=dialect, schema=schema or None).to_dict()
    except Exception as exc:  # extract_lineage must not raise; if it does, store why
        error = {"message": f"The parser failed: {exc}", "line": 1, "column": 1}
        statement = {"index": 0, "line": 1, "kind": "other", "error": error}
        statement |= {
            "tables": {"read": [], "write": []},
            "columns": [],
            "renames": [],
            "drops": [],
        }
        return {"statements": [statement], "tables": statement["tables"], "columns": []}


def parse_status(result: dict) -> tuple[str, list[dict]]:
    statements = result.get("statements", [])
    errors = [
        {"statement": s["index"], **{"line": None, "column": None, **s["error"]}}
        for s in statements
        if s.get("error")
    ]
    if not statements:
        return ParseStatus.FAILED, [
            {"statement": None, "line": 1, "column": 1, "message": "No SQL statement found."}
        ]
    if not errors:
        return ParseStatus.OK, []
    return (ParseStatus.FAILED if len(errors) == len(statements) else ParseStatus.PARTIAL), errors


@dataclass
class Plan:
    """The edges a version would produce, as model instances not yet saved."""

    edges: dict[tuple, LineageEdge] = field(default_factory=dict)
    dataset_pairs: dict[tuple, tuple[Dataset, Dataset]] = field(default_factory=dict)
    failed_writes: set = field(default_factory=set)
    parsed_writes: set = field(default_factory=set)

    def add_dataset_pair(self, source: Dataset | None, target: Dataset | None) -> None:
        if source is not None and target is not None and _key(source) != _key(target):
            self.dataset_pairs.setdefault((_key(source), _key(target)), (source, target))


def _key(obj) -> int | str:
    """Saved rows by id; unsaved ones (pre-change check) by their reference."""
    return obj.pk if obj.pk else (obj.ref if isinstance(obj, Field) else str(obj))


def edge_key(edge: LineageEdge) -> tuple:
    return (_key(edge.source), _key(edge.target), edge.type, edge.subtype)


def plan(resolver: Resolver, result: dict) -> Plan:
    out = Plan()
    union = set(result["tables"]["read"]) | set(result["tables"]["write"])
    for statement in result["statements"]:
        writes = [resolver.dataset(t) for t in statement["tables"]["write"] if t in union]
        reads = [resolver.dataset(t) for t in statement["tables"]["read"] if t in union]
        (out.failed_writes if statement.get("error") else out.parsed_writes).update(
            d.pk for d in writes if d is not None
        )
        for source in reads:
            for target in writes:
                out.add_dataset_pair(source, target)
    for column in result["columns"]:
        _plan_column(resolver, out, column)
    return out


def _plan_column(resolver: Resolver, out: Plan, column: dict) -> None:
    source_table, source_column = split_column(column["source"])
    target_table, target_column = split_column(column["target"])
    if source_table == UNKNOWN_TABLE or target_table == UNKNOWN_TABLE:
        resolver.warn(
            f"{column['source']} -> {column['target']}: the table of a column is unknown "
            "(give the catalog its schema); edge not recorded."
        )
        return
    if "*" in (source_column, target_column):
        resolver.warn(
            f"{column['source']} -> {column['target']}: '*' could not be expanded (register "
            f"the columns of {source_table}); only table-level lineage recorded."
        )
        out.add_dataset_pair(resolver.dataset(source_table), resolver.dataset(target_table))
        return
    source_ds, target_ds = resolver.dataset(source_table), resolver.dataset(target_table)
    if source_ds is None or target_ds is None:
        return
    source, target = (
        resolver.field(source_ds, source_column),
        resolver.field(target_ds, target_column),
    )
    if source is None or target is None:
        return
    edge = LineageEdge(
        source=source,
        target=target,
        type=column.get("type") or EdgeType.DIRECT,
        subtype=column.get("subtype") or "",
        expression=(column.get("expression") or "")[:4000],
        masking=bool(column.get("masking")),
    )
    out.edges.setdefault(edge_key(edge), edge)
    out.add_dataset_pair(source_ds, target_ds)


def carried_over(job: EtlJob, out: Plan) -> list[LineageEdge]:
    """Current edges into tables that only failed statements of the new version write."""
    keep = out.failed_writes - out.parsed_writes
    if not keep:
        return []
    return list(
        LineageEdge.objects.filter(job=job, target__dataset_id__in=keep).select_related(
            "source__dataset__system", "target__dataset__system"
        )
    )


# Recording versions --------------------------------------------------------------------------


def _version_audit(version: EtlJobVersion) -> dict:
    # The parser's result is reproducible from the SQL: keep the audit trail lean.
    data = snapshot(version)
    data.pop("result", None)
    return data


@transaction.atomic
def submit_sql(
    actor: Actor, job: EtlJob, sql: str, origin: str = VersionOrigin.SQL
) -> EtlJobVersion:
    """Store `sql` as the job's next version and, unless nothing parsed, make its lineage the
    job's current lineage. Never raises for bad SQL: errors are stored on the version."""
    job = EtlJob.objects.select_for_update().select_related("system").get(pk=job.pk)
    resolver = Resolver(actor, job.system)
    result = parse(resolver, sql, job.dialect)
    return record_version(actor, job, resolver, result, origin=origin, sql=sql)


def record_version(
    actor: Actor,
    job: EtlJob,
    resolver: Resolver,
    result: dict,
    *,
    origin: str,
    sql: str = "",
    payload: dict | None = None,
) -> EtlJobVersion:
    """Store a version from a parser-shaped `result`; apply its edges unless it failed."""
    status, errors = parse_status(result)
    out = plan(resolver, result) if status != ParseStatus.FAILED else Plan()
    carried = carried_over(job, out) if status == ParseStatus.PARTIAL else []
    for edge in carried:
        resolver.warn(f"{edge.source.ref} -> {edge.target.ref}: kept from an earlier version.")
        out.add_dataset_pair(edge.source.dataset, edge.target.dataset)
    number = (job.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    version = EtlJobVersion.objects.create(
        job=job,
        number=number,
        origin=origin,
        sql=sql,
        dialect=job.dialect if sql else "",
        submitted_by=actor.user_or_none,
        submitted_by_name=actor.name,
        status=status,
        errors=errors,
        warnings=resolver.warnings,
        result=result,
        payload=payload,
        edge_count=len(out.edges) + len(carried),
    )
    record_change(actor, ChangeAction.CREATE, version, after=_version_audit(version))
    if status != ParseStatus.FAILED:
        _replace_edges(actor, job, version, out, carried)
        before = snapshot(job)
        job.current_version = version
        job.save(update_fields=["current_version", "updated_at"])
        record_change(actor, ChangeAction.UPDATE, job, before=before)
    return version


def _replace_edges(
    actor: Actor, job: EtlJob, version: EtlJobVersion, out: Plan, carried: list[LineageEdge]
) -> None:
    old = {edge_key(e): e for e in LineageEdge.objects.filter(job=job)}
    new = []
    for edge in out.edges.values():
        edge.job, edge.job_version = job, version
        new.append(edge)
    for edge in carried:
        if edge_key(edge) not in out.edges:
            edge.pk = None
            new.append(edge)
    LineageEdge.objects.filter(job=job).delete()
    LineageEdge.objects.bulk_create(new, batch_size=2000)
    DatasetEdge.objects.filter(job=job).delete()
    DatasetEdge.objects.bulk_create(
        [
            DatasetEdge(source=s, target=t, job=job, job_version=version)
            for s, t in out.dataset_pairs.values()
        ],
        batch_size=2000,
    )
    fresh = {edge_key(e): e for e in new}
    changes = [
        (ChangeAction.DELETE, e, snapshot(e), None) for k, e in old.items() if k not in fresh
    ]
    changes += [
        (ChangeAction.CREATE, e, None, snapshot(e)) for k, e in fresh.items() if k not in old
    ]
    record_changes(actor, changes)
    GraphRevision.objects.create(job_id=job.pk)


def rebuild(actor: Actor, jobs=None) -> dict[str, int]:
    """Re-parse each job's latest SQL (after a parser upgrade). A job whose parse result is
    unchanged is left alone; otherwise the same SQL becomes a new version (origin `rebuild`)."""
    counts = {"jobs": 0, "reparsed": 0, "unchanged": 0, "skipped": 0}
    for job in jobs if jobs is not None else EtlJob.objects.select_related("system"):
        counts["jobs"] += 1
        latest = job.versions.exclude(sql="").order_by("-number").first()
        if latest is None:
            counts["skipped"] += 1
            continue
        with transaction.atomic():
            resolver = Resolver(actor, job.system)
            result = parse(resolver, latest.sql, job.dialect)
            if result == latest.result and latest.dialect == job.dialect:
                counts["unchanged"] += 1
                transaction.set_rollback(True)  # discovered entities are not needed
                continue
            record_version(
                actor, job, resolver, result, origin=VersionOrigin.REBUILD, sql=latest.sql
            )
            counts["reparsed"] += 1
    return counts
