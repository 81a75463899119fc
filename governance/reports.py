"""Read-only views over governance data: detected conflicts, the committee agenda (and its
Markdown export) and the governance KPIs."""

from __future__ import annotations

import datetime
import statistics

from django.db.models import Q
from django.utils import timezone

from catalog.choices import Status
from catalog.models import Field
from governance.agenda import items as other_items
from governance.choices import MappingStatus, ReviewStatus, VersionStatus
from governance.conflicts import Conflict, DefinitionFacts, MappingFacts, detect
from governance.models import (
    ATTRIBUTES,
    EFFECTIVE_STATUSES,
    PENDING_STATUSES,
    Committee,
    ConflictResolution,
    DefinitionVersion,
    FieldDefinition,
    FieldMapping,
    Ownership,
    Review,
)
from governance.queries import overdue_versions
from governance.workflow import Tally, progress, rule_of, workflow_for
from lineage.models import LineageEdge

LIVE_MAPPINGS = (
    MappingStatus.DRAFT,
    MappingStatus.IN_REVIEW,
    MappingStatus.CHANGES_REQUESTED,
    MappingStatus.APPROVED,
)


def current_versions() -> dict[int, DefinitionVersion]:
    """Per definition, the version in force, else the pending one (a draft may duplicate an
    approved definition: the committee should see that before approving it)."""
    current: dict[int, DefinitionVersion] = {}
    versions = DefinitionVersion.objects.filter(
        status__in=[*EFFECTIVE_STATUSES, *PENDING_STATUSES]
    ).select_related("definition")
    for version in versions.order_by("number"):
        held = current.get(version.definition_id)
        if held is None or held.status not in EFFECTIVE_STATUSES:
            current[version.definition_id] = version
    return current


def detected_conflicts() -> list[Conflict]:
    definitions = [
        DefinitionFacts(
            v.definition.key,
            v.name,
            v.definition.domain,
            {name: getattr(v, name) for name in ATTRIBUTES},
        )
        for v in current_versions().values()
    ]
    live = list(
        FieldMapping.objects.filter(status__in=LIVE_MAPPINGS).select_related(
            "field__dataset__system", "definition"
        )
    )
    aggregated = aggregated_sources({m.field_id for m in live})
    mappings = [
        MappingFacts(
            m.field.ref,
            m.definition.key,
            m.semantics or {},
            m.conversion_note,
            aggregated.get(m.field_id, ""),
        )
        for m in live
    ]
    return detect(definitions, mappings)


def aggregated_sources(field_ids) -> dict[int, str]:
    """{field id: a source it aggregates} for the fields the stored lineage computes by an
    aggregation (SUM, COUNT, ...)."""
    rows = (
        LineageEdge.objects.filter(target_id__in=list(field_ids), subtype="AGGREGATION")
        .select_related("source__dataset__system")
        .order_by("target_id", "source_id")
    )
    found: dict[int, str] = {}
    for edge in rows:
        found.setdefault(edge.target_id, edge.source.ref)
    return found


def open_conflicts(domains: list[str] | None = None) -> list[Conflict]:
    settled = set(ConflictResolution.objects.values_list("fingerprint", flat=True))
    found = [c for c in detected_conflicts() if c.fingerprint not in settled]
    if domains is not None:
        keys = set(FieldDefinition.objects.filter(domain__in=domains).values_list("key", flat=True))
        found = [c for c in found if set(c.definitions) & keys]
    return found


# Agenda ------------------------------------------------------------------------------------------


def review_summary(review: Review) -> dict:
    """A review's state for people: the committee's tally, who is still awaited, who may decide
    alone, the rule and the progress in one sentence."""
    # .all(): listings prefetch votes, approvers and memberships; only ids and usernames are read.
    votes = list(review.votes.all())
    voted = {v.voter_id for v in votes}
    members = list(review.committee.memberships.all()) if review.committee else []
    member_ids = {m.user_id for m in members}
    rule = rule_of(review)
    tally = Tally.of(v.choice for v in votes if v.voter_id in member_ids)
    awaiting = sorted(
        m.user.get_username()
        for m in members
        if m.user_id not in voted and m.user_id != review.author_id
    )
    owners = sorted(a.get_username() for a in review.approvers.all()) if rule.owner_decides else []
    return {
        "id": review.pk,
        "summary": review.title,
        "opened_at": review.opened_at,
        "due_at": review.due_at,
        "author": review.author.get_username() if review.author else None,
        "tally": tally.as_dict(),
        "min_approvals": review.min_approvals,
        "no_rejection": review.no_rejection,
        "rule": rule.as_dict(),
        "awaiting": awaiting if review.is_open else [],
        "may_decide_alone": owners,
        "progress": progress(rule, tally, awaiting, owners) if review.is_open else "",
    }


def agenda(committee: Committee, now: datetime.datetime | None = None) -> dict:
    """Everything awaiting the committee's decision, overdue recertifications in its domains, and
    open conflicts touching them."""
    now = now or timezone.now()
    reviews = (
        committee.reviews.filter(status=ReviewStatus.OPEN)
        .select_related("author", "committee")
        .prefetch_related("votes", "committee__memberships__user")
    )
    overdue = [v for v in overdue_versions(now) if v.definition.domain in committee.domains]
    cache: dict = {}
    return {
        "committee": committee.name,
        "domains": committee.domains,
        "generated_at": now,
        "awaiting_decision": [agenda_item(r, cache) for r in reviews.order_by("opened_at", "id")],
        "overdue_recertifications": [
            {
                "definition": v.definition.key,
                "version": v.number,
                "status": v.status,
                "due": v.definition.recertification_due,
                "owner": v.definition.owner.get_username() if v.definition.owner else None,
                "steward": v.definition.steward.get_username() if v.definition.steward else None,
            }
            for v in sorted(overdue, key=lambda v: v.definition.key)
        ],
        "conflicts": [c.as_dict() for c in open_conflicts(committee.domains)],
        "other_items": other_items(),
    }


def decided_between(committee: Committee, start, end) -> list[dict]:
    """The committee's reviews decided after day `start` (None: ever) up to and including day
    `end` (None: now), oldest first, with their votes: the record of a meeting's decisions."""
    reviews = (
        committee.reviews.exclude(status__in=[ReviewStatus.OPEN, ReviewStatus.WITHDRAWN])
        .select_related("author")
        .prefetch_related("votes__voter", "approvers", "committee__memberships__user")
    )
    if start is not None:
        reviews = reviews.filter(decided_at__date__gt=start)
    if end is not None:
        reviews = reviews.filter(decided_at__date__lte=end)
    return [
        {**review_summary(r), "status": r.status, "status_label": r.get_status_display(),
         "decided_at": r.decided_at, "overridden": r.overridden,
         "votes": [(v.voter.get_username(), v.get_choice_display(), v.comment)
                   for v in r.votes.all()]}
        for r in reviews.order_by("decided_at", "id")
    ]  # fmt: skip


def agenda_item(review: Review, cache: dict) -> dict:
    """A review on the agenda: its state, and what its subject replaces and conflicts with."""
    item = review_summary(review)
    subject = review.subject
    described = workflow_for(subject).describe(subject, cache) if subject is not None else {}
    item["replaces"] = described.get("replaces", [])
    item["conflicts"] = [c["summary"] for c in described.get("conflicts", [])]
    return item


def agenda_markdown(data: dict) -> str:
    lines = [
        f"# Agenda: {data['committee']}",
        "",
        f"Domains: {', '.join(data['domains']) or '-'}. "
        f"Generated {data['generated_at']:%Y-%m-%d %H:%M} UTC.",
        "",
        f"## Awaiting decision ({len(data['awaiting_decision'])})",
        "",
    ]
    for item in data["awaiting_decision"]:
        lines.append(
            f"- **#{item['id']} {item['summary']}** (by {item['author'] or '-'}, opened "
            f"{item['opened_at']:%Y-%m-%d}): {item['progress']}"
        )
        lines += [f"  - Approving it replaces {what}." for what in item.get("replaces", [])]
        lines += [f"  - Conflict: {what}" for what in item.get("conflicts", [])]
    lines += ["", f"## Overdue recertifications ({len(data['overdue_recertifications'])})", ""]
    for item in data["overdue_recertifications"]:
        due = f"{item['due']:%Y-%m-%d}" if item["due"] else "never certified"
        lines.append(
            f"- **{item['definition']}** v{item['version']} ({item['status']}), due {due}; "
            f"owner {item['owner'] or '-'}, steward {item['steward'] or '-'}"
        )
    lines += ["", f"## Conflicts ({len(data['conflicts'])})", ""]
    lines += [f"- {item['summary']} `{item['fingerprint']}`" for item in data["conflicts"]]
    if data["other_items"]:
        lines += ["", f"## Other items ({len(data['other_items'])})", ""]
        lines += [
            f"- {item.get('title', '')} ({item.get('type', '')}, {item.get('url_path', '')})"
            for item in data["other_items"]
        ]
    return "\n".join(lines) + "\n"


# KPIs --------------------------------------------------------------------------------------------


def _share(count: int, total: int) -> dict:
    return {"count": count, "share": round(count / total, 4) if total else None}


def kpis(now: datetime.datetime | None = None) -> dict:
    """Shares of catalog fields (not removed) with an approved definition, with an owner and with
    a current certification, overall and per system; decision times; open conflicts."""
    now = now or timezone.now()
    fields = list(
        Field.objects.exclude(status=Status.REMOVED).values_list(
            "pk", "dataset_id", "dataset__system_id", "dataset__system__key"
        )
    )
    in_force = {
        v.definition_id: v
        for v in DefinitionVersion.objects.filter(
            status__in=[VersionStatus.APPROVED, VersionStatus.NEEDS_REVIEW]
        ).select_related("definition")
    }
    defined, certified = set(), set()
    for field_id, definition_id in FieldMapping.objects.filter(
        status=MappingStatus.APPROVED
    ).values_list("field_id", "definition_id"):
        version = in_force.get(definition_id)
        if version is None:
            continue
        defined.add(field_id)
        due = version.definition.recertification_due
        if version.status == VersionStatus.APPROVED and due is not None and due >= now:
            certified.add(field_id)
    owned_systems = set(
        Ownership.objects.filter(system__isnull=False).values_list("system_id", flat=True)
    )
    owned_datasets = set(
        Ownership.objects.filter(dataset__isnull=False).values_list("dataset_id", flat=True)
    )
    owned = {f[0] for f in fields if f[1] in owned_datasets or f[2] in owned_systems}

    per_system: dict[str, list[int]] = {}
    for field_id, _, _, key in fields:
        per_system.setdefault(key, []).append(field_id)
    durations = [
        (r.decided_at - r.opened_at).total_seconds() / 3600
        for r in Review.objects.filter(decided_at__isnull=False).exclude(
            Q(status=ReviewStatus.WITHDRAWN) | Q(status=ReviewStatus.OPEN)
        )
    ]
    total = len(fields)
    return {
        "fields": total,
        "with_approved_definition": _share(len(defined), total),
        "with_owner": _share(len(owned), total),
        "with_current_certification": _share(len(certified), total),
        "per_system": [
            {
                "system": key,
                "fields": len(ids),
                "with_approved_definition": _share(len(defined.intersection(ids)), len(ids)),
                "with_owner": _share(len(owned.intersection(ids)), len(ids)),
                "with_current_certification": _share(len(certified.intersection(ids)), len(ids)),
            }
            for key, ids in sorted(per_system.items())
        ],
        "median_hours_submission_to_decision": round(statistics.median(durations), 2)
        if durations
        else None,
        "decisions": len(durations),
        "open_reviews": Review.objects.filter(status=ReviewStatus.OPEN).count(),
        "open_conflicts": len(open_conflicts()),
    }
