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

import functools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from guardian.shortcuts import assign_perm

from catalog.choices import Status
from catalog.models import Dataset, Field, SourceSystem
from catalog.services import create_dataset, create_field
from core.audit import Actor, record_change, record_changes, snapshot
from core.choices import ChangeAction
from core.errors import PermissionDenied
from core.permissions import user_can
from core.services import create_object, update_object
from lineage.choices import EdgeType, ParseStatus, VersionOrigin
from lineage.models import DatasetEdge, EtlJob, EtlJobVersion, LineageEdge
from lineage.parsing import ParseLimits, ParserCrashed
from lineage.parsing import pool as parse_pool
from lineage.sql import QUERY, extract_lineage

JOB_OWNER_PERMS = ("view_etljob", "change_etljob", "delete_etljob")
UNKNOWN_TABLE = "<unknown>"


# Permissions ----------------------------------------------------------------------------------


class WriteDenied(PermissionDenied):
    """The actor may not write lineage into these systems (their keys in `systems`)."""

    def __init__(self, message: str, systems: list[str]):
        super().__init__(message, systems=systems)
        self.systems = systems


def denied_systems(actor: Actor, systems) -> list[str]:
    """Keys of the `systems` the actor may not change; a system actor (no user) may change all."""
    user = actor.user_or_none
    if user is None:
        return []
    return sorted({s.key for s in systems if s is not None and not user_can(user, "change", s)})


def check_job_system(actor: Actor, system: SourceSystem) -> None:
    """A job lives in a system its creator (or whoever moves it) may change."""
    if denied_systems(actor, [system]):
        raise WriteDenied(
            f"You may not change system {system.key!r}, so you may not put a job in it.",
            [system.key],
        )


def check_writes(actor: Actor, resolver: Resolver, result: dict) -> None:
    """Lineage may be written only into systems the actor may change: every table the result
    writes or targets with a column edge (including the tables of failed statements that the
    fallback found) must be in one."""
    names = set(result.get("tables", {}).get("write", []))
    names |= {split_column(c["target"])[0] for c in result.get("columns", [])}
    systems = {}
    for name in sorted(names - {UNKNOWN_TABLE, QUERY, ""}):
        system = resolver.system_of(name)
        if system is not None:
            systems[system.pk] = system
    denied = denied_systems(actor, systems.values())
    if denied:
        names = ", ".join(repr(k) for k in denied)
        raise WriteDenied(
            f"This SQL writes into system(s) {names}, which you may not change; nothing was "
            "recorded.",
            denied,
        )


# Jobs -----------------------------------------------------------------------------------------


def _grant_owner(job: EtlJob, *users) -> None:
    for user in users:
        if user is not None:
            for perm in JOB_OWNER_PERMS:
                assign_perm(f"lineage.{perm}", user, job)


def can_read_lineage(user) -> bool:
    """Whether `user` reads lineage through a role (vendors and outsiders do not)."""
    return bool(
        user is not None
        and user.is_active
        and (user.is_superuser or user.has_perm("lineage.view_etljob"))
    )


def _check_owner(owner) -> None:
    if owner is not None and not can_read_lineage(owner):
        raise ValidationError(
            {"owner": f"{owner.get_username()} cannot read lineage, so cannot own a job."}
        )


@transaction.atomic
def create_job(actor: Actor, data: dict) -> EtlJob:
    """Register a job; its creator and its owner may maintain it. The owner defaults to the
    creator. The job's system must be one the actor may change (system actors may all)."""
    data = {"owner": actor.user_or_none, **data}
    if data.get("system") is not None:
        check_job_system(actor, data["system"])
    if "owner" in data:
        _check_owner(data["owner"])
    job = create_object(actor, EtlJob, data)
    _grant_owner(job, actor.user_or_none, job.owner)
    return job


@transaction.atomic
def update_job(actor: Actor, job: EtlJob, data: dict) -> EtlJob:
    """Change a job. Its key is its natural identifier and never changes; moving it to another
    system needs change rights there; its owner must be someone who reads lineage."""
    if "key" in data and str(data["key"] or "").strip().lower() != job.key:
        raise ValidationError({"key": "A job's key cannot change."})
    if data.get("system") is not None and data["system"].pk != job.system_id:
        check_job_system(actor, data["system"])
    if data.get("owner") is not None and data["owner"].pk != job.owner_id:
        _check_owner(data["owner"])
    old_owner = job.owner_id
    job = update_object(actor, job, data)
    if job.owner_id != old_owner:
        _grant_owner(job, job.owner)
    return job


@transaction.atomic
def delete_job(actor: Actor, job: EtlJob) -> None:
    """Delete a job with its versions and edges, in one transaction. The audit trail keeps every
    version's SQL and gets one record per removed column edge; the job's own record says what
    the deletion took out of the lineage graph (`before.removed`). Discovered entities only
    this job's lineage referred to are retired (see retire_unreferenced)."""
    job = EtlJob.objects.select_for_update().get(pk=job.pk)
    edges = list(
        LineageEdge.objects.filter(job=job).select_related(
            "source__dataset__system", "target__dataset__system"
        )
    )
    removed = {
        "versions": job.versions.count(),
        "edges": len(edges),
        "dataset_edges": DatasetEdge.objects.filter(job=job).count(),
        "targets": sorted({e.target.ref for e in edges}),
    }
    ends = set()
    for source_id, target_id in DatasetEdge.objects.filter(job=job).values_list(
        "source_id", "target_id"
    ):
        ends |= {source_id, target_id}
    record_changes(actor, [(ChangeAction.DELETE, e, snapshot(e), None) for e in edges])
    record_change(
        actor, ChangeAction.DELETE, job, before={**snapshot(job), "removed": removed}, after=None
    )
    job.delete()
    retire_unreferenced(actor, {e.source_id for e in edges} | {e.target_id for e in edges}, ends)


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

    A name resolves, in order: `system:dataset` as written (OpenLineage); then, system by
    system along the job's system and its search path, a dataset of that name (or, for a name
    without a schema, the one dataset of that system named `<schema>.<name>`): the first system
    that has it wins; then the one dataset of that name in any other system; then
    `<system>.<rest>` where the first part is a system key. A name held by datasets of several
    systems, none of them on the path, is ambiguous: it resolves to nothing and the statements
    naming it get an error (`ambiguous`). Anything else is a new dataset of the job's system.
    With `create`, unknown datasets and fields are registered as `discovered` (audited), and a
    retired discovered one named again is active again; without it (the pre-change check) they
    are returned unsaved."""

    def __init__(
        self,
        actor: Actor,
        system: SourceSystem,
        create: bool = True,
        search_path: list[SourceSystem] = (),
    ):
        self.actor = actor
        self.system = system
        self.create = create
        self.path = [system, *(s for s in search_path if s.pk != system.pk)]
        self.warnings: list[dict] = []
        self.ambiguous: dict[str, list[str]] = {}
        self._found: dict[str, tuple[SourceSystem, str, Dataset | None] | None] = {}
        self._datasets: dict[str, Dataset | None] = {}
        self._fields: dict[tuple[int | str, str], Field | None] = {}
        self._loaded: set[int] = set()
        self._ordinals: dict[int, int] = {}

    @classmethod
    def for_job(cls, actor: Actor, job: EtlJob, create: bool = True) -> Resolver:
        """A resolver for `job`: its system first, then its search path in order."""
        keys = list(job.search_path or [])
        systems = {s.key: s for s in SourceSystem.objects.filter(key__in=keys)}
        resolver = cls(
            actor, job.system, create=create, search_path=[systems[k] for k in keys if k in systems]
        )
        for key in keys:
            if key not in systems:
                resolver.warn(f"The search path names system {key!r}, which no longer exists.")
        return resolver

    def warn(self, message: str, statement: int | None = None) -> None:
        item = {"statement": statement, "message": message}
        if item not in self.warnings:
            self.warnings.append(item)

    def dataset(self, name: str) -> Dataset | None:
        """The dataset `name` stands for, registering it as discovered when unknown."""
        name = name.lower()
        if name not in self._datasets:
            found = self.lookup(name)
            if found is None:
                self._datasets[name] = None
            else:
                system, dataset_name, dataset = found
                if dataset is None:
                    dataset = self._new(system, dataset_name)
                elif self.create:
                    dataset = _revive(self.actor, dataset)
                self._datasets[name] = dataset
        return self._datasets[name]

    def known(self, name: str) -> Dataset | None:
        """The registered dataset `name` stands for, without registering anything."""
        name = name.lower()
        if name in self._datasets:
            found = self._datasets[name]
            return found if found is not None and found.pk else None
        found = self.lookup(name)
        return found[2] if found is not None else None

    def system_of(self, name: str) -> SourceSystem | None:
        """The system the table `name` is (or would be registered) in; registers nothing."""
        name = name.lower()
        if name in self._datasets:
            found = self._datasets[name]
            return found.system if found is not None else None
        found = self.lookup(name)
        return found[0] if found is not None else None

    def lookup(self, name: str) -> tuple[SourceSystem, str, Dataset | None] | None:
        """(system, dataset name, dataset or None when new) for `name`; None when it cannot be
        recorded (an unknown system, an ambiguous name)."""
        name = name.lower()
        if name not in self._found:
            self._found[name] = self._find(name)
        return self._found[name]

    def _find(self, name: str) -> tuple[SourceSystem, str, Dataset | None] | None:
        datasets = Dataset.objects.select_related("system")
        if ":" in name:
            key, _, rest = name.partition(":")
            system = SourceSystem.objects.filter(key=key).first()
            if system is None:
                self.warn(f"Unknown system {key!r} in {name!r}: not recorded.")
                return None
            return system, rest, datasets.filter(system=system, name=rest).first()
        first, dot, rest = name.partition(".")
        # Registered datasets first, along the path; then elsewhere; a discovered dataset
        # (a guess lineage made earlier) only after both, so a guess never shadows a dataset
        # somebody registered.
        found = self._along_path(name, dot, discovered=False)
        if found is not None:
            return found
        others = datasets.filter(name=name, discovered=False).exclude(system__in=self.path)
        # A removed dataset counts only when no other system has the name in use.
        candidates = list(others.exclude(status=Status.REMOVED)) or list(others)
        if len(candidates) == 1:
            return candidates[0].system, name, candidates[0]
        if candidates:
            self.ambiguous[name] = sorted({d.system.key for d in candidates})
            return None
        found = self._along_path(name, dot, discovered=True)
        if found is not None:
            return found
        others = datasets.filter(name=name, discovered=True).exclude(system__in=self.path)
        candidates = list(others.exclude(status=Status.REMOVED)) or list(others)
        if len(candidates) == 1:
            return candidates[0].system, name, candidates[0]
        system = SourceSystem.objects.filter(key=first).exclude(pk=self.system.pk).first()
        if dot and system is not None:
            return system, rest, datasets.filter(system=system, name=rest).first()
        if candidates:
            self.ambiguous[name] = sorted({d.system.key for d in candidates})
            return None
        return self.system, name, None

    def _along_path(
        self, name: str, dotted: str, discovered: bool
    ) -> tuple[SourceSystem, str, Dataset] | None:
        datasets = Dataset.objects.select_related("system").filter(discovered=discovered)
        for system in self.path:
            found = datasets.filter(system=system, name=name).first()
            if found is not None:
                return system, name, found
            if not dotted:
                suffixed = list(datasets.filter(system=system, name__endswith=f".{name}")[:2])
                if len(suffixed) == 1:
                    return system, suffixed[0].name, suffixed[0]
        return None

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
                f.dataset = dataset  # its reference labels edges (and their audit records)
                self._fields[(dataset.pk, f.name)] = f
        if key not in self._fields:
            self._fields[key] = self._new_field(dataset, column)
        elif self.create and self._fields[key] is not None:
            self._fields[key] = _revive(self.actor, self._fields[key])
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
        return parser_schema({t: self.known(t) for t in tables})


def _revive(actor: Actor, obj):
    """A discovered dataset or field that had been retired (no lineage referred to it) and is
    named by lineage again is active again (audited)."""
    if not (obj.discovered and obj.status == Status.REMOVED):
        return obj
    return update_object(actor, obj, {"status": Status.ACTIVE})


# Parsing and planning edges ------------------------------------------------------------------


def parser_schema(found: dict[str, Dataset | None]) -> dict[str, list[str]]:
    """{table name as the SQL writes it: its columns in order}, for the datasets `found` names
    (None: unknown, left out): what the parser needs to expand `*` and place columns."""
    ids = {d.pk for d in found.values() if d is not None}
    columns: dict[int, list[str]] = {}
    rows = Field.objects.filter(dataset_id__in=ids).order_by("dataset_id", "ordinal", "name")
    for dataset_id, name in rows.values_list("dataset_id", "name"):
        columns.setdefault(dataset_id, []).append(name)
    return {t: columns[d.pk] for t, d in found.items() if d is not None and d.pk in columns}


def parse(
    resolver: Resolver,
    sql: str,
    dialect: str,
    *,
    limits: ParseLimits | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> dict:
    """Parse twice: once for the table names, then with the catalog's columns for them (which
    expands `*` and places unqualified columns). A parser crash is reported like bad SQL.

    With `limits` (requests and tasks), the SQL is refused when larger than they allow (413)
    and parsed in a worker process that is killed at the total time (422); `on_progress` hears
    `(phase, statements done, statements total)` for the phases `tables` and `columns`.
    Without, it is parsed here (management commands, the demo)."""
    if limits is None:
        return _parse_here(resolver, sql, dialect)
    limits.check_size(sql)
    deadline = time.monotonic() + limits.seconds

    def run(schema, phase):
        report = None if on_progress is None else functools.partial(on_progress, phase)
        return parse_pool().run(
            sql, dialect, schema, deadline=deadline, limits=limits, on_progress=report
        )

    try:
        tables = run(None, "tables")["tables"]
        schema = resolver.schema(sorted({*tables["read"], *tables["write"]}))
        return run(schema or None, "columns")
    except ParserCrashed as exc:
        return _crashed(exc)


def _parse_here(resolver: Resolver, sql: str, dialect: str) -> dict:
    try:
        tables = extract_lineage(sql, dialect=dialect).to_dict()["tables"]
        schema = resolver.schema(sorted({*tables["read"], *tables["write"]}))
        return extract_lineage(sql, dialect=dialect, schema=schema or None).to_dict()
    except Exception as exc:  # extract_lineage must not raise; if it does, store why
        return _crashed(exc)


def _crashed(exc: Exception) -> dict:
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


def assess(resolver: Resolver, result: dict, sql: str = "") -> tuple[str, list[dict], set[int]]:
    """(status, errors, indexes of failed statements): the parser's errors plus a statement
    error for each table name that cannot be resolved without guessing (see Resolver)."""
    status, errors = parse_status(result)
    extra = resolution_errors(resolver, result, sql)
    failed = {e["statement"] for e in errors if e["statement"] is not None}
    if not extra:
        return status, errors, failed
    failed |= {e["statement"] for e in extra}
    errors = sorted([*errors, *extra], key=lambda e: (e["statement"] or 0, e["line"] or 0))
    total = len(result.get("statements", []))
    return (ParseStatus.FAILED if len(failed) >= total else ParseStatus.PARTIAL), errors, failed


def resolution_errors(resolver: Resolver, result: dict, sql: str = "") -> list[dict]:
    """One error per statement and ambiguous table name it reads or writes."""
    union = set(result["tables"]["read"]) | set(result["tables"]["write"])
    errors = []
    for statement in result.get("statements", []):
        names = [*statement["tables"]["read"], *statement["tables"]["write"]]
        for name in dict.fromkeys(n for n in names if n in union):
            if resolver.lookup(name) is not None or name not in resolver.ambiguous:
                continue
            systems = resolver.ambiguous[name]
            line, column = _locate(sql, name, statement.get("line") or 1)
            searched = ", ".join(s.key for s in resolver.path)
            errors.append(
                {
                    "statement": statement["index"],
                    "line": line,
                    "column": column,
                    "message": f"Table {name!r} is ambiguous: systems {', '.join(systems)} "
                    f"each have a dataset of that name, and none of them is searched by this "
                    f"job ({searched}). Add the right one to the job's search path or write "
                    f"the name with its system; nothing was recorded for it.",
                }
            )
    return errors


def _locate(sql: str, name: str, line: int) -> tuple[int, int]:
    """Line and column of `name` (quoted or not) from line `line` on; else that line."""
    parts = [re.escape(p) for p in name.split(".")]
    pattern = r"""[`"\[]?\s*\.\s*[`"\[]?""".join(parts)
    lines = sql.splitlines()
    for number in range(line, len(lines) + 1):
        match = re.search(rf"(?<![\w.]){pattern}(?![\w])", lines[number - 1], re.IGNORECASE)
        if match:
            return number, match.start() + 1
    return line, 1


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


def plan(resolver: Resolver, result: dict, failed: set[int] = frozenset()) -> Plan:
    """The edges of `result`; the statements in `failed` (and those with a parser error) count
    as failed for carrying earlier edges over."""
    out = Plan()
    union = set(result["tables"]["read"]) | set(result["tables"]["write"])
    for statement in result["statements"]:
        writes = [resolver.dataset(t) for t in statement["tables"]["write"] if t in union]
        bad = statement.get("error") or statement["index"] in failed
        (out.failed_writes if bad else out.parsed_writes).update(
            d.pk for d in writes if d is not None
        )
    for source, target in script_table_pairs(result["statements"], union):
        out.add_dataset_pair(resolver.dataset(source), resolver.dataset(target))
    for column in result["columns"]:
        _plan_column(resolver, out, column)
    return out


def script_table_pairs(statements: list[dict], real: set[str]) -> list[tuple[str, str]]:
    """(read, written) table pairs of the script's statements, composed through the tables
    that are not `real` (temp tables, created and dropped by the script), so a temp table
    never becomes a dataset and its sources feed what it fed."""
    into: dict[str, list[str]] = {}
    for statement in statements:
        for target in statement["tables"]["write"]:
            for source in statement["tables"]["read"]:
                if source != target and source not in into.setdefault(target, []):
                    into[target].append(source)

    def sources(table: str, seen: frozenset) -> list[str]:
        out: list[str] = []
        for source in into.get(table, []):
            if source in real:
                out.append(source)
            elif source not in seen:
                out.extend(sources(source, seen | {source}))
        return out

    pairs = {}
    for target in into:
        if target in real:
            for source in sources(target, frozenset({target})):
                pairs[(source, target)] = None
    return list(pairs)


def _plan_column(resolver: Resolver, out: Plan, column: dict) -> None:
    source_table, source_column = split_column(column["source"])
    target_table, target_column = split_column(column["target"])
    if target_table == QUERY:
        # A plain SELECT in a job writes nothing: its output columns are no catalog fields.
        return
    if source_table == UNKNOWN_TABLE or target_table == UNKNOWN_TABLE:
        resolver.warn(
            f"{column['source']} -> {column['target']}: the table of a column is unknown "
            "(give the catalog its schema); edge not recorded."
        )
        return
    if target_column == "*":
        resolver.warn(
            f"{column['source']} -> {column['target']}: '*' could not be expanded (register "
            f"the columns of {source_table}); only table-level lineage recorded."
        )
        out.add_dataset_pair(resolver.dataset(source_table), resolver.dataset(target_table))
        return
    if source_column == "*":
        # COUNT(*) and the like: the rows of the source, no column of it; table-level lineage.
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


def submit_sql(
    actor: Actor,
    job: EtlJob,
    sql: str,
    origin: str = VersionOrigin.SQL,
    *,
    authorize: bool = False,
    limits: ParseLimits | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> EtlJobVersion:
    """Store `sql` as the job's next version and, unless nothing parsed, make its lineage the
    job's current lineage. Never raises for bad SQL: errors are stored on the version.
    With `authorize` (API callers), raises WriteDenied, storing nothing, when the SQL writes
    into a system the actor may not change. With `limits` (requests, tasks), SQL beyond them
    is refused, storing nothing (see `parse`).

    The parse runs before the transaction: it only reads the catalog, and a long one must not
    hold the job's row lock or a transaction open."""
    resolver = Resolver.for_job(actor, job)
    result = parse(resolver, sql, job.dialect, limits=limits, on_progress=on_progress)
    with transaction.atomic():
        job = EtlJob.objects.select_for_update().select_related("system").get(pk=job.pk)
        if job.system_id != resolver.system.pk:  # moved while parsing: resolve names again
            resolver = Resolver.for_job(actor, job)
        if authorize:
            check_writes(actor, resolver, result)
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
    status, errors, failed = assess(resolver, result, sql)
    out = plan(resolver, result, failed) if status != ParseStatus.FAILED else Plan()
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
    old = {
        edge_key(e): e
        for e in LineageEdge.objects.filter(job=job).select_related(
            "source__dataset__system", "target__dataset__system"
        )
    }
    new = []
    for edge in out.edges.values():
        edge.job, edge.job_version = job, version
        new.append(edge)
    for edge in carried:
        if edge_key(edge) not in out.edges:
            edge.pk = None
            new.append(edge)
    old_datasets = set()
    for source_id, target_id in DatasetEdge.objects.filter(job=job).values_list(
        "source_id", "target_id"
    ):
        old_datasets |= {source_id, target_id}
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
    old_fields = {e.source_id for e in old.values()} | {e.target_id for e in old.values()}
    retire_unreferenced(actor, old_fields, old_datasets)


def retire_unreferenced(actor: Actor, field_ids: set[int], dataset_ids: set[int]) -> None:
    """Retire (mark `removed`, audited) the discovered fields among `field_ids` and discovered
    datasets among `dataset_ids` (and the datasets of those fields) that no lineage edge of any
    job refers to any more: they were only known from lineage, and that lineage is gone. A
    discovered dataset holding a registered field, or a referenced one, stays."""
    used_field = LineageEdge.objects.filter(Q(source=OuterRef("pk")) | Q(target=OuterRef("pk")))
    fields = list(
        Field.objects.filter(~Exists(used_field), pk__in=field_ids, discovered=True)
        .exclude(status=Status.REMOVED)
        .select_related("dataset__system")
    )
    dataset_ids = set(dataset_ids) | {f.dataset_id for f in fields}
    used_dataset = DatasetEdge.objects.filter(Q(source=OuterRef("pk")) | Q(target=OuterRef("pk")))
    used_column = LineageEdge.objects.filter(
        Q(source__dataset=OuterRef("pk")) | Q(target__dataset=OuterRef("pk"))
    )
    kept_field = Field.objects.filter(dataset=OuterRef("pk"), discovered=False).exclude(
        status=Status.REMOVED
    )
    datasets = list(
        Dataset.objects.filter(
            ~Exists(used_dataset),
            ~Exists(used_column),
            ~Exists(kept_field),
            pk__in=dataset_ids,
            discovered=True,
        )
        .exclude(status=Status.REMOVED)
        .select_related("system")
    )
    retired_ids = {f.pk for f in fields}
    fields += list(
        Field.objects.filter(dataset__in=datasets, discovered=True)
        .exclude(status=Status.REMOVED)
        .exclude(pk__in=retired_ids)
        .select_related("dataset__system")
    )
    changes = []
    for obj in [*fields, *datasets]:
        before = snapshot(obj)
        obj.status = Status.REMOVED
        obj.save(update_fields=["status", "updated_at"])
        changes.append((ChangeAction.UPDATE, obj, before, snapshot(obj)))
    record_changes(actor, changes)


def rebuild(actor: Actor, jobs=None) -> dict[str, int]:
    """Re-parse each job's latest SQL (after a parser upgrade). A job whose parse result is
    unchanged is left alone; otherwise the same SQL becomes a new version (origin `rebuild`)."""
    counts = {"jobs": 0, "reparsed": 0, "unchanged": 0, "skipped": 0}
    for job in jobs if jobs is not None else EtlJob.objects.select_related("system"):
        counts["jobs"] += 1
        latest = job.versions.exclude(sql="").order_by("-number").first()
        # A dbt model's names are the project's relations, mapped by dbt_import: re-import it.
        if latest is None or latest.origin == VersionOrigin.DBT:
            counts["skipped"] += 1
            continue
        with transaction.atomic():
            resolver = Resolver.for_job(actor, job)
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
