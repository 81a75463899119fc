"""The lifecycles of definition versions and field mappings, declared on the workflow engine
(governance/workflow.py, which explains how a model plugs in). Importing this module registers
them; GovernanceConfig.ready() does."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from core.audit import Actor
from core.services import update_object
from governance.choices import MappingStatus, VersionStatus
from governance.diff import diff
from governance.models import (
    CONTENT_FIELDS,
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
