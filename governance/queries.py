"""The read API of governance, stable for the apps above it (consult, vendors, the workspace):
plain dicts and lists, no state change.

``effective_definition_for_field(field_id) -> dict | None``
    The definition a catalog field implements through an *approved* mapping, as it is in force:
    ``{"key", "version", "status", "name", "attributes": {...non-empty attributes},
    "conversion_note", "mapping_id", "replaced_by", "sunset_date",
    "owners": [{"role", "name"}]}``. ``status`` is the effective version's status (approved,
    needs_review or deprecated). None when the field has no approved mapping or the definition
    has no version in force.
``effective_definitions_by_field() -> dict[int, dict]``
    The same for every field with an approved mapping at once (three queries), for caches
    such as consult's snapshot; fields whose definition has no version in force are left out.
``effective_definitions_for_fields(field_ids) -> dict[int, dict]``
    The same for the given fields only (a few queries per 900 ids).
``approved_fields_for_definition(key) -> list[dict]``
    The fields mapped to definition ``key`` by approved mappings:
    ``[{"field_id", "field" (reference), "mapping_id", "conversion_note", "semantics"}]``,
    ordered by reference. Unknown key: an empty list.
``definition_status(definition)``, ``available_actions(user, definition)``,
``overdue_versions(now)``: a definition's status, what a user may do to it, what is due.
"""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils import timezone

from governance.choices import MappingStatus, ReviewStatus, VersionStatus
from governance.models import (
    EFFECTIVE_STATUSES,
    DefinitionVersion,
    FieldDefinition,
    FieldMapping,
    Review,
)
from governance.workflow import allowed_actions

_D = VersionStatus


def _definition_view(version: DefinitionVersion) -> dict:
    definition = version.definition
    return {
        "key": definition.key,
        "version": version.number,
        "status": version.status,
        "name": version.name,
        "attributes": {k: v for k, v in version.attributes.items() if v not in ("", [], None)},
        "replaced_by": definition.replaced_by.key if definition.replaced_by_id else None,
        "sunset_date": definition.sunset_date,
        "owners": [
            {"role": role, "name": person.get_username()}
            for role, person in (("owner", definition.owner), ("steward", definition.steward))
            if person is not None
        ],
    }


def effective_definition_for_field(field_id: int) -> dict | None:
    return _effective_by_field(FieldMapping.objects.filter(field_id=field_id)).get(field_id)


def effective_definitions_by_field() -> dict[int, dict]:
    return _effective_by_field(FieldMapping.objects.all())


def effective_definitions_for_fields(field_ids) -> dict[int, dict]:
    ids = list(field_ids)
    mappings = []
    for start in range(0, len(ids), 900):  # below SQLite's smallest variable limit
        chunk = ids[start : start + 900]
        mappings += FieldMapping.objects.filter(
            field_id__in=chunk, status=MappingStatus.APPROVED
        ).values_list("field_id", "definition_id", "conversion_note", "pk")
    # Each definition once, however many of the fields implement it.
    definitions = sorted({m[1] for m in mappings})
    views = {}
    for start in range(0, len(definitions), 900):
        versions = DefinitionVersion.objects.filter(
            status__in=EFFECTIVE_STATUSES, definition_id__in=definitions[start : start + 900]
        ).select_related("definition__owner", "definition__steward", "definition__replaced_by")
        views.update({v.definition_id: _definition_view(v) for v in versions})
    return {
        fid: {**views[did], "conversion_note": note, "mapping_id": pk}
        for fid, did, note, pk in mappings
        if did in views
    }


def _effective_by_field(mappings) -> dict[int, dict]:
    approved = mappings.filter(status=MappingStatus.APPROVED)
    versions = DefinitionVersion.objects.filter(
        status__in=EFFECTIVE_STATUSES, definition__in=approved.values("definition_id")
    ).select_related("definition__owner", "definition__steward", "definition__replaced_by")
    views = {v.definition_id: _definition_view(v) for v in versions}
    return {
        m.field_id: {
            **views[m.definition_id],
            "conversion_note": m.conversion_note,
            "mapping_id": m.pk,
        }
        for m in approved
        if m.definition_id in views
    }


def approved_fields_for_definition(key: str) -> list[dict]:
    mappings = FieldMapping.objects.filter(
        definition__key=key, status=MappingStatus.APPROVED
    ).select_related("field__dataset__system")
    rows = [
        {
            "field_id": m.field_id,
            "field": m.field.ref,
            "mapping_id": m.pk,
            "conversion_note": m.conversion_note,
            "semantics": m.semantics,
        }
        for m in mappings
    ]
    return sorted(rows, key=lambda row: row["field"])


def definition_status(definition: FieldDefinition) -> str:
    version = definition.effective_version or definition.latest_version
    return version.status if version else ""


def available_actions(user, definition: FieldDefinition) -> list[str]:
    versions = [v for v in (definition.pending_version, definition.effective_version) if v]
    return sorted({a for v in versions for a in allowed_actions(user, v)})


def overdue_versions(now: datetime.datetime | None = None) -> list[DefinitionVersion]:
    """Versions in force whose recertification is due: flagged ones and approved ones past due."""
    now = now or timezone.now()
    versions = DefinitionVersion.objects.filter(
        status__in=[_D.APPROVED, _D.NEEDS_REVIEW]
    ).select_related("definition")
    return [
        v
        for v in versions
        if v.status == _D.NEEDS_REVIEW
        or (v.definition.recertification_due or now) < now
        or v.definition.last_certified_at is None
    ]


def reviews_awaiting(user):
    """Open reviews `user` may still vote on (a committee it sits on, or named as an approver),
    oldest first; never its own proposals."""
    if user is None or not user.is_authenticated:
        return Review.objects.none()
    mine = Q(committee__memberships__user=user) | Q(approvers=user)
    ids = (
        Review.objects.filter(mine, status=ReviewStatus.OPEN)
        .exclude(author=user)
        .exclude(votes__voter=user)
        .values("pk")
    )
    return (
        Review.objects.filter(pk__in=ids)
        .select_related("committee", "author", "content_type")
        .prefetch_related("votes__voter", "approvers", "committee__memberships__user")
        .order_by("opened_at", "id")
    )


def proposals_of(user, limit: int = 20):
    """Reviews of what `user` proposed: the open ones, then the latest decided."""
    if user is None or not user.is_authenticated:
        return []
    reviews = Review.objects.filter(author=user).select_related("committee", "content_type")
    open_ = list(reviews.filter(status=ReviewStatus.OPEN).order_by("opened_at"))
    decided = list(reviews.exclude(status=ReviewStatus.OPEN).order_by("-decided_at")[:limit])
    return open_ + decided[: max(0, limit - len(open_))]


def drafts_of(user):
    """Definition versions `user` is writing (drafts, or sent back for changes)."""
    if user is None or not user.is_authenticated:
        return DefinitionVersion.objects.none()
    return (
        DefinitionVersion.objects.filter(author=user, status__in=[_D.DRAFT, _D.CHANGES_REQUESTED])
        .select_related("definition")
        .order_by("-created_at")
    )


def recertifications_for(user, within_days: int = 30, now: datetime.datetime | None = None):
    """Definitions `user` owns or stewards whose recertification is overdue or due within
    `within_days`: [(version in force, due date or None when never certified)], soonest first."""
    if user is None or not user.is_authenticated:
        return []
    now = now or timezone.now()
    horizon = now + datetime.timedelta(days=within_days)
    versions = (
        DefinitionVersion.objects.filter(status__in=[_D.APPROVED, _D.NEEDS_REVIEW])
        .filter(Q(definition__owner=user) | Q(definition__steward=user))
        .select_related("definition")
    )
    due = []
    for version in versions:
        when = version.definition.recertification_due
        if version.status == _D.NEEDS_REVIEW or when is None or when <= horizon:
            due.append((version, when))
    return sorted(due, key=lambda pair: (pair[1] is not None, pair[1] or now))
