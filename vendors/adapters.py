"""The only places where vendor contracts call the lineage, governance and consult apps, so a
change in theirs is mended here and nowhere else."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from guardian.shortcuts import get_users_with_perms

from catalog.models import SourceSystem
from consult.models import DecisionLog
from governance.choices import MappingStatus
from governance.models import Committee, FieldMapping
from lineage import adjacency, graph, queries
from lineage.models import EtlJob, LineageEdge

# Governance ------------------------------------------------------------------------------


def contract_committee():
    """The committee that reviews vendor contracts: committees govern definition domains, and
    contracts belong to the `other` domain."""
    return Committee.for_domain("other")


def system_owners(system: SourceSystem) -> set:
    """Who owns a system: whoever may change it in the catalog (its registrant, and the owners
    and stewards governance grants it to)."""
    return set(
        get_users_with_perms(
            system, only_with_perms_in=["change_sourcesystem"], with_group_users=False
        )
    )


# Lineage --------------------------------------------------------------------------------------
# The stored lineage graph (read from the database a level at a time) and its pure traversal.


def downstream(field_ids: Iterable[int]) -> dict:
    """Fields downstream of `field_ids`: {"results": [{"field", "depth", "jobs"}], "partial",
    "available"} (the stored lineage graph is always there to ask)."""
    walk = graph.traverse(
        adjacency.fields(),
        list(field_ids),
        max_depth=settings.LINEAGE_MAX_DEPTH,
        limit=settings.LINEAGE_MAX_RESULTS,
    )
    keys = queries.job_keys({j for r in walk["results"] for j in r["jobs"]})
    results = [
        {"field": r["node"], "depth": r["depth"], "jobs": [keys[j] for j in r["jobs"]]}
        for r in walk["results"]
    ]
    return {"results": results, "partial": walk["partial"], "available": True}


def edge_fields(edge_id: int) -> tuple[int, int, str] | None:
    """A lineage edge as (source field id, target field id, job key), or None."""
    return (
        LineageEdge.objects.filter(pk=edge_id)
        .values_list("source_id", "target_id", "job__key")
        .first()
    )


def existing_job_keys(keys: Iterable[str]) -> set[str]:
    """Those of `keys` naming ETL jobs registered in the lineage store."""
    return set(EtlJob.objects.filter(key__in=list(keys)).values_list("key", flat=True))


def definitions_for(field_ids: Iterable[int]) -> list[dict]:
    """The approved definitions mapped to the fields: [{"definition", "field"}]."""
    rows = FieldMapping.objects.filter(
        field_id__in=list(field_ids), status=MappingStatus.APPROVED
    ).select_related("definition", "field__dataset__system")
    return sorted(
        ({"definition": m.definition.key, "field": m.field.ref} for m in rows),
        key=lambda row: (row["definition"], row["field"]),
    )


def consult_consumers_of(field_refs: Iterable[str]) -> list[dict]:
    """Who has consulted the fields for use (the consult decision log): [{"consumer",
    "purpose"}]. Access policies that would allow a consumer never seen yet are not listed."""
    rows = (
        DecisionLog.objects.filter(field_ref__in=list(field_refs))
        .values_list("consumer_name", "purpose")
        .distinct()
    )
    return [{"consumer": c, "purpose": p} for c, p in sorted(set(rows))]
