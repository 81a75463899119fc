"""Writing the audit trail. Services call these explicitly, inside their own transaction, so
every write (API, admin, import, command) leaves a record and a rolled-back write leaves none."""

from __future__ import annotations

import datetime
import decimal
import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from core.choices import ChangeAction
from core.models import CatalogVersion, ChangeLink, ChangeRecord


@dataclass(frozen=True)
class Actor:
    """Who makes a change and why: passed to every service that changes governed data."""

    user: AbstractBaseUser | None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    reason: str = ""
    name_override: str = ""

    @property
    def name(self) -> str:
        if self.name_override:
            return self.name_override
        if self.user is None or isinstance(self.user, AnonymousUser):
            return "system"
        return self.user.get_username()

    @property
    def user_or_none(self):
        if self.user is None or isinstance(self.user, AnonymousUser):
            return None
        return self.user

    def with_reason(self, reason: str) -> Actor:
        return Actor(self.user, self.request_id, reason or self.reason, self.name_override)

    @classmethod
    def system(cls, name: str = "system", reason: str = "") -> Actor:
        return cls(None, reason=reason, name_override=name)

    @classmethod
    def from_request(cls, request, reason: str = "") -> Actor:
        """The caller of `request`; the reason defaults to its X-Change-Reason header, so every
        audited API write (catalog, tokens, ...) records why it was made."""
        return cls(
            user=request.user if request.user.is_authenticated else None,
            request_id=getattr(request, "request_id", "") or uuid.uuid4().hex,
            reason=reason or request.headers.get("X-Change-Reason", ""),
        )


def jsonable(value):
    """A value as JSON can hold it (dates as ISO text, decimals and UUIDs as strings)."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    return value


def snapshot(obj: models.Model) -> dict:
    """A JSON-safe copy of a row's concrete fields (foreign keys as ids)."""
    data = {}
    for f in obj._meta.concrete_fields:
        data[f.attname] = jsonable(getattr(obj, f.attname))
    return data


# Functions called with (catalog version, [(action, object, before, after), ...]) after every
# audited write, inside its transaction: apps above core register here to keep state of their
# own in step with the change (consult records what can alter a decision) without core knowing
# them.
_listeners: list = []


def on_change(listener):
    """Register `listener` (see `_listeners`); returns it, so it can decorate."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def _notify(version: int, changes: Iterable) -> None:
    """Tell the listeners of (action, object, before, after) changes, actions as plain strings."""
    changes = [(str(action), obj, before, after) for action, obj, before, after in changes]
    for listener in _listeners:
        listener(version, changes)


def _in_transaction(caller: str):
    """The connection of the change's transaction; a RuntimeError outside one."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError(f"{caller} must be called inside the change's transaction")
    return connection


def _insert_many(connection, model, columns: list[str], rows: list[tuple]) -> None:
    """Plain INSERTs of `rows` into `model`'s table, 5,000 to an executemany."""
    ops = connection.ops
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        ops.quote_name(model._meta.db_table),
        ", ".join(ops.quote_name(c) for c in columns),
        ", ".join(["%s"] * len(columns)),
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


def bump_catalog_version() -> int:
    """Increment and return the catalog version. Must run inside the change's transaction."""
    updated = CatalogVersion.objects.filter(id=1).update(value=F("value") + 1)
    if not updated:
        CatalogVersion.objects.get_or_create(id=1)
        CatalogVersion.objects.filter(id=1).update(value=F("value") + 1)
    return CatalogVersion.objects.values_list("value", flat=True).get(id=1)


def current_catalog_version() -> int:
    """The stored catalog version: the one reader every cache uses (it runs on every consult,
    so one plain statement rather than an ORM query)."""
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(f"SELECT value FROM {CatalogVersion._meta.db_table} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else 0


def object_type(obj_or_model) -> str:
    meta = obj_or_model._meta
    return f"{meta.app_label}.{meta.model_name}"


@functools.cache
def audit_names() -> dict[str, str]:
    """{the name a user knows an audited object by: its stored object_type}, e.g. `system` for
    `catalog.sourcesystem`: each model's `audit_name`, and `user` for the user model."""
    names = {"user": object_type(get_user_model())}
    for model in apps.get_models():
        name = getattr(model, "audit_name", None)
        if name:
            names[name] = object_type(model)
    return dict(sorted(names.items()))


def audit_name_of(stored: str) -> str | None:
    """The user's name of a stored object_type (None for a type no model declares)."""
    return _names_by_type().get(stored)


@functools.cache
def _names_by_type() -> dict[str, str]:
    return {stored: name for name, stored in audit_names().items()}


def _record(
    actor: Actor,
    action: str,
    obj: models.Model,
    before: dict | None,
    after: dict | None,
    version: int,
) -> ChangeRecord:
    return ChangeRecord(
        actor=actor.user_or_none,
        actor_name=actor.name,
        request_id=actor.request_id,
        action=action,
        object_type=object_type(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:500],
        before=before,
        after=after,
        reason=actor.reason,
        catalog_version=version,
    )


def record_change(
    actor: Actor,
    action: ChangeAction | str,
    obj: models.Model,
    before: dict | None = None,
    after: dict | None = None,
) -> ChangeRecord:
    """Write one audit record and bump the catalog version, in the caller's transaction."""
    _in_transaction("record_change")
    version = bump_catalog_version()
    if after is None and action != ChangeAction.DELETE:
        after = snapshot(obj)
    record = _record(actor, str(action), obj, before, after, version)
    record.save()
    _notify(version, [(action, obj, before, after)])
    return record


def record_changes(
    actor: Actor, changes: Iterable[tuple[str, models.Model, dict | None, dict | None]]
) -> int:
    """Write many audit records at once (bulk operations), with one catalog version bump.

    Rows go in through one `executemany` rather than `bulk_create`: building a model instance per
    record was most of the cost of a bulk import (see bench/ingest.py)."""
    connection = _in_transaction("record_changes")
    changes = list(changes)
    if not changes:
        return 0
    version = bump_catalog_version()
    ops = connection.ops
    at = ops.adapt_datetimefield_value(timezone.now())
    user = actor.user_or_none
    actor_id = user.pk if user is not None else None
    json_field = ChangeRecord._meta.get_field("after")
    encoder = json_field.encoder

    def as_json(value):
        return None if value is None else ops.adapt_json_value(value, encoder)

    columns = [
        "at", "actor_id", "actor_name", "request_id", "action", "object_type", "object_id",
        "object_repr", "before", "after", "reason", "catalog_version",
    ]  # fmt: skip
    rows = [
        (
            at,
            actor_id,
            actor.name,
            actor.request_id,
            str(action),
            object_type(obj),
            str(obj.pk),
            str(obj)[:500],
            as_json(before),
            as_json(after),
            actor.reason,
            version,
        )
        for action, obj, before, after in changes
    ]
    _insert_many(connection, ChangeRecord, columns, rows)
    _notify(version, changes)
    return len(rows)


@dataclass
class Group:
    """One audit record standing for many changes made by one request: stored as a record about
    `obj` with `before` and `after` as the caller summarises them, and linked (ChangeLink) to
    each of `members`, so each member's history finds it by (object_type, object_id)."""

    action: str
    obj: models.Model
    before: dict | None
    after: dict | None
    members: list[models.Model] = field(default_factory=list)


def record_groups(
    actor: Actor,
    groups: Iterable[Group],
    changes: Iterable[tuple[str, models.Model, dict | None, dict | None]],
) -> int:
    """Write one audit record per group and one link per member, with one catalog version
    bump, in the caller's transaction; return the number of records. What is stored is the
    summary; the listeners (`on_change`) still get `changes`, one (action, object, before,
    after) per object changed, as record_changes gives them (consult needs each field's
    columns before and after)."""
    connection = _in_transaction("record_groups")
    groups, changes = list(groups), list(changes)
    if not groups:
        return 0
    version = bump_catalog_version()
    at = timezone.now()
    records = [_record(actor, str(g.action), g.obj, g.before, g.after, version) for g in groups]
    for record in records:
        record.at = at
    if connection.features.can_return_rows_from_bulk_insert:
        ChangeRecord.objects.bulk_create(records, batch_size=500)
    else:
        for record in records:
            record.save()
    links = [
        (object_type(member), str(member.pk), record.pk)
        for g, record in zip(groups, records, strict=True)
        for member in g.members
    ]
    _insert_many(connection, ChangeLink, ["object_type", "object_id", "record_id"], links)
    _notify(version, changes)
    return len(records)


def about(object_kind: str, object_pk) -> models.Q:
    """The audit records about one object (`object_kind` stored as `app.model`, `object_pk`
    its id, either may be None for any): its own records and the records that name it among
    many (a bulk request's record per dataset names each field it touched)."""
    wanted = {}
    if object_kind is not None:
        wanted["object_type"] = object_kind
    if object_pk is not None:
        wanted["object_id"] = str(object_pk)
    own = ChangeRecord.objects.filter(**wanted).order_by().values("id")
    linked = ChangeLink.objects.filter(**wanted).order_by().values("record_id")
    # One IN over a UNION, not an OR of two conditions: PostgreSQL then joins the few ids found
    # by the two indexes to the records instead of testing every record against both.
    return models.Q(pk__in=own.union(linked, all=True))
