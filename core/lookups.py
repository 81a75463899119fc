"""Finding one object a caller names, the same way everywhere: by id or by its natural key
(the queryset's `by_ref()`), among the rows the caller may view."""

from __future__ import annotations

from django.db import models

from core.errors import Invalid, NotFound
from core.permissions import visible


def find(queryset: models.QuerySet, value) -> models.Model | None:
    """The row of `queryset` named by `value`: an id (digits), else its natural key through
    the queryset's `by_ref()`. None when nothing matches; RefError (a ValueError) when `value`
    is not a well-formed key."""
    value = str(value).strip()
    if value.isdigit():
        found = queryset.filter(pk=int(value)).first()
        if found is not None or not hasattr(queryset, "by_ref"):
            return found
    if not hasattr(queryset, "by_ref"):
        return None
    return queryset.by_ref(value).first()


def get_visible(
    user,
    queryset: models.QuerySet,
    value,
    *,
    param: str,
    parent_paths: tuple[str, ...] = (),
) -> models.Model:
    """The object `value` names among those `user` may view: a malformed name is a 400 at
    `param`, an unknown or hidden one a 404 (the caller cannot tell the two apart)."""
    what = queryset.model._meta.verbose_name
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value).strip() == "":
        raise Invalid.at(param, f"Name a {what} by id or reference.")
    try:
        found = find(visible(user, queryset, parent_paths), value)
    except ValueError as exc:
        raise Invalid.at(param, str(exc)) from None
    if found is None:
        raise NotFound(f"No {what} {value!s}.")
    return found
