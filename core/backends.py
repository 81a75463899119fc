"""Django's model permission backend, reading a user's permissions in one query.

ModelBackend reads them in two ORM queries (the user's own, then its groups') the first time a
request asks `has_perm`; every API request that looks up an object asks. One plain query of the
union answers the same set (tests/core/test_backends.py compares them) in half the round trips
and without building two querysets."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection


class OneQueryModelBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                return super().get_all_permissions(user_obj, obj)
            with connection.cursor() as cursor:
                cursor.execute(_sql(), [user_obj.pk, user_obj.pk])
                user_obj._perm_cache = {f"{app}.{codename}" for app, codename in cursor}
        return user_obj._perm_cache


def _sql() -> str:
    qn = connection.ops.quote_name
    User = get_user_model()
    own = User._meta.get_field("user_permissions").remote_field.through._meta
    member = User._meta.get_field("groups").remote_field.through._meta
    granted = Group._meta.get_field("permissions").remote_field.through._meta
    user_column = qn(own.get_field(User._meta.model_name).column)
    return (
        f"SELECT ct.{qn('app_label')}, p.{qn('codename')} "
        f"FROM {qn(Permission._meta.db_table)} p "
        f"JOIN {qn(ContentType._meta.db_table)} ct ON ct.id = p.{qn('content_type_id')} "
        f"WHERE p.id IN (SELECT {qn('permission_id')} FROM {qn(own.db_table)} "
        f"WHERE {user_column} = %s "
        f"UNION SELECT g.{qn('permission_id')} FROM {qn(granted.db_table)} g "
        f"JOIN {qn(member.db_table)} m ON m.{qn('group_id')} = g.{qn('group_id')} "
        f"WHERE m.{qn(member.get_field(User._meta.model_name).column)} = %s)"
    )
