"""Consult operations. Policy and classification changes are audited and bump the catalog
version in their transaction (so the next consult sees them); policies move through the
governance workflow; consults are answered from the snapshot and every decision is logged
before it is returned."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from guardian.shortcuts import get_users_with_perms

from catalog.models import Field
from consult import adapters
from consult.choices import ClassificationState, Effect, PolicyStatus, ResourceKind, UpstreamMode
from consult.models import (
    ALL_PURPOSES,
    AccessPolicy,
    Classification,
    DecisionLog,
    DefinitionClassification,
    FieldClassification,
    catalog_object,
)
from consult.snapshot import Outcome, Snapshot, get_snapshot
from core.api.parsers import UNSTORABLE
from core.audit import Actor, record_change, snapshot
from core.choices import ChangeAction, Role
from core.db import prepared_cursor
from core.permissions import perm_name
from core.services import create_object, delete_object, update_object
from governance import subjects, workflow
from governance.models import Committee, FieldDefinition

EDITABLE = (PolicyStatus.DRAFT, PolicyStatus.CHANGES_REQUESTED)


# Access policies and their workflow ----------------------------------------------------------


def is_committee(user) -> bool:
    return bool(user and user.is_authenticated) and (
        user.is_superuser or user.groups.filter(name=Role.COMMITTEE).exists()
    )


def is_consumer(user) -> bool:
    """In the consumer group: the only subjects consult decides for."""
    return bool(user and user.is_active) and user.groups.filter(name=Role.CONSUMER).exists()


def resource_approvers(policy: AccessPolicy) -> list:
    """Who may approve a policy alone: the owners of what it covers (the committee always may,
    through its review)."""
    if policy.resource_kind == ResourceKind.DEFINITION:
        return adapters.definition_approvers(policy.resource_key)
    obj = catalog_object(policy.resource_kind, policy.resource_key)
    users: dict[int, object] = {}
    for target in (obj, *(obj.permission_parents() if hasattr(obj, "permission_parents") else ())):
        if target is None:
            continue
        for user in get_users_with_perms(
            target, only_with_perms_in=[perm_name(target, "change").split(".")[1]]
        ):
            users[user.pk] = user
    return list(users.values())


class PolicyWorkflow(workflow.Workflow):
    model = AccessPolicy
    subject_kind = "policy"
    owners_decide = True
    transitions = (
        workflow.Transition(
            "submit", {"draft", "changes_requested"}, "in_review", opens_review=True
        ),
        workflow.Transition("withdraw", {"in_review"}, "draft", closes_review=True),
        workflow.Transition("approve", {"in_review"}, "approved", by=workflow.REVIEW),
        workflow.Transition("reject", {"in_review"}, "rejected", by=workflow.REVIEW),
        workflow.Transition(
            "request_changes", {"in_review"}, "changes_requested", by=workflow.REVIEW
        ),
        workflow.Transition("revoke", {"approved"}, "revoked"),
    )

    def committee_for(self, policy):
        if policy.resource_kind == ResourceKind.DEFINITION:
            d = FieldDefinition.objects.filter(key=policy.resource_key).first()
            committee = d and Committee.for_domain(d.domain)
            if committee:
                return committee
        name = getattr(settings, "CONSULT_POLICY_COMMITTEE", "")
        committees = Committee.objects.order_by("id")
        return (committees.filter(name=name) if name else committees).first()

    def approvers_for(self, policy):
        return resource_approvers(policy)

    def may(self, user, policy, step) -> bool:
        if user is None or not user.is_authenticated:
            return False
        if step.name == "revoke":
            return is_committee(user) or user.pk in {u.pk for u in resource_approvers(policy)}
        return (
            user.is_superuser
            or policy.author_id == user.pk
            or user.has_perm("consult.change_accesspolicy")
        )

    def before(self, actor, policy, step, **params):
        if step.name in ("approve", "reject", "revoke"):
            policy.decided_by = actor.name
            policy.decided_at = timezone.now()
            return ["decided_by", "decided_at"]
        return []

    def describe(self, policy, cache: dict | None = None) -> dict:
        proposed = subjects.rows(
            [
                (N_("In words"), policy.sentence),
                (N_("Name"), policy.name),
                (N_("Consumer"), policy.subject_name),
                (N_("Purposes"), ", ".join(policy.purposes or [])),
                (
                    N_("Covers"),
                    f"{ResourceKind(policy.resource_kind).label}: {policy.resource_key}",
                ),
                (N_("Effect"), Effect(policy.effect).label),
                (N_("Obligations"), subjects.show(policy.obligations)),
                (N_("Untrusted upstream"), UpstreamMode(policy.upstream_mode).label),
                (N_("Valid from"), _day(policy.valid_from)),
                (N_("Valid until"), _day(policy.valid_until)),
                (N_("Why"), policy.justification),
            ]
        )
        others = AccessPolicy.objects.filter(
            status=PolicyStatus.APPROVED,
            resource_kind=policy.resource_kind,
            resource_key=policy.resource_key,
            consumer_id=policy.consumer_id,
            group_id=policy.group_id,
        ).exclude(pk=policy.pk)
        overlapping = [
            o
            for o in others
            if set(o.purposes) & set(policy.purposes)
            or ALL_PURPOSES in [*o.purposes, *policy.purposes]
        ]
        warnings = [
            f"Policy #{o.pk} ({o.sentence}) already decides this"
            + (" the other way: an explicit deny beats an allow." if o.effect != policy.effect
               else ".")
            for o in overlapping
        ]  # fmt: skip
        definitions = (
            [policy.resource_key] if policy.resource_kind == ResourceKind.DEFINITION else []
        )
        fields = [policy.resource_key] if policy.resource_kind == ResourceKind.FIELD else []
        return subjects.subject(
            "policy",
            _("Access policy #%(id)s: %(name)s") % {"id": policy.pk, "name": policy.name},
            proposed,
            definitions=definitions,
            fields=fields,
            warnings=warnings,
        )


def _day(moment) -> str:
    """A policy's bound as the date it is where the service runs (TIME_ZONE)."""
    return f"{timezone.localdate(moment):%Y-%m-%d}" if moment else ""


workflow.register(PolicyWorkflow())


@transaction.atomic
def create_policy(actor: Actor, data: dict, submit: bool = False) -> AccessPolicy:
    """A draft policy by `actor`; with `submit`, sent to review in the same transaction."""
    policy = create_object(actor, AccessPolicy, {**data, "author": actor.user_or_none})
    if submit:
        transition_policy(actor, policy, "submit")
    return policy


def update_policy(actor: Actor, policy: AccessPolicy, data: dict) -> AccessPolicy:
    if policy.status not in EDITABLE:
        raise workflow.Frozen(
            f"Policy #{policy.pk} is {policy.status}: only a draft, or one sent back for "
            "changes, can be edited. Write a new policy and revoke this one instead."
        )
    return update_object(actor, policy, data)


def delete_policy(actor: Actor, policy: AccessPolicy) -> None:
    if policy.status != PolicyStatus.DRAFT:
        raise workflow.Frozen(f"Policy #{policy.pk} is {policy.status}: only drafts are deleted.")
    delete_object(actor, policy)


def transition_policy(actor: Actor, policy: AccessPolicy, name: str, reason: str = ""):
    """submit, withdraw or revoke; approval is the review's decision (governance workflow)."""
    return workflow.transition(actor, policy, name, reason=reason)


class PolicyService:
    create = staticmethod(create_policy)
    update = staticmethod(update_policy)
    delete = staticmethod(delete_policy)


# Classifications -------------------------------------------------------------------------------


@transaction.atomic
def set_field_classification(
    actor: Actor, field: Field, classification: Classification, state: str, reason: str = ""
) -> FieldClassification:
    """Assign a label by hand, or confirm or override one the field inherited from lineage (the
    path is kept) or from its definition."""
    if state not in ClassificationState.values:
        raise ValidationError({"state": f"Choose one of {', '.join(ClassificationState.values)}."})
    snap = get_snapshot()
    entry = snap.entry_by_id(field.pk)
    label = entry.labels.get(classification.key) if entry else None
    row = FieldClassification.objects.filter(field=field, classification=classification).first()
    if state != ClassificationState.ASSIGNED and label is None and row is None:
        raise ValidationError(
            {
                "state": f"{field.ref} does not carry {classification.key}: "
                "nothing to confirm or override (assign it instead)."
            }
        )
    before = snapshot(row) if row else None
    row = row or FieldClassification(field=field, classification=classification)
    row.state = state
    row.reason = reason or ""
    row.decided_by = actor.name
    if label is not None and label.path:
        names = snap.ref_names(label.path)
        row.path = [names[f] for f in label.path if f in names]
    row.full_clean()
    row.save()
    action = ChangeAction.UPDATE if before else ChangeAction.CREATE
    record_change(actor.with_reason(reason), action, row, before=before)
    return row


@transaction.atomic
def remove_field_classification(actor: Actor, row: FieldClassification) -> None:
    delete_object(actor, row)


@transaction.atomic
def classify_definition(
    actor: Actor, definition_key: str, classification: Classification
) -> DefinitionClassification:
    if not adapters.definition_exists(definition_key):
        raise ValidationError({"definition_key": f"No definition with key {definition_key!r}."})
    row, created = DefinitionClassification.objects.get_or_create(
        definition_key=definition_key, classification=classification
    )
    if created:
        record_change(actor, ChangeAction.CREATE, row)
    return row


# Consult ---------------------------------------------------------------------------------------


def subjects_of(user) -> tuple[str, ...]:
    """The policy subjects a caller answers to: itself and its groups."""
    return caller(user).subjects


def subjects_of_many(users) -> dict[int, tuple[str, ...]]:
    """subjects_of for many callers in one query (a page that shows every consumer's answer)."""
    groups: dict[int, list[int]] = {user.pk: [] for user in users}
    rows = Group.user_set.through.objects.filter(user_id__in=groups)
    for user_id, group_id in rows.values_list("user_id", "group_id"):
        groups[user_id].append(group_id)
    # Sorted, as caller() gives them: the snapshot memoises by the exact tuple.
    return {pk: (f"u:{pk}", *(f"g:{g}" for g in sorted(ids))) for pk, ids in groups.items()}


class Caller(NamedTuple):
    subjects: tuple[str, ...]  # "u:<user id>", "g:<group id>", ...
    allowed: bool  # holds the permission asked about


def caller(user, perm: str = "consult.consult_fields", grants=None) -> Caller:
    """Who is asking (its groups, whether it holds `perm` through one of them, directly or as a
    superuser), in one raw query: this runs on every consult, where ORM query building and one
    round trip per question cost more than the decision itself. With `grants` (a
    core.authentication.Grants for `perm`, read with the caller's token) no query at all."""
    if grants is not None and grants.perm == perm:
        allowed = user.is_active and (user.is_superuser or grants.holds)
        return Caller((f"u:{user.pk}", *(f"g:{g}" for g in grants.group_ids)), bool(allowed))
    # The permission is found by name in the same query, not by an id cached in the process:
    # ids change when permissions are recreated (a flushed test database, a restored dump).
    app_label, codename = perm.split(".")
    User = type(user)
    user_groups = User.groups.through._meta.db_table
    group_perms = Group.permissions.through._meta.db_table
    user_perms = User.user_permissions.through._meta.db_table
    permission = (
        f"(SELECT p.id FROM {Permission._meta.db_table} p JOIN {ContentType._meta.db_table} ct "
        f"ON ct.id = p.content_type_id WHERE ct.app_label = %s AND p.codename = %s)"
    )
    # Rows: (group id, holds perm) per group; (NULL, holds perm directly).
    sql = (
        f"SELECT ug.group_id, CASE WHEN EXISTS (SELECT 1 FROM {group_perms} gp "
        f"WHERE gp.group_id = ug.group_id AND gp.permission_id IN {permission}) THEN 1 ELSE 0 END "
        f"FROM {user_groups} ug WHERE ug.user_id = %s "
        f"UNION ALL SELECT NULL, CASE WHEN EXISTS (SELECT 1 FROM {user_perms} up "
        f"WHERE up.user_id = %s AND up.permission_id IN {permission}) THEN 1 ELSE 0 END"
    )
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(sql, [app_label, codename, user.pk, user.pk, app_label, codename])
        rows = cursor.fetchall()
    groups = sorted(g for g, _ in rows if g is not None)
    allowed = user.is_active and (user.is_superuser or any(held for _, held in rows))
    return Caller((f"u:{user.pk}", *(f"g:{g}" for g in groups)), bool(allowed))


def consult(
    consumer,
    purpose: str,
    refs: Iterable[str],
    *,
    request_id: str = "",
    simulated_by: str = "",
    snap: Snapshot | None = None,
    subjects: tuple[str, ...] | None = None,
    log: bool = True,
) -> dict:
    """Decide every field for `consumer` and `purpose`, log the decisions, return the body of
    the consult response. `snap` and `subjects`, when the caller has them, save queries.
    `log=False` is a what-if on the pages: the same decisions, nothing written, because nothing
    was used."""
    snap = snap or get_snapshot()
    now = time.time()
    subjects = subjects if subjects is not None else subjects_of(consumer)
    # A ref named more than once is decided and logged once; the response still answers every
    # entry of the request, in its order, so a client may read the decisions by position.
    refs = list(refs)
    snap.prefetch(refs)
    decided = {ref: snap.decide(subjects, purpose, ref, now) for ref in dict.fromkeys(refs)}
    if log:
        log_decisions(
            consumer, purpose, list(decided.values()), snap.version, request_id, simulated_by
        )
    return {"catalog_version": snap.version, "decisions": [decided[r].result for r in refs]}


_COLUMNS = ("at", "consumer_id", "consumer_name", "simulated_by", "purpose", "catalog_version",
            "request_id", "field_ref", "field_id", "decision", "reasons", "policy_ids")  # fmt: skip


def log_decisions(
    consumer,
    purpose: str,
    outcomes: list[Outcome],
    version: int,
    request_id: str,
    simulated_by: str = "",
) -> None:
    """Write a request's decisions to the decision log now, in one statement, before the
    response is returned: a decision that was answered is a decision that was logged, whatever
    happens to this process afterwards. A failure to log fails the request."""
    if not outcomes:
        return
    at = timezone.now()
    name = consumer.get_username()
    _write_log(
        [
            (
                at,
                consumer.pk,
                name,
                simulated_by,
                purpose,
                version,
                request_id,
                o.field_ref,
                o.field_id,
                o.result["decision"],
                o.result["reasons"],
                o.policy_ids,
            )  # fmt: skip
            for o in outcomes
        ]
    )


def _write_log(rows: list[tuple]) -> None:
    """Insert decision-log rows with one statement: building a model instance, or binding
    parameters, per decision would cost more than the decisions themselves."""
    if not rows:
        return
    columns_of_rows = [list(column) for column in zip(*rows, strict=True)]
    for index in _TEXT_COLUMNS:
        values = columns_of_rows[index]
        if UNSTORABLE.search("".join(values)):
            columns_of_rows[index] = [_storable(v) for v in values]
    for index in _JSON_COLUMNS:
        columns_of_rows[index] = [_json_text(value) for value in columns_of_rows[index]]
    connection = transaction.get_connection()
    ops = connection.ops
    table = ops.quote_name(DecisionLog._meta.db_table)
    columns = ", ".join(ops.quote_name(c) for c in _COLUMNS)
    if connection.vendor == "postgresql":
        # One array parameter per column, expanded by unnest(): one statement and one round
        # trip whatever the number of rows, committed with the caller's transaction or, outside
        # one, on its own (one statement is atomic), durably, before the response is sent.
        if len(rows) == 1:
            # One row (a one-field consult): its values as they are, which psycopg binds at a
            # fraction of the cost of twelve one-element arrays.
            sql = (
                f"INSERT INTO {table} ({columns}) VALUES (%s::timestamptz, %s::bigint, %s::text, "
                "%s::text, %s::text, %s::bigint, %s::text, %s::text, %s::bigint, %s::text, "
                "%s::jsonb, %s::jsonb)"
            )
            params = [column[0] for column in columns_of_rows]
        else:
            sql = (
                f"INSERT INTO {table} ({columns}) SELECT * FROM unnest(%s::timestamptz[], "
                "%s::bigint[], %s::text[], %s::text[], %s::text[], %s::bigint[], %s::text[], "
                "%s::text[], %s::bigint[], %s::text[], %s::jsonb[], %s::jsonb[])"
            )
            params = columns_of_rows
        if getattr(settings, "CONSULT_LOG_SYNCHRONOUS_COMMIT", True):
            # Prepared once per connection: the same statement on every consult.
            with prepared_cursor(connection) as cursor:
                cursor.execute(sql, params)
            return
        # Asynchronous commit (an operator's choice): the rows are committed, visible to every
        # reader and safe from the death of this process before the response, but a crash of the
        # database server itself may lose its last fraction of a second of log. BEGIN, SET, INSERT
        # and COMMIT go in one round trip.
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            connection.connection.pipeline(),
        ):
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.execute(sql, params)
        return
    # SQLite: one transaction, as a commit per row would cost more than the rest of the request
    # (one row is one statement, atomic alone).
    columns_of_rows[0] = [ops.adapt_datetimefield_value(at) for at in columns_of_rows[0]]
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
    rows = list(zip(*columns_of_rows, strict=True))
    if len(rows) == 1:
        with connection.cursor() as cursor:
            cursor.execute(sql, rows[0])
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)


_TEXT_COLUMNS = (2, 3, 4, 6, 7, 9)
_JSON_COLUMNS = (10, 11)
_UNSTORABLE_ESCAPE = re.compile(r"\\u(0000|d[89a-f][0-9a-f]{2})", re.IGNORECASE)


def _storable(text):
    """A string PostgreSQL can store: NUL and lone surrogates (which the API refuses before
    they get here) become U+FFFD, so no input can make a decision impossible to log."""
    return UNSTORABLE.sub("\ufffd", text) if isinstance(text, str) else text


def _json_text(value) -> str:
    text = json.dumps(value)
    if _UNSTORABLE_ESCAPE.search(text):  # rare: only then walk the value
        text = json.dumps(_storable_json(value))
    return text


def _storable_json(value):
    if isinstance(value, str):
        return _storable(value)
    if isinstance(value, list):
        return [_storable_json(v) for v in value]
    if isinstance(value, dict):
        return {_storable(k): _storable_json(v) for k, v in value.items()}
    return value
