"""Who reads the audit rows of each consult model (core.permissions.readable_changes): the same
rules as the endpoints that show them."""

from __future__ import annotations

from django.db.models import QuerySet

from catalog.models import Field
from consult import adapters
from consult.models import (
    AccessPolicy,
    Classification,
    DecisionLog,
    DefinitionClassification,
    FieldClassification,
    Purpose,
)
from core.permissions import ALL, perm_name, visible


def _by_role(model):
    """Rows everyone holding the model's view permission reads in full; nobody else any."""
    return lambda user: ALL if user.has_perm(perm_name(model, "view")) else model.objects.none()


def _policies(user):
    if user.has_perm(perm_name(AccessPolicy, "view")):
        return ALL
    return AccessPolicy.objects.filter(consumer=user)


def may_read_policies(user) -> bool:
    """The committee, stewards and engineers read every policy; a consumer its own."""
    return user.has_perm("consult.view_accesspolicy") or user.has_perm("consult.consult_fields")


def visible_policies(user, queryset: QuerySet) -> QuerySet:
    """The policies of `queryset` the caller reads (the API's and the pages' rule)."""
    if user.has_perm("consult.view_accesspolicy"):
        return queryset
    return queryset.filter(consumer=user)


def may_read_decisions(user) -> bool:
    """The committee and stewards read the whole decision log; a consumer its own decisions."""
    return user.has_perm("consult.view_decisionlog") or user.has_perm("consult.consult_fields")


def visible_decisions(user, queryset: QuerySet | None = None) -> QuerySet:
    queryset = DecisionLog.objects.all() if queryset is None else queryset
    if user.has_perm("consult.view_decisionlog"):
        return queryset
    if user.has_perm("consult.consult_fields"):
        return queryset.filter(consumer=user)
    return queryset.none()


def _field_labels(user) -> QuerySet:
    if not user.has_perm(perm_name(FieldClassification, "view")):
        return FieldClassification.objects.none()
    fields = visible(user, Field.objects.all(), ("dataset", "dataset__system")).values("pk")
    return FieldClassification.objects.filter(field__in=fields)


AUDIT_READERS = {
    AccessPolicy: _policies,
    Purpose: _by_role(Purpose),
    Classification: _by_role(Classification),
    FieldClassification: _field_labels,
    DefinitionClassification: lambda user: DefinitionClassification.objects.filter(
        definition_key__in=adapters.visible_definition_keys(user)
    ),
}
