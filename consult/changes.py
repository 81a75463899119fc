"""Which audited writes can alter a consult decision, and what they touch.

Registered with core.audit (apps.py): every audited write passes through `record` in its own
transaction, which writes a `DecisionChange` row per thing a decision depends on. A
description, a contact, a draft policy or an INDIRECT edge writes none, so no process refreshes
anything; a new DIRECT edge names its target field, and every cached field whose upstream holds
that target is recomputed on its next consult (snapshot.py)."""

from __future__ import annotations

from consult.models import DecisionChange
from core.audit import object_type

# The columns of a row that reach a decision; a change to any other column (a description,
# a contact, a timestamp) cannot alter one.
FIELD_COLUMNS = ("name", "status", "discovered", "dataset_id", "ordinal")
DATASET_COLUMNS = ("name", "system_id")
SYSTEM_COLUMNS = ("key", "owning_team")
DEFINITION_COLUMNS = ("key", "owner_id", "steward_id", "replaced_by_id")
VERSION_COLUMNS = ("status", "attributes", "number", "definition_id")
USER_COLUMNS = ("username",)


def _moved(before, after, columns) -> bool:
    if before is None or after is None:
        return True
    return any(before.get(c) != after.get(c) for c in columns)


def _value(before, after, column):
    return {d[column] for d in (before, after) if d is not None and column in d}


def touched(action: str, obj, before: dict | None, after: dict | None) -> set[tuple[str, str]]:
    """{(kind, key)} a change can alter decisions through (see DecisionChange.kind)."""
    kind = object_type(obj)
    pk = str(obj.pk) if obj.pk is not None else str((before or after or {}).get("id", ""))
    if kind == "catalog.field":
        if action == "create":
            return {("new", "")}
        return {("field", pk)} if _moved(before, after, FIELD_COLUMNS) else set()
    # A dataset or system renamed, or a system's owning team: rare, so every field is recomputed.
    if kind == "catalog.dataset":
        moved = action != "create" and _moved(before, after, DATASET_COLUMNS)
        return {("all", "")} if moved else set()
    if kind == "catalog.sourcesystem":
        moved = action != "create" and _moved(before, after, SYSTEM_COLUMNS)
        return {("all", "")} if moved else set()
    if kind == "lineage.lineageedge":
        rows = [d for d in (before, after) if d is not None]
        return {("field", str(d["target_id"])) for d in rows if d.get("type") == "DIRECT"}
    if kind == "lineage.etljobversion":
        # A job's newest version decides whether its edges are trusted (failed SQL is not).
        return {("job", str(j)) for j in _value(before, after, "job_id")}
    if kind == "governance.fielddefinition":
        return {("definition", pk)} if _moved(before, after, DEFINITION_COLUMNS) else set()
    if kind == "governance.definitionversion":
        if not _moved(before, after, VERSION_COLUMNS):
            return set()
        return {("definition", str(d)) for d in _value(before, after, "definition_id")}
    if kind == "governance.fieldmapping":
        return {("field", str(f)) for f in _value(before, after, "field_id")}
    if kind == "consult.accesspolicy":
        # Only approved policies decide: a draft's edits, or its review, change nothing yet.
        if "approved" in _value(before, after, "status"):
            return {("policy", pk)}
        return set()
    if kind == "consult.purpose":
        return {("purpose", "")}
    if kind == "consult.classification":
        return {("all", "")}  # the taxonomy: obligations, and whether a label follows lineage
    if kind == "consult.fieldclassification":
        return {("field", str(f)) for f in _value(before, after, "field_id")}
    if kind == "consult.definitionclassification":
        return {("definition_key", k) for k in _value(before, after, "definition_key")}
    if kind == "auth.user":
        # Owners are shown by user name in every decision on their definitions.
        moved = action == "update" and _moved(before, after, USER_COLUMNS)
        return {("all", "")} if moved else set()
    return set()


def record(version: int, changes: list) -> None:
    """The core.audit listener: one DecisionChange row per distinct thing touched."""
    found: set[tuple[str, str]] = set()
    for action, obj, before, after in changes:
        found |= touched(action, obj, before, after)
    if found:
        DecisionChange.objects.bulk_create(
            [DecisionChange(catalog_version=version, kind=k, key=key) for k, key in sorted(found)],
            batch_size=2000,
        )


def everything_changed() -> None:
    """For a write made outside the services (a benchmark's raw insert, a data repair): every
    process recomputes everything it holds on its next consult."""
    from django.db import transaction

    from core.audit import bump_catalog_version

    with transaction.atomic():
        version = bump_catalog_version()
        DecisionChange.objects.create(catalog_version=version, kind="all")
