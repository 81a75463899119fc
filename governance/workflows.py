"""The lifecycles of definition versions and field mappings, declared on the workflow engine
(governance/workflow.py, which explains how a model plugs in). Importing this module registers
them; GovernanceConfig.ready() does."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.audit import Actor
from core.services import update_object
from core.text import Phrase
from governance import conflicts, reports, subjects
from governance.choices import MappingStatus, VersionStatus
from governance.models import (
    EFFECTIVE_STATUSES,
    PENDING_STATUSES,
    Committee,
    DefinitionVersion,
    FieldDefinition,
    FieldMapping,
)
from governance.permissions import (
    active,
    may_edit_definition,
    may_propose_mapping,
    sits_on_committee_for,
)
from governance.workflow import MANUAL, REVIEW, SYSTEM, Transition, Workflow, register, transition

_D = VersionStatus


def _stamp(obj, name: str) -> list[str]:
    setattr(obj, name, timezone.now())
    return [name]


class DefinitionWorkflow(Workflow):
    """draft -> in_review -> approved | changes_requested (edit, resubmit) | rejected;
    approved -> needs_review (overdue) -> approved (recertified); approved -> deprecated -> retired;
    the previous approved version becomes superseded when a newer one is approved."""

    model = DefinitionVersion
    subject_kind = "definition"
    owners_decide = False
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

    def summary(self, version) -> Phrase:
        return Phrase(
            N_("definition %(key)s v%(number)s"),
            {"key": version.definition.key, "number": version.number},
        )

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

    def describe(self, version, cache: dict | None = None) -> dict:
        definition = version.definition
        pending = version.status in PENDING_STATUSES
        if pending:
            effective = definition.effective_version
            then = N_("%(key)s v%(number)s, the version in force")
        else:
            # A decided review shows what was in force when it was proposed, not what is now.
            effective = max(
                (
                    v
                    for v in definition.versions.all()
                    if v.number < version.number
                    and v.status in (*EFFECTIVE_STATUSES, VersionStatus.SUPERSEDED)
                ),
                key=lambda v: v.number,
                default=None,
            )
            then = N_("%(key)s v%(number)s, the version in force when it was proposed")
        proposed = subjects.definition_rows(version, definition)
        in_force = None
        if effective is not None and effective.pk != version.pk:
            in_force = subjects.definition_rows(effective, definition)
        found = conflicts.involving(detected_once(cache), key=definition.key)
        mapped = FieldMapping.objects.filter(
            definition=definition, status=MappingStatus.APPROVED
        ).select_related("field__dataset__system")
        replaces = []
        if in_force is not None:
            replaces.append(_(then) % {"key": definition.key, "number": effective.number})
        title = _("Definition %(key)s v%(number)s: %(name)s") % {
            "key": definition.key,
            "number": version.number,
            "name": version.name,
        }
        if version.name_zh:
            title += f" ({version.name_zh})"
        return subjects.subject(
            "definition",
            title,
            proposed,
            in_force,
            definitions=[definition.key, *(k for c in found for k in c.definitions)],
            fields=[m.field.ref for m in mapped],
            replaces=replaces,
            conflicts=found,
        )


class MappingWorkflow(Workflow):
    """draft -> in_review -> approved | changes_requested | rejected; approved -> retired (by a
    person, or by the system when another mapping of the same field is approved). The
    definition's steward or owner decides alone; otherwise the domain's committee votes."""

    model = FieldMapping
    subject_kind = "mapping"
    owners_decide = True
    _M = MappingStatus
    transitions = (
        Transition("submit", {_M.DRAFT, _M.CHANGES_REQUESTED}, _M.IN_REVIEW, opens_review=True),
        Transition("withdraw", {_M.IN_REVIEW}, _M.DRAFT, closes_review=True),
        Transition("approve", {_M.IN_REVIEW}, _M.APPROVED, by=REVIEW),
        Transition("reject", {_M.IN_REVIEW}, _M.REJECTED, by=REVIEW),
        Transition("request_changes", {_M.IN_REVIEW}, _M.CHANGES_REQUESTED, by=REVIEW),
        Transition("retire", {_M.APPROVED}, _M.RETIRED, by=frozenset({MANUAL, SYSTEM})),
    )

    def summary(self, mapping) -> Phrase:
        return Phrase(
            N_("mapping %(field)s -> %(definition)s"),
            {"field": mapping.field.ref, "definition": mapping.definition.key},
        )

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
            for other in replaced_mappings(mapping):
                transition(
                    actor,
                    other,
                    "retire",
                    via=SYSTEM,
                    reason=f"replaced by mapping #{mapping.pk} to {mapping.definition.key}, "
                    "as its review announced",
                )
        if step.name in ("approve", "reject", "request_changes"):
            return _stamp(mapping, "decided_at")
        return []

    def describe(self, mapping, cache: dict | None = None) -> dict:
        field, definition = mapping.field, mapping.definition
        in_force = definition.effective_version
        if in_force is not None:
            meaning = f"{definition.key}: {in_force.name}"
        else:
            latest = definition.latest_version
            name = f"{latest.name} " if latest is not None else ""
            meaning = f"{definition.key}: {name}(no approved version yet)"
        semantics = mapping.semantics or {}
        proposed = subjects.rows(
            [
                (N_("Field"), field.ref),
                (N_("Field description"), field.description),
                (N_("Data type"), field.data_type),
                (N_("Definition"), meaning),
                (N_("Conversion note"), mapping.conversion_note),
                *(
                    (subjects.DEFINITION_LABELS.get(k, k), subjects.show(v, k))
                    for k, v in semantics.items()
                ),
            ]
        )
        current = replaced_mappings(mapping)
        before = None
        if current:
            old = current[0]
            before = subjects.rows(
                [
                    (N_("Field"), field.ref),
                    (N_("Field description"), field.description),
                    (N_("Data type"), field.data_type),
                    (N_("Definition"), old.definition.key),
                    (N_("Conversion note"), old.conversion_note),
                ]
            )
        found = conflicts.involving(detected_once(cache), field=field.ref)
        found += [
            c
            for c in conflicts.involving(detected_once(cache), key=definition.key)
            if c not in found and c.kind != conflicts.MAPPING_DISAGREEMENT
        ]
        warnings = []
        if in_force is None:
            warnings.append(
                _("%(key)s has no approved version in force yet.") % {"key": definition.key}
            )
        return subjects.subject(
            "mapping",
            _("Mapping of %(field)s to %(definition)s")
            % {"field": field.ref, "definition": definition.key},
            proposed,
            before,
            definitions=[definition.key, *(m.definition.key for m in current)],
            fields=[field.ref],
            replaces=[replacement_text(m) for m in current],
            conflicts=found,
            warnings=warnings,
        )


def replaced_mappings(mapping: FieldMapping) -> list[FieldMapping]:
    """The approved mappings of the same field that approving `mapping` retires: a field has
    one approved meaning (a database constraint), so the proposal says so before anyone votes."""
    return list(
        FieldMapping.objects.filter(field_id=mapping.field_id, status=MappingStatus.APPROVED)
        .exclude(pk=mapping.pk)
        .select_related("definition", "field__dataset__system")
    )


def replacement_text(old: FieldMapping) -> str:
    return _(
        "the approved mapping #%(id)s of %(field)s to definition %(definition)s "
        "(it is retired, and %(definition)s loses this source)"
    ) % {"id": old.pk, "field": old.field.ref, "definition": old.definition.key}


def detected_once(cache: dict | None) -> list:
    """Detected conflicts, computed once per listing (`cache` is shared by its rows)."""
    cache = {} if cache is None else cache
    if "conflicts" not in cache:
        cache["conflicts"] = reports.detected_conflicts()
    return cache["conflicts"]


register(DefinitionWorkflow())
register(MappingWorkflow())


def _certify(actor: Actor, definition: FieldDefinition) -> None:
    update_object(
        actor,
        definition,
        {"last_certified_at": timezone.now(), "last_certified_by": actor.user_or_none},
        lock=False,
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
    update_object(
        actor, definition, {"replaced_by": replaced_by, "sunset_date": sunset_date}, lock=False
    )
