"""The consult pages (URLs fixed by the design: /consult/policies/, /consult/what-if/,
/consult/decisions/): access policies in words, proposed and reviewed like definitions; the
committee's what-if over the same decision point as the API (nothing logged: nothing was used);
the decision log, filtered as the API filters it and exported as CSV. Each calls the same
services and permission rules as the API: what the caller may not read is a 404, what it may
read but not do a 403."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consult import query, services
from consult.filtersets import AccessPolicyFilterSet, DecisionLogFilterSet
from consult.forms import DecisionFilterForm, PolicyForm, ReasonForm, WhatIfForm
from consult.models import AccessPolicy
from consult.permissions import (
    may_read_decisions,
    may_read_policies,
    visible_decisions,
    visible_policies,
)
from consult.words import policy_sentence
from core.audit import Actor
from core.errors import DomainError
from core.pages import apply_error, breadcrumbs
from governance import workflow
from governance.choices import ReviewStatus
from governance.permissions import readable_review_ids
from lineage.choices import Dialect

REFUSALS = (DomainError, ValidationError)
PAGE_SIZE = 50
ACTIONS = ("submit", "withdraw", "revoke")


def tabs(user) -> list[tuple[str, str, str]]:
    """The consult pages the caller may open: (url name, label, url)."""
    shown = []
    if may_read_policies(user):
        shown.append(("policies-page", _("Access policies")))
    if user.has_perm("consult.simulate_consult"):
        shown.append(("what-if-page", _("What if")))
    if may_read_decisions(user):
        shown.append(("decisions-page", _("Decision log")))
    return [(name, label, reverse(name)) for name, label in shown]


def _page(request, template: str, current: str, context: dict):
    return render(
        request, template, {**context, "tabs": tabs(request.user), "tab_current": current}
    )


# Policies -------------------------------------------------------------------------------------


def _policies(request):
    if not may_read_policies(request.user):
        raise Http404(_("No page here you may read."))
    return visible_policies(
        request.user, AccessPolicy.objects.select_related("consumer", "group", "author")
    )


def _policy(request, pk: int) -> AccessPolicy:
    found = _policies(request).filter(pk=pk).first()
    if found is None:
        raise Http404(_("No policy you may read has this number."))
    return found


@login_required
def policies(request):
    """The policies the caller may read, newest first, filtered as the API filters them."""
    rows = _policies(request).order_by("-id")
    filtered = AccessPolicyFilterSet(request.GET, queryset=rows)
    rows = filtered.qs if filtered.is_valid() else rows.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return _page(
        request,
        "consult/policies.html",
        "policies-page",
        {
            "page": page,
            "rows": [(p, policy_sentence(p)) for p in page],
            "statuses": AccessPolicy._meta.get_field("status").choices,
            "chosen": {k: request.GET.get(k, "") for k in ("status", "consumer", "resource_key")},
            "querystring": _without_page(request),
            "may_propose": request.user.has_perm("consult.add_accesspolicy"),
            "breadcrumbs": breadcrumbs((_("Access policies"), "")),
        },
    )


@login_required
def policy_detail(request, pk: int):
    policy = _policy(request, pk)
    reviews = list(workflow.reviews_of(policy).order_by("-id"))
    open_review = next((r for r in reviews if r.status == ReviewStatus.OPEN), None)
    timeline = workflow.history(policy)
    readable_reviews = readable_review_ids(
        request.user, [c.review_id for c in timeline] + [r.pk for r in reviews]
    )
    return _page(
        request,
        "consult/policy.html",
        "policies-page",
        {
            "policy": policy,
            "sentence": policy_sentence(policy),
            "rows": workflow.workflow_for(policy).describe(policy)["proposed"],
            "open_review": open_review,
            "reviews": reviews,
            "timeline": timeline,
            "readable_reviews": readable_reviews,
            "actions": workflow.allowed_actions(request.user, policy),
            "may_decide": open_review is not None and workflow.may_vote(request.user, open_review),
            "reason_form": ReasonForm(),
            "may_simulate": request.user.has_perm("consult.simulate_consult"),
            "breadcrumbs": breadcrumbs(
                (_("Access policies"), reverse("policies-page")), (f"#{policy.pk}", "")
            ),
        },
    )


@login_required
def policy_new(request):
    """Propose a policy: saved as a draft, or sent to review at once."""
    _policies(request)  # who may not read policies may not find this page either
    if not request.user.has_perm("consult.add_accesspolicy"):
        raise PermissionDenied(_("Only stewards and committee members propose policies."))
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            submit = "submit" in request.POST
            try:
                policy = services.create_policy(
                    Actor.from_request(request), form.service_data(), submit=submit
                )
            except REFUSALS as exc:
                _show_policy_error(form, exc)
            else:
                messages.success(
                    request, _("Submitted for review.") if submit else _("Draft saved.")
                )
                return redirect("policy-page", policy.pk)
    else:
        form = PolicyForm()
    title = _("Propose a policy")
    return _page(
        request,
        "consult/policy_new.html",
        "policies-page",
        {
            "form": form,
            "title": title,
            "breadcrumbs": breadcrumbs(
                (_("Access policies"), reverse("policies-page")), (title, "")
            ),
        },
    )


# Model errors on what the form asks for under another name.
_FORM_NAMES = {"obligations": "mask"}


def _show_policy_error(form: PolicyForm, exc: Exception) -> None:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        exc = ValidationError(
            {_FORM_NAMES.get(name, name): errors for name, errors in exc.error_dict.items()}
        )
    apply_error(form, exc)


@login_required
@require_POST
def policy_action(request, pk: int, action: str):
    """Submit, withdraw or revoke a policy from its page. The right is checked before the
    state, as the API does: who may not act learns nothing about why the step would fail."""
    policy = _policy(request, pk)
    if action not in ACTIONS:
        raise Http404()
    if not workflow.may_request(request.user, policy, action):
        raise PermissionDenied(_("You may not do this to this policy."))
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.transition_policy(Actor.from_request(request, reason=reason), policy, action,
                                   reason)  # fmt: skip
    except REFUSALS as exc:
        messages.error(request, exc.message if isinstance(exc, DomainError) else exc.messages[0])
    else:
        messages.success(request, ACTION_DONE[action]())
    return redirect("policy-page", policy.pk)


ACTION_DONE = {
    "submit": lambda: _("Submitted for review."),
    "withdraw": lambda: _("Withdrawn: the policy is a draft again."),
    "revoke": lambda: _("Revoked: the policy no longer decides any consult."),
}


# What if --------------------------------------------------------------------------------------


@login_required
def what_if(request):
    """A consumer's consult as the decision point would answer it now, for fields or a query,
    with each decision's reasons in words and the policies that decided. Nothing is logged: a
    what-if uses nothing."""
    user = request.user
    if not user.has_perm("consult.simulate_consult"):
        if may_read_policies(user) or may_read_decisions(user):
            raise PermissionDenied(_("Only committee members run what-if consults."))
        raise Http404(_("No page here you may read."))
    # A link may name only the consumer and purpose (a policy's "Try it"): that fills the form in.
    asked = "fields_text" in request.GET or "sql" in request.GET
    form = WhatIfForm(request.GET) if asked else WhatIfForm(initial=request.GET.dict())
    result = None
    if asked and form.is_valid():
        result = _simulate(form)
    return _page(
        request,
        "consult/what_if.html",
        "what-if-page",
        {
            "form": form,
            "result": result,
            "breadcrumbs": breadcrumbs((_("What if"), "")),
        },
    )


def _simulate(form: WhatIfForm) -> dict | None:
    data = form.cleaned_data
    consumer, purpose = data["consumer"], data["purpose"]
    try:
        if data["sql"].strip():
            dialect = data["dialect"] or Dialect.POSTGRES
            body = query.consult_query(consumer, purpose, data["sql"], dialect, log=False)
        else:
            body = services.consult(consumer, purpose, form.refs, log=False)
    except DomainError as exc:
        apply_error(form, exc)
        return None
    ids = {r["policy"] for d in body["decisions"] for r in d["reasons"] if r.get("policy")}
    found = AccessPolicy.objects.select_related("consumer", "group").in_bulk(ids)
    deciding = {pk: (p, policy_sentence(p)) for pk, p in found.items()}
    decisions = [
        {
            **d,
            "reasons": [{**r, "policy_row": deciding.get(r.get("policy"))} for r in d["reasons"]],
        }
        for d in body["decisions"]
    ]
    counts: dict[str, int] = {}
    for d in decisions:
        counts[d["decision"]] = counts.get(d["decision"], 0) + 1
    return {**body, "decisions": decisions, "counts": counts, "by_query": "outputs" in body}


# The decision log -----------------------------------------------------------------------------


def _decisions(request):
    """The log rows the caller reads, filtered by the API's filter set (the same query
    parameters: field, consumer, purpose, decision, since, until, simulated)."""
    if not may_read_decisions(request.user):
        raise Http404(_("No page here you may read."))
    filtered = DecisionLogFilterSet(
        request.GET, queryset=visible_decisions(request.user).order_by("-id")
    )
    return filtered


@login_required
def decisions(request):
    filtered = _decisions(request)
    valid = filtered.is_valid()
    rows = filtered.qs if valid else filtered.queryset.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    form = DecisionFilterForm(request.GET or None)
    if not valid:
        for name, errors in filtered.errors.items():
            for error in errors:
                form.add_error(name if name in form.fields else None, error)
    querystring = _without_page(request)
    return _page(
        request,
        "consult/decisions.html",
        "decisions-page",
        {
            "form": form,
            "page": page,
            "querystring": querystring,
            "csv_url": reverse("decisions-csv") + (f"?{querystring}" if querystring else ""),
            "breadcrumbs": breadcrumbs((_("Decision log"), "")),
        },
    )


CSV_COLUMNS = ("at", "consumer", "simulated_by", "purpose", "field", "decision", "reasons",
               "policies", "catalog_version", "request_id")  # fmt: skip


class _Echo:
    def write(self, value):
        return value


@login_required
def decisions_csv(request):
    """The filtered decision log as CSV, streamed row by row from a server-side cursor, so a
    log of millions of rows never sits in memory."""
    filtered = _decisions(request)
    if not filtered.is_valid():
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in filtered.errors.items())
        return HttpResponseBadRequest(
            f"{_('These filters are not valid.')} {problems}", content_type="text/plain"
        )
    rows = filtered.qs.values_list(
        "at", "consumer_name", "simulated_by", "purpose", "field_ref", "decision", "reasons",
        "policy_ids", "catalog_version", "request_id",
    ).iterator(chunk_size=2000)  # fmt: skip
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(CSV_COLUMNS)
        for at, *middle, reasons, policy_ids, version, request_id in rows:
            codes = " ".join(r.get("code", "") for r in reasons or [] if isinstance(r, dict))
            ids = " ".join(str(i) for i in policy_ids or [])
            yield writer.writerow([at.isoformat(), *middle, codes, ids, version, request_id])

    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="consult-decisions-{stamp}.csv"'
    return response


def _without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
