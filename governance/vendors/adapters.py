"""ADAPTERS: the only places where vendor contracts call the lineage and governance apps.

Those apps are being built alongside this one; a function marked STANDS IN FOR is a stop-gap
until theirs lands. When it does, the body changes here and nothing else does."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import DatabaseError
from guardian.shortcuts import get_users_with_perms

from catalog.models import SourceSystem

# Governance (helper B) ------------------------------------------------------------------------


def contract_committee():
    """STANDS IN FOR a committee that governs vendor contracts (helper B has committees per
    definition domain only): the committee of the `other` domain, if any."""
    from governance.models import Committee

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
# Uses helper A's per-process cached graph (lineage.graphstore) and its pure traversal.


def downstream(field_ids: Iterable[int]) -> dict:
    """Fields downstream of `field_ids`: {"results": [{"field", "depth", "jobs"}], "partial",
    "available"}; `available` is false when the lineage store cannot be read."""
    try:
        from lineage import graph, graphstore, queries

        walk = graph.traverse(
            graphstore.current().fields,
            list(field_ids),
            max_depth=settings.LINEAGE_MAX_DEPTH,
            limit=settings.LINEAGE_MAX_RESULTS,
        )
        keys = queries.job_keys({j for r in walk["results"] for j in r["jobs"]})
    except (ImportError, DatabaseError):
        return {"results": [], "partial": False, "available": False}
    results = [
        {"field": r["node"], "depth": r["depth"], "jobs": [keys[j] for j in r["jobs"]]}
        for r in walk["results"]
    ]
    return {"results": results, "partial": walk["partial"], "available": True}


def edge_fields(edge_id: int) -> tuple[int, int, str] | None:
    """STANDS IN FOR a lineage edge lookup: (source field id, target field id, job key)."""
    try:
        from lineage.models import LineageEdge

        row = (
            LineageEdge.objects.filter(pk=edge_id)
            .values_list("source_id", "target_id", "job__key")
            .first()
        )
    except (ImportError, DatabaseError):
        return None
    return row


def existing_job_keys(keys: Iterable[str]) -> set[str]:
    """Those of `keys` naming ETL jobs registered in the lineage store."""
    from lineage.models import EtlJob

    return set(EtlJob.objects.filter(key__in=list(keys)).values_list("key", flat=True))


def definitions_for(field_ids: Iterable[int]) -> list[dict]:
    """The approved definitions mapped to the fields: [{"definition", "field"}]."""
    from governance.choices import MappingStatus
    from governance.models import FieldMapping

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
    try:
        from governance.consult.models import DecisionLog
        from governance.consult.services import flush_decision_log

        flush_decision_log()

        rows = (
            DecisionLog.objects.filter(field_ref__in=list(field_refs))
            .values_list("consumer_name", "purpose")
            .distinct()
        )
        return [{"consumer": c, "purpose": p} for c, p in sorted(set(rows))]
    except (ImportError, DatabaseError):
        return []
