"""The governance workflow, written once for every governed object: an explicit transition table
per model, one history row per transition, and reviews decided by votes under a quorum rule.

Definition versions and field mappings are its first users (governance/services.py); access
policies and vendor contracts plug in the same way.

How another model plugs in
--------------------------
1. Give the model a status CharField (TextChoices in choices.py) whose default is its first state,
   and, if people author it, an `author` foreign key (the author may not vote on it).
2. Subclass `Workflow` next to the model's services::

       class PolicyWorkflow(Workflow):
           model = AccessPolicy
           transitions = (
               Transition("submit", {"draft", "changes_requested"}, "in_review", opens_review=True),
               Transition("withdraw", {"in_review"}, "draft", closes_review=True),
               # A review's decision fires exactly these three names from the in-review state:
               Transition("approve", {"in_review"}, "approved", by=REVIEW),
               Transition("reject", {"in_review"}, "rejected", by=REVIEW),
               Transition("request_changes", {"in_review"}, "changes_requested", by=REVIEW),
               Transition("revoke", {"approved"}, "revoked"),
           )

           def committee_for(self, policy):      # who votes under a quorum rule (or None)
               return Committee.objects.filter(name="Privacy board").first()

           def approvers_for(self, policy):      # who may decide alone (the resource's owner)
               return [policy.resource_owner]

           def may(self, user, policy, step):    # who may fire a MANUAL transition
               return user_can(user, "change", policy)

           def before(self, actor, policy, step, **params):  # field changes, knock-on effects
               ...; return ["approved_at"]       # the extra fields to save with the status

   and `register(PolicyWorkflow())` at import of that services module (imported by the app's
   AppConfig.ready()).
3. Change state only through `transition(actor, obj, "submit", reason=...)`; members vote with
   `cast_vote(actor, review, "approve", comment)`; an admin's emergency decision, in the same
   words, is `override(actor, review, "approve", reason)`. Reviews, votes and history rows are
   the same tables for every model (generic foreign keys), so the agenda, the KPIs and the
   review API cover the new model without more code.

Every function here is one transaction and writes the audit record (core.audit) itself.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.audit import Actor, record_change, snapshot
from core.choices import ChangeAction
from core.errors import DomainError
from core.text import Phrase
from governance.choices import Consequence, ReviewStatus, Via, VoteChoice
from governance.models import Committee, Review, StatusChange, Vote

MANUAL, REVIEW, SYSTEM = Via.MANUAL, Via.REVIEW, Via.SYSTEM

# A review's outcome and the subject's transition it fires.
DECISION_TRANSITIONS = {
    ReviewStatus.APPROVED: "approve",
    ReviewStatus.REJECTED: "reject",
    ReviewStatus.CHANGES_REQUESTED: "request_changes",
}
# An approver who may decide alone decides by their vote.
OUTCOME_OF_VOTE = {
    VoteChoice.APPROVE: ReviewStatus.APPROVED,
    VoteChoice.REJECT: ReviewStatus.REJECTED,
    VoteChoice.REQUEST_CHANGES: ReviewStatus.CHANGES_REQUESTED,
}


# Errors: the one domain error of core.errors, with the codes every app answers -----------------


class WorkflowError(DomainError):
    """A workflow refusal (the base of the four below)."""


class IllegalTransition(WorkflowError):
    """A step the transition table does not allow from the current status (400); `allowed`
    names the steps that are."""

    code = "illegal_transition"

    def __init__(self, name: str, status: str, allowed: list[str], hint: str = ""):
        self.name, self.status_now, self.allowed = name, status, allowed
        options = ", ".join(allowed) if allowed else "none"
        message = f"Cannot {name} from status {status!r}{hint}. Allowed now: {options}."
        super().__init__(message, [{"path": "action", "message": message}], allowed=allowed)


class NotPermitted(WorkflowError):
    status, code = 403, "permission_denied"


class ReviewClosed(WorkflowError):
    status, code = 409, "review_closed"


class AlreadyVoted(WorkflowError):
    status, code = 409, "already_voted"


class Frozen(WorkflowError):
    """The object cannot be edited in its current state."""

    status, code = 409, "frozen"


# The transition table ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str] | set[str]
    target: str
    by: Via | frozenset = MANUAL  # who fires it: a person, a review's decision, the system
    opens_review: bool = False
    closes_review: bool = False
    triggers: frozenset = field(init=False)

    def __post_init__(self):
        by = self.by if isinstance(self.by, frozenset) else frozenset({self.by})
        object.__setattr__(self, "sources", frozenset(self.sources))
        object.__setattr__(self, "triggers", by)


class Workflow:
    """One governed model's lifecycle. Subclasses set `model` and `transitions` and override
    the hooks they need (see the module docstring)."""

    model: type[models.Model]
    status_field = "status"
    transitions: tuple[Transition, ...] = ()
    # The kind of subject a decision rule names (governance.choices.SubjectKind), and whether
    # the subject's owners (`approvers_for`) may decide alone when the committee sets no rule.
    subject_kind = ""
    owners_decide = False

    def allowed(self, status: str, via: str = MANUAL) -> list[str]:
        return [t.name for t in self.transitions if status in t.sources and via in t.triggers]

    def find(self, obj, name: str, via: str) -> Transition:
        status = getattr(obj, self.status_field)
        via = REVIEW if via == Via.OVERRIDE else via
        for step in self.transitions:
            if step.name == name and status in step.sources and via in step.triggers:
                return step
        raise self.illegal(name, status, self.allowed(status))

    # Hooks ------------------------------------------------------------------------------------
    def summary(self, obj) -> Phrase:
        """What is under review, said in a few words (a review's title)."""
        return Phrase(N_("%(object)s"), {"object": str(obj)})

    def author_of(self, obj):
        return getattr(obj, "author", None)

    def committee_for(self, obj):
        return None

    def approvers_for(self, obj) -> Iterable:
        return []

    def may(self, user, obj, step: Transition) -> bool:
        return False

    def before(self, actor: Actor, obj, step: Transition, **params) -> list[str]:
        """Runs inside the transition, before the status is saved; returns the names of any
        other fields it changed on `obj` (saved together with the status)."""
        return []

    def after(self, actor: Actor, obj, step: Transition, **params) -> None:
        pass

    def describe(self, obj, cache: dict | None = None) -> dict:
        """What a reviewer needs to see about `obj`, as governance.subjects.subject() builds it
        (the review API and page show it). `cache` is shared by the rows of one listing."""
        return {}

    def illegal(self, name: str, status: str, allowed: list[str]) -> IllegalTransition:
        hint = ""
        if any(t.name == name and MANUAL not in t.triggers for t in self.transitions):
            hint = " (it is decided by a review's votes or by the system, not requested)"
        return IllegalTransition(name, status, allowed, hint)


_REGISTRY: dict[str, Workflow] = {}


def _label(model_or_obj) -> str:
    meta = model_or_obj._meta
    return f"{meta.app_label}.{meta.model_name}"


def register(workflow: Workflow) -> Workflow:
    _REGISTRY[_label(workflow.model)] = workflow
    return workflow


def workflow_for(obj_or_model) -> Workflow:
    try:
        return _REGISTRY[_label(obj_or_model)]
    except KeyError:
        raise LookupError(f"{_label(obj_or_model)} has no registered workflow") from None


def allowed_actions(user, obj) -> list[str]:
    """The manual transitions `user` may fire on `obj` now."""
    wf = workflow_for(obj)
    status = getattr(obj, wf.status_field)
    return [
        t.name
        for t in wf.transitions
        if status in t.sources and MANUAL in t.triggers and wf.may(user, obj, t)
    ]


def may_decide(user, obj) -> bool:
    """Whether `user` is among those who decide `obj`'s reviews, whatever its state now: the
    approvers its workflow names or the members of its committee, never its author."""
    if user is None or not user.is_authenticated:
        return False
    wf = workflow_for(obj)
    author = wf.author_of(obj)
    if author is not None and author.pk == user.pk:
        return False
    if any(u is not None and u.pk == user.pk for u in wf.approvers_for(obj)):
        return True
    committee = wf.committee_for(obj)
    return committee is not None and committee.is_member(user)


def may_request(user, obj, name: str) -> bool:
    """Whether `user` has the right to ask for step `name` on `obj` at all, whatever its state
    now: a person's step by the workflow's `may`, a decision (approve, reject,
    request_changes) by being among its deciders. Checked before the state and the request's
    body, so a caller without the right learns a 403 and nothing about why the step would
    fail anyway."""
    wf = workflow_for(obj)
    steps = [t for t in wf.transitions if t.name == name and MANUAL in t.triggers]
    if steps:
        return any(wf.may(user, obj, t) for t in steps)
    if name in DECISION_TRANSITIONS.values():
        return may_decide(user, obj)
    return True  # not a step of this workflow: the table refuses it (IllegalTransition)


def check_right(user, obj, name: str) -> None:
    """NotPermitted unless `user` may ask for step `name` on `obj` (see may_request)."""
    if not may_request(user, obj, name):
        step = name.replace("_", " ")
        raise NotPermitted(f"You may not {step} {workflow_for(obj).summary(obj)}.")


def history(obj) -> models.QuerySet:
    return StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).order_by("at", "id")


def reviews_of(obj) -> models.QuerySet:
    return Review.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    )


@transaction.atomic
def created(actor: Actor, obj: models.Model) -> None:
    """Audit a new governed object and open its history with a `create` row."""
    wf = workflow_for(obj)
    _history(actor, obj, "create", "", getattr(obj, wf.status_field), MANUAL, None)
    record_change(actor, ChangeAction.CREATE, obj)


def _history(actor: Actor, obj, name: str, source: str, target: str, via: str, review) -> None:
    StatusChange.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        transition=name,
        from_status=source,
        to_status=target,
        via=via,
        actor=actor.user_or_none,
        actor_name=actor.name,
        reason=actor.reason,
        review=review,
    )


# Decision rules: pure ---------------------------------------------------------------------------

CLOSES, COUNTS = Consequence.CLOSES, Consequence.COUNTS


@dataclass(frozen=True)
class Rule:
    """How a review is decided. `min_approvals` approvals from the committee approve. A
    rejection (and, separately, a request for changes) either closes the review at once
    (`CLOSES`) or counts as a vote (`COUNTS`): then as many rejections (or requests for changes)
    as approvals needed decide too, and when every eligible member has voted without any of
    that, the more frequent of rejection and request for changes decides (a tie sends it back
    for changes, the gentler outcome). With
    `owner_decides`, the subject's owners may also decide alone, by their own vote."""

    min_approvals: int
    rejection: str = COUNTS
    changes: str = COUNTS
    owner_decides: bool = False

    def as_dict(self) -> dict:
        return {
            "min_approvals": self.min_approvals,
            "rejection": str(self.rejection),
            "changes": str(self.changes),
            "owner_decides": self.owner_decides,
        }

    def describe(self) -> str:
        """The rule in one sentence for people (the pages translate the same facts)."""
        parts = [f"{self.min_approvals} approval(s) from the committee approve"]
        closing = [
            name
            for name, consequence in (
                ("a single rejection", self.rejection),
                ("a single request for changes", self.changes),
            )
            if consequence == CLOSES
        ]
        if closing:
            parts.append(f"{' or '.join(closing)} closes it")
        counting = [
            name
            for name, consequence in (
                ("rejections", self.rejection),
                ("requests for changes", self.changes),
            )
            if consequence == COUNTS
        ]
        if counting:
            parts.append(
                f"as many {' or '.join(counting)} decide too, and so does the last member's vote"
            )
        if self.owner_decides:
            parts.append("the subject's owners may decide alone")
        return "; ".join(parts) + "."


@dataclass(frozen=True)
class Tally:
    approve: int = 0
    reject: int = 0
    request_changes: int = 0

    @classmethod
    def of(cls, choices: Iterable[str]) -> Tally:
        choices = list(choices)
        return cls(*(choices.count(c) for c in VoteChoice.values))

    @property
    def total(self) -> int:
        return self.approve + self.reject + self.request_changes

    def as_dict(self) -> dict:
        return {
            "approve": self.approve,
            "reject": self.reject,
            "request_changes": self.request_changes,
        }


def evaluate(rule: Rule, tally: Tally, eligible: int) -> str | None:
    """The decision the committee's votes so far imply under `rule`, or None while the review
    stays open (`eligible`: members who may vote)."""
    if rule.rejection == CLOSES and tally.reject:
        return ReviewStatus.REJECTED
    if rule.changes == CLOSES and tally.request_changes:
        return ReviewStatus.CHANGES_REQUESTED
    if tally.approve >= rule.min_approvals:
        return ReviewStatus.APPROVED
    if tally.reject >= rule.min_approvals:
        return ReviewStatus.REJECTED
    if tally.request_changes >= rule.min_approvals:
        return ReviewStatus.CHANGES_REQUESTED
    if eligible and tally.total >= eligible:
        if tally.reject > tally.request_changes:
            return ReviewStatus.REJECTED
        return ReviewStatus.CHANGES_REQUESTED
    return None


def progress(rule: Rule, tally: Tally, awaiting: list[str], owners: list[str]) -> str:
    """Where a review stands, for people: "1 of 2 approvals; awaiting chair, member; a single
    rejection closes it."."""
    text = f"{tally.approve} of {rule.min_approvals} approvals"
    if tally.reject:
        text += f", {tally.reject} rejection(s)"
    if tally.request_changes:
        text += f", {tally.request_changes} request(s) for changes"
    text += f"; awaiting {', '.join(awaiting)}" if awaiting else "; every member has voted"
    if rule.owner_decides and owners:
        text += f"; {', '.join(owners)} may also decide alone"
    return f"{text}. Rule: {rule.describe()}"


def rule_for(committee: Committee | None, kind: str, owner_decides: bool) -> Rule:
    """The rule a new review of `kind` opens under: the committee's rule for that kind, else
    its default rule; without a committee, the owners decide alone."""
    if committee is None:
        return Rule(1, COUNTS, COUNTS, owner_decides=True)
    specific = next((r for r in committee.rules.all() if r.subject_kind == kind), None)
    if specific is not None:
        return Rule(
            specific.min_approvals, specific.rejection, specific.changes, specific.owner_decides
        )
    closes = CLOSES if committee.no_rejection else COUNTS
    return Rule(committee.min_approvals, closes, closes, owner_decides)


def rule_of(review: Review) -> Rule:
    """The rule a review opened under."""
    return Rule(review.min_approvals, review.rejection, review.changes, review.owner_decides)


# The engine --------------------------------------------------------------------------------------


@transaction.atomic
def transition(
    actor: Actor,
    obj: models.Model,
    name: str,
    *,
    reason: str = "",
    via: str = MANUAL,
    review: Review | None = None,
    **params,
):
    """Fire transition `name` on `obj`: check the table (IllegalTransition lists the allowed
    ones) and, for a person's action, the workflow's permission; write one history row and one
    audit record. Returns the object as saved."""
    wf = workflow_for(obj)
    actor = actor.with_reason(reason)
    obj = type(obj).objects.select_for_update().get(pk=obj.pk)
    manual = [t for t in wf.transitions if t.name == name and MANUAL in t.triggers]
    if via == MANUAL and manual and not any(wf.may(actor.user_or_none, obj, t) for t in manual):
        # The right before the state: who may not do this at all learns nothing more.
        raise NotPermitted(f"You may not {name} {wf.summary(obj)}.")
    step = wf.find(obj, name, via)
    if via == MANUAL and not wf.may(actor.user_or_none, obj, step):
        raise NotPermitted(f"You may not {name} {wf.summary(obj)}.")
    before = snapshot(obj)
    source = getattr(obj, wf.status_field)
    changed = wf.before(actor, obj, step, **params) or []
    setattr(obj, wf.status_field, step.target)
    stamps = [f.name for f in obj._meta.concrete_fields if getattr(f, "auto_now", False)]
    obj.save(update_fields=[wf.status_field, *changed, *stamps])
    _history(actor, obj, name, source, step.target, via, review)
    record_change(actor, ChangeAction.TRANSITION, obj, before=before, after=snapshot(obj))
    if step.closes_review:
        _close_open_review(actor, obj)
    if step.opens_review:
        open_review(actor, obj)
    wf.after(actor, obj, step, **params)
    return obj


@transaction.atomic
def open_review(actor: Actor, obj) -> Review:
    """Open a review of `obj` by the committee its workflow names (under that committee's rule
    at this moment) and/or by the approvers who may decide alone."""
    wf = workflow_for(obj)
    committee = wf.committee_for(obj)
    author = wf.author_of(obj)
    rule = rule_for(committee, wf.subject_kind, wf.owners_decide)
    approvers = {}
    if rule.owner_decides:
        approvers = {u.pk: u for u in wf.approvers_for(obj) if u is not None}
        approvers.pop(getattr(author, "pk", None), None)
    members = (
        committee.memberships.exclude(user_id=getattr(author, "pk", None)).count()
        if committee
        else 0
    )
    summary = wf.summary(obj)
    if not approvers and members < rule.min_approvals:
        who = f"{committee} has {members} member(s) who may vote" if committee else "no committee"
        raise ValidationError(
            f"Nobody can decide {summary}: {who}, and {rule.min_approvals} approval(s) "
            "are needed. Add members to the committee or change its rule."
        )
    review = Review.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        summary=summary.english()[:300],
        summary_phrase=summary.as_json(),
        committee=committee,
        author=author,
        subject_kind=wf.subject_kind,
        min_approvals=rule.min_approvals,
        rejection=rule.rejection,
        changes=rule.changes,
        owner_decides=rule.owner_decides,
        due_at=timezone.now() + datetime.timedelta(days=committee.review_days if committee else 14),
    )
    review.approvers.set(approvers.values())
    record_change(actor, ChangeAction.CREATE, review)
    return review


def _close_open_review(actor: Actor, obj) -> None:
    review = reviews_of(obj).select_for_update().filter(status=ReviewStatus.OPEN).first()
    if review is not None:
        _close(actor, review, ReviewStatus.WITHDRAWN)


def _close(actor: Actor, review: Review, status: str) -> None:
    before = snapshot(review)
    review.status = status
    review.decided_at = timezone.now()
    review.save(update_fields=["status", "decided_at", "overridden", "override_reason"])
    record_change(actor, ChangeAction.UPDATE, review, before=before, after=snapshot(review))


def eligible_voters(review: Review) -> int:
    if review.committee_id is None:
        return 0
    return review.committee.memberships.exclude(user_id=review.author_id).count()


def may_vote(user, review: Review) -> bool:
    if user is None or not user.is_authenticated or user.pk == review.author_id:
        return False
    if any(a.pk == user.pk for a in review.approvers.all()):
        return True
    return review.committee is not None and review.committee.is_member(user)


def check_may_vote(user, review: Review) -> None:
    """NotPermitted unless `user` may vote on `review` (its author never may)."""
    if user is not None and user.pk == review.author_id:
        raise NotPermitted("The author of a proposal cannot vote on it.")
    if not may_vote(user, review):
        raise NotPermitted(f"Only the reviewers of review #{review.pk} may vote on it.")


def check_may_override(user) -> None:
    if user is None or not user.is_superuser:
        raise NotPermitted("Only an administrator may override a review.")


@transaction.atomic
def cast_vote(actor: Actor, review: Review, choice: str, comment: str = "") -> tuple[Vote, Review]:
    """Record one member's vote and take the decision when the rule is met. The review row is
    locked first, so simultaneous votes are counted one after the other, each exactly once.
    Who may not vote is told so before anything about the vote or the review's state."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    user = actor.user_or_none
    check_may_vote(user, review)
    if choice not in VoteChoice.values:
        raise ValidationError(
            {"choice": _("Choose one of %(choices)s.") % {"choices": ", ".join(VoteChoice.values)}}
        )
    comment = (comment or "").strip()
    if choice != VoteChoice.APPROVE and not comment:
        raise ValidationError(
            {"comment": _("Say why: rejecting or requesting changes needs a comment.")}
        )
    if not review.is_open:
        raise ReviewClosed(
            _("Review #%(n)s is closed (%(status)s).")
            % {"n": review.pk, "status": review.get_status_display()}
        )
    if review.votes.filter(voter=user).exists():
        raise AlreadyVoted(_("You have already voted on review #%(n)s.") % {"n": review.pk})
    vote = Vote.objects.create(review=review, voter=user, choice=choice, comment=comment)
    record_change(actor, ChangeAction.CREATE, vote)
    rule = rule_of(review)
    if rule.owner_decides and review.approvers.filter(pk=user.pk).exists():
        outcome, why = OUTCOME_OF_VOTE[choice], f"decided alone by {actor.name}, an owner"
    else:
        members = set(
            review.committee.memberships.values_list("user_id", flat=True)
            if review.committee_id
            else []
        )
        choices = review.votes.filter(voter_id__in=members).values_list("choice", flat=True)
        tally = Tally.of(choices)
        outcome = evaluate(rule, tally, eligible_voters(review))
        why = (
            f"committee vote: {tally.approve} approve, {tally.reject} reject, "
            f"{tally.request_changes} request changes (rule: {rule.describe()})"
        )
    if outcome is not None:
        _decide(actor, review, outcome, Via.REVIEW, f"Review #{review.pk} {outcome}: {why}.")
    return vote, review


@transaction.atomic
def override(actor: Actor, review: Review, decision: str, reason: str) -> Review:
    """An administrator's emergency decision on an open review, bypassing the vote. Needs a
    reason; audited and marked as an override in the review and the subject's history."""
    check_may_override(actor.user_or_none)
    # The words of a vote: an override is the vote that decides alone.
    if decision not in OUTCOME_OF_VOTE:
        raise ValidationError({"decision": f"Choose one of {', '.join(VoteChoice.values)}."})
    if not (reason or "").strip():
        raise ValidationError({"reason": "An emergency override must name its reason."})
    review = Review.objects.select_for_update().get(pk=review.pk)
    if not review.is_open:
        raise ReviewClosed(
            _("Review #%(n)s is closed (%(status)s).")
            % {"n": review.pk, "status": review.get_status_display()}
        )
    review.overridden = True
    review.override_reason = reason.strip()
    outcome = OUTCOME_OF_VOTE[decision]
    _decide(actor, review, outcome, Via.OVERRIDE, f"Emergency override: {reason.strip()}")
    return review


def _decide(actor: Actor, review: Review, outcome: str, via: str, reason: str) -> None:
    actor = actor.with_reason(reason)
    _close(actor, review, outcome)
    transition(
        actor, review.subject, DECISION_TRANSITIONS[outcome], reason=reason, via=via, review=review
    )
