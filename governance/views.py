"""The committee's and the stewards' pages: the glossary, proposing definitions with their
mappings, the review queue and a review, the agenda and the minutes, conflicts and
recertification. Each calls the same services and permission rules as the API; what the caller
may not read is a 404, what it may read but not do a 403 with the reason."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.audit import Actor
from core.errors import DomainError
from core.pages import apply_error, breadcrumbs
from governance import conflicts as conflict_rules
from governance import queries, reports, services
from governance.choices import (
    DiscountTreatment,
    Domain,
    Grain,
    ReviewStatus,
    TaxTreatment,
    VersionStatus,
)
from governance.forms import (
    DefinitionForm,
    MappingRowFormSet,
    MeetingForm,
    ReasonForm,
    ResolveConflictForm,
    VoteForm,
    field_choices_for,
)
from governance.models import (
    CONTENT_FIELDS,
    Committee,
    FieldDefinition,
    FieldMapping,
    Meeting,
    Review,
    StatusChange,
)
from governance.permissions import (
    definitions_visible_to,
    has_role,
    in_committee_role,
    may_edit_definition,
    readable_review_ids,
    reviews_visible_to,
    versions_visible_to,
    visible_fields,
)
from governance.subjects import DEFINITION_LABELS, definition_rows, show
from governance.workflow import cast_vote, may_vote, reviews_of, workflow_for
from governance.workflows import detected_once

REFUSALS = (DomainError, ValidationError)


def _actor(request, reason: str = "") -> Actor:
    return Actor.from_request(request, reason=reason)


def _definition(request, key: str) -> FieldDefinition:
    found = (
        definitions_visible_to(request.user, FieldDefinition.objects.all())
        .select_related("owner", "steward", "replaced_by", "last_certified_by")
        .prefetch_related("versions__author")
        .filter(key=key.lower())
        .first()
    )
    if found is None:
        raise Http404(_("No definition you may read has this key."))
    return found


def _may_propose(user) -> bool:
    return user.is_superuser or user.has_perm("governance.add_fielddefinition")


def _refused(request, exc: Exception) -> None:
    message = exc.message if isinstance(exc, DomainError) else "; ".join(exc.messages)
    messages.error(request, message)


# The glossary ----------------------------------------------------------------------------------

FILTERS = {
    "tax": TaxTreatment.choices,
    "discount": DiscountTreatment.choices,
    "grain": Grain.choices,
}


@login_required
def definitions(request):
    """Definitions the caller may read, filtered by domain, status and structured attributes
    of the version in force (or the pending one for a definition without one)."""
    if not has_role(request.user):
        raise PermissionDenied(_("Your account has no governance role."))
    rows = (
        definitions_visible_to(request.user, FieldDefinition.objects.all())
        .select_related("owner", "steward")
        .prefetch_related("versions")
        .order_by("key")
    )
    params = request.GET
    if params.get("domain") in Domain.values:
        rows = rows.filter(domain=params["domain"])
    query = params.get("q", "").strip()
    chosen = {name: params.get(name, "") for name in (*FILTERS, "currency", "status")}
    listed = []
    conflicts = reports.open_conflicts()
    for definition in rows:
        version = definition.effective_version or definition.latest_version
        if version is None or not _matches(version, chosen, query, definition):
            continue
        listed.append(
            {
                "definition": definition,
                "version": version,
                "pending": definition.pending_version,
                "conflicts": len(conflict_rules.involving(conflicts, key=definition.key)),
            }
        )
    return render(
        request,
        "governance/definitions.html",
        {
            "rows": listed,
            "domains": Domain.choices,
            "filters": [(name, _label(name), choices) for name, choices in FILTERS.items()],
            "statuses": VersionStatus.choices,
            "chosen": chosen,
            "domain": params.get("domain", ""),
            "query": query,
            "may_propose": _may_propose(request.user),
            "breadcrumbs": breadcrumbs((_("Glossary"), "")),
        },
    )


def _label(name: str) -> str:
    return _(DEFINITION_LABELS[name])


def _matches(version, chosen: dict, query: str, definition) -> bool:
    for name in (*FILTERS, "currency"):
        if chosen[name] and (getattr(version, name) or "").lower() != chosen[name].lower():
            return False
    if chosen["status"] and version.status != chosen["status"]:
        return False
    if query:
        text = " ".join([definition.key, version.name, version.name_zh, *version.synonyms]).lower()
        return query.lower() in text
    return True


@login_required
def definition_detail(request, key: str):
    definition = _definition(request, key)
    user = request.user
    versions = list(versions_visible_to(user, definition).order_by("-number"))
    current = definition.effective_version
    pending = definition.pending_version
    if pending is not None and pending not in versions:
        pending = None
    shown = current or pending or (versions[0] if versions else None)
    mappings = (
        FieldMapping.objects.filter(definition=definition)
        .filter(status__in=reports.LIVE_MAPPINGS)
        .select_related("field__dataset__system", "author")
        .order_by("status", "field__dataset__system__key", "field__dataset__name", "field__name")
    )
    readable_ids = set(
        visible_fields(user)
        .filter(pk__in=[m.field_id for m in mappings])
        .values_list("pk", flat=True)
    )
    timeline = (
        StatusChange.objects.filter(
            content_type__model="definitionversion", object_id__in=[v.pk for v in versions]
        )
        .order_by("-at", "-id")
        .select_related("review")
    )
    labels = {v.pk: f"v{v.number}" for v in versions}
    found = conflict_rules.involving(reports.open_conflicts(), key=definition.key)
    open_reviews = [
        r for r in (reviews_of(pending) if pending else Review.objects.none()) if r.is_open
    ]
    readable_reviews = readable_review_ids(
        user, [c.review_id for c in timeline] + [r.pk for r in open_reviews]
    )
    return render(
        request,
        "governance/definition.html",
        {
            "definition": definition,
            "shown": shown,
            "rows": definition_rows(shown, definition) if shown else [],
            "current": current,
            "pending": pending,
            "pending_rows": definition_rows(pending, definition) if pending else [],
            "versions": versions,
            "mappings": [m for m in mappings if m.field_id in readable_ids],
            "hidden_mappings": sum(1 for m in mappings if m.field_id not in readable_ids),
            "timeline": [(labels.get(c.object_id, ""), c) for c in timeline],
            "conflicts": found,
            "open_review": open_reviews[0] if open_reviews else None,
            "readable_reviews": readable_reviews,
            "actions": queries.available_actions(user, definition),
            "may_edit": may_edit_definition(user, definition) and _revisable(definition, pending),
            "editing_draft": pending is not None,
            "breadcrumbs": breadcrumbs(
                (_("Glossary"), reverse("definitions-page")), (definition.key, "")
            ),
        },
    )


def _revisable(definition: FieldDefinition, pending) -> bool:
    """A version in review is frozen until it is decided or withdrawn; a deprecated or retired
    definition is no longer revised (services._revise refuses both)."""
    if pending is not None:
        return pending.status in (VersionStatus.DRAFT, VersionStatus.CHANGES_REQUESTED)
    base = definition.effective_version or definition.latest_version
    return base is None or base.status not in (VersionStatus.DEPRECATED, VersionStatus.RETIRED)


@login_required
def definition_compare(request, key: str):
    """Any two versions the caller may read, side by side, changed attributes marked."""
    definition = _definition(request, key)
    versions = {v.number: v for v in versions_visible_to(request.user, definition)}
    numbers = sorted(versions)
    if not numbers:
        raise Http404(_("This definition has no version you may read."))
    a = _version_number(request.GET.get("a"), numbers[0], versions)
    b = _version_number(request.GET.get("b"), numbers[-1], versions)
    left, right = versions[a], versions[b]
    rows = []
    for name in CONTENT_FIELDS:
        before, after = show(getattr(left, name), name), show(getattr(right, name), name)
        rows.append({"label": _(DEFINITION_LABELS[name]), "a": before, "b": after,
                     "changed": before != after})  # fmt: skip
    return render(
        request,
        "governance/compare.html",
        {
            "definition": definition,
            "left": left,
            "right": right,
            "numbers": numbers,
            "rows": rows,
            "breadcrumbs": breadcrumbs(
                (_("Glossary"), reverse("definitions-page")),
                (definition.key, reverse("definition-page", args=[definition.key])),
                (_("Compare versions"), ""),
            ),
        },
    )


def _version_number(raw, default: int, versions: dict) -> int:
    if raw and raw.isdigit() and int(raw) in versions:
        return int(raw)
    if raw:
        raise Http404(_("No such version."))
    return default


# Proposing -------------------------------------------------------------------------------------


@login_required
def definition_new(request):
    if not _may_propose(request.user):
        raise PermissionDenied(_("Only stewards and committee members propose definitions."))
    return _proposal(request, None)


@login_required
def definition_edit(request, key: str):
    definition = _definition(request, key)
    if not may_edit_definition(request.user, definition):
        raise PermissionDenied(_("Only the owner or steward of a definition proposes versions."))
    return _proposal(request, definition)


def _proposal(request, definition: FieldDefinition | None):
    user = request.user
    if request.method == "POST":
        form = DefinitionForm(request.POST, definition=definition)
        rows = MappingRowFormSet(request.POST, prefix="mappings")
        if form.is_valid() and rows.is_valid():
            mappings = _mapping_rows(request, rows)
            if not rows.non_form_errors() and not any(f.errors for f in rows.forms):
                try:
                    saved = services.save_proposal(
                        _actor(request),
                        definition,
                        form.service_data(),
                        mappings,
                        submit="submit" in request.POST,
                    )
                except REFUSALS as exc:
                    _show_proposal_error(form, rows, exc)
                else:
                    if "submit" in request.POST:
                        messages.success(request, _("Submitted for review with its mappings."))
                    else:
                        messages.success(request, _("Draft saved."))
                    return redirect("definition-page", saved.key)
    else:
        initial = DefinitionForm.initial_for(definition) if definition else {"steward": user}
        form = DefinitionForm(initial=initial, definition=definition)
        rows = MappingRowFormSet(prefix="mappings")
    title = _("New definition") if definition is None else _("Propose a new version")
    trail = [(_("Glossary"), reverse("definitions-page"))]
    if definition is not None:
        trail.append((definition.key, reverse("definition-page", args=[definition.key])))
    return render(
        request,
        "governance/proposal.html",
        {
            "form": form,
            "rows": rows,
            "definition": definition,
            "title": title,
            "existing": (
                definition.mappings.filter(status__in=reports.LIVE_MAPPINGS).select_related(
                    "field__dataset__system"
                )
                if definition
                else []
            ),
            "breadcrumbs": breadcrumbs(*trail, (title, "")),
        },
    )


def _mapping_rows(request, rows) -> list[dict]:
    """The mapping rows a person filled in, each field found among those they may read."""
    found = []
    readable = visible_fields(request.user).select_related("dataset__system")
    for form in rows.forms:
        ref = (form.cleaned_data.get("field") or "").strip()
        if not ref:
            continue
        try:
            field = readable.by_ref(ref).first()
        except ValueError as exc:
            form.add_error("field", str(exc))
            continue
        if field is None:
            form.add_error("field", _("No field %(ref)s that you may read.") % {"ref": ref})
            continue
        grain = form.cleaned_data.get("grain")
        found.append(
            {
                "field": field,
                "conversion_note": form.cleaned_data.get("conversion_note", ""),
                "semantics": {"grain": grain} if grain else {},
            }
        )
    return found


def _show_proposal_error(form, rows, exc) -> None:
    if (
        isinstance(exc, DomainError)
        and exc.errors
        and exc.errors[0]["path"].startswith("mappings[")
    ):
        for item in exc.errors:
            index = int(item["path"].split("[")[1].split("]")[0])
            filled = [f for f in rows.forms if (f.cleaned_data.get("field") or "").strip()]
            target = filled[index] if index < len(filled) else rows.forms[0]
            target.add_error("field", item["message"])
        return
    apply_error(form, exc)


@login_required
def field_search(request):
    """htmx: the fields matching what is typed, as options of the field box's datalist (the
    text comes as `q`, or as the value of the mapping row's field box that asks)."""
    typed = request.GET.get("q") or next(
        (value for name, value in request.GET.items() if name.endswith("-field")), ""
    )
    refs = field_choices_for(request.user, typed)
    return render(request, "governance/_field_options.html", {"refs": refs})


@login_required
@require_POST
def proposal_check(request):
    """htmx: what the proposal being typed would clash with, before it is saved: equivalent
    definitions, possible duplicates, and what its mappings would replace."""
    form = DefinitionForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    key = (request.POST.get("key") or request.POST.get("definition_key") or "").strip()
    facts = conflict_rules.DefinitionFacts(
        key or "(new)",
        data.get("name", ""),
        data.get("domain") or request.POST.get("domain", ""),
        {k: data.get(k) for k in ("tax", "discount", "currency", "unit", "grain", "data_type",
                                  "synonyms")},
    )  # fmt: skip
    others = [
        conflict_rules.DefinitionFacts(v.definition.key, v.name, v.definition.domain,
                                       v.attributes)
        for v in reports.current_versions().values()
        if v.definition.key != key
    ]  # fmt: skip
    clashes = [
        c
        for c in conflict_rules.equivalent_definitions([facts, *others])
        + conflict_rules.possible_duplicates([facts, *others])
        if facts.key in c.definitions
    ]
    return render(request, "governance/_proposal_check.html", {"clashes": clashes})


@login_required
@require_POST
def definition_action(request, key: str, action: str):
    """Submit, withdraw or recertify a definition from its page."""
    definition = _definition(request, key)
    if action not in ("submit", "withdraw", "recertify"):
        raise Http404()
    if action not in queries.available_actions(request.user, definition):
        raise PermissionDenied(_("You may not do this to this definition now."))
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.definition_transition(_actor(request), definition, action, reason)
    except REFUSALS as exc:
        _refused(request, exc)
    else:
        messages.success(request, ACTION_DONE[action]())
    return redirect("definition-page", definition.key)


ACTION_DONE = {
    "submit": lambda: _("Submitted for review."),
    "withdraw": lambda: _("Withdrawn: the version is a draft again."),
    "recertify": lambda: _("Recertified: the definition is confirmed as it is."),
}


@login_required
def definition_recertify(request, key: str):
    """Where the recertification e-mail leads: confirm the definition as it is, or propose a
    new version."""
    definition = _definition(request, key)
    current = definition.effective_version
    if current is None:
        raise Http404(_("This definition has no version in force."))
    return render(
        request,
        "governance/recertify.html",
        {
            "definition": definition,
            "current": current,
            "rows": definition_rows(current, definition),
            "may_recertify": "recertify" in queries.available_actions(request.user, definition),
            "may_edit": may_edit_definition(request.user, definition),
            "breadcrumbs": breadcrumbs(
                (_("Glossary"), reverse("definitions-page")),
                (definition.key, reverse("definition-page", args=[definition.key])),
                (_("Recertify"), ""),
            ),
        },
    )


# Reviews ---------------------------------------------------------------------------------------


def _reviews(user):
    return reviews_visible_to(
        user,
        Review.objects.select_related("committee", "author", "content_type").prefetch_related(
            "votes__voter", "approvers", "committee__memberships__user"
        ),
    )


@login_required
def review_queue(request):
    """Open reviews the caller may see, those awaiting its vote first; each can be decided from
    here, one after the other, without leaving the queue."""
    user = request.user
    show = request.GET.get("show", "awaiting")
    reviews = _reviews(user)
    awaiting_ids = set(queries.reviews_awaiting(user).values_list("pk", flat=True))
    if show == "decided":
        reviews = reviews.exclude(status=ReviewStatus.OPEN).order_by("-decided_at", "-id")[:50]
    else:
        if show == "awaiting":
            reviews = reviews.filter(pk__in=awaiting_ids)
        else:
            show = "open"
        reviews = reviews.filter(status=ReviewStatus.OPEN).order_by("opened_at", "id")
    items = [_review_item(r, user) for r in reviews]
    return render(
        request,
        "governance/reviews.html",
        {
            "items": items,
            "show": show,
            "awaiting_count": len(awaiting_ids),
            "breadcrumbs": breadcrumbs((_("Reviews"), "")),
        },
    )


def _review_item(review: Review, user) -> dict:
    summary = reports.review_summary(review)
    voted = any(v.voter_id == user.pk for v in review.votes.all())
    why_not = _why_not(review, user, voted)
    return {"review": review, "summary": summary, "may_vote": not why_not, "why_not": why_not}


def _why_not(review: Review, user, voted: bool) -> str:
    if not review.is_open:
        return _("The review is closed.")
    if user.pk == review.author_id:
        return _("You proposed this: the author of a proposal cannot vote on it.")
    if voted:
        return _("You have voted.")
    if not may_vote(user, review):
        return _("You are not on the committee that decides this, nor one of its owners.")
    return ""


@login_required
def review_detail(request, pk: int):
    review = _reviews(request.user).filter(pk=pk).first()
    if review is None:
        raise Http404(_("No review you may read has this number."))
    item = _review_item(review, request.user)
    subject = review.subject
    described = _describe(subject) if subject is not None else {}
    touched = (described.get("touches") or {}).get("definitions") or []
    readable_definitions = set(
        definitions_visible_to(
            request.user, FieldDefinition.objects.filter(key__in=touched)
        ).values_list("key", flat=True)
    )
    return render(
        request,
        "governance/review.html",
        {
            **item,
            "item": item,
            "subject": described,
            "votes": list(review.votes.all()),
            "vote_form": VoteForm(),
            "subject_url": _subject_url(review, request.user),
            "readable_definitions": readable_definitions,
            "breadcrumbs": breadcrumbs(
                (_("Reviews"), reverse("reviews-page")), (f"#{review.pk}", "")
            ),
        },
    )


def _describe(subject) -> dict:
    cache: dict = {}
    described = workflow_for(subject).describe(subject, cache)
    found = described.get("conflicts", [])
    return {**described, "conflicts": _conflicts_by_summary(found, cache)}


def _conflicts_by_summary(found: list, cache: dict) -> list:
    """The detected conflicts behind summaries (or their rows), so that the page can word them
    in the reader's language; a summary no longer detected stays as it is. Conflicts are
    detected once per `cache` (a page)."""
    if not found:
        return []
    detected = {c.summary: c for c in detected_once(cache)}
    summaries = (row["summary"] if isinstance(row, dict) else row for row in found)
    return [detected.get(summary, summary) for summary in summaries]


def _subject_url(review: Review, user) -> str:
    """The page of what the review decides, when the reader may open it (a reviewer of a mapping
    may not read the draft definition it maps to)."""
    subject = review.subject
    if review.subject_kind in ("definition", "mapping") and subject is not None:
        definition = subject.definition
        readable = definitions_visible_to(user, FieldDefinition.objects.filter(pk=definition.pk))
        if not readable.exists():
            return ""
        return reverse("definition-page", args=[definition.key])
    if review.subject_kind == "contract" and subject is not None:
        # by URL name: vendors sits above governance
        url = reverse("vendor-contract", args=[subject.contract.key])
        return f"{url}?version={subject.number}"
    if review.subject_kind == "policy" and subject is not None:
        return reverse("policy-page", args=[subject.pk])  # the consult app's page, by name
    return ""


@login_required
@require_POST
def review_vote(request, pk: int):
    """Approve, reject or request changes. From the queue (htmx) the row is replaced by its new
    state; from the review page the page is shown again with the result."""
    review = _reviews(request.user).filter(pk=pk).first()
    if review is None:
        raise Http404(_("No review you may read has this number."))
    form = VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose Approve, Reject or Request changes."))
    else:
        try:
            cast_vote(
                _actor(request, "vote from the review page"),
                review,
                form.cleaned_data["choice"],
                form.cleaned_data["comment"],
            )
        except REFUSALS as exc:
            _refused(request, exc)
        else:
            review.refresh_from_db()
            messages.success(request, VOTE_DONE(review))
    if request.htmx:
        fresh = _reviews(request.user).get(pk=pk)
        return render(
            request,
            "governance/_review_row.html",
            {"item": _review_item(fresh, request.user), "vote_form": VoteForm(), "swap": True},
        )
    return redirect("review-page", pk)


def VOTE_DONE(review: Review) -> str:  # noqa: N802 (reads as a message table)
    if review.is_open:
        return _("Your vote is recorded. The review stays open.")
    return _("Your vote is recorded. The review is decided: %(status)s.") % {
        "status": review.get_status_display()
    }


# Meetings --------------------------------------------------------------------------------------


def _committee(request, pk: int) -> Committee:
    committee = Committee.objects.prefetch_related("memberships__user").filter(pk=pk).first()
    if committee is None or not has_role(request.user):
        raise Http404(_("No committee has this number."))
    if not (request.user.is_superuser or committee.is_member(request.user)):
        raise PermissionDenied(_("Only the committee's members see its agenda."))
    return committee


@login_required
def agenda(request, pk: int):
    """What awaits the committee, what it decided since its last meeting; printable."""
    committee = _committee(request, pk)
    data = reports.agenda(committee)
    cache: dict = {}
    for item in data["awaiting_decision"]:
        item["conflicts"] = _conflicts_by_summary(item["conflicts"], cache)
    meetings = list(committee.meetings.order_by("-held_on")[:10])
    last = meetings[0] if meetings else None
    since = reports.decided_between(committee, last.held_on if last else None, None)
    return render(
        request,
        "governance/agenda.html",
        {
            "committee": committee,
            "agenda": data,
            "last_meeting": last,
            "decided": since,
            "meetings": meetings,
            "meeting_form": MeetingForm(),
            "breadcrumbs": breadcrumbs((committee.name, ""), (_("Agenda"), "")),
        },
    )


@login_required
def agenda_markdown(request, pk: int):
    committee = _committee(request, pk)
    text = reports.agenda_markdown(reports.agenda(committee))
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="agenda-{committee.pk}.md"'
    return response


@login_required
@require_POST
def meeting_new(request, pk: int):
    committee = _committee(request, pk)
    form = MeetingForm(request.POST)
    if form.is_valid():
        try:
            meeting = services.record_meeting(
                _actor(request), committee, form.cleaned_data["held_on"],
                form.cleaned_data["notes"],
            )  # fmt: skip
        except REFUSALS as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("Meeting recorded; its minutes list its decisions."))
            return redirect("minutes-page", committee.pk, meeting.pk)
    else:
        messages.error(request, _("Give the date of the meeting."))
    return redirect("agenda-page", committee.pk)


@login_required
def minutes(request, pk: int, meeting_pk: int):
    committee = _committee(request, pk)
    meeting = Meeting.objects.filter(committee=committee, pk=meeting_pk).first()
    if meeting is None:
        raise Http404(_("No such meeting."))
    previous = committee.meetings.filter(held_on__lt=meeting.held_on).order_by("-held_on").first()
    decided = reports.decided_between(
        committee, previous.held_on if previous else None, meeting.held_on
    )
    return render(
        request,
        "governance/minutes.html",
        {
            "committee": committee,
            "meeting": meeting,
            "previous": previous,
            "decided": decided,
            "breadcrumbs": breadcrumbs(
                (committee.name, reverse("agenda-page", args=[committee.pk])),
                (_("Minutes"), ""),
            ),
        },
    )


# Conflicts -------------------------------------------------------------------------------------


@login_required
def conflicts(request):
    """Definitions that disagree, side by side, each with the way to resolve it."""
    user = request.user
    if not has_role(user):
        raise PermissionDenied(_("Your account has no governance role."))
    readable = set(
        definitions_visible_to(user, FieldDefinition.objects.all()).values_list("key", flat=True)
    )
    versions = {v.definition.key: v for v in reports.current_versions().values()}
    found = [c for c in reports.open_conflicts() if set(c.definitions) <= readable]
    groups = []
    for conflict in found:
        columns = [versions[k] for k in conflict.definitions if k in versions]
        groups.append(
            {
                "conflict": conflict,
                "columns": columns,
                "editable": {
                    v.definition.key for v in columns if may_edit_definition(user, v.definition)
                },
                "rows": [
                    {"label": _(DEFINITION_LABELS[name]),
                     "values": [show(getattr(v, name), name) for v in columns],
                     "differs": len({show(getattr(v, name), name) for v in columns}) > 1}
                    for name in ("name", "name_zh", "tax", "discount", "currency", "unit",
                                 "grain", "data_type", "synonyms")
                ],
                "form": ResolveConflictForm(
                    initial={"fingerprint": conflict.fingerprint},
                    auto_id=f"conflict{len(groups)}-%s",
                ),
            }
        )  # fmt: skip
    return render(
        request,
        "governance/conflicts.html",
        {
            "groups": groups,
            "may_resolve": in_committee_role(user),
            "breadcrumbs": breadcrumbs((_("Conflicts"), "")),
        },
    )


@login_required
@require_POST
def conflict_resolve(request):
    if not in_committee_role(request.user):
        raise PermissionDenied(_("Only the committee settles conflicts."))
    form = ResolveConflictForm(request.POST)
    if form.is_valid():
        try:
            services.resolve_conflict(
                _actor(request), form.cleaned_data["fingerprint"], form.cleaned_data["note"]
            )
        except REFUSALS as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("Recorded how the conflict was settled."))
    else:
        messages.error(request, _("Say how the conflict was settled."))
    return redirect("conflicts-page")
