"""Operations that change governance data, each one transaction writing its own audit records,
and the small read API other apps build on.

Read API (stable; the consult feature and vendor contracts use it)
------------------------------------------------------------------
``effective_definition_for_field(field_id) -> dict | None``
    The definition a catalog field implements through an *approved* mapping, as it is in force:
    ``{"key", "version", "status", "name", "attributes": {...non-empty attributes},
    "conversion_note", "mapping_id", "replaced_by", "sunset_date",
    "owners": [{"role", "name"}]}``. ``status`` is the effective version's status (approved,
    needs_review or deprecated). None when the field has no approved mapping or the definition
    has no version in force.
``effective_definitions_by_field() -> dict[int, dict]``
    The same for every field with an approved mapping at once (three queries), for caches
    such as consult's snapshot: ``{field_id: {...as above...}}``; fields whose definition has
    no version in force are left out.
``approved_fields_for_definition(key) -> list[dict]``
    The fields mapped to definition ``key`` by approved mappings:
    ``[{"field_id", "field" (reference), "mapping_id", "conversion_note", "semantics"}]``,
    ordered by reference. Unknown key: an empty list.

The workflows of definition versions and field mappings are declared here too (see
governance/workflow.py for the engine and how other models plug in).
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from catalog.models import Dataset, Field, SourceSystem
from core.audit import Actor, record_change, snapshot
from core.choices import ChangeAction
from core.permissions import user_can
from governance.choices import MappingStatus, VersionStatus
from governance.models import (
    CONTENT_FIELDS,
    EDITABLE_STATUSES,
    EFFECTIVE_STATUSES,
    Committee,
    CommitteeMembership,
    ConflictResolution,
    DefinitionVersion,
    FieldDefinition,
    FieldMapping,
    Ownership,
)
from governance.permissions import (
    DEFINITION_PERMS,
    active,
    may_edit_definition,
    sits_on_committee_for,
)
from governance.workflow import (
    MANUAL,
    REVIEW,
    SYSTEM,
    Transition,
    Workflow,
    WorkflowError,
    created,
    register,
    transition,
    workflow_for,
)

DEFINITION_META = ("key", "domain", "owner", "steward", "owning_team", "review_interval_months")
VERSION_INPUT = (*CONTENT_FIELDS, "change_note")
_D = VersionStatus


class Frozen(WorkflowError):
    """The object cannot be edited in its current state (409)."""


class BulkRejected(WorkflowError):
    """A bulk operation with bad rows; nothing was done. `errors` lists each as {path, message}."""

    def __init__(self, errors: list[dict]):
        super().__init__(f"{len(errors)} problem(s); nothing was changed.")
        self.errors = errors


# Workflows ---------------------------------------------------------------------------------------


def _stamp(obj, name: str) -> list[str]:
    setattr(obj, name, timezone.now())
    return [name]


class DefinitionWorkflow(Workflow):
    """draft -> in_review -> approved | changes_requested (edit, resubmit) | rejected;
    approved -> needs_review (overdue) -> approved (recertified); approved -> deprecated -> retired;
    the previous approved version becomes superseded when a newer one is approved."""

    model = DefinitionVersion
    transitions = (
        Transition("submit", {_D.DRAFT, _D.CHANGES_REQUESTED}, _D.IN_REVIEW, opens_review=True),
        Transition("withdraw", {_D.IN_REVIEW}, _D.DRAFT, closes_review=True),
        Transition("approve", {_D.IN_REVIEW}, _D.APPROVED, by=REVIEW),
        Transition("reject", {_D.IN_REVIEW}, _D.REJECTED, by=REVIEW),
        Transition("request_changes", {_D.IN_REVIEW}, _D.CHANGES_REQUESTED, by=REVIEW),
        Transition("supersede", {_D.APPROVED, _D.NEEDS_REVIEW}, _D.SUPERSEDED, by=SYSTEM),
        Transition("flag_for_review", {_D.APPROVED}, _D.NEEDS_REVIEW, by=SYSTEM),
        Transition("recertify", {_D.APPROVED, _D.NEEDS_REVIEW}, _D.APPROVED),
        Transition("deprecate", {_D.APPROVED, _D.NEEDS_REVIEW}, _D.DEPRECATED),
        Transition("retire", {_D.DEPRECATED}, _D.RETIRED),
    )

    def summary(self, version) -> str:
        return f"definition {version.definition.key} v{version.number}"

    def committee_for(self, version):
        return Committee.for_domain(version.definition.domain)

    def may(self, user, version, step) -> bool:
        definition = version.definition
        if step.name in ("submit", "withdraw"):
            return may_edit_definition(user, definition)
        return may_edit_definition(user, definition) or sits_on_committee_for(
            user, definition.domain
        )

    def before(self, actor, version, step, **params) -> list[str]:
        definition = version.definition
        if step.name == "submit":
            return _stamp(version, "submitted_at")
        if step.name == "approve":
            current = definition.effective_version
            if current is not None:
                transition(
                    actor,
                    current,
                    "supersede",
                    via=SYSTEM,
                    reason=f"superseded by v{version.number}",
                )
            _certify(actor, definition)
            return _stamp(version, "decided_at")
        if step.name in ("reject", "request_changes"):
            return _stamp(version, "decided_at")
        if step.name == "recertify":
            _certify(actor, definition)
        if step.name == "deprecate":
            _deprecate(actor, definition, params.get("replaced_by"), params.get("sunset_date"))
        return []

    def describe(self, version) -> dict:
        from governance.diff import diff

        definition = version.definition
        effective = definition.effective_version
        base = (
            effective.attributes | {"name": effective.name, "description": effective.description}
            if effective
            else {}
        )
        mine = version.attributes | {"name": version.name, "description": version.description}
        return {
            "definition": definition.key,
            "domain": definition.domain,
            "version": version.number,
            "status": version.status,
            "effective_version": effective.number if effective else None,
            "diff_against_effective": diff(base, mine, CONTENT_FIELDS)
            if effective and effective.pk != version.pk
            else [],
        }


class MappingWorkflow(Workflow):
    """draft -> in_review -> approved | changes_requested | rejected; approved -> retired (by a
    person, or by the system when another mapping of the same field is approved). The
    definition's steward or owner decides alone; otherwise the domain's committee votes."""

    model = FieldMapping
    _M = MappingStatus
    transitions = (
        Transition("submit", {_M.DRAFT, _M.CHANGES_REQUESTED}, _M.IN_REVIEW, opens_review=True),
        Transition("withdraw", {_M.IN_REVIEW}, _M.DRAFT, closes_review=True),
        Transition("approve", {_M.IN_REVIEW}, _M.APPROVED, by=REVIEW),
        Transition("reject", {_M.IN_REVIEW}, _M.REJECTED, by=REVIEW),
        Transition("request_changes", {_M.IN_REVIEW}, _M.CHANGES_REQUESTED, by=REVIEW),
        Transition("retire", {_M.APPROVED}, _M.RETIRED, by=frozenset({MANUAL, SYSTEM})),
    )

    def summary(self, mapping) -> str:
        return f"mapping {mapping.field.ref} -> {mapping.definition.key}"

    def committee_for(self, mapping):
        return Committee.for_domain(mapping.definition.domain)

    def approvers_for(self, mapping):
        return [mapping.definition.steward, mapping.definition.owner]

    def may(self, user, mapping, step) -> bool:
        """Whoever may propose it (and its author) submits or withdraws it; the definition's
        editors and its committee's members may retire it."""
        if step.name == "retire":
            return may_edit_definition(user, mapping.definition) or sits_on_committee_for(
                user, mapping.definition.domain
            )
        is_author = active(user) and mapping.author_id == user.pk
        return is_author or may_propose_mapping(user, mapping.field, mapping.definition)

    def before(self, actor, mapping, step, **params) -> list[str]:
        if step.name == "submit":
            return _stamp(mapping, "submitted_at")
        if step.name == "approve":
            for other in FieldMapping.objects.filter(
                field_id=mapping.field_id, status=MappingStatus.APPROVED
            ).exclude(pk=mapping.pk):
                transition(
                    actor,
                    other,
                    "retire",
                    via=SYSTEM,
                    reason=f"replaced by mapping to {mapping.definition.key}",
                )
        if step.name in ("approve", "reject", "request_changes"):
            return _stamp(mapping, "decided_at")
        return []

    def describe(self, mapping) -> dict:
        return {
            "mapping": mapping.pk,
            "field": mapping.field.ref,
            "definition": mapping.definition.key,
            "status": mapping.status,
            "conversion_note": mapping.conversion_note,
            "semantics": mapping.semantics,
        }


register(DefinitionWorkflow())
register(MappingWorkflow())


def _update_row(actor: Actor, obj, **values) -> None:
    before = snapshot(obj)
    for name, value in values.items():
        setattr(obj, name, value)
    obj.full_clean()
    obj.save()
    record_change(actor, ChangeAction.UPDATE, obj, before=before, after=snapshot(obj))


def _certify(actor: Actor, definition: FieldDefinition) -> None:
    _update_row(
        actor, definition, last_certified_at=timezone.now(), last_certified_by=actor.user_or_none
    )


def _deprecate(actor: Actor, definition: FieldDefinition, replaced_by, sunset_date) -> None:
    errors = {}
    if not isinstance(replaced_by, FieldDefinition):
        errors["replaced_by"] = "Name the definition that replaces this one."
    elif replaced_by.pk == definition.pk:
        errors["replaced_by"] = "A definition cannot replace itself."
    elif replaced_by.effective_version is None:
        errors["replaced_by"] = f"{replaced_by.key} has no approved version in force."
    if not isinstance(sunset_date, datetime.date):
        errors["sunset_date"] = "Give the date after which it may no longer be used."
    if definition.pending_version is not None:
        errors["status"] = "A new version is pending: withdraw or decide it before deprecating."
    if errors:
        raise ValidationError(errors)
    _update_row(actor, definition, replaced_by=replaced_by, sunset_date=sunset_date)


# Definitions -------------------------------------------------------------------------------------


def _split(data: dict) -> tuple[dict, dict]:
    meta = {k: v for k, v in data.items() if k in DEFINITION_META}
    content = {k: v for k, v in data.items() if k in VERSION_INPUT}
    return meta, content


def _grant_editors(definition: FieldDefinition, *users) -> None:
    for user in users:
        if user is not None:
            for perm in DEFINITION_PERMS:
                assign_perm(perm, user, definition)


@transaction.atomic
def create_definition(actor: Actor, data: dict) -> FieldDefinition:
    """A new definition with its first version, a draft. Its creator, owner and steward may
    edit and submit it (guardian grants)."""
    meta, content = _split(data)
    definition = FieldDefinition(created_by=actor.user_or_none, **meta)
    definition.full_clean()
    definition.save()
    record_change(actor, ChangeAction.CREATE, definition)
    _new_version(actor, definition, content, number=1)
    _grant_editors(definition, actor.user_or_none, definition.owner, definition.steward)
    return definition


def _new_version(actor: Actor, definition, content: dict, number: int) -> DefinitionVersion:
    version = DefinitionVersion(
        definition=definition, number=number, author=actor.user_or_none, **content
    )
    version.full_clean()
    version.save()
    created(actor, version)
    return version


@transaction.atomic
def update_definition(actor: Actor, definition: FieldDefinition, data: dict) -> FieldDefinition:
    """Change who answers for a definition (audited) and/or its meaning. A change of meaning
    edits the pending draft, or starts a new draft version from the one in force; the version in
    force is never touched."""
    definition = FieldDefinition.objects.select_for_update().get(pk=definition.pk)
    meta, content = _split(data)
    if "key" in meta and meta["key"] != definition.key:
        raise ValidationError({"key": "A definition's key cannot change."})
    if meta:
        previous = {definition.owner, definition.steward}
        _update_row(actor, definition, **meta)
        _grant_editors(definition, definition.owner, definition.steward)
        keep = {definition.owner, definition.steward, definition.created_by}
        for user in previous - keep - {None}:
            for perm in DEFINITION_PERMS:
                remove_perm(perm, user, definition)
    if content:
        _revise(actor, definition, content)
    return definition


def _revise(actor: Actor, definition: FieldDefinition, content: dict) -> DefinitionVersion:
    pending = definition.pending_version
    if pending is not None and pending.status not in EDITABLE_STATUSES:
        raise Frozen(
            f"Version {pending.number} is in review: withdraw it before editing, or wait for "
            "the decision."
        )
    if pending is not None:
        before = snapshot(pending)
        for name, value in content.items():
            setattr(pending, name, value)
        pending.full_clean()
        pending.save()
        record_change(actor, ChangeAction.UPDATE, pending, before=before, after=snapshot(pending))
        return pending
    base = definition.effective_version or definition.latest_version
    if base is not None and base.status in (_D.DEPRECATED, _D.RETIRED):
        raise Frozen(f"{definition.key} is {base.status}: it is no longer revised.")
    start = {name: getattr(base, name) for name in CONTENT_FIELDS} if base else {}
    number = (base.definition.versions.order_by("-number").first().number + 1) if base else 1
    return _new_version(actor, definition, {**start, "change_note": "", **content}, number)


def definition_transition(
    actor: Actor, definition: FieldDefinition, name: str, reason: str = "", **params
) -> DefinitionVersion:
    """Fire `name` on whichever of the definition's versions it applies to: the pending one
    (submit, withdraw) or the one in force (recertify, deprecate, retire)."""
    wf = workflow_for(DefinitionVersion)
    candidates = [v for v in (definition.pending_version, definition.effective_version) if v]
    if not candidates and definition.latest_version:
        candidates = [definition.latest_version]
    for version in candidates:
        if name in wf.allowed(version.status):
            return transition(actor, version, name, reason=reason, **params)
    allowed = sorted({a for v in candidates for a in wf.allowed(v.status)})
    raise wf.illegal(name, definition_status(definition), allowed)


def definition_status(definition: FieldDefinition) -> str:
    version = definition.effective_version or definition.latest_version
    return version.status if version else ""


def available_actions(user, definition: FieldDefinition) -> list[str]:
    from governance.workflow import allowed_actions

    versions = [v for v in (definition.pending_version, definition.effective_version) if v]
    return sorted({a for v in versions for a in allowed_actions(user, v)})


@transaction.atomic
def bulk_submit(actor: Actor, definitions: list[FieldDefinition], reason: str = "") -> list:
    """Submit the pending draft of each definition for review, all or nothing: every problem is
    listed (BulkRejected) before anything is submitted."""
    wf = workflow_for(DefinitionVersion)
    step = next(t for t in wf.transitions if t.name == "submit")
    errors = []
    for index, definition in enumerate(definitions):
        version = definition.pending_version
        path = f"keys[{index}]"
        if version is None or version.status not in step.sources:
            errors.append({"path": path, "message": f"{definition.key} has no draft to submit."})
        elif not wf.may(actor.user_or_none, version, step):
            errors.append({"path": path, "message": f"You may not submit {definition.key}."})
        elif wf.committee_for(version) is None:
            errors.append(
                {"path": path, "message": f"No committee governs domain {definition.domain!r}."}
            )
    if errors:
        raise BulkRejected(errors)
    return [definition_transition(actor, d, "submit", reason) for d in definitions]


@transaction.atomic
def import_definitions(actor: Actor, rows: list, submit: bool = False) -> dict:
    """Bring existing definitions (a manifest, a spreadsheet export) into the workflow, never
    around it: new keys become drafts, known keys with a different meaning get a new draft
    version, and with `submit` every draft goes to review. All or nothing: BulkRejected lists
    every bad row (paths like `definitions[2].tax`)."""
    User = get_user_model()
    errors: list[dict] = []
    counts = {"created": [], "revised": [], "unchanged": [], "submitted": []}
    for index, row in enumerate(rows if isinstance(rows, list) else [None]):
        path = f"definitions[{index}]"
        if not isinstance(row, dict) or not row.get("key"):
            errors.append({"path": path, "message": "Expected an object with a 'key'."})
            continue
        data = {k: v for k, v in row.items() if k in (*DEFINITION_META, *VERSION_INPUT)}
        unknown = sorted(set(row) - set(data))
        if unknown:
            errors.append({"path": path, "message": f"Unknown key(s): {', '.join(unknown)}."})
        for role in ("owner", "steward"):
            if data.get(role):
                data[role] = User.objects.filter(username=data[role]).first()
                if data[role] is None:
                    errors.append({"path": f"{path}.{role}", "message": f"No user {row[role]!r}."})
        try:
            with transaction.atomic():
                counts[_import_one(actor, data)].append(data["key"])
        except (ValidationError, WorkflowError) as exc:
            messages = exc.message_dict if hasattr(exc, "error_dict") else {"": [str(exc)]}
            errors.extend(
                {"path": f"{path}.{field}" if field and field != "__all__" else path, "message": m}
                for field, items in messages.items()
                for m in (items if isinstance(items, list) else [items])
            )
    if errors:
        raise BulkRejected(errors)
    if submit:
        drafts = FieldDefinition.objects.filter(key__in=counts["created"] + counts["revised"])
        counts["submitted"] = [v.definition.key for v in bulk_submit(actor, list(drafts))]
    return {name: len(keys) for name, keys in counts.items()}


def _import_one(actor: Actor, data: dict) -> str:
    definition = FieldDefinition.objects.filter(key=data["key"]).first()
    if definition is None:
        create_definition(actor, data)
        return "created"
    current = definition.pending_version or definition.latest_version
    content = {k: v for k, v in data.items() if k in CONTENT_FIELDS}
    if current is not None and all(getattr(current, k) == v for k, v in content.items()):
        return "unchanged"
    update_definition(actor, definition, data)
    return "revised"


# Mappings ----------------------------------------------------------------------------------------


@transaction.atomic
def create_mapping(actor: Actor, data: dict) -> FieldMapping:
    mapping = FieldMapping(author=actor.user_or_none, **data)
    mapping.full_clean()
    mapping.save()
    created(actor, mapping)
    return mapping


@transaction.atomic
def update_mapping(actor: Actor, mapping: FieldMapping, data: dict) -> FieldMapping:
    mapping = FieldMapping.objects.select_for_update().get(pk=mapping.pk)
    if mapping.status not in (MappingStatus.DRAFT, MappingStatus.CHANGES_REQUESTED):
        raise Frozen(f"A mapping that is {mapping.status} cannot be edited.")
    if {"field", "definition"} & set(data):
        raise ValidationError("A mapping's field and definition cannot change; propose a new one.")
    _update_row(actor, mapping, **data)
    return mapping


def may_propose_mapping(user, field: Field, definition: FieldDefinition) -> bool:
    return (
        user_can(user, "change", field)
        or may_edit_definition(user, definition)
        or sits_on_committee_for(user, definition.domain)
    )


# Recertification ---------------------------------------------------------------------------------


def overdue_versions(now: datetime.datetime | None = None) -> list[DefinitionVersion]:
    """Versions in force whose recertification is due: flagged ones and approved ones past due."""
    now = now or timezone.now()
    versions = DefinitionVersion.objects.filter(
        status__in=[_D.APPROVED, _D.NEEDS_REVIEW]
    ).select_related("definition")
    return [
        v
        for v in versions
        if v.status == _D.NEEDS_REVIEW
        or (v.definition.recertification_due or now) < now
        or v.definition.last_certified_at is None
    ]


@transaction.atomic
def flag_overdue(actor: Actor, now: datetime.datetime | None = None) -> list[DefinitionVersion]:
    """Mark approved definitions past their review interval as needing review and e-mail their
    owners and stewards (after commit: a rolled-back run sends nothing)."""
    flagged = []
    for version in overdue_versions(now):
        if version.status != _D.APPROVED:
            continue
        due = version.definition.recertification_due
        why = f"recertification due {due:%Y-%m-%d}" if due else "never certified"
        flagged.append(transition(actor, version, "flag_for_review", via=SYSTEM, reason=why))
    letters: dict[str, list[str]] = {}
    for version in flagged:
        definition = version.definition
        for person in {definition.owner, definition.steward} - {None}:
            if person.email:
                letters.setdefault(person.email, []).append(definition.key)
    transaction.on_commit(lambda: _send_recertification_mail(letters))
    return flagged


def _send_recertification_mail(letters: dict[str, list[str]]) -> None:
    for email, keys in sorted(letters.items()):
        lines = "\n".join(f"- {key}" for key in sorted(keys))
        send_mail(
            f"{len(keys)} definition(s) need recertification",
            "These definitions you own or steward are past their review interval and are now "
            f"marked 'needs review':\n\n{lines}\n\nRecertify each without change "
            "(POST .../definitions/<key>/recertify/) or propose a new version.",
            None,
            [email],
        )


def recertify(actor: Actor, definition: FieldDefinition, reason: str = "") -> DefinitionVersion:
    return definition_transition(actor, definition, "recertify", reason)


# Committees --------------------------------------------------------------------------------------


@transaction.atomic
def save_committee(
    actor: Actor, committee: Committee | None, data: dict, members: list | None = None
) -> Committee:
    """Create (committee None) or update a committee; `members` [(user, role)], when given,
    replaces the membership list."""
    if committee is None:
        committee = Committee(**data)
        committee.full_clean()
        committee.save()
        record_change(actor, ChangeAction.CREATE, committee)
    else:
        committee = Committee.objects.select_for_update().get(pk=committee.pk)
        if data:
            _update_row(actor, committee, **data)
    if members is not None:
        before = _member_list(committee)
        committee.memberships.exclude(user__in=[u for u, _ in members]).delete()
        for user, role in members:
            CommitteeMembership.objects.update_or_create(
                committee=committee, user=user, defaults={"role": role}
            )
        after = _member_list(committee)
        if before != after:
            record_change(
                actor,
                ChangeAction.UPDATE,
                committee,
                before={"members": before},
                after={"members": after},
            )
    return committee


def _member_list(committee: Committee) -> list[list[str]]:
    return sorted([m.user.get_username(), m.role] for m in committee.memberships.all())


# Owners and stewards of systems and datasets ------------------------------------------------------

_TARGET_PERMS = {
    SourceSystem: ("catalog.view_sourcesystem", "catalog.change_sourcesystem"),
    Dataset: ("catalog.view_dataset", "catalog.change_dataset"),
}


@transaction.atomic
def assign_ownership(actor: Actor, target, user, role: str) -> Ownership:
    """Make `user` an owner or steward of a system or dataset, with guardian rights on it."""
    key = "system" if isinstance(target, SourceSystem) else "dataset"
    ownership = Ownership(user=user, role=role, **{key: target})
    ownership.full_clean()
    ownership.save()
    for perm in _TARGET_PERMS[type(target)]:
        assign_perm(perm, user, target)
    record_change(actor, ChangeAction.GRANT, ownership)
    return ownership


@transaction.atomic
def remove_ownership(actor: Actor, ownership: Ownership) -> None:
    target, user = ownership.target, ownership.user
    record_change(actor, ChangeAction.REVOKE, ownership, before=snapshot(ownership), after=None)
    ownership.delete()
    remaining = Ownership.objects.filter(user=user, **{_target_key(target): target}).exists()
    if not remaining:
        for perm in _TARGET_PERMS[type(target)]:
            remove_perm(perm, user, target)


def _target_key(target) -> str:
    return "system" if isinstance(target, SourceSystem) else "dataset"


# Conflicts ---------------------------------------------------------------------------------------


@transaction.atomic
def resolve_conflict(actor: Actor, fingerprint: str, note: str) -> ConflictResolution:
    """Record that the committee has settled a detected conflict (it leaves the open list)."""
    from governance.reports import detected_conflicts

    conflict = next((c for c in detected_conflicts() if c.fingerprint == fingerprint), None)
    if conflict is None:
        raise ValidationError({"fingerprint": "No open conflict has this fingerprint."})
    if not (note or "").strip():
        raise ValidationError({"note": "Say how the conflict was settled."})
    resolution = ConflictResolution.objects.create(
        fingerprint=fingerprint,
        kind=conflict.kind,
        summary=conflict.summary[:300],
        note=note.strip(),
        resolved_by=actor.user_or_none,
    )
    record_change(actor, ChangeAction.CREATE, resolution)
    return resolution


# Read API ----------------------------------------------------------------------------------------


def _definition_view(version: DefinitionVersion) -> dict:
    definition = version.definition
    return {
        "key": definition.key,
        "version": version.number,
        "status": version.status,
        "name": version.name,
        "attributes": {k: v for k, v in version.attributes.items() if v not in ("", [], None)},
        "replaced_by": definition.replaced_by.key if definition.replaced_by_id else None,
        "sunset_date": definition.sunset_date,
        "owners": [
            {"role": role, "name": person.get_username()}
            for role, person in (("owner", definition.owner), ("steward", definition.steward))
            if person is not None
        ],
    }


def effective_definition_for_field(field_id: int) -> dict | None:
    return _effective_by_field(FieldMapping.objects.filter(field_id=field_id)).get(field_id)


def effective_definitions_by_field() -> dict[int, dict]:
    return _effective_by_field(FieldMapping.objects.all())


def _effective_by_field(mappings) -> dict[int, dict]:
    approved = mappings.filter(status=MappingStatus.APPROVED)
    versions = DefinitionVersion.objects.filter(
        status__in=EFFECTIVE_STATUSES, definition__in=approved.values("definition_id")
    ).select_related("definition__owner", "definition__steward", "definition__replaced_by")
    views = {v.definition_id: _definition_view(v) for v in versions}
    return {
        m.field_id: {
            **views[m.definition_id],
            "conversion_note": m.conversion_note,
            "mapping_id": m.pk,
        }
        for m in approved
        if m.definition_id in views
    }


def approved_fields_for_definition(key: str) -> list[dict]:
    mappings = FieldMapping.objects.filter(
        definition__key=key, status=MappingStatus.APPROVED
    ).select_related("field__dataset__system")
    rows = [
        {
            "field_id": m.field_id,
            "field": m.field.ref,
            "mapping_id": m.pk,
            "conversion_note": m.conversion_note,
            "semantics": m.semantics,
        }
        for m in mappings
    ]
    return sorted(rows, key=lambda row: row["field"])
