"""The catalog pages: an index of what the caller may read, a system, a dataset, a field. They
read through the API's own visibility (core.permissions.visible, core.lookups.find, the
queryset's by_ref) and the same read services: governance's effective definitions, consult's
snapshot (classifications and how each got there, decisions), lineage's allowed jobs. What the
caller may not read is a 404, whether it exists or not."""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.history import field_history
from catalog.models import Dataset, Field, SourceSystem
from catalog.services import DATASET_ATTRS
from consult.models import FieldClassification, Purpose
from consult.services import subjects_of_many
from consult.snapshot import get_snapshot
from core.choices import Role
from core.lookups import find
from core.models import ChangeRecord
from core.pages import breadcrumbs
from core.permissions import readable_changes, visible
from governance import subjects
from governance.choices import VersionStatus
from governance.models import FieldDefinition, Ownership
from governance.permissions import definitions_visible_to, ownerships_visible_to
from governance.queries import effective_definitions_for_fields
from lineage.models import DatasetEdge, EtlJob, LineageEdge
from lineage.queries import allowed_jobs
from vendors.models import ContractVersion

DATASET_PARENTS = ("system",)
FIELD_PARENTS = ("dataset", "dataset__system")
CONTRACT_PARENTS = ("contract", "contract__vendor")
HISTORY_ROWS = 20

# How a classification came to a field, in words (consult.snapshot.Label.source).
LABEL_SOURCES = {
    "assigned": gettext_lazy("assigned by a steward"),
    "confirmed": gettext_lazy("confirmed by a steward"),
    "definition": gettext_lazy("from its definition"),
    "propagated": gettext_lazy("propagated along lineage"),
}


def trail(*pairs):
    """The breadcrumbs, less the steps the caller may not open (a vendor's system)."""
    last = len(pairs) - 1
    return breadcrumbs(*(p for i, p in enumerate(pairs) if p[1] or i == last))


def _found(queryset, value: str, what: str):
    """The row `value` names (id or natural key) among `queryset`; a 404 otherwise, also for a
    malformed name (a page has no field to report a 400 against)."""
    try:
        obj = find(queryset, value)
    except ValueError:
        obj = None
    if obj is None:
        raise Http404(what)
    return obj


def _contracts(user, condition: Q):
    """Contract versions the user may read matching `condition`, newest first per contract."""
    rows = visible(
        user, ContractVersion.objects.select_related("contract__vendor"), CONTRACT_PARENTS
    )
    return list(
        rows.filter(condition)
        .select_related("source_system", "target_system")
        .order_by("contract__key", "-number")
        .distinct()
    )


def _readable_definitions(user, keys) -> set[str]:
    keys = set(keys)
    if not keys:
        return set()
    rows = definitions_visible_to(user, FieldDefinition.objects.filter(key__in=keys))
    return set(rows.values_list("key", flat=True))


def _reads_labels(user) -> bool:
    return user.is_superuser or user.has_perm("consult.view_fieldclassification")


def _reads_policies(user) -> bool:
    return user.is_superuser or user.has_perm("consult.view_accesspolicy")


def _job_filter(user) -> tuple[Q, bool]:
    """The filter of the edges whose job the user may read, and whether it reads every job."""
    jobs = allowed_jobs(user)
    return (Q(), True) if jobs is None else (Q(job_id__in=jobs), False)


# The index --------------------------------------------------------------------------------------


@login_required
def catalog_index(request):
    """The systems the caller may read, and the datasets it reads in systems it may not (a
    vendor's, through its contracts)."""
    systems = list(
        visible(request.user, SourceSystem.objects.all())
        .annotate(dataset_count=Count("datasets"))
        .order_by("key")
    )
    shown = {s.pk for s in systems}
    loose = list(
        visible(request.user, Dataset.objects.select_related("system"), DATASET_PARENTS)
        .exclude(system_id__in=shown)
        .order_by("system__key", "name")
    )
    return render(
        request,
        "workspace/catalog/index.html",
        {"systems": systems, "loose": loose, "breadcrumbs": breadcrumbs((_("Catalog"), ""))},
    )


# A system ---------------------------------------------------------------------------------------


@login_required
def system_page(request, key: str):
    user = request.user
    system = _found(visible(user, SourceSystem.objects.all()), key, "system")
    datasets = list(
        visible(user, system.datasets.all(), DATASET_PARENTS)
        .annotate(field_count=Count("fields"))
        .order_by("name")
    )
    owners = list(
        ownerships_visible_to(user, Ownership.objects.filter(system=system))
        .select_related("user")
        .order_by("role", "user__username")
    )
    contracts = _contracts(user, Q(source_system=system) | Q(target_system=system))
    jobs = list(visible(user, EtlJob.objects.filter(system=system)).order_by("key"))
    return render(
        request,
        "workspace/catalog/system.html",
        {
            "system": system,
            "datasets": datasets,
            "owners": owners,
            "contracts": contracts,
            "jobs": jobs,
            "introspections": introspection_history(user, system),
            "breadcrumbs": breadcrumbs((_("Catalog"), reverse("catalog-page")), (system.key, "")),
        },
    )


def introspection_history(user, system: SourceSystem) -> list[dict]:
    """The runs of `catalog_introspect` on the system, from the audit trail (each run writes its
    changes with the reason "introspection of <key>"), newest first: when, who, how many
    datasets and fields it changed, by action. Only rows the caller may read are counted.

    A run writes one record per dataset it touched, counting its fields (`field_counts`,
    catalog.services.bulk_audit); trails written before that hold one record per object."""
    records = readable_changes(
        user, ChangeRecord.objects.filter(reason=f"introspection of {system.key}")
    )
    own = ExpressionWrapper(
        Q(before__has_any_keys=list(DATASET_ATTRS)), output_field=BooleanField()
    )
    rows = (
        records.order_by("-id")
        .annotate(own=own)
        .values_list("at", "actor_name", "object_type", "action", "after__field_counts",
                     "after__status", "own")
    )  # fmt: skip
    runs: dict[tuple, dict] = {}
    for at, actor, object_type, action, counts, status, own_change in rows[:5000]:
        key = (at.replace(second=0, microsecond=0), actor)
        run = runs.setdefault(
            key,
            {"at": key[0], "actor": actor, "datasets": 0, "fields": 0,
             "created": 0, "updated": 0, "removed": 0},
        )  # fmt: skip
        kind = object_type.rsplit(".", 1)[-1]
        if kind == "dataset" and isinstance(counts, dict):
            run["datasets"] += 1
            run["fields"] += sum(counts.values())
            for name in ("created", "updated", "removed"):
                run[name] += counts.get(name, 0)
            if action == "create":
                run["created"] += 1
            elif status == "removed":
                run["removed"] += 1
            elif own_change:
                run["updated"] += 1
            continue
        if kind in ("dataset", "field"):
            run[f"{kind}s"] += 1
        done = {"create": "created", "update": "updated", "delete": "removed"}.get(action)
        if done:
            run[done] += 1
    return list(runs.values())[:HISTORY_ROWS]


# A dataset --------------------------------------------------------------------------------------


@login_required
def dataset_page(request, ref: str):
    user = request.user
    dataset = _found(
        visible(user, Dataset.objects.select_related("system"), DATASET_PARENTS), ref, "dataset"
    )
    fields = list(dataset.fields.order_by("ordinal", "name"))
    for f in fields:
        f.dataset = dataset  # the refs below need no query per field
    definitions = effective_definitions_for_fields([f.pk for f in fields])
    readable = _readable_definitions(user, {d["key"] for d in definitions.values()})
    labels = field_labels(user, fields)
    rows = [
        {
            "field": f,
            "definition": definitions[f.pk]
            if f.pk in definitions and definitions[f.pk]["key"] in readable
            else None,
            "labels": labels.get(f.pk, []),
        }
        for f in fields
    ]
    jobs, reads_all_jobs = _job_filter(user)
    into = list(
        DatasetEdge.objects.filter(jobs, target=dataset)
        .select_related("source__system", "job")
        .order_by("job__key", "source__system__key", "source__name")
    )
    out_of = list(
        DatasetEdge.objects.filter(jobs, source=dataset)
        .select_related("target__system", "job")
        .order_by("job__key", "target__system__key", "target__name")
    )
    ends = {e.source_id for e in into} | {e.target_id for e in out_of}
    shown_ids = set(
        visible(user, Dataset.objects.filter(pk__in=ends), DATASET_PARENTS).values_list(
            "pk", flat=True
        )
    )
    owners = list(
        ownerships_visible_to(
            user, Ownership.objects.filter(Q(dataset=dataset) | Q(system=dataset.system_id))
        )
        .select_related("user")
        .order_by("role", "user__username")
    )
    system_url = _system_url(user, dataset.system)
    return render(
        request,
        "workspace/catalog/dataset.html",
        {
            "dataset": dataset,
            "system_url": system_url,
            "rows": rows,
            "reads_labels": _reads_labels(user),
            "reads_all_lineage": reads_all_jobs,
            "jobs_in": _jobs_of(into),
            "jobs_out": _jobs_of(out_of),
            "upstream": _ends(into, "source", shown_ids),
            "downstream": _ends(out_of, "target", shown_ids),
            "owners": owners,
            "contracts": _contracts(user, Q(datasets=dataset)),
            "breadcrumbs": trail(
                (_("Catalog"), reverse("catalog-page")),
                (dataset.system.key, system_url),
                (dataset.name, ""),
            ),
        },
    )


def _system_url(user, system: SourceSystem) -> str:
    """The system's page, or "" for a caller who reads some of its datasets but not it."""
    if visible(user, SourceSystem.objects.filter(pk=system.pk)).exists():
        return reverse("catalog-system", args=[system.key])
    return ""


def _jobs_of(edges) -> list[EtlJob]:
    return list({e.job_id: e.job for e in edges}.values())


def _ends(edges, end: str, shown_ids: set[int]) -> dict:
    """The datasets at one end of the edges: those the caller may read, and how many not."""
    seen = {}
    for edge in edges:
        seen[getattr(edge, f"{end}_id")] = getattr(edge, end)
    readable = [d for pk, d in seen.items() if pk in shown_ids]
    return {"datasets": readable, "hidden": len(seen) - len(readable)}


def field_labels(user, fields: list[Field]) -> dict[int, list[dict]]:
    """{field id: [{"key", "source", "source_label", "path"}]}: each field's classifications and
    how each got there, from consult's snapshot (what POST /consult/ decides on, and what
    GET /consult/field-classifications/ shows), for a caller who may read classifications."""
    if not fields or not _reads_labels(user):
        return {}
    snap = get_snapshot()
    snap.prefetch([f.ref for f in fields])
    entries = {f.pk: snap.entry_by_id(f.pk) for f in fields}
    on_path = {p for e in entries.values() if e for label in e.labels.values() for p in label.path}
    names = snap.ref_names(on_path) if on_path else {}
    out = {}
    for fid, entry in entries.items():
        if entry is None:
            continue
        out[fid] = [
            {
                "key": key,
                "source": label.source,
                "source_label": str(LABEL_SOURCES.get(label.source, label.source)),
                "path": [names[p] for p in label.path if p in names],
                "via_aggregation": label.via_aggregation,
            }
            for key, label in sorted(entry.labels.items())
        ]
    return out


# A field ----------------------------------------------------------------------------------------


@login_required
def field_page(request, ref: str):
    user = request.user
    field = _found(
        visible(user, Field.objects.select_related("dataset__system"), FIELD_PARENTS),
        ref,
        "field",
    )
    definition = effective_definitions_for_fields([field.pk]).get(field.pk)
    if definition is not None and not _readable_definitions(user, [definition["key"]]):
        definition = None
    if definition is not None:
        definition["status_label"] = VersionStatus(definition["status"]).label
        # Labelled and in words, as the glossary shows them (not attribute codes).
        attributes = definition.get("attributes") or {}
        definition["rows"] = [
            (label, subjects.show(attributes[name], name))
            for name, label in subjects.DEFINITION_LABELS.items()
            if attributes.get(name) not in (None, "", [], {})
        ]
    jobs, reads_all_jobs = _job_filter(user)
    edges = {
        "upstream": _edges(LineageEdge.objects.filter(jobs, target=field), "source", user),
        "downstream": _edges(LineageEdge.objects.filter(jobs, source=field), "target", user),
    }
    owners = list(
        ownerships_visible_to(
            user,
            Ownership.objects.filter(
                Q(dataset=field.dataset_id) | Q(system=field.dataset.system_id)
            ),
        )
        .select_related("user", "dataset", "system")
        .order_by("role", "user__username")
    )
    overridden = []
    if _reads_labels(user):
        overridden = list(
            FieldClassification.objects.filter(field=field, state="overridden")
            .select_related("classification")
            .order_by("classification__key")
        )
    return render(
        request,
        "workspace/catalog/field.html",
        {
            "field": field,
            "definition": definition,
            "reads_labels": _reads_labels(user),
            "labels": field_labels(user, [field]).get(field.pk, []),
            "overridden": overridden,
            "decisions": decisions(user, field) if _reads_policies(user) else None,
            "history": field_history(user, field)
            if user.has_perm("core.view_changerecord")
            else None,
            "edges": edges,
            "reads_all_lineage": reads_all_jobs,
            "owners": owners,
            "team": field.dataset.system.owning_team,
            "contracts": _contracts(user, Q(fields=field) | Q(datasets=field.dataset_id)),
            "breadcrumbs": trail(
                (_("Catalog"), reverse("catalog-page")),
                (field.dataset.system.key, _system_url(user, field.dataset.system)),
                (field.dataset.name, reverse("catalog-dataset", args=[field.dataset.ref])),
                (field.name, ""),
            ),
        },
    )


def _edges(queryset, end: str, user) -> dict:
    rows = list(
        queryset.select_related(f"{end}__dataset__system", "job").order_by("job__key", "id")
    )
    readable = set(
        visible(
            user,
            Field.objects.filter(pk__in={getattr(e, f"{end}_id") for e in rows}),
            FIELD_PARENTS,
        ).values_list("pk", flat=True)
    )
    shown = [
        {"field": getattr(e, end), "type": e.type, "subtype": e.subtype, "job": e.job}
        for e in rows
        if getattr(e, f"{end}_id") in readable
    ]
    return {"edges": shown, "hidden": len(rows) - len(shown)}


def decisions(user, field: Field) -> list[dict]:
    """The consult answer for the field, per active purpose and consumer service: what
    POST /api/v1/consult/ would answer each consumer now (evaluated by the same snapshot,
    without the memo and without writing to the decision log: reading a page decides
    nothing)."""
    snap = get_snapshot()
    consumers = list(
        get_user_model()
        .objects.filter(groups__name=Role.CONSUMER, is_active=True)
        .order_by("username")
        .distinct()
    )
    purposes = list(Purpose.objects.filter(active=True).order_by("key"))
    now = time.time()
    out = []
    subjects_by_id = subjects_of_many(consumers)
    for consumer in consumers:
        subjects = subjects_by_id[consumer.pk]
        for purpose in purposes:
            result = snap.evaluate(subjects, purpose.key, field.ref, now).result
            out.append({"consumer": consumer, "purpose": purpose, "result": result})
    return out
