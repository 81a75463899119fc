"""The only place consult reads the lineage store and governance's definitions: their public
functions and models, turned into the plain records below that the snapshot compiles."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import OuterRef, Subquery

from catalog.models import Dataset, Field, SourceSystem
from core.db import chunks, select_in
from core.db import table as _table
from core.permissions import visible
from governance.choices import MappingStatus
from governance.models import EFFECTIVE_STATUSES, DefinitionVersion, FieldDefinition, FieldMapping
from governance.permissions import definitions_visible_to
from governance.queries import (
    approved_fields_for_definition,
    effective_definitions_for_fields,
)
from lineage.models import EtlJob, EtlJobVersion, LineageEdge
from lineage.queries import field_refs  # noqa: F401  (consult reads field names through here)


def field_rows(ids) -> list[tuple]:
    """(id, name, status, discovered, dataset name, system key, owning team, dataset id,
    ordinal) of fields."""
    key = connection.ops.quote_name("key")
    return select_in(
        f"SELECT f.id, f.name, f.status, f.discovered, d.name, s.{key}, "
        f"s.owning_team, f.dataset_id, f.ordinal FROM {_table(Field)} f "
        f"JOIN {_table(Dataset)} d ON d.id = f.dataset_id "
        f"JOIN {_table(SourceSystem)} s ON s.id = d.system_id WHERE f.id {{ids}}",
        ids,
    )


def definition_summaries(ids) -> dict[int, tuple[str, str]]:
    """{field id: (definition key, status of the version in force)} for fields with an approved
    mapping to a definition with a version in force: what the trust and label walks need of
    the fields upstream (the whole record is read for the consulted fields only)."""
    rows = select_in(
        f"SELECT m.field_id, d.{connection.ops.quote_name('key')}, v.status "
        f"FROM {_table(FieldMapping)} m JOIN {_table(FieldDefinition)} d ON d.id = m.definition_id "
        f"JOIN {_table(DefinitionVersion)} v ON v.definition_id = d.id "
        f"WHERE m.status = %s AND v.status IN (%s, %s, %s) AND m.field_id {{ids}}",
        ids,
        [str(MappingStatus.APPROVED), *(str(v) for v in EFFECTIVE_STATUSES)],
    )
    return {fid: (key, str(status)) for fid, key, status in rows}


@dataclass(frozen=True)
class DefinitionInfo:
    """A field's effective definition, as consult needs it."""

    key: str
    version: int
    status: str  # "approved" or "deprecated"; anything else counts as not approved
    attributes: dict = field(default_factory=dict)
    replacement: str | None = None
    owners: tuple[dict, ...] = ()  # ({"role": "steward", "name": "stella"}, ...)


@dataclass(frozen=True)
class SourceInfo:
    """An approved physical field implementing a definition."""

    field_id: int
    field_ref: str
    conversion_note: str = ""


@dataclass(frozen=True)
class Edge:
    """One stored column-level lineage edge."""

    source: int
    target: int
    type: str  # DIRECT or INDIRECT
    subtype: str
    masking: bool
    job: str
    job_failed: bool  # the job's latest SQL version failed to parse


# Reads ----------------------------------------------------------------------------------------


def definitions_for_fields(field_ids) -> dict[int, DefinitionInfo]:
    """{field id: effective definition} for the given fields that have one."""
    return {fid: _as_info(d) for fid, d in effective_definitions_for_fields(field_ids).items()}


def fields_of_definitions(ids=(), keys=()) -> set[int]:
    """Fields mapped (in any state) to the definitions with these ids or keys."""
    out: set[int] = set()
    for chunk in chunks(ids):
        out.update(
            FieldMapping.objects.filter(definition_id__in=chunk).values_list("field_id", flat=True)
        )
    for chunk in chunks(keys):
        out.update(
            FieldMapping.objects.filter(definition__key__in=chunk).values_list(
                "field_id", flat=True
            )
        )
    return out


def _as_info(d: dict) -> DefinitionInfo:
    return DefinitionInfo(
        key=d["key"],
        version=d["version"],
        status=str(d["status"]),
        attributes=d["attributes"],
        replacement=d.get("replaced_by"),
        owners=tuple(d.get("owners", ())),
    )


def definition_sources(key: str) -> list[SourceInfo] | None:
    """Approved fields mapped to definition `key`, with conversion notes (governance's
    `approved_fields_for_definition`); None when the key has no approved effective version."""
    if not DefinitionVersion.objects.filter(
        definition__key=key, status__in=("approved", "needs_review")
    ).exists():
        return None
    return [
        SourceInfo(r["field_id"], r["field"], r["conversion_note"])
        for r in approved_fields_for_definition(key)
    ]


def definition_exists(key: str) -> bool:
    return FieldDefinition.objects.filter(key=key).exists()


def visible_definition_keys(user):
    """Keys (a queryset of strings) of the definitions `user` may read (governance's rules)."""
    return definitions_visible_to(user, FieldDefinition.objects.all()).values("key")


def definition_visible(user, key: str) -> bool:
    return visible_definition_keys(user).filter(key=key).exists()


def visible_field_ids(user, ids) -> set[int]:
    """The ids among `ids` of fields `user` may view (catalog grants, with inheritance)."""
    fields = visible(user, Field.objects.filter(pk__in=list(ids)), ("dataset", "dataset__system"))
    return set(fields.values_list("pk", flat=True))


def definition_approvers(key: str) -> list:
    """The definition's owner and steward: who may approve a policy on it alone."""
    d = FieldDefinition.objects.select_related("owner", "steward").filter(key=key).first()
    return [] if d is None else [u for u in (d.owner, d.steward) if u is not None]


def upstream_edges(field_ids) -> list[Edge]:
    """The DIRECT edges into the given fields and into everything upstream of them, in edge id
    order: all that decides their inherited labels and their upstream trust. One recursive
    query (per 900 fields on SQLite; both run WITH RECURSIVE); the UNION stops at cycles."""
    table = _table(LineageEdge)
    rows: dict[int, tuple] = {}
    sql = (
        f"WITH RECURSIVE up(id) AS (SELECT id FROM {_table(Field)} WHERE id {{ids}} "
        f"UNION SELECT e.source_id FROM {table} e JOIN up ON e.target_id = up.id "
        "WHERE e.type = 'DIRECT') "
        "SELECT e.id, e.source_id, e.target_id, e.subtype, e.masking, e.job_id "
        f"FROM {table} e JOIN up ON e.target_id = up.id WHERE e.type = 'DIRECT'"
    )
    for row in select_in(sql, field_ids):
        rows[row[0]] = row
    jobs = {}
    latest = (
        EtlJobVersion.objects.filter(job=OuterRef("pk")).order_by("-number").values("status")[:1]
    )
    for chunk in chunks({r[5] for r in rows.values()}):
        for pk, key, status in (
            EtlJob.objects.filter(pk__in=chunk)
            .annotate(latest_status=Subquery(latest))
            .values_list("pk", "key", "latest_status")
        ):
            jobs[pk] = (key, status == "failed")  # jobs are few: the ORM's IN is fine
    return [
        Edge(s, t, "DIRECT", st or "", bool(m), *jobs[j])
        for _, s, t, st, m, j in (rows[i] for i in sorted(rows))
    ]


def job_targets(job_ids) -> set[int]:
    """Fields the DIRECT edges of these jobs lead into."""
    out: set[int] = set()
    for chunk in chunks(job_ids):
        out.update(
            LineageEdge.objects.filter(job_id__in=chunk, type="DIRECT").values_list(
                "target_id", flat=True
            )
        )
    return out
