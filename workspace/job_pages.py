"""The ETL job page: each version with its SQL (line numbers; where a statement failed, the line
and column marked and the error in words), the lineage the version produced, and the difference
in lineage between any two versions. Visibility is the API's (core.permissions.visible over
EtlJob; a version is read with its job)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from catalog.models import Field
from core.permissions import visible
from lineage.choices import ParseStatus
from lineage.models import EtlJob, EtlJobVersion, LineageEdge
from workspace.catalog_pages import FIELD_PARENTS, _found, _system_url, trail

EDGES_SHOWN = 500


@login_required
def job_page(request, key: str):
    user = request.user
    job = _found(
        visible(user, EtlJob.objects.select_related("system", "owner", "current_version")),
        key,
        "job",
    )
    versions = list(EtlJobVersion.objects.filter(job=job).order_by("-number"))
    by_number = {v.number: v for v in versions}
    shown = _chosen(request.GET.get("version"), by_number, versions[0] if versions else None)
    compare = None
    if len(versions) > 1:
        a = _chosen(request.GET.get("a"), by_number, versions[1])
        b = _chosen(request.GET.get("b"), by_number, versions[0])
        compare = {"a": a, "b": b, **lineage_diff(a, b)}
    system_url = _system_url(user, job.system)
    return render(
        request,
        "workspace/jobs/job.html",
        {
            "job": job,
            "versions": versions,
            "shown": shown,
            "sql_lines": sql_lines(shown) if shown else [],
            "lineage": version_lineage(shown) if shown else None,
            "current_edges": current_edges(user, job)
            if shown and shown.pk == job.current_version_id
            else None,
            "compare": compare,
            "system_url": system_url,
            "breadcrumbs": trail(
                (_("Catalog"), reverse("catalog-page")), (job.system.key, system_url), (job.key, "")
            ),
        },
    )


def _chosen(value, by_number: dict, default):
    if value in (None, ""):
        return default
    try:
        return by_number[int(value)]
    except (ValueError, KeyError):
        raise Http404("version") from None


def sql_lines(version: EtlJobVersion) -> list[dict]:
    """The version's SQL line by line: each line with the errors reported at it (column and
    message) and whether it belongs to a statement that failed."""
    lines = version.sql.splitlines() or ([""] if version.sql == "" else [])
    starts = sorted(
        (s.get("line") or 1, s["index"]) for s in (version.result or {}).get("statements", [])
    )
    failed = {e.get("statement") for e in version.errors if e.get("statement") is not None}
    statement_of = {}
    for i, (start, index) in enumerate(starts):
        end = starts[i + 1][0] - 1 if i + 1 < len(starts) else len(lines)
        for number in range(start, end + 1):
            statement_of[number] = index
    errors: dict[int, list[dict]] = {}
    for error in version.errors:
        line = error.get("line") or 1
        errors.setdefault(min(max(line, 1), max(len(lines), 1)), []).append(error)
    return [
        {
            "number": number,
            "text": text,
            "failed": statement_of.get(number) in failed,
            "errors": [
                {**e, "pad": " " * max((e.get("column") or 1) - 1, 0)}
                for e in errors.get(number, [])
            ],
        }
        for number, text in enumerate(lines, start=1)
    ]


def _columns(version: EtlJobVersion) -> dict[tuple, dict]:
    """The column lineage the parser found in the version, keyed for comparison; SELECTs that
    write nothing (a job's plain query) are left out, as lineage.services.plan leaves them."""
    if version.status == ParseStatus.FAILED:
        return {}
    out = {}
    for column in (version.result or {}).get("columns", []):
        row = {
            "source": column.get("source", ""),
            "target": column.get("target", ""),
            "type": column.get("type") or "DIRECT",
            "subtype": column.get("subtype") or "",
            "expression": column.get("expression") or "",
        }
        out.setdefault((row["source"], row["target"], row["type"], row["subtype"]), row)
    return out


def _tables(version: EtlJobVersion) -> set[tuple[str, str]]:
    if version.status == ParseStatus.FAILED:
        return set()
    pairs = set()
    for statement in (version.result or {}).get("statements", []):
        if statement.get("error"):
            continue
        tables = statement.get("tables", {})
        for target in tables.get("write", []):
            for source in tables.get("read", []):
                if source != target:
                    pairs.add((source, target))
    return pairs


def version_lineage(version: EtlJobVersion) -> dict:
    return {
        "columns": sorted(_columns(version).values(), key=lambda r: (r["target"], r["source"])),
        "tables": sorted(_tables(version), key=lambda p: (p[1], p[0])),
    }


def lineage_diff(a: EtlJobVersion, b: EtlJobVersion) -> dict:
    """What b's lineage adds to a's and removes from it (columns and tables), as the parser
    found them in each version."""
    old, new = _columns(a), _columns(b)
    old_tables, new_tables = _tables(a), _tables(b)

    def ordered(rows):
        return sorted(rows, key=lambda r: (r["target"], r["source"]))

    return {
        "added": ordered(new[k] for k in new.keys() - old.keys()),
        "removed": ordered(old[k] for k in old.keys() - new.keys()),
        "kept": len(new.keys() & old.keys()),
        "tables_added": sorted(new_tables - old_tables, key=lambda p: (p[1], p[0])),
        "tables_removed": sorted(old_tables - new_tables, key=lambda p: (p[1], p[0])),
    }


def current_edges(user, job: EtlJob) -> dict:
    """The job's lineage in force, as stored: catalog field to catalog field (the ends the
    caller may read; the others counted)."""
    rows = list(
        LineageEdge.objects.filter(job=job)
        .select_related("source__dataset__system", "target__dataset__system")
        .order_by("target__dataset__name", "target__name", "id")[:EDGES_SHOWN]
    )
    ends = {e.source_id for e in rows} | {e.target_id for e in rows}
    readable = set(
        visible(user, Field.objects.filter(pk__in=ends), FIELD_PARENTS).values_list("pk", flat=True)
    )
    shown = [e for e in rows if e.source_id in readable and e.target_id in readable]
    return {
        "edges": shown,
        "hidden": len(rows) - len(shown),
        "total": LineageEdge.objects.filter(job=job).count(),
    }
