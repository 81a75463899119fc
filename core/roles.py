"""Role groups and the model-level permissions each app grants them.

Each app lists its grants in `ROLE_PERMISSIONS` ({role: [perm, ...]}) and registers them in its
AppConfig.ready(); after every migrate they are synced onto the groups (added, never removed
by hand-made grants)."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

from core.choices import Role

_REGISTRY: list[dict[str, list[str]]] = []

ROLE_PERMISSIONS = {
    Role.COMMITTEE: ["core.view_changerecord"],
    Role.STEWARD: ["core.view_changerecord"],
    Role.ENGINEER: ["core.view_changerecord"],
}


def register(mapping: dict[str, list[str]]) -> None:
    _REGISTRY.append(mapping)


def sync_role_permissions(using="default", **kwargs) -> None:
    # post_migrate reaches core before the later apps have their permission rows: make them now.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    for role in Role.values:
        Group.objects.get_or_create(name=role)
    wanted: dict[str, set[str]] = {}
    for mapping in _REGISTRY:
        for role, perms in mapping.items():
            wanted.setdefault(str(role), set()).update(perms)
    for role, perms in wanted.items():
        group = Group.objects.get(name=role)
        for perm in sorted(perms):
            app_label, codename = perm.split(".", 1)
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                group.permissions.add(permission)
