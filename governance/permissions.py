"""Who may see what in governance. Approved definitions (and their approved mappings) are read by
every authenticated user with a role; drafts and reviews only by their authors, the definition's
owner and steward (guardian grants) and the committee."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from guardian.shortcuts import get_objects_for_user

from catalog.models import Dataset, Field, SourceSystem
from core.choices import Role
from core.permissions import ALL, perm_name, user_can, visible
from governance.choices import MappingStatus
from governance.models import (
    PUBLISHED_STATUSES,
    Committee,
    ConflictResolution,
    DefinitionVersion,
    FieldDefinition,
    FieldMapping,
    Meeting,
    Ownership,
    Review,
    Vote,
)

DEFINITION_PERMS = ("governance.view_fielddefinition", "governance.change_fielddefinition")


def active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def has_role(user) -> bool:
    return active(user) and (user.is_superuser or user.groups.exists())


def in_committee_role(user) -> bool:
    return active(user) and (user.is_superuser or user.groups.filter(name=Role.COMMITTEE).exists())


def sits_on_committee_for(user, domain: str) -> bool:
    committee = Committee.for_domain(domain)
    return committee is not None and active(user) and committee.is_member(user)


def _granted(user, perms, model) -> QuerySet:
    return get_objects_for_user(
        user,
        list(perms),
        klass=model,
        any_perm=True,
        accept_global_perms=False,
        with_superuser=False,
    ).values("pk")


def definitions_visible_to(user, queryset: QuerySet) -> QuerySet:
    if not active(user):
        return queryset.none()
    if in_committee_role(user):
        return queryset
    condition = Q(pk__in=_granted(user, DEFINITION_PERMS, FieldDefinition))
    if has_role(user):
        published = DefinitionVersion.objects.filter(status__in=PUBLISHED_STATUSES)
        condition |= Q(pk__in=published.values("definition_id"))
    return queryset.filter(condition)


def may_edit_definition(user, definition: FieldDefinition) -> bool:
    """The definition's owner, steward and creator hold guardian change rights on it."""
    return user_can(user, "change", definition)


def may_propose_mapping(user, field: Field, definition: FieldDefinition) -> bool:
    """The maintainers of the field's system, the definition's editors and its committee."""
    return (
        user_can(user, "change", field)
        or may_edit_definition(user, definition)
        or sits_on_committee_for(user, definition.domain)
    )


def version_visible(user, version: DefinitionVersion) -> bool:
    return (
        version.status in PUBLISHED_STATUSES
        or in_committee_role(user)
        or (active(user) and version.author_id == user.pk)
        or may_edit_definition(user, version.definition)
    )


def versions_visible_to(user, definition: FieldDefinition) -> QuerySet:
    versions = definition.versions.all()
    if in_committee_role(user) or may_edit_definition(user, definition):
        return versions
    return versions.filter(Q(status__in=PUBLISHED_STATUSES) | Q(author_id=user.pk))


CATALOG_MODELS = (SourceSystem, Dataset, Field)


def sees_whole_catalog(user) -> bool:
    """Holds catalog-wide view (a role that reads every system, dataset and field). Vendors do
    not: they read only the catalog entries their contracts carry (guardian grants)."""
    return active(user) and (
        user.is_superuser or all(user.has_perm(perm_name(m, "view")) for m in CATALOG_MODELS)
    )


def visible_fields(user) -> QuerySet:
    return visible(user, Field.objects.all(), ("dataset", "dataset__system"))


def visible_datasets(user) -> QuerySet:
    return visible(user, Dataset.objects.all(), ("system",))


def visible_systems(user) -> QuerySet:
    return visible(user, SourceSystem.objects.all())


def visible_field_refs(user, refs) -> set[str]:
    """Those of `refs` (field references) naming fields `user` may view."""
    refs = set(refs)
    if sees_whole_catalog(user):
        return refs
    shown = visible_fields(user).select_related("dataset__system")
    return {f.ref for f in shown} & refs


def ownerships_visible_to(user, queryset: QuerySet) -> QuerySet:
    """Ownerships of the systems and datasets `user` may view."""
    if sees_whole_catalog(user):
        return queryset
    return queryset.filter(
        Q(system__in=visible_systems(user).values("pk"))
        | Q(dataset__in=visible_datasets(user).values("pk"))
    )


def mappings_visible_to(user, queryset: QuerySet) -> QuerySet:
    """Approved mappings of visible definitions; others to their author, the definition's
    editors, the maintainers of the field's system and the committee."""
    if not active(user):
        return queryset.none()
    if in_committee_role(user):
        return queryset
    definitions = definitions_visible_to(user, FieldDefinition.objects.all())
    editable = _granted(user, ["governance.change_fielddefinition"], FieldDefinition)
    systems = _granted(user, ["catalog.change_sourcesystem"], SourceSystem)
    queryset = queryset.filter(
        Q(status=MappingStatus.APPROVED, definition__in=definitions.values("pk"))
        | Q(author_id=user.pk)
        | Q(definition__in=editable)
        | Q(field__dataset__system__in=systems)
    )
    if not sees_whole_catalog(user):
        # Whatever the definition, a mapping names a field: only fields the caller may view.
        queryset = queryset.filter(field__in=visible_fields(user).values("pk"))
    return queryset


def reviews_visible_to(user, queryset: QuerySet) -> QuerySet:
    if not active(user):
        return queryset.none()
    if in_committee_role(user):
        return queryset
    mine = queryset.filter(Q(author_id=user.pk) | Q(approvers=user)).values("pk")
    return queryset.filter(pk__in=mine)


def readable_review_ids(user, ids) -> set[int]:
    """Of the reviews numbered `ids`, those the user may open (a page links only to those)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return set()
    rows = reviews_visible_to(user, Review.objects.filter(pk__in=wanted))
    return set(rows.values_list("pk", flat=True))


# Who reads the audit rows of each governance model (core.permissions.readable_changes): the
# same rules as the endpoints that show them.


def _committee_or(rows):
    return lambda user: ALL if in_committee_role(user) else rows(user)


def _readable_versions(user) -> QuerySet:
    definitions = definitions_visible_to(user, FieldDefinition.objects.all()).values("pk")
    editable = _granted(user, ["governance.change_fielddefinition"], FieldDefinition)
    return DefinitionVersion.objects.filter(definition__in=definitions).filter(
        Q(status__in=PUBLISHED_STATUSES) | Q(author_id=user.pk) | Q(definition__in=editable)
    )


def _readable_reviews(user) -> QuerySet:
    return reviews_visible_to(user, Review.objects.all())


AUDIT_READERS = {
    FieldDefinition: _committee_or(
        lambda user: definitions_visible_to(user, FieldDefinition.objects.all())
    ),
    DefinitionVersion: _committee_or(_readable_versions),
    FieldMapping: _committee_or(lambda user: mappings_visible_to(user, FieldMapping.objects.all())),
    Review: _committee_or(_readable_reviews),
    Vote: _committee_or(
        lambda user: Vote.objects.filter(review__in=_readable_reviews(user).values("pk"))
    ),
    Committee: lambda user: ALL if has_role(user) else Committee.objects.none(),
    Ownership: lambda user: (
        ALL if sees_whole_catalog(user) else ownerships_visible_to(user, Ownership.objects.all())
    ),
    ConflictResolution: _committee_or(lambda user: ConflictResolution.objects.none()),
    Meeting: _committee_or(lambda user: Meeting.objects.none()),
}
