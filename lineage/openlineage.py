"""OpenLineage RunEvents (spec 2-0-2) recorded as job versions, so lineage reported by Spark,
Airflow or dbt integrations lands in the same graph as parsed SQL.

Mapping:
- the event's job (namespace, name) is the EtlJob with key `slug(namespace.name)`, created on
  first sight with the `system` given by the caller (or the first output's system);
- a dataset's namespace names a system: the SourceSystem whose key equals the namespace
  (case-insensitive); otherwise the caller's fallback system (`?system=`); otherwise the event is
  refused with a 400 naming the namespace;
- the `schema` facet registers unknown columns as discovered fields; the `columnLineage` facet
  gives the column edges (each transformation an edge; none given means DIRECT/IDENTITY, the
  facet's older `transformationType: MASKED` sets masking); inputs x outputs give table edges;
- FAIL and ABORT events are accepted and change nothing.
"""

from __future__ import annotations

import re

from django.db import transaction

from catalog.models import SourceSystem
from core.audit import Actor
from core.errors import Invalid, summary
from lineage.choices import EdgeType, VersionOrigin
from lineage.models import EtlJob, EtlJobVersion
from lineage.services import Resolver, check_writes, create_job, record_version

EVENT_TYPES = {"START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"}
NOT_RECORDED = {"ABORT", "FAIL"}


class EventError(Invalid):
    """A RunEvent that cannot be recorded; `errors` are {path, message}."""

    def __init__(self, errors: list[dict]):
        super().__init__(summary(errors), errors)


def job_key(namespace: str, name: str) -> str:
    key = re.sub(r"[^a-z0-9_.-]+", "-", f"{namespace}.{name}".lower()).strip("-._")
    return key[:100] or "openlineage-job"


def _text(errors: list, data: dict, key: str, path: str) -> str:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, str) or not value.strip():
        errors.append({"path": f"{path}.{key}" if path else key, "message": "Required string."})
        return ""
    return value.strip()


def validate(event) -> list[dict]:
    """Every structural problem of the event, as {path, message}."""
    if not isinstance(event, dict):
        return [{"path": "", "message": "The body must be an OpenLineage RunEvent object."}]
    errors: list[dict] = []
    _text(errors, event, "eventTime", "")
    if not isinstance(event.get("run"), dict):
        errors.append({"path": "run", "message": "Required object with a runId."})
    else:
        _text(errors, event["run"], "runId", "run")
    if not isinstance(event.get("job"), dict):
        errors.append({"path": "job", "message": "Required object with namespace and name."})
    else:
        _text(errors, event["job"], "namespace", "job")
        _text(errors, event["job"], "name", "job")
    kind = event.get("eventType", "COMPLETE")
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        errors.append({"path": "eventType", "message": f"One of {', '.join(sorted(EVENT_TYPES))}."})
    for side in ("inputs", "outputs"):
        datasets = event.get(side, [])
        if not isinstance(datasets, list):
            errors.append({"path": side, "message": "Expected a list of datasets."})
            continue
        for i, dataset in enumerate(datasets):
            _text(errors, dataset, "namespace", f"{side}[{i}]")
            _text(errors, dataset, "name", f"{side}[{i}]")
            facets = dataset.get("facets", {}) if isinstance(dataset, dict) else {}
            if not isinstance(facets, dict):
                errors.append({"path": f"{side}[{i}].facets", "message": "Expected an object."})
            else:
                errors.extend(_facet_errors(facets, f"{side}[{i}].facets"))
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
            where = f"{path}.columnLineage.fields.{column}.inputFields"
            if not isinstance(inputs, list):
                errors.append({"path": where, "message": "Expected a list."})
                continue
            for i, item in enumerate(inputs):
                for key in ("namespace", "name", "field"):
                    _text(errors, item, key, f"{where}[{i}]")
    return errors


class SystemMap:
    """Dataset namespace -> system key: a system with that key, else the fallback."""

    def __init__(self, fallback: SourceSystem | None):
        self.fallback = fallback
        self.keys = set(SourceSystem.objects.values_list("key", flat=True))

    def key(self, namespace: str) -> str | None:
        if namespace.lower() in self.keys:
            return namespace.lower()
        return self.fallback.key if self.fallback else None


def to_result(event: dict, systems: SystemMap) -> tuple[dict, list[dict]]:
    """The event as the parser's result shape, with `system:dataset` table names."""
    errors: list[dict] = []

    def ref(namespace: str, name: str, path: str) -> str:
        key = systems.key(namespace)
        if key is None:
            errors.append(
                {
                    "path": path,
                    "message": f"Dataset namespace {namespace!r} matches no system key; "
                    "register a system with that key or pass ?system=KEY.",
                }
            )
            return ""
        return f"{key}:{name.lower()}"

    tables = {"read": [], "write": []}
    columns = []
    for side, kind in (("inputs", "read"), ("outputs", "write")):
        for i, dataset in enumerate(event.get(side, [])):
            table = ref(dataset["namespace"], dataset["name"], f"{side}[{i}].namespace")
            tables[kind].append(table)
            lineage = (dataset.get("facets") or {}).get("columnLineage") or {}
            for column, spec in (lineage.get("fields") or {}).items():
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


def _transformations(item: dict, spec: dict) -> list[dict]:
    given = item.get("transformations")
    if not isinstance(given, list) or not given:
        masked = str(spec.get("transformationType", "")).upper() == "MASKED"
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


def find_job(event: dict) -> EtlJob | None:
    return EtlJob.objects.filter(
        key=job_key(event["job"]["namespace"], event["job"]["name"])
    ).first()


@transaction.atomic
def record_event(
    actor: Actor, event: dict, fallback: SourceSystem | None, *, authorize: bool = False
) -> EtlJobVersion | None:
    """Record a validated RunEvent as a new version of its job (created if new). Returns None for
    events that carry no lineage (FAIL, ABORT). Raises EventError for unmappable datasets and,
    with `authorize`, WriteDenied (recording nothing) for outputs in systems the actor may not
    change. A new job's system must be one the actor may change (see create_job)."""
    if event.get("eventType", "COMPLETE") in NOT_RECORDED:
        return None
    result, errors = to_result(event, SystemMap(fallback))
    if errors:
        raise EventError(errors)
    job = find_job(event)
    if job is None:
        job = _create_job(actor, event, fallback, result)
    job = EtlJob.objects.select_for_update().select_related("system").get(pk=job.pk)
    resolver = Resolver.for_job(actor, job)
    if authorize:
        check_writes(actor, resolver, result)
    for side in ("inputs", "outputs"):
        for dataset in event.get(side, []):
            _register_schema(resolver, dataset, SystemMap(fallback))
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
    found = resolver.dataset(f"{systems.key(dataset['namespace'])}:{dataset['name'].lower()}")
    if found is not None:
        for item in fields:
            resolver.field(found, item["name"])
