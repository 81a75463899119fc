"""Operations on accounts and tokens. Each is one transaction and leaves an audit record."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from core.audit import Actor, record_change, snapshot
from core.choices import ChangeAction, Role
from core.models import TOKEN_PREFIX_LENGTH, ApiToken, hash_token


def _token_audit_view(token: ApiToken) -> dict:
    # Never the hash: the audit trail must not help anyone guess a token.
    return {
        "user": token.user.get_username(),
        "name": token.name,
        "prefix": token.prefix,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


@transaction.atomic
def ensure_user(actor: Actor, username: str, role: str | None = None, **fields):
    """Get or create a user, adding it to the role's group. Returns (user, created)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults=fields)
    if created:
        user.set_unusable_password()
        user.save()
        record_change(actor, ChangeAction.CREATE, user, after=_user_view(user))
    if role:
        if role not in Role.values:
            raise ValueError(f"unknown role {role!r}; choose one of {', '.join(Role.values)}")
        group = Group.objects.get(name=role)
        if not user.groups.filter(pk=group.pk).exists():
            user.groups.add(group)
            record_change(actor, ChangeAction.GRANT, user, before=None, after={"role": role})
    return user, created


def _user_view(user) -> dict:
    data = snapshot(user)
    data.pop("password", None)
    return data


@transaction.atomic
def issue_token(
    actor: Actor,
    user,
    name: str = "",
    expires_at: datetime.datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns the row and the raw token (shown once, never stored)."""
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:TOKEN_PREFIX_LENGTH],
        key_hash=hash_token(raw),
        expires_at=expires_at,
    )
    record_change(actor, ChangeAction.CREATE, token, after=_token_audit_view(token))
    return token, raw


@transaction.atomic
def revoke_token(actor: Actor, token: ApiToken) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        before = _token_audit_view(token)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_change(
            actor, ChangeAction.REVOKE, token, before=before, after=_token_audit_view(token)
        )
    return token


# Generic audited writes, used by the apps' services for plain CRUD -------------------------------


@transaction.atomic
def create_object(actor: Actor, model, data: dict):
    """Create a row after `full_clean()` (the model's own rules) and audit it."""
    obj = model(**data)
    obj.full_clean()
    obj.save()
    record_change(actor, ChangeAction.CREATE, obj)
    return obj


@transaction.atomic
def update_object(actor: Actor, obj, data: dict, *, lock: bool = True):
    """Apply `data` to a row, re-validate (`full_clean()`), save and audit before and after when
    anything changed. With `lock` the row is re-read under `SELECT ... FOR UPDATE` first (the
    fresh row is returned); without it, `obj` (already locked by the caller) is changed in place.
    """
    if lock:
        obj = type(obj).objects.select_for_update().get(pk=obj.pk)
    before = snapshot(obj)
    for key, value in data.items():
        setattr(obj, key, value)
    obj.full_clean()
    obj.save()
    after = snapshot(obj)
    if _without_stamp(after) != _without_stamp(before):
        record_change(actor, ChangeAction.UPDATE, obj, before=before, after=after)
    return obj


def _without_stamp(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "updated_at"}


@transaction.atomic
def delete_object(actor: Actor, obj) -> None:
    """Audit and delete a row; a ProtectedError rolls both back. The row is locked first, so of
    two simultaneous deletes (or a delete and an update) one waits for the other and then finds
    the row gone (DoesNotExist, a 404) instead of deleting it twice."""
    obj = type(obj).objects.select_for_update().get(pk=obj.pk)
    record_change(actor, ChangeAction.DELETE, obj, before=snapshot(obj), after=None)
    obj.delete()
