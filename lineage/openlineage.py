"""OpenLineage RunEvents (spec 2-0-2) recorded as job versions, so lineage reported by Spark,
Airflow or dbt integrations lands in the same graph as parsed SQL.

Mapping:
- the event's job (namespace, name) is the EtlJob with key `slug(namespace.name)`, created on
  first sight with the `system` given by the caller (or the first output's system);
- a dataset's namespace names a system: the system listing it in `openlineage_namespaces`
  (its `openlineage_database` prefix dropped from the name, so `postgres://warehouse:5432` +
  `analytics.dw.sales_fact` is `dw:dw.sales_fact`), else the system whose key equals it, else
  the caller's fallback (`?system=`). An event naming any other namespace is kept as waiting
  (WaitingEvent), with the namespace (UnmappedNamespace), until a steward resolves the namespace
  to a system once; the waiting events are recorded then. No system is ever invented;
- the `schema` facet registers unknown columns as discovered fields; the `columnLineage` facet
  (1-2-0) gives the column edges, one per transformation with its type, subtype and masking
  (none given means DIRECT/IDENTITY; the older `transformationType: MASKED` sets masking); its
  `dataset` inputs feed every output column INDIRECTly; inputs x outputs give table edges;
- only COMPLETE events (or events without an eventType) replace a job's lineage: START, RUNNING
  and OTHER describe a run still going, FAIL and ABORT one that did not finish. They are
  accepted and change nothing.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from catalog.models import SourceSystem, namespace_owners, normalize_namespace
from catalog.services import update_system
from core.audit import Actor, record_change, snapshot
from core.choices import ChangeAction
from core.errors import DomainError, Invalid, NotFound, PermissionDenied, summary
from core.permissions import perm_name, user_can
from lineage.choices import EdgeType, NamespaceStatus, VersionOrigin, WaitingStatus
from lineage.models import (
    DatasetEdge,
    EtlJob,
    EtlJobVersion,
    LineageEdge,
    UnmappedNamespace,
    WaitingEvent,
)
from lineage.services import Resolver, check_writes, create_job, record_version

EVENT_TYPES = {"START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"}
RECORDED = {"COMPLETE"}
NOT_RECORDED_REASON = {
    "START": "A START event describes a run still going; its COMPLETE event records lineage.",
    "RUNNING": "A RUNNING event describes a run still going; its COMPLETE event records lineage.",
    "OTHER": "Only COMPLETE events record lineage.",
    "FAIL": "A failed run does not replace the job's lineage.",
    "ABORT": "An aborted run does not replace the job's lineage.",
}
MAX_BATCH = 1000


class EventError(Invalid):
    """A RunEvent that cannot be recorded; `errors` are {path, message}."""

    def __init__(self, errors: list[dict]):
        super().__init__(summary(errors), errors)


def job_key(namespace: str, name: str) -> str:
    key = re.sub(r"[^a-z0-9_.-]+", "-", f"{namespace}.{name}".lower()).strip("-._")
    return key[:100] or "openlineage-job"


def event_type(event: dict) -> str:
    return event.get("eventType") or "COMPLETE"


# Validation -----------------------------------------------------------------------------------


def _text(errors: list, data: dict, key: str, path: str) -> str:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, str) or not value.strip():
        errors.append({"path": f"{path}.{key}" if path else key, "message": "Required string."})
        return ""
    return value.strip()


def validate(event, path: str = "") -> list[dict]:
    """Every structural problem of the event, as {path, message}; `path` prefixes them."""
    at = (lambda p: f"{path}.{p}" if p else path) if path else (lambda p: p)
    if not isinstance(event, dict):
        return [{"path": path, "message": "An OpenLineage RunEvent must be an object."}]
    errors: list[dict] = []
    _text(errors, event, "eventTime", path)
    if not isinstance(event.get("run"), dict):
        errors.append({"path": at("run"), "message": "Required object with a runId."})
    else:
        _text(errors, event["run"], "runId", at("run"))
    if not isinstance(event.get("job"), dict):
        errors.append({"path": at("job"), "message": "Required object with namespace and name."})
    else:
        _text(errors, event["job"], "namespace", at("job"))
        _text(errors, event["job"], "name", at("job"))
    kind = event.get("eventType", "COMPLETE")
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        errors.append(
            {"path": at("eventType"), "message": f"One of {', '.join(sorted(EVENT_TYPES))}."}
        )
    for side in ("inputs", "outputs"):
        datasets = event.get(side, [])
        if datasets is None:
            continue
        if not isinstance(datasets, list):
            errors.append({"path": at(side), "message": "Expected a list of datasets."})
            continue
        for i, dataset in enumerate(datasets):
            _text(errors, dataset, "namespace", at(f"{side}[{i}]"))
            _text(errors, dataset, "name", at(f"{side}[{i}]"))
            facets = dataset.get("facets", {}) if isinstance(dataset, dict) else {}
            if facets is None:
                continue
            if not isinstance(facets, dict):
                errors.append({"path": at(f"{side}[{i}].facets"), "message": "Expected an object."})
            else:
                errors.extend(_facet_errors(facets, at(f"{side}[{i}].facets")))
    return errors


def validate_body(body) -> list[dict]:
    """Problems of a request body: one RunEvent, or a batch (a list) of them."""
    if isinstance(body, list):
        if not body:
            return [{"path": "", "message": "A batch must hold at least one RunEvent."}]
        if len(body) > MAX_BATCH:
            return [{"path": "", "message": f"A batch holds at most {MAX_BATCH} RunEvents."}]
        errors = []
        for i, event in enumerate(body):
            errors.extend(validate(event, f"[{i}]"))
        return errors
    return validate(body)


def _input_field_errors(inputs, where: str) -> list[dict]:
    if not isinstance(inputs, list):
        return [{"path": where, "message": "Expected a list."}]
    errors: list[dict] = []
    for i, item in enumerate(inputs):
        for key in ("namespace", "name", "field"):
            _text(errors, item, key, f"{where}[{i}]")
        given = item.get("transformations") if isinstance(item, dict) else None
        if given is not None and not (
            isinstance(given, list) and all(isinstance(t, dict) for t in given)
        ):
            errors.append(
                {"path": f"{where}[{i}].transformations", "message": "Expected a list of objects."}
            )
    return errors


def _facet_errors(facets: dict, path: str) -> list[dict]:
    errors: list[dict] = []
    schema = facets.get("schema")
    if schema is not None:
        fields = schema.get("fields") if isinstance(schema, dict) else None
        if not isinstance(fields, list):
            errors.append({"path": f"{path}.schema.fields", "message": "Expected a list."})
        else:
            for i, item in enumerate(fields):
                _text(errors, item, "name", f"{path}.schema.fields[{i}]")
    lineage = facets.get("columnLineage")
    if lineage is not None:
        fields = lineage.get("fields") if isinstance(lineage, dict) else None
        if not isinstance(fields, dict):
            errors.append(
                {"path": f"{path}.columnLineage.fields", "message": "Expected an object."}
            )
            return errors
        for column, spec in fields.items():
            inputs = spec.get("inputFields") if isinstance(spec, dict) else None
            errors += _input_field_errors(
                inputs, f"{path}.columnLineage.fields.{column}.inputFields"
            )
        if lineage.get("dataset") is not None:
            errors += _input_field_errors(lineage["dataset"], f"{path}.columnLineage.dataset")
    return errors


# Namespaces -----------------------------------------------------------------------------------


class SystemMap:
    """Dataset namespace -> system: the system listing it, one with that key, else the
    fallback; None when it names no system."""

    def __init__(self, fallback: SourceSystem | None):
        self.fallback = fallback
        self.systems = {s.key: s for s in SourceSystem.objects.all()}
        self.owners = namespace_owners()

    def system(self, namespace: str) -> SourceSystem | None:
        namespace = normalize_namespace(namespace)
        key = self.owners.get(namespace)
        if key is None and namespace.lower() in self.systems:
            key = namespace.lower()
        if key is not None:
            return self.systems[key]
        return self.fallback

    def ref(self, namespace: str, name: str) -> str | None:
        """`system:dataset` for an OpenLineage dataset, or None for an unmapped namespace."""
        system = self.system(namespace)
        if system is None:
            return None
        return f"{system.key}:{system.openlineage_name(name)}"

    def unmapped(self, event: dict) -> list[str]:
        """The namespaces of the event's datasets that name no system, in order of appearance."""
        found = []
        for side in ("inputs", "outputs"):
            for dataset in event.get(side) or []:
                found.append(dataset["namespace"])
                facet = ((dataset.get("facets") or {}).get("columnLineage")) or {}
                for spec in (facet.get("fields") or {}).values():
                    found += [item["namespace"] for item in spec["inputFields"]]
                found += [item["namespace"] for item in facet.get("dataset") or []]
        names = dict.fromkeys(normalize_namespace(n) for n in found)
        return [n for n in names if self.system(n) is None]


# Events as the parser's result shape ----------------------------------------------------------


def to_result(event: dict, systems: SystemMap) -> tuple[dict, list[dict]]:
    """The event as the parser's result shape, with `system:dataset` table names."""
    errors: list[dict] = []

    def ref(namespace: str, name: str, path: str) -> str:
        found = systems.ref(namespace, name)
        if found is None:
            errors.append(
                {
                    "path": path,
                    "message": f"Dataset namespace {namespace!r} names no system; list it in a "
                    "system's openlineage_namespaces or pass ?system=KEY.",
                }
            )
            return ""
        return found

    tables = {"read": [], "write": []}
    columns = []
    for side, kind in (("inputs", "read"), ("outputs", "write")):
        for i, dataset in enumerate(event.get(side) or []):
            table = ref(dataset["namespace"], dataset["name"], f"{side}[{i}].namespace")
            tables[kind].append(table)
            facets = dataset.get("facets") or {}
            lineage = facets.get("columnLineage") or {}
            given = lineage.get("fields") or {}
            for column, spec in given.items():
                for j, item in enumerate(spec["inputFields"]):
                    where = f"{side}[{i}].facets.columnLineage.fields.{column}.inputFields[{j}]"
                    source = ref(item["namespace"], item["name"], where)
                    for edge in _transformations(item, spec):
                        columns.append(
                            {
                                "source": f"{source}.{item['field'].lower()}",
                                "target": f"{table}.{column.lower()}",
                                **edge,
                            }
                        )
            whole = lineage.get("dataset") or []
            targets = list(given) + [
                f["name"] for f in (facets.get("schema") or {}).get("fields") or []
            ]
            for j, item in enumerate(whole):
                source = ref(
                    item["namespace"],
                    item["name"],
                    f"{side}[{i}].facets.columnLineage.dataset[{j}]",
                )
                for column in dict.fromkeys(c.lower() for c in targets):
                    for edge in _transformations(item, {}, default="INDIRECT"):
                        columns.append(
                            {
                                "source": f"{source}.{item['field'].lower()}",
                                "target": f"{table}.{column}",
                                **edge,
                            }
                        )
    statement = {
        "index": 0,
        "line": 1,
        "kind": "other",
        "tables": tables,
        "columns": columns,
        "renames": [],
        "drops": [],
        "error": None,
    }
    return {"statements": [statement], "tables": tables, "columns": columns}, errors


def _transformations(item: dict, spec: dict, default: str = "DIRECT") -> list[dict]:
    given = item.get("transformations")
    if not isinstance(given, list) or not given:
        masked = str(spec.get("transformationType", "")).upper() == "MASKED"
        if default == "INDIRECT":
            return [{"type": "INDIRECT", "subtype": "", "expression": "", "masking": False}]
        return [
            {
                "type": EdgeType.DIRECT.value,
                "subtype": "TRANSFORMATION" if masked else "IDENTITY",
                "expression": str(spec.get("transformationDescription") or ""),
                "masking": masked,
            }
        ]
    return [
        {
            "type": "INDIRECT" if str(t.get("type", "")).upper() == "INDIRECT" else "DIRECT",
            "subtype": str(t.get("subtype") or "").upper(),
            "expression": str(t.get("description") or ""),
            "masking": bool(t.get("masking")),
        }
        for t in given
        if isinstance(t, dict)
    ]


# Recording ------------------------------------------------------------------------------------


def find_job(event: dict) -> EtlJob | None:
    return EtlJob.objects.filter(
        key=job_key(event["job"]["namespace"], event["job"]["name"])
    ).first()


def check_job_permission(user, job: EtlJob | None) -> None:
    """Reporting an event registers its job (add rights) or changes it (change rights)."""
    if user is None:
        return
    if job is None:
        if not (user.is_superuser or user.has_perm(perm_name(EtlJob, "add"))):
            raise PermissionDenied("You may not register jobs.")
    elif not user_can(user, "view", job):
        raise NotFound(f"No job {job.key!r} that you may read.")
    elif not user_can(user, "change", job):
        raise PermissionDenied(f"You may not change job {job.key!r}.")


@dataclass
class Outcome:
    """What became of one event."""

    event_type: str
    version: EtlJobVersion | None = None
    reason: str = ""
    waiting: WaitingEvent | None = None
    unmapped: list[str] = field(default_factory=list)

    @property
    def recorded(self) -> bool:
        return self.version is not None


@transaction.atomic
def receive(actor: Actor, body, fallback: SourceSystem | None) -> list[Outcome]:
    """Take one RunEvent or a batch (a list), all or nothing: an invalid event, one the actor
    may not report, or one writing into a system the actor may not change rejects the whole
    body and records nothing. Events naming an unmapped namespace are kept waiting."""
    events = body if isinstance(body, list) else [body]
    errors = validate_body(body)
    if errors:
        raise EventError(errors)
    outcomes = []
    systems = SystemMap(fallback)  # read once: nothing in a batch changes systems' namespaces
    for index, event in enumerate(events):
        try:
            outcomes.append(_receive_one(actor, event, systems))
        except Invalid as exc:
            if isinstance(body, list):
                raise Invalid(
                    f"[{index}]: {exc.message}",
                    [{**e, "path": f"[{index}].{e['path']}".rstrip(".")} for e in exc.errors],
                ) from None
            raise
    return outcomes


def _receive_one(actor: Actor, event: dict, systems: SystemMap) -> Outcome:
    kind = event_type(event)
    job = find_job(event)
    check_job_permission(actor.user_or_none, job)
    if kind not in RECORDED:
        return Outcome(kind, reason=NOT_RECORDED_REASON[kind])
    if not (event.get("inputs") or event.get("outputs")):
        return Outcome(kind, reason="The event names no datasets; the job keeps its lineage.")
    unmapped = systems.unmapped(event)
    if unmapped:
        waiting = _keep_waiting(actor, event, unmapped)
        return Outcome(
            kind,
            reason="Kept until a steward says which system each unmapped namespace names.",
            waiting=waiting,
            unmapped=unmapped,
        )
    version = record_event(actor, event, systems.fallback, authorize=True, systems=systems, job=job)
    return Outcome(kind, version=version)


def _keep_waiting(actor: Actor, event: dict, unmapped: list[str]) -> WaitingEvent:
    namespaces = []
    for name in unmapped:
        found, created = UnmappedNamespace.objects.get_or_create(namespace=name)
        if created:
            record_change(actor, ChangeAction.CREATE, found)
        elif found.status != NamespaceStatus.PENDING:
            # Its system no longer lists it: it is pending again.
            before = snapshot(found)
            found.status, found.system, found.resolved_by, found.resolved_at = (
                NamespaceStatus.PENDING,
                None,
                None,
                None,
            )
            found.save()
            record_change(actor, ChangeAction.UPDATE, found, before=before)
        namespaces.append(found)
    waiting = WaitingEvent.objects.create(
        payload=event, submitted_by=actor.user_or_none, submitted_by_name=actor.name
    )
    waiting.namespaces.set(namespaces)
    record_change(actor, ChangeAction.CREATE, waiting)
    return waiting


@transaction.atomic
def record_event(
    actor: Actor,
    event: dict,
    fallback: SourceSystem | None,
    *,
    authorize: bool = False,
    systems: SystemMap | None = None,
    job: EtlJob | None = None,
) -> EtlJobVersion | None:
    """Record a validated COMPLETE RunEvent as a new version of its job (created if new).
    Returns None for events that do not replace lineage. Raises EventError for unmappable
    datasets and, with `authorize`, WriteDenied (recording nothing) for outputs in systems the
    actor may not change. A new job's system must be one the actor may change (create_job).
    `systems` and `job` spare reading them again when the caller already has them."""
    if event_type(event) not in RECORDED:
        return None
    systems = systems or SystemMap(fallback)
    result, errors = to_result(event, systems)
    if errors:
        raise EventError(errors)
    job = job or find_job(event)
    if job is None:
        job = _create_job(actor, event, fallback, result)
    job = EtlJob.objects.select_for_update().select_related("system").get(pk=job.pk)
    resolver = Resolver.for_job(actor, job)
    if authorize:
        check_writes(actor, resolver, result)
    for side in ("inputs", "outputs"):
        for dataset in event.get(side) or []:
            _register_schema(resolver, dataset, systems)
    return record_version(
        actor, job, resolver, result, origin=VersionOrigin.OPENLINEAGE, payload=event
    )


def _create_job(actor: Actor, event: dict, fallback, result: dict) -> EtlJob:
    system = fallback
    if system is None:
        tables = result["tables"]["write"] or result["tables"]["read"]
        if not tables:
            raise EventError(
                [{"path": "outputs", "message": "A new job needs an output dataset or ?system=."}]
            )
        system = SourceSystem.objects.get(key=tables[0].split(":", 1)[0])
    namespace, name = event["job"]["namespace"], event["job"]["name"]
    producer = event.get("producer") or "unknown producer"
    return create_job(
        actor,
        {
            "key": job_key(namespace, name),
            "name": f"{namespace}/{name}"[:200],
            "system": system,
            "description": f"Reported by OpenLineage ({producer}).",
        },
    )


def _register_schema(resolver: Resolver, dataset: dict, systems: SystemMap) -> None:
    fields = ((dataset.get("facets") or {}).get("schema") or {}).get("fields") or []
    if not fields:
        return
    found = resolver.dataset(systems.ref(dataset["namespace"], dataset["name"]))
    if found is not None:
        for item in fields:
            resolver.field(found, item["name"])


# Resolving an unmapped namespace --------------------------------------------------------------


@transaction.atomic
def resolve_namespace(
    actor: Actor, pending: UnmappedNamespace, system: SourceSystem, database: str | None = None
) -> list[WaitingEvent]:
    """Say once which system `pending` names: the namespace joins the system's
    `openlineage_namespaces` (with `database`, its prefix to drop, when given) and the events
    waiting only on namespaces now mapped are recorded, oldest first, each as the user who sent
    it. An event that cannot be recorded then (its job's or systems' permissions, a bad name)
    is marked failed with its errors; it writes nothing. Returns the events it processed."""
    pending = UnmappedNamespace.objects.select_for_update().get(pk=pending.pk)
    if pending.status != NamespaceStatus.PENDING:
        raise Invalid.at(
            "namespace",
            f"Namespace {pending.namespace!r} is already resolved to system "
            f"{pending.system.key if pending.system else '(deleted)'!r}.",
        )
    user = actor.user_or_none
    if user is not None and not user_can(user, "change", system):
        raise PermissionDenied(
            f"You may not change system {system.key!r}, so you may not map a namespace to it."
        )
    data = {"openlineage_namespaces": [*system.openlineage_namespaces, pending.namespace]}
    if database is not None:
        data["openlineage_database"] = database
    try:
        update_system(actor, system, data)
    except ValidationError as exc:
        messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        problems = [
            {"path": "database" if k == "openlineage_database" else "system", "message": m}
            for k, ms in messages.items()
            for m in ms
        ]
        raise Invalid(summary(problems), problems) from None
    before = snapshot(pending)
    pending.status = NamespaceStatus.RESOLVED
    pending.system = system
    pending.resolved_by = user
    pending.resolved_at = timezone.now()
    pending.save()
    record_change(actor, ChangeAction.UPDATE, pending, before=before)
    # The events waiting on this namespace alone (any other still pending keeps them waiting).
    ready = (
        pending.events.filter(status=WaitingStatus.WAITING)
        .exclude(namespaces__status=NamespaceStatus.PENDING)
        .order_by("id")
    )
    return [_release(actor, waiting, pending) for waiting in ready]


def _release(actor: Actor, waiting: WaitingEvent, pending: UnmappedNamespace) -> WaitingEvent:
    sender = (
        Actor(
            waiting.submitted_by,
            request_id=actor.request_id,
            reason=f"Waiting OpenLineage event released when {actor.name} mapped namespace "
            f"{pending.namespace!r} to system {pending.system.key!r}.",
        )
        if waiting.submitted_by is not None
        else actor
    )
    before = snapshot(waiting)
    try:
        with transaction.atomic():
            job = find_job(waiting.payload)
            check_job_permission(sender.user_or_none, job)
            version = record_event(sender, waiting.payload, None, authorize=True, job=job)
        waiting.status, waiting.version, waiting.errors = WaitingStatus.RECORDED, version, []
    except (DomainError, ValidationError) as exc:
        if isinstance(exc, ValidationError):
            problems = [{"path": "", "message": m} for m in exc.messages]
        else:
            problems = getattr(exc, "errors", None) or [{"path": "", "message": str(exc)}]
        waiting.status, waiting.errors = WaitingStatus.FAILED, problems
    waiting.save()
    record_change(actor, ChangeAction.UPDATE, waiting, before=before)
    return waiting


# Export: a job's current lineage as OpenLineage -----------------------------------------------

SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
COLUMN_LINEAGE_SCHEMA = "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json"
SCHEMA_FACET_SCHEMA = "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json"
PRODUCER = "https://github.com/data-governance-catalog/lineage"
JOB_NAMESPACE = "data-governance-catalog"


def dataset_name(dataset) -> tuple[str, str]:
    """(namespace, name) a producer would use for a catalog dataset: the system's first listed
    namespace with its database prefix, else the system key and the dataset name, so that
    ingesting them maps back to the same dataset."""
    system = dataset.system
    if system.openlineage_namespaces:
        prefix = f"{system.openlineage_database}." if system.openlineage_database else ""
        return system.openlineage_namespaces[0], f"{prefix}{dataset.name}"
    return system.key, dataset.name


def job_events(job: EtlJob) -> list[dict]:
    """The job's current lineage as OpenLineage RunEvents: one COMPLETE event whose inputs and
    outputs are the job's table lineage and whose outputs carry the column-lineage facet (one
    transformation per stored edge, with its type, subtype, expression and masking) and the
    schema facet of the columns involved. Empty when the job has no lineage yet."""
    version = job.current_version
    if version is None:
        return []
    edges = list(
        LineageEdge.objects.filter(job=job)
        .select_related("source__dataset__system", "target__dataset__system")
        .order_by("target__dataset__name", "target__ordinal", "target__name", "id")
    )
    pairs = list(
        DatasetEdge.objects.filter(job=job).select_related("source__system", "target__system")
    )
    inputs, outputs = {}, {}
    for pair in pairs:
        inputs.setdefault(pair.source.pk, pair.source)
        outputs.setdefault(pair.target.pk, pair.target)
    columns: dict[int, dict[str, dict]] = {}
    for edge in edges:
        source, target = edge.source, edge.target
        inputs.setdefault(source.dataset.pk, source.dataset)
        outputs.setdefault(target.dataset.pk, target.dataset)
        namespace, name = dataset_name(source.dataset)
        fields = columns.setdefault(target.dataset.pk, {})
        spec = fields.setdefault(target.name, {"inputFields": []})
        item = next(
            (
                i
                for i in spec["inputFields"]
                if (i["namespace"], i["name"], i["field"]) == (namespace, name, source.name)
            ),
            None,
        )
        if item is None:
            item = {
                "namespace": namespace,
                "name": name,
                "field": source.name,
                "transformations": [],
            }
            spec["inputFields"].append(item)
        transformation = {"type": edge.type, "subtype": edge.subtype, "masking": edge.masking}
        if edge.expression:
            transformation["description"] = edge.expression
        item["transformations"].append(transformation)
    # The columns each dataset shows, with the types the edges' fields already carry.
    used: dict[int, set[str]] = {}
    column_types: dict[tuple[int, str], str] = {}
    for edge in edges:
        for end in (edge.source, edge.target):
            used.setdefault(end.dataset_id, set()).add(end.name)
            column_types[(end.dataset_id, end.name)] = end.data_type

    def describe(dataset, lineage: dict | None) -> dict:
        namespace, name = dataset_name(dataset)
        facets = {}
        names = used.get(dataset.pk)
        if names:
            types = {n: column_types.get((dataset.pk, n)) for n in names}
            facets["schema"] = {
                "_producer": PRODUCER,
                "_schemaURL": SCHEMA_FACET_SCHEMA,
                "fields": [
                    {"name": n, **({"type": types[n]} if types.get(n) else {})}
                    for n in sorted(names)
                ],
            }
        if lineage:
            facets["columnLineage"] = {
                "_producer": PRODUCER,
                "_schemaURL": COLUMN_LINEAGE_SCHEMA,
                "fields": lineage,
            }
        return {"namespace": namespace, "name": name, "facets": facets}

    run_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{PRODUCER}/jobs/{job.key}/versions/{version.number}")
    return [
        {
            "eventType": "COMPLETE",
            "eventTime": version.submitted_at.isoformat().replace("+00:00", "Z"),
            "producer": PRODUCER,
            "schemaURL": SPEC,
            "run": {"runId": str(run_id)},
            "job": {"namespace": JOB_NAMESPACE, "name": job.key},
            "inputs": [describe(d, None) for d in sorted(inputs.values(), key=str)],
            "outputs": [describe(d, columns.get(d.pk)) for d in sorted(outputs.values(), key=str)],
        }
    ]
