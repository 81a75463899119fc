"""DRF permission classes over core.permissions: view is required for everything (404 when
missing), change/delete for writes (403 when missing)."""

from rest_framework import exceptions, permissions

from core.permissions import perm_name, user_can

_ACTION_FOR_METHOD = {"PUT": "change", "PATCH": "change", "DELETE": "delete", "POST": "change"}


class ObjectPermissions(permissions.BasePermission):
    """Authenticated callers; creating needs the model's `add` permission unless the view says
    otherwise (`create_permission_checked_in_view = True` for objects created under a parent)."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method == "POST" and getattr(view, "action", None) == "create":
            if getattr(view, "create_permission_checked_in_view", False):
                return True
            model = view.get_queryset().model
            return user.is_superuser or user.has_perm(perm_name(model, "add"))
        return True

    def has_object_permission(self, request, view, obj):
        user = request.user
        if not user_can(user, "view", obj):
            raise exceptions.NotFound()
        if request.method in permissions.SAFE_METHODS:
            return True
        action = getattr(view, "object_action_permissions", {}).get(
            getattr(view, "action", None), _ACTION_FOR_METHOD.get(request.method, "change")
        )
        return user_can(user, action, obj)


class ModelPermission(permissions.BasePermission):
    """Read access to a whole model through a role (e.g. the audit trail)."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        model = view.get_queryset().model
        return user.is_superuser or user.has_perm(perm_name(model, "view"))
