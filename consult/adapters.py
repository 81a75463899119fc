"""The only place consult reads the lineage store and governance's definitions: their public
functions and models, turned into the plain records below that the snapshot compiles."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import OuterRef, Subquery

from catalog.models import Field
from core.permissions import visible
from governance.models import DefinitionVersion, FieldDefinition
from governance.permissions import definitions_visible_to
from governance.queries import approved_fields_for_definition, effective_definitions_by_field
from lineage.models import EtlJobVersion, LineageEdge


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


def definitions_by_field() -> dict[int, DefinitionInfo]:
    """{field id: effective definition} for every field with an approved mapping, in one go
    (governance's read API)."""
    return {fid: _as_info(d) for fid, d in effective_definitions_by_field().items()}


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


def lineage_edges() -> list[Edge]:
    """Every stored column-level edge, with whether its job's latest version failed to parse."""
    latest = (
        EtlJobVersion.objects.filter(job=OuterRef("job_id"))
        .order_by("-number")
        .values("status")[:1]
    )
    rows = LineageEdge.objects.annotate(latest_status=Subquery(latest)).values_list(
        "source_id", "target_id", "type", "subtype", "masking", "job__key", "latest_status"
    )
    return [Edge(s, t, ty, st or "", m, j, ls == "failed") for s, t, ty, st, m, j, ls in rows]
