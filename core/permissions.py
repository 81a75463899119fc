"""Who may see and change what: model-level grants from the role groups, object-level grants
through django-guardian, and inheritance from parent objects (a field's system, say).

A caller who may not view an object gets a 404 for it; one who may view but not change it, a 403.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from functools import reduce

from django.db import models
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from guardian.shortcuts import get_objects_for_user

from core.audit import object_type


def perm_name(model_or_obj, action: str) -> str:
    meta = model_or_obj._meta
    return f"{meta.app_label}.{action}_{meta.model_name}"


def permission_chain(obj: models.Model) -> list[models.Model]:
    """The object and the parents whose grants also cover it (nearest first)."""
    chain = [obj]
    parents = getattr(obj, "permission_parents", None)
    if parents is not None:
        chain.extend(p for p in parents() if p is not None)
    return chain


def user_can(user, action: str, obj: models.Model) -> bool:
    """True when `user` holds `action` (view/change/delete) on obj or one of its parents,
    globally (through a role) or on that object (through guardian)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    for target in permission_chain(obj):
        perm = perm_name(target, action)
        if user.has_perm(perm) or user.has_perm(perm, target):
            return True
    # Change rights imply view rights (an owner always sees what it owns).
    if action == "view":
        return user_can(user, "change", obj)
    return False


def visible(user, queryset: models.QuerySet, parent_paths: tuple[str, ...] = ()) -> models.QuerySet:
    """Rows of `queryset` the user may view. `parent_paths` name the lookups from the model to the
    parents whose grants cover it, nearest first, e.g. ("dataset", "dataset__system")."""
    model = queryset.model
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_superuser or user.has_perm(perm_name(model, "view")):
        return queryset
    condition = Q(pk__in=_granted_ids(user, model))
    for path in parent_paths:
        parent_model = _related_model(model, path)
        if user.has_perm(perm_name(parent_model, "view")):
            return queryset
        condition |= Q(**{f"{path}__in": _granted_ids(user, parent_model)})
    return queryset.filter(condition)


def _granted_ids(user, model) -> models.QuerySet:
    return get_objects_for_user(
        user,
        [perm_name(model, "view"), perm_name(model, "change")],
        klass=model,
        any_perm=True,
        accept_global_perms=False,
        with_superuser=False,
    ).values("pk")


def _related_model(model, path: str):
    for part in path.split("__"):
        model = model._meta.get_field(part).related_model
    return model


# Who reads the audit trail's rows ------------------------------------------------------------
#
# A ChangeRecord shows an object's state (a draft's text, a token's metadata): a caller reads it
# only if it may read that object now. Each app registers, per model it audits, a function of
# the user giving the rows of that model the user may read, or ALL when it reads every one
# (AppConfig.ready()). Rows about a model nobody registered are for superusers only.

ALL = None
_AUDIT_READERS: dict[str, Callable] = {}


def register_audit_readers(readers: dict[type[models.Model], Callable]) -> None:
    for model, readable in readers.items():
        _AUDIT_READERS[object_type(model)] = readable


def readable_by_grants(model, parent_paths: tuple[str, ...] = ()) -> Callable:
    """The audit reader of a model whose visibility is `visible()`: ALL for a role that reads
    the model (or a parent) everywhere, else the rows granted."""

    def readable(user):
        chain = [model, *(_related_model(model, path) for path in parent_paths)]
        if any(user.has_perm(perm_name(m, "view")) for m in chain):
            return ALL
        return visible(user, model.objects.all(), parent_paths)

    return readable


def readable_changes(user, records: models.QuerySet) -> models.QuerySet:
    """The audit rows `user` may read: with the audit role, those about objects it may read
    now. One query, whatever the page: each model's readable rows are a subquery."""
    if user is None or not user.is_authenticated or not user.is_active:
        return records.none()
    if user.is_superuser:
        return records
    if not user.has_perm("core.view_changerecord"):
        return records.none()
    conditions = []
    for label, readable in _AUDIT_READERS.items():
        rows = readable(user)
        if rows is ALL:
            conditions.append(Q(object_type=label))
        else:
            ids = rows.annotate(audit_id=Cast("pk", CharField())).values("audit_id")
            conditions.append(Q(object_type=label, object_id__in=ids))
    if not conditions:
        return records.none()
    return records.filter(reduce(operator.or_, conditions))
