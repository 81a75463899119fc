"""core.backends.OneQueryModelBackend answers what Django's ModelBackend answers, in one query."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.backends import OneQueryModelBackend

pytestmark = pytest.mark.django_db


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)  # no cached permissions


def perm(codename: str) -> Permission:
    return Permission.objects.get(codename=codename)


def test_own_and_group_permissions_in_one_query():
    user = get_user_model().objects.create_user("mixed")
    user.user_permissions.add(perm("view_field"), perm("change_dataset"))
    one, two = Group.objects.create(name="one"), Group.objects.create(name="two")
    one.permissions.add(perm("view_etljob"), perm("view_field"))
    two.permissions.add(perm("add_etljob"))
    user.groups.add(one, two)
    Group.objects.create(name="not-mine").permissions.add(perm("delete_field"))

    asking = fresh(user)
    with CaptureQueriesContext(connection) as queries:
        got = OneQueryModelBackend().get_all_permissions(asking)
    assert len(queries) == 1
    assert got == ModelBackend().get_all_permissions(fresh(user))
    assert got == {
        "catalog.view_field",
        "catalog.change_dataset",
        "lineage.view_etljob",
        "lineage.add_etljob",
    }
    reader = fresh(user)
    assert reader.has_perm("lineage.add_etljob") and not reader.has_perm("catalog.delete_field")


def test_nobody_inactive_and_superuser():
    User = get_user_model()
    plain = User.objects.create_user("plain")
    assert OneQueryModelBackend().get_all_permissions(fresh(plain)) == set()
    gone = User.objects.create_user("gone", is_active=False)
    gone.user_permissions.add(perm("view_field"))
    assert OneQueryModelBackend().get_all_permissions(fresh(gone)) == set()
    root = User.objects.create_superuser("root", "root@example.com", "x")
    assert OneQueryModelBackend().get_all_permissions(fresh(root)) == (
        ModelBackend().get_all_permissions(fresh(root))
    )
    # Object permissions are guardian's, never this backend's.
    assert OneQueryModelBackend().get_all_permissions(fresh(root), obj=plain) == set()
