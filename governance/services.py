"""Operations that change governance data: definitions and their versions, field mappings,
recertification, committees, owners and stewards, conflict resolutions. Each is one transaction
and writes its own audit records. The lifecycles they drive are declared in
governance/workflows.py; what other apps read is in governance/queries.py."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from guardian.shortcuts import assign_perm, remove_perm

from catalog.models import Dataset, SourceSystem
from core.audit import Actor, record_change, snapshot
from core.choices import ChangeAction
from core.errors import BulkRejected, summary
from core.services import create_object, update_object
from governance.choices import MappingStatus, VersionStatus
from governance.models import (
    CONTENT_FIELDS,
    EDITABLE_STATUSES,
    Committee,
    CommitteeMembership,
    ConflictResolution,
    DecisionRule,
    DefinitionVersion,
    FieldDefinition,
    FieldMapping,
    Meeting,
    Ownership,
)
from governance.permissions import DEFINITION_PERMS
from governance.queries import definition_status, overdue_versions
from governance.reports import detected_conflicts
from governance.workflow import (
    SYSTEM,
    Frozen,
    NotPermitted,
    WorkflowError,
    created,
    transition,
    workflow_for,
)

DEFINITION_META = ("key", "domain", "owner", "steward", "owning_team", "review_interval_months")
VERSION_INPUT = (*CONTENT_FIELDS, "change_note")
_D = VersionStatus


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
        update_object(actor, definition, meta, lock=False)
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


@transaction.atomic
def bulk_submit(actor: Actor, definitions: list[FieldDefinition], reason: str = "") -> list:
    """Submit the pending draft of each definition for review, all or nothing: the caller's
    right to submit each one is checked first (NotPermitted lists those it may not), then every
    other problem is listed (BulkRejected) before anything is submitted."""
    wf = workflow_for(DefinitionVersion)
    step = next(t for t in wf.transitions if t.name == "submit")
    denied = [
        {"path": f"keys[{index}]", "message": f"You may not submit {definition.key}."}
        for index, definition in enumerate(definitions)
        if definition.latest_version is not None
        and not wf.may(actor.user_or_none, definition.latest_version, step)
    ]
    if denied:
        raise NotPermitted(summary(denied), denied)
    errors = []
    for index, definition in enumerate(definitions):
        version = definition.pending_version
        path = f"keys[{index}]"
        if version is None or version.status not in step.sources:
            errors.append({"path": path, "message": f"{definition.key} has no draft to submit."})
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
    update_object(actor, mapping, data, lock=False)
    return mapping


# Recertification ---------------------------------------------------------------------------------


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
    """One letter per person, in the workspace's mail language, linking each definition's
    recertification page (confirm it as it is, or open a new version)."""
    with translation.override(settings.MAIL_LANGUAGE):
        for email, keys in sorted(letters.items()):
            lines = "\n".join(
                f"- {key}: {settings.SITE_URL}{reverse('definition-recertify', args=[key])}"
                for key in sorted(keys)
            )
            send_mail(
                ngettext(
                    "%(count)d definition needs recertification",
                    "%(count)d definitions need recertification",
                    len(keys),
                )
                % {"count": len(keys)},
                _(
                    "These definitions you own or steward are past their review interval and "
                    "are now marked “needs review”:\n\n%(lines)s\n\nOpen each page to confirm "
                    "the definition as it is, or to propose a new version."
                )
                % {"lines": lines},
                None,
                [email],
            )


def recertify(actor: Actor, definition: FieldDefinition, reason: str = "") -> DefinitionVersion:
    return definition_transition(actor, definition, "recertify", reason)


# Committees --------------------------------------------------------------------------------------


@transaction.atomic
def save_committee(
    actor: Actor,
    committee: Committee | None,
    data: dict,
    members: list | None = None,
    rules: list[dict] | None = None,
) -> Committee:
    """Create (committee None) or update a committee; `members` [(user, role)], when given,
    replaces the membership list; `rules` [{subject_kind, min_approvals, rejection, changes,
    owner_decides}], when given, replaces its decision rules per kind of subject. Open reviews
    keep the rule they opened under."""
    if committee is None:
        committee = Committee(**data)
        committee.full_clean()
        committee.save()
        record_change(actor, ChangeAction.CREATE, committee)
    else:
        committee = Committee.objects.select_for_update().get(pk=committee.pk)
        if data:
            update_object(actor, committee, data, lock=False)
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
    if rules is not None:
        _replace_rules(actor, committee, rules)
    return committee


def _replace_rules(actor: Actor, committee: Committee, rules: list[dict]) -> None:
    kinds = [r["subject_kind"] for r in rules]
    duplicated = sorted({k for k in kinds if kinds.count(k) > 1})
    if duplicated:
        raise ValidationError({"rules": f"One rule per kind of subject: {', '.join(duplicated)}."})
    before = _rule_list(committee)
    committee.rules.all().delete()
    for data in rules:
        rule = DecisionRule(committee=committee, **data)
        rule.full_clean()
        rule.save()
    after = _rule_list(committee)
    if before != after:
        record_change(
            actor, ChangeAction.UPDATE, committee, before={"rules": before}, after={"rules": after}
        )


def _rule_list(committee: Committee) -> list[dict]:
    fields = ("subject_kind", "min_approvals", "rejection", "changes", "owner_decides")
    return [dict(zip(fields, row, strict=True)) for row in committee.rules.values_list(*fields)]


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


# Meetings and proposals from the pages --------------------------------------------------------


def record_meeting(actor: Actor, committee: Committee, held_on, notes: str = "") -> Meeting:
    """Record that the committee met; its minutes list what was decided since the last one."""
    return create_object(
        actor,
        Meeting,
        {
            "committee": committee,
            "held_on": held_on,
            "notes": (notes or "").strip(),
            "recorded_by": actor.user_or_none,
        },
    )


@transaction.atomic
def save_proposal(
    actor: Actor,
    definition: FieldDefinition | None,
    data: dict,
    mappings: list[dict],
    submit: bool = False,
) -> FieldDefinition:
    """A steward's proposal: a new definition (or a new version of `definition`) and the catalog
    fields it maps, saved together; with `submit`, the draft and its draft mappings go to review
    together. All or nothing: a bad mapping row is a BulkRejected at `mappings[i].field`."""
    if definition is None:
        definition = create_definition(actor, data)
    else:
        update_definition(actor, definition, data)
    definition = FieldDefinition.objects.get(pk=definition.pk)
    problems, created = [], []
    live = set(
        definition.mappings.exclude(
            status__in=[MappingStatus.REJECTED, MappingStatus.RETIRED]
        ).values_list("field_id", flat=True)
    )
    for index, row in enumerate(mappings):
        field = row["field"]
        if field.pk in live:
            continue
        try:
            with transaction.atomic():
                created.append(
                    create_mapping(
                        actor,
                        {
                            "field": field,
                            "definition": definition,
                            "conversion_note": row.get("conversion_note", ""),
                            "semantics": row.get("semantics", {}),
                        },
                    )
                )
        except ValidationError as exc:
            problems += [{"path": f"mappings[{index}].field", "message": m} for m in exc.messages]
        live.add(field.pk)
    if problems:
        raise BulkRejected(problems)
    if submit:
        definition_transition(actor, definition, "submit")
        drafts = definition.mappings.filter(
            status__in=[MappingStatus.DRAFT, MappingStatus.CHANGES_REQUESTED]
        )
        for mapping in drafts:
            transition(actor, mapping, "submit")
    return definition
