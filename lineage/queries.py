"""Read-only questions over the stored lineage: the Django side of lineage.graph (ids in,
references out), and the pre-change check. Nothing here writes."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from catalog.choices import SystemKind
from catalog.models import Dataset, Field, SourceSystem
from catalog.refs import quote_column
from core.db import select_in, table
from core.lookups import get_visible
from core.permissions import perm_name, visible
from lineage import adjacency
from lineage import graph as g
from lineage.choices import ParseStatus
from lineage.models import EtlJob, LineageEdge
from lineage.parsing import ParseLimits
from lineage.services import Resolver, assess, edge_key, parse, plan

# Systems whose fields are derived: a field there without upstream is an orphan.
DERIVED_KINDS = (SystemKind.WAREHOUSE, SystemKind.MART)
FIELD_PARENTS = ("dataset", "dataset__system")


def _key() -> str:
    return connection.ops.quote_name("key")


def field_refs(ids) -> dict[int, str]:
    # Fields first, then their (few) datasets: one join of all three lets PostgreSQL's planner
    # hash every dataset of the catalog (5 ms at 20,000 datasets) for a page of fields.
    fields = select_in(f"SELECT id, dataset_id, name FROM {table(Field)} WHERE id {{ids}}", ids)
    datasets = dataset_refs({d for _, d, _ in fields})
    # (A dataset deleted between the two reads takes its fields with it, as the join would.)
    return {pk: f"{datasets[d]}.{quote_column(name)}" for pk, d, name in fields if d in datasets}


def dataset_refs(ids) -> dict[int, str]:
    rows = select_in(
        f"SELECT d.id, s.{_key()}, d.name FROM {table(Dataset)} d "
        f"JOIN {table(SourceSystem)} s ON s.id = d.system_id WHERE d.id {{ids}}",
        ids,
    )
    return {pk: f"{s}:{n}" for pk, s, n in rows}


def job_keys(ids) -> dict[int, str]:
    return dict(select_in(f"SELECT id, {_key()} FROM {table(EtlJob)} WHERE id {{ids}}", ids))


# Who may see what ----------------------------------------------------------------------------


def allowed_jobs(user) -> frozenset[int] | None:
    """None when the user reads all lineage (a role, or superuser); else the jobs granted."""
    if user.is_superuser or user.has_perm(perm_name(EtlJob, "view")):
        return None
    return frozenset(visible(user, EtlJob.objects.all()).values_list("pk", flat=True))


def find_field(user, ref, param: str = "field") -> Field:
    """The field `ref` (id or reference) names, if the user may see it: a 400 at `param` when
    malformed, a 404 when unknown or hidden."""
    fields = Field.objects.select_related("dataset__system")  # its ref names both
    return get_visible(user, fields, ref, param=param, parent_paths=FIELD_PARENTS)


def find_dataset(user, ref, param: str = "dataset") -> Dataset:
    datasets = Dataset.objects.select_related("system")
    return get_visible(user, datasets, ref, param=param, parent_paths=("system",))


# Graph questions -----------------------------------------------------------------------------


def walk(
    user,
    node: Field | Dataset,
    *,
    direction: str = "downstream",
    depth: int | None = None,
    types: int = g.ALL_TYPES,
    limit: int | None = None,
) -> dict:
    """Upstream and/or downstream of a field (column graph) or a dataset (table graph)."""
    is_field = isinstance(node, Field)
    jobs = allowed_jobs(user)
    limit = _cap(limit)
    walks, hidden = {}, {}
    # The walk and the count of what it hides read the same nodes: each once.
    graph = g.cached(adjacency.fields() if is_field else adjacency.datasets())
    for name in ("upstream", "downstream"):
        if direction in (name, "both"):
            options = {
                "upstream": name == "upstream",
                "depth": depth,
                "max_depth": settings.LINEAGE_MAX_DEPTH,
                "types": types,
                "jobs": jobs,
            }
            walks[name] = g.traverse(graph, [node.pk], limit=limit, **options)
            hidden[name] = g.hidden(graph, [node.pk], **options)
    nodes = {n for w in walks.values() for r in w["results"] for n in r["path"]}
    refs = (field_refs if is_field else dataset_refs)(nodes)
    keys = job_keys({j for w in walks.values() for r in w["results"] for j in r["jobs"]})
    out = {"node": node.ref, "kind": "field" if is_field else "dataset", "direction": direction}
    for name, result in walks.items():
        out[name] = {
            "count": len(result["results"]),
            # Lineage the caller may not read makes the answer partial: it is counted in
            # `hidden`, never named.
            "partial": result["partial"] or any(hidden[name].values()),
            "hidden": hidden[name],
            "results": [
                {
                    "ref": refs[r["node"]],
                    "depth": r["depth"],
                    "path": [refs[n] for n in r["path"]],
                    "jobs": [keys[j] for j in r["jobs"]],
                }
                for r in result["results"]
            ],
        }
    return out


def _cap(limit: int | None) -> int:
    """At most LINEAGE_MAX_RESULTS results, whatever the caller asks for."""
    return max(1, min(limit or settings.LINEAGE_MAX_RESULTS, settings.LINEAGE_MAX_RESULTS))


def paths(user, source: Field, target: Field, *, types: int, limit: int) -> dict:
    limit = _cap(limit)
    jobs = allowed_jobs(user)
    options = {"max_depth": settings.LINEAGE_MAX_DEPTH, "types": types, "limit": limit}
    graph = g.cached(adjacency.fields())
    found = g.all_paths(graph, source.pk, target.pk, jobs=jobs, **options)
    every = found if jobs is None else g.all_paths(graph, source.pk, target.pk, **options)
    # Paths through jobs the caller may not read are counted (at least this many), not shown.
    hidden = max(0, len(every["paths"]) - len(found["paths"]))
    refs = field_refs({n for p in found["paths"] for n in p["nodes"]})
    keys = job_keys({j for p in found["paths"] for j in p["jobs"]})
    return {
        "source": source.ref,
        "target": target.ref,
        "count": len(found["paths"]),
        "partial": found["partial"] or every["partial"] or bool(hidden),
        "hidden": {"paths": hidden},
        "paths": [
            {"fields": [refs[n] for n in p["nodes"]], "jobs": [keys[j] for j in p["jobs"]]}
            for p in found["paths"]
        ],
    }


def cycles(user, *, types: int, limit: int) -> dict:
    limit = _cap(limit)
    jobs = allowed_jobs(user)
    options = {"max_length": settings.LINEAGE_MAX_DEPTH, "types": types, "limit": limit}
    # Only what may lie on a cycle is read whole (see lineage.graph.on_cycles).
    graph = g.subgraph(adjacency.fields(), sorted(g.on_cycles(adjacency.cycle_pairs())))
    found = g.cycles(graph, jobs=jobs, **options)
    every = found if jobs is None else g.cycles(graph, **options)
    # Cycles through jobs the caller may not read are counted (at least this many), not shown.
    hidden = max(0, len(every["cycles"]) - len(found["cycles"]))
    refs = field_refs({n for c in found["cycles"] for n in c})
    return {
        "count": len(found["cycles"]),
        "partial": found["partial"] or every["partial"] or bool(hidden),
        "hidden": {"cycles": hidden},
        "cycles": [[refs[n] for n in c] for c in found["cycles"]],
    }


def orphan_candidates(user, system: str | None = None):
    """Fields that should come from somewhere: in warehouse or mart systems, or discovered."""
    queryset = visible(user, Field.objects.all(), ("dataset", "dataset__system"))
    queryset = queryset.filter(dataset__system__kind__in=DERIVED_KINDS) | queryset.filter(
        discovered=True
    )
    if system:
        queryset = queryset.filter(dataset__system__key=system.lower())
    return queryset.order_by("dataset__system__key", "dataset__name", "ordinal", "name")


def orphans(user, *, system: str | None, types: int, limit: int) -> dict:
    limit = _cap(limit)
    ids = list(orphan_candidates(user, system).values_list("pk", flat=True))
    # Every job's lineage counts, also the jobs the caller may not read: a field fed only by
    # those is no orphan (its sources stay unnamed; the upstream walk counts them as hidden).
    fed = adjacency.with_upstream(ids, types)
    found = [n for n in ids if n not in fed]
    refs = field_refs(found[:limit])
    return {
        "count": len(found),
        "partial": len(found) > limit,
        "orphans": [refs[n] for n in found[:limit]],
    }


# The pre-change check ------------------------------------------------------------------------


def _edge_view(edge: LineageEdge) -> dict:
    return {
        "source": edge.source.ref,
        "target": edge.target.ref,
        "type": edge.type,
        "subtype": edge.subtype,
        "masking": edge.masking,
    }


def check_change(
    job: EtlJob,
    sql: str,
    user=None,
    *,
    limits: ParseLimits | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> dict:
    """What submitting `sql` to `job` would do, without saving anything: edges added and
    removed, fields that would lose their lineage, and everything downstream of the changed
    fields with the owners to tell. `breaking` is true when some field loses its lineage.
    For a `user` who may not read every job, what lies downstream only through jobs it may not
    read is counted in `affected.hidden`, not listed (None: everything, for commands).
    `limits` and `on_progress` as for lineage.services.parse."""
    jobs = None if user is None else allowed_jobs(user)
    resolver = Resolver.for_job(None, job, create=False)
    result = parse(resolver, sql, job.dialect, limits=limits, on_progress=on_progress)
    status, errors, failed = assess(resolver, result, sql)
    report = {"job": job.key, "status": status, "errors": errors, "breaking": False}
    current = {
        edge_key(e): e
        for e in LineageEdge.objects.filter(job=job).select_related(
            "source__dataset__system", "target__dataset__system"
        )
    }
    proposed = {} if status == ParseStatus.FAILED else plan(resolver, result, failed).edges
    if status == ParseStatus.FAILED:
        proposed = current  # a failed version changes nothing: the job keeps its edges
    report["warnings"] = resolver.warnings
    added = [e for k, e in proposed.items() if k not in current]
    removed = [e for k, e in current.items() if k not in proposed]
    report["edges_added"] = [_edge_view(e) for e in added]
    report["edges_removed"] = [_edge_view(e) for e in removed]
    changed = {e.target_id for e in [*added, *removed] if e.target_id}
    graph = g.cached(adjacency.fields())
    lost = _lost_lineage(graph, job, removed, proposed.values())
    options = {"max_depth": settings.LINEAGE_MAX_DEPTH, "jobs": jobs}
    downstream = g.traverse(graph, sorted(changed), **options)
    hidden = g.hidden(graph, sorted(changed), **options)
    report["lineage_lost"] = [f.ref for f in lost]
    report["breaking"] = bool(lost)
    partial = downstream["partial"] or any(hidden.values())
    report["affected"] = _affected(
        job, changed, downstream["results"], {f.pk for f in lost}, partial
    )
    report["affected"]["hidden"] = hidden
    return report


def verdict(report: dict) -> str:
    """The check's verdict, as `manage.py lineage_check` exits and the pre-change check page
    says it: "breaking" when some field would lose its lineage (whatever else is wrong),
    "unparsed" when some of the SQL does not parse (the change is unverified), else "ok"."""
    if report["breaking"]:
        return "breaking"
    if report["status"] in (ParseStatus.FAILED, ParseStatus.PARTIAL):
        return "unparsed"
    return "ok"


def _lost_lineage(graph, job: EtlJob, removed, proposed) -> list[Field]:
    """Targets of removed edges that would be left with no upstream at all, or with no DIRECT
    upstream where they had one."""
    incoming: dict[int, int] = {}
    for edge in proposed:
        if edge.target_id:
            incoming[edge.target_id] = incoming.get(edge.target_id, 0) | g.TYPE_BITS[edge.type]
    graph([e.target_id for e in removed if e.target_id], True)  # one read for all of them
    lost = {}
    for edge in removed:
        before = g.upstream_masks(graph, edge.target_id)
        after = g.upstream_masks(graph, edge.target_id, without_job=job.pk)
        mask_before = _union(before.values())
        mask_after = _union(after.values()) | incoming.get(edge.target_id, 0)
        if (mask_before and not mask_after) or (
            mask_before & g.DIRECT and not mask_after & g.DIRECT
        ):
            lost[edge.target_id] = edge.target
    return list(lost.values())


def _union(masks) -> int:
    out = 0
    for m in masks:
        out |= m
    return out


def _affected(job: EtlJob, changed: set[int], results, lost: set[int], partial: bool) -> dict:
    depth = dict.fromkeys(changed, 0) | {r["node"]: r["depth"] for r in results}
    rows = Field.objects.filter(pk__in=list(depth)).select_related("dataset__system")
    fields = sorted(rows, key=lambda f: (depth[f.pk], f.ref))
    job_ids = {job.pk} | {j for r in results for j in r["jobs"]}
    jobs = EtlJob.objects.filter(pk__in=job_ids).select_related("owner").order_by("key")
    datasets = {f.dataset.ref: f.dataset.system for f in fields}
    return {
        "partial": partial,
        "fields": [
            {
                "ref": f.ref,
                "depth": depth[f.pk],
                "loses_lineage": f.pk in lost,
                "owning_team": f.dataset.system.owning_team,
            }
            for f in fields
        ],
        "datasets": [
            {"ref": ref, "owning_team": system.owning_team, "contact": system.technical_contact}
            for ref, system in sorted(datasets.items())
        ],
        "jobs": [{"key": j.key, "owner": _username(j.owner)} for j in jobs],
    }


def _username(user) -> str | None:
    return user.get_username() if isinstance(user, get_user_model()) else None
