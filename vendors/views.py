"""The vendor workspace: a vendor's home, a contract's page (its document, versions, change
notices, ODCS out and in), the contract editor with its RACI grid, a new interface, and change
notices with their impact. Every page calls the services and the version API's serializer, so
the rules and their messages are the API's; what the caller may not read is a 404, what it may
read but not change a 403. Approval happens on the review page (/reviews/<id>/): a submitted
version opens a review, decided by the owner of an affected system or the committee."""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from catalog.models import Dataset, Field, SourceSystem
from core.api.errors import flatten, validation_error
from core.audit import Actor
from core.choices import Role
from core.errors import DomainError
from core.pages import apply_error, breadcrumbs, roles_of
from core.permissions import user_can, visible
from governance.choices import ReviewStatus
from governance.models import Review
from governance.permissions import reviews_visible_to
from governance.workflow import reviews_of
from vendors import odcs, services
from vendors.api.odcs import import_document
from vendors.api.serializers import (
    ALL,
    ContractVersionSerializer,
    naming_scope,
    positions_as_lists,
)
from vendors.choices import (
    Activity,
    NoticeStatus,
    PartyKind,
    RaciRole,
    ResponseUnit,
    SlaMetric,
    Unit,
    VersionStatus,
)
from vendors.forms import (
    SECTIONS,
    ChangeRowFormSet,
    ContractForm,
    NoticeAnswerForm,
    NoticeForm,
    OdcsUploadForm,
    VersionForm,
    section_of,
)
from vendors.models import ChangeNotice, ContractVersion, IntegrationContract, Vendor
from vendors.rendering import document_context, render_html, render_markdown
from vendors.validation import completeness_gaps

REFUSALS = (DomainError, ValidationError)
S = VersionStatus
CONTRACT_PATHS = ("vendor",)
NOTICE_PATHS = ("contract", "contract__vendor")
BLANK_TEAMS = 2  # empty team columns the grid offers
SEARCH_LIMIT = 15


def _actor(request, reason: str = "") -> Actor:
    return Actor.from_request(request, reason=reason)


def _problems(exc: Exception) -> list[dict]:
    """A refusal as [{path, message}], whichever layer raised it."""
    if isinstance(exc, DomainError):
        return exc.errors or [{"path": "", "message": exc.message}]
    return validation_error(exc).errors


def _contract(request, key: str) -> IntegrationContract:
    found = (
        visible(request.user, IntegrationContract.objects.all(), CONTRACT_PATHS)
        .select_related("vendor")
        .filter(key=key.lower())
        .first()
    )
    if found is None:
        raise Http404(_("No contract you may read has this key."))
    return found


def _may_change(user, contract: IntegrationContract) -> bool:
    return user_can(user, "change", contract)


def _require_change(request, contract: IntegrationContract) -> None:
    if not _may_change(request.user, contract):
        raise PermissionDenied(_("Only the vendor and the company's stewards change a contract."))


def _vendor_of(user) -> Vendor | None:
    membership = getattr(user, "vendor_membership", None)
    return membership.vendor if membership is not None else None


def _draft(contract: IntegrationContract) -> ContractVersion | None:
    return contract.versions.filter(status=S.DRAFT).order_by("-number").first()


def _shown_version(contract, number: str | None) -> ContractVersion | None:
    versions = contract.versions.select_related("source_system", "target_system")
    if number:
        found = versions.filter(number=number).first() if number.isdigit() else None
        if found is None:
            raise Http404(_("No such version."))
        return found
    return contract.effective_version or versions.order_by("-number").first()


def _open_review(version: ContractVersion | None):
    if version is None:
        return None
    return reviews_of(version).filter(status=ReviewStatus.OPEN).first()


def _last_answer(version: ContractVersion) -> dict | None:
    """The last decided review of a version: its outcome and the reviewers' comments."""
    review = (
        reviews_of(version)
        .exclude(status__in=[ReviewStatus.OPEN, ReviewStatus.WITHDRAWN])
        .order_by("-decided_at", "-id")
        .prefetch_related("votes__voter")
        .first()
    )
    if review is None:
        return None
    votes = [v for v in review.votes.all()]
    return {"review": review, "status": review.get_status_display(), "votes": votes}


# Home ------------------------------------------------------------------------------------------


@login_required
def home(request):
    """A vendor's interfaces and what is asked of it; for the company's people, the contracts
    they may read and what awaits their answer."""
    user = request.user
    vendor = _vendor_of(user)
    contracts = (
        visible(user, IntegrationContract.objects.all(), CONTRACT_PATHS)
        .select_related("vendor")
        .prefetch_related("versions__source_system", "versions__target_system")
        .order_by("vendor__key", "key")
    )
    if vendor is None and not roles_of(user) & {Role.COMMITTEE, Role.STEWARD, Role.ENGINEER}:
        raise PermissionDenied(_("Your account works for no vendor and has no governance role."))
    if vendor is not None:
        contracts = contracts.filter(vendor=vendor)
    interfaces = [_interface(c) for c in contracts]
    notices = (
        visible(user, ChangeNotice.objects.all(), NOTICE_PATHS)
        .select_related("contract", "version", "responded_by", "filed_by")
        .order_by("-created_at", "-id")
    )
    if vendor is not None:
        notices = notices.filter(contract__vendor=vendor)
    awaiting, to_answer = [], []
    if vendor is None:
        submitted = ContractVersion.objects.filter(
            status=S.SUBMITTED, contract__in=contracts
        ).select_related("contract__vendor", "source_system", "target_system")
        reviews = reviews_visible_to(user, _open_reviews_of(submitted))
        by_version = {r.object_id: r for r in reviews}
        awaiting = [
            {"version": v, "review": by_version.get(v.pk)}
            for v in submitted
            if services.may_approve(user, v)
        ]
        to_answer = [
            n
            for n in notices
            if n.status == NoticeStatus.OPEN
            and (n.version is None or services.may_approve(user, n.version))
        ]
    return render(
        request,
        "vendors/home.html",
        {
            "vendor": vendor,
            "interfaces": interfaces,
            "next_steps": [step for i in interfaces for step in i["next"]],
            "notices": list(notices[:30]),
            "awaiting": awaiting,
            "to_answer": to_answer,
            "may_create": _creatable_vendors(user).exists(),
            "breadcrumbs": breadcrumbs((_("Vendor contracts"), "")),
        },
    )


def _open_reviews_of(versions):
    return Review.objects.filter(
        content_type=ContentType.objects.get_for_model(ContractVersion),
        object_id__in=[v.pk for v in versions],
        status=ReviewStatus.OPEN,
    )


def _interface(contract: IntegrationContract) -> dict:
    versions = sorted(contract.versions.all(), key=lambda v: -v.number)
    in_force = next((v for v in versions if v.status == S.ACTIVE), None)
    draft = next((v for v in versions if v.status == S.DRAFT), None)
    steps = []
    if draft is not None:
        gaps = completeness_gaps(services.document_of(draft))
        if gaps:
            steps.append(
                {
                    "contract": contract,
                    "text": ngettext(
                        "Complete draft version %(n)s of %(name)s: %(count)s gap left.",
                        "Complete draft version %(n)s of %(name)s: %(count)s gaps left.",
                        len(gaps),
                    )
                    % {"n": draft.number, "name": contract.name, "count": len(gaps)},
                }
            )
        else:
            steps.append(
                {
                    "contract": contract,
                    "text": _("Submit draft version %(n)s of %(name)s for approval.")
                    % {"n": draft.number, "name": contract.name},
                }
            )
    answers = []
    for version in versions[:3]:
        answer = _last_answer(version)
        if answer is not None:
            answers.append({"version": version, **answer})
    latest = versions[0] if versions else None
    if latest is not None and latest.status == S.REJECTED:
        steps.append(
            {
                "contract": contract,
                "text": _("Version %(n)s of %(name)s was rejected: read why and start again.")
                % {"n": latest.number, "name": contract.name},
            }
        )
    if not versions:
        steps.append(
            {
                "contract": contract,
                "text": _("Document %(name)s: it has no version yet.") % {"name": contract.name},
            }
        )
    return {
        "contract": contract,
        "versions": versions,
        "in_force": in_force,
        "slas": list(in_force.slas.all()) if in_force else [],
        "escalation": list(in_force.escalation.select_related("contact")) if in_force else [],
        "answers": answers,
        "next": steps,
    }


# A new interface -------------------------------------------------------------------------------


def _creatable_vendors(user):
    """Vendors the caller may add contracts to (its own, or any for a steward)."""
    vendors = visible(user, Vendor.objects.all()).order_by("name")
    if user.is_superuser or user.has_perm("vendors.change_vendor"):
        return vendors
    own = _vendor_of(user)
    if own is not None and user_can(user, "change", own):
        return vendors.filter(pk=own.pk)
    return vendors.none()


@login_required
def contract_new(request):
    vendors = list(_creatable_vendors(request.user))
    if not vendors:
        raise PermissionDenied(_("Only a vendor's people and the company's stewards add one."))
    form = ContractForm(request.POST or None, vendors=vendors)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["vendor"] = next(v for v in vendors if v.key == data["vendor"])
        data["key"] = data["key"].strip().lower()
        if IntegrationContract.objects.filter(key=data["key"]).exists():
            form.add_error("key", _("This key is taken: choose another."))
        else:
            try:
                contract = services.ContractService.create(_actor(request), data)
            except REFUSALS as exc:
                apply_error(form, exc)
            else:
                messages.success(request, _("Interface created: now document its contract."))
                return redirect("vendor-contract-edit", contract.key)
    return render(
        request,
        "vendors/contract_new.html",
        {
            "form": form,
            "single_vendor": len(vendors) == 1,
            "breadcrumbs": breadcrumbs(
                (_("Vendor contracts"), reverse("vendor-home")), (_("New interface"), "")
            ),
        },
    )


# The contract page -----------------------------------------------------------------------------


@login_required
def contract_page(request, key: str):
    contract = _contract(request, key)
    version = _shown_version(contract, request.GET.get("version"))
    return _contract_page(request, contract, version)


def _contract_page(request, contract, version, upload_problems=None, upload_form=None):
    user = request.user
    may_change = _may_change(user, contract)
    versions = list(contract.versions.order_by("-number"))
    review = _open_review(version)
    if review is not None and not reviews_visible_to(user, reviews_of(version)).exists():
        review = None
    draft = next((v for v in versions if v.status == S.DRAFT), None)
    # Gaps matter only while the version is a draft (what stands between it and Submit).
    drafting = version is not None and version.status == S.DRAFT
    gaps = completeness_gaps(services.document_of(version)) if drafting else []
    notices = contract.notices.select_related("filed_by", "responded_by").order_by("-created_at")
    context = {
        "contract": contract,
        "version": version,
        "versions": versions,
        "doc": document_context(version) if version else None,
        "gaps": gaps,
        "review": review,
        "answer": _last_answer(version) if version else None,
        "draft": draft,
        "may_change": may_change,
        "may_withdraw": may_change and version is not None and version.status == S.SUBMITTED,
        "notices": notices,
        "upload_form": upload_form or OdcsUploadForm(),
        "upload_problems": upload_problems or [],
        "breadcrumbs": breadcrumbs(
            (_("Vendor contracts"), reverse("vendor-home")), (contract.name, "")
        ),
    }
    status = 400 if upload_problems else 200
    return render(request, "vendors/contract_page.html", context, status=status)


def _document_version(request, key: str) -> tuple[IntegrationContract, ContractVersion]:
    """The contract and the version asked for (`?version=`, else the one in force, else the
    latest), for the documents of a contract; a 404 when it has none."""
    contract = _contract(request, key)
    version = _shown_version(contract, request.GET.get("version"))
    if version is None:
        raise Http404(_("This contract has no version yet."))
    return contract, version


@login_required
def contract_markdown(request, key: str):
    contract, version = _document_version(request, key)
    response = HttpResponse(render_markdown(version), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{contract.key}-v{version.number}.md"'
    return response


@login_required
def contract_printable(request, key: str):
    version = _document_version(request, key)[1]
    return HttpResponse(render_html(version), content_type="text/html; charset=utf-8")


@login_required
def contract_odcs(request, key: str):
    """GET: a version as an ODCS YAML file. POST: an uploaded ODCS document becomes a new draft
    version, or the page lists every problem at its path and nothing is written."""
    if request.method != "POST":
        contract, version = _document_version(request, key)
        response = HttpResponse(
            odcs.dump(odcs.export(version), "yaml"), content_type="application/yaml; charset=utf-8"
        )
        name = f"{contract.key}-v{version.number}.odcs.yaml"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    contract = _contract(request, key)
    _require_change(request, contract)
    form = OdcsUploadForm(request.POST, request.FILES)
    shown = _shown_version(contract, None)
    if not form.is_valid():
        return _contract_page(request, contract, shown, [], form)
    try:
        text = form.cleaned_data["document"].read().decode("utf-8")
        version = import_document(_actor(request), contract, odcs.parse(text))
    except (ValueError, UnicodeDecodeError) as exc:
        problems = [{"path": "", "message": str(exc)}]
        return _contract_page(request, contract, shown, problems, form)
    except REFUSALS as exc:
        return _contract_page(request, contract, shown, _problems(exc), form)
    messages.success(
        request,
        _("The document is now draft version %(n)s.") % {"n": version.number},
    )
    return redirect(f"{reverse('vendor-contract', args=[contract.key])}?version={version.number}")


@login_required
@require_POST
def contract_action(request, key: str, action: str):
    """Submit or withdraw the contract's version from its pages."""
    contract = _contract(request, key)
    _require_change(request, contract)
    if action == "submit":
        version = _draft(contract)
    elif action == "withdraw":
        version = contract.versions.filter(status=S.SUBMITTED).order_by("-number").first()
    else:
        raise Http404()
    if version is None:
        messages.error(request, _("There is no version to do this to."))
        return redirect("vendor-contract", contract.key)
    try:
        services.version_transition(_actor(request, f"{action} from the contract page"),
                                    version, action)  # fmt: skip
    except REFUSALS as exc:
        for item in _problems(exc):
            messages.error(request, item["message"])
        return redirect("vendor-contract-edit", contract.key)
    if action == "submit":
        messages.success(request, _("Submitted: the owners of the systems it touches review it."))
    else:
        messages.success(request, _("Withdrawn: the version is a draft again."))
    return redirect(f"{reverse('vendor-contract', args=[contract.key])}?version={version.number}")


# The editor ------------------------------------------------------------------------------------


def _grid_columns(raci_rows: list[dict], posted_teams: list[str] | None) -> list[str]:
    """The team columns of the RACI grid: those the matrix names, then empty ones to add."""
    if posted_teams is not None:
        teams = [t for t in posted_teams]
    else:
        teams = []
        for row in raci_rows:
            if row["party_kind"] == PartyKind.TEAM and row["party"] not in teams:
                teams.append(row["party"])
    while len(teams) - sum(1 for t in teams if t.strip()) < BLANK_TEAMS:
        teams.append("")
    return teams


def _state_of(version: ContractVersion | None) -> dict:
    """What the editor shows of a saved version (or an empty contract)."""
    if version is None:
        return {"initial": {"direction": "inbound"}, "datasets": [], "fields": [], "raci": [],
                "slas": [], "escalation": []}  # fmt: skip
    initial = {
        name: getattr(version, name)
        for name in VersionForm.base_fields
        if name not in ("source_system", "target_system", "lineage_jobs")
    }
    initial = {k: ("" if v is None else v) for k, v in initial.items()}
    for name in ("effective_from", "effective_until"):
        initial[name] = initial[name].isoformat() if initial[name] else ""
    initial["source_system"] = version.source_system.key
    initial["target_system"] = version.target_system.key
    initial["lineage_jobs"] = ", ".join(version.lineage_jobs)
    return {
        "initial": initial,
        "datasets": sorted(d.ref for d in version.datasets.select_related("system")),
        "fields": sorted(f.ref for f in version.fields.select_related("dataset__system")),
        "raci": list(version.raci.values("activity", "role", "party_kind", "party")),
        "slas": [
            {**s, "target": format(s["target"].normalize(), "f")}
            for s in version.slas.values("metric", "target", "unit", "description")
        ],
        "escalation": [
            {**e, "contact": e["contact"] or ""}
            for e in version.escalation.values(
                "level", "contact", "internal_contact", "response_time", "response_unit"
            )
        ],
    }


def _posted_rows(post, prefix: str, names: tuple[str, ...]) -> list[dict]:
    rows, index = [], 0
    while f"{prefix}-{index}-{names[0]}" in post:
        row = {n: post.get(f"{prefix}-{index}-{n}", "").strip() for n in names}
        rows.append(row)
        index += 1
    return rows


SLA_NAMES = ("metric", "target", "unit", "description")
ESCALATION_NAMES = ("level", "contact", "internal_contact", "response_time", "response_unit")


def _state_from_post(post) -> tuple[dict, list[str]]:
    teams = [post.get(f"team-{i}", "").strip() for i in range(int(post.get("team-count", 0)))]
    raci = []
    for activity in Activity.values:
        for column in range(len(teams) + 1):
            for role in post.getlist(f"raci-{activity}-{column}"):
                if role not in RaciRole.values:
                    continue
                kind, party = (PartyKind.VENDOR, "") if column == 0 else (
                    PartyKind.TEAM, teams[column - 1])  # fmt: skip
                raci.append({"activity": activity, "role": role, "party_kind": kind,
                             "party": party})  # fmt: skip
    state = {
        "datasets": [r.strip() for r in post.getlist("dataset") if r.strip()],
        "fields": [r.strip() for r in post.getlist("field") if r.strip()],
        "raci": raci,
        "slas": [r for r in _posted_rows(post, "sla", SLA_NAMES) if r["metric"] or r["target"]],
        "escalation": [
            r
            for r in _posted_rows(post, "esc", ESCALATION_NAMES)
            if r["contact"] or r["internal_contact"] or r["response_time"]
        ],
    }
    return state, teams


def _payload(contract, form: VersionForm, state: dict) -> dict:
    return {
        "contract": contract.key,
        **form.payload(),
        "datasets": state["datasets"],
        "fields": state["fields"],
        "raci": state["raci"],
        "slas": state["slas"],
        "escalation": [
            {**row, "contact": row["contact"] or None, "level": row["level"] or None}
            for row in state["escalation"]
        ],
    }


def _systems(user, contract):
    scope = naming_scope(user, contract)
    systems = SourceSystem.objects.order_by("name")
    return systems if scope is ALL else systems.filter(pk__in=scope[SourceSystem])


@login_required
def contract_edit(request, key: str):
    contract = _contract(request, key)
    _require_change(request, contract)
    draft = _draft(contract)
    base = draft or contract.versions.order_by("-number").first()
    systems = list(_systems(request.user, contract))
    problems: list[dict] = []
    if request.method == "POST":
        state, teams = _state_from_post(request.POST)
        form = VersionForm(request.POST, systems=systems)
        form.is_valid()
        payload = _payload(contract, form, state)
        serializer = ContractVersionSerializer(
            data=payload, context={"request": SimpleNamespace(user=request.user)}
        )
        if serializer.is_valid():
            data = dict(serializer.validated_data)
            data.pop("contract")
            try:
                if draft is not None:
                    saved = services.update_version(_actor(request), draft, data)
                else:
                    saved = services.create_version(_actor(request), contract, data)
            except REFUSALS as exc:
                problems = _problems(exc)
            else:
                messages.success(request, _("Draft version %(n)s saved.") % {"n": saved.number})
                return redirect("vendor-contract-edit", contract.key)
        else:
            problems = flatten(positions_as_lists(serializer.errors))
    else:
        state = _state_of(base)
        teams = None
        form = VersionForm(initial=state["initial"], systems=systems)
    section_problems = {name: [] for name in SECTIONS}
    for item in problems:
        section = section_of(item["path"])
        root = item["path"].split(".")[0].split("[")[0]
        if root in form.fields and section not in ("carried",):
            form.add_error(root, item["message"])
        else:
            section_problems.setdefault(section or "top", []).append(_located(item))
    gaps_by_section = {name: [] for name in SECTIONS}
    gaps = completeness_gaps(services.document_of(draft)) if draft else []
    for gap in gaps:
        gaps_by_section[section_of(gap["path"]) or "interface"].append(gap["message"])
    team_names = _grid_columns(state["raci"], teams)
    return render(
        request,
        "vendors/edit.html",
        {
            "contract": contract,
            "draft": draft,
            "base": base,
            "form": form,
            "state": state,
            "grid": _grid(contract, state["raci"], team_names),
            "team_names": team_names,
            "sla_rows": _padded(
                state["slas"], 4, {"metric": "", "target": "", "unit": "", "description": ""}
            ),  # fmt: skip
            "escalation_rows": _padded(
                state["escalation"],
                3,
                {
                    "level": "",
                    "contact": "",
                    "internal_contact": "",
                    "response_time": "",
                    "response_unit": "",
                },
            ),  # fmt: skip
            "dataset_rows": state["datasets"] + [""] * 2,
            "field_rows": state["fields"] + [""] * 3,
            "metrics": SlaMetric.choices,
            "units": Unit.choices,
            "response_units": ResponseUnit.choices,
            "contacts": list(contract.vendor.contacts.order_by("escalation_level", "name")),
            "problems": section_problems,
            "top_problems": section_problems.get("top", []),
            "gaps": gaps_by_section,
            "gap_count": len(gaps),
            "may_submit": draft is not None and not gaps and not problems,
            "breadcrumbs": breadcrumbs(
                (_("Vendor contracts"), reverse("vendor-home")),
                (contract.name, reverse("vendor-contract", args=[contract.key])),
                (_("Edit"), ""),
            ),
        },
        status=400 if problems else 200,
    )


def _located(item: dict) -> str:
    """A refusal of a row, with the row it concerns (paths count from 0, people from 1)."""
    path, message = item["path"], item["message"]
    if "[" in path:
        _root, _sep, rest = path.partition("[")
        index = rest.split("]")[0]
        if index.isdigit():
            return _("Row %(n)s: %(message)s") % {"n": int(index) + 1, "message": message}
    return message


def _padded(rows: list[dict], minimum: int, blank: dict) -> list[dict]:
    rows = list(rows) + [dict(blank)]
    while len(rows) < minimum:
        rows.append(dict(blank))
    return rows


def _grid(contract, raci: list[dict], teams: list[str]) -> list[dict]:
    """The RACI grid: one row per activity, one column per party (the vendor, then the teams),
    each cell the roles held."""
    held = set()
    for row in raci:
        if row["party_kind"] == PartyKind.VENDOR:
            column = 0
        elif row["party"] in teams:
            column = teams.index(row["party"]) + 1
        else:
            continue
        held.add((row["activity"], column, row["role"]))
    parties = [contract.vendor.name] + [
        name or _("internal team %(n)s") % {"n": i + 1} for i, name in enumerate(teams)
    ]
    return [
        {
            "activity": activity,
            "label": label,
            "cells": [
                {
                    "column": column,
                    "roles": [
                        {
                            "role": role,
                            "label": role_label,
                            "checked": (activity, column, role) in held,
                            "name": f"{label} · {party} · {role_label}",
                        }
                        for role, role_label in RaciRole.choices
                    ],
                }
                for column, party in enumerate(parties)
            ],
        }
        for activity, label in Activity.choices
    ]


@login_required
def catalog_search(request, key: str):
    """htmx: the datasets or fields the caller may name in this contract matching what is
    typed, as the options of the box's datalist."""
    contract = _contract(request, key)
    _require_change(request, contract)
    kind = "field" if "field" in request.GET else "dataset"
    typed = (request.GET.get(kind) or "").strip()
    refs: list[str] = []
    if len(typed) >= 2:
        model = Field if kind == "field" else Dataset
        scope = naming_scope(request.user, contract)
        rows = model.objects.all()
        if scope is not ALL:
            rows = rows.filter(pk__in=scope[model])
        if kind == "field":
            rows = rows.select_related("dataset__system").filter(
                Q(name__icontains=typed.rsplit(".", 1)[-1])
                | Q(dataset__name__icontains=typed.split(":")[-1].split(".")[0])
            )
            order = ("dataset__system__key", "dataset__name", "name")
        else:
            rows = rows.select_related("system").filter(
                Q(name__icontains=typed.split(":")[-1]) | Q(system__key__istartswith=typed)
            )
            order = ("system__key", "name")
        refs = [r.ref for r in rows.order_by(*order)[:SEARCH_LIMIT] if typed.lower() in
                r.ref.lower() or len(typed) < 4]  # fmt: skip
    return render(request, "vendors/_options.html", {"refs": refs})


# Change notices --------------------------------------------------------------------------------


def notice_period_words(notice: ChangeNotice) -> str:
    """`12 days' notice, the contract asks for 30`, and whether that is enough."""
    given = (notice.effective_date - timezone.localtime(notice.created_at).date()).days
    asked = notice.version.schema_change_notice_days if notice.version else None
    if asked is None:
        return ngettext(
            "%(given)s day's notice; the contract sets no notice period.",
            "%(given)s days' notice; the contract sets no notice period.",
            given,
        ) % {"given": given}
    if notice.inside_notice_period:
        return ngettext(
            "Short notice: %(given)s day's notice, the contract asks for %(asked)s.",
            "Short notice: %(given)s days' notice, the contract asks for %(asked)s.",
            given,
        ) % {"given": given, "asked": asked}
    return ngettext(
        "%(given)s day's notice, the contract asks for %(asked)s: enough.",
        "%(given)s days' notice, the contract asks for %(asked)s: enough.",
        given,
    ) % {"given": given, "asked": asked}


def change_words(change: dict) -> str:
    ref = change.get("field", "")
    kind = change.get("change")
    if kind == "renamed":
        return _("%(field)s renamed to %(name)s") % {"field": ref, "name": change.get("new_name")}
    if kind == "retyped":
        return _("%(field)s retyped to %(type)s") % {"field": ref, "type": change.get("new_type")}
    if kind == "removed":
        return _("%(field)s removed") % {"field": ref}
    added = _("%(field)s added") % {"field": ref}
    typed = change.get("data_type") or change.get("new_type")
    return f"{added} ({typed})" if typed else added


@login_required
def notice_new(request, key: str):
    contract = _contract(request, key)
    _require_change(request, contract)
    version = contract.effective_version or contract.versions.order_by("-number").first()
    if version is None:
        raise Http404(_("This contract has no version yet."))
    form = NoticeForm(request.POST or None)
    rows = ChangeRowFormSet(request.POST or None, prefix="changes")
    if request.method == "POST" and form.is_valid() and rows.is_valid():
        changes = [
            {k: v for k, v in r.cleaned_data.items() if v}
            for r in rows.forms
            if r.cleaned_data.get("change") or r.cleaned_data.get("field")
        ]
        for change in changes:
            if change.get("change") == "added" and "new_type" in change:
                change["data_type"] = change.pop("new_type")
        try:
            notice = services.file_notice(
                _actor(request), contract, {**form.cleaned_data, "changes": changes}
            )
        except REFUSALS as exc:
            for item in _problems(exc):
                path = item["path"]
                if path.startswith("changes["):
                    index = int(path.split("[")[1].split("]")[0])
                    name = path.rsplit(".", 1)[-1] if "." in path else "field"
                    filled = [
                        r for r in rows.forms
                        if r.cleaned_data.get("change") or r.cleaned_data.get("field")
                    ]  # fmt: skip
                    target = filled[index] if index < len(filled) else rows.forms[0]
                    target.add_error(name if name in target.fields else "field", item["message"])
                elif path in form.fields:
                    apply_error(form, ValidationError({path: [item["message"]]}))
                else:
                    apply_error(form, ValidationError(item["message"]))
        else:
            messages.success(request, _("Change notice filed; its impact is below."))
            return redirect("vendor-notice", notice.pk)
    carried = sorted(
        {f.ref for f in version.fields.select_related("dataset__system")}
        | {
            f.ref
            for f in Field.objects.filter(dataset__in=version.datasets.all()).select_related(
                "dataset__system"
            )
        }
    )
    return render(
        request,
        "vendors/notice_new.html",
        {
            "contract": contract,
            "version": version,
            "form": form,
            "rows": rows,
            "carried": carried,
            "breadcrumbs": breadcrumbs(
                (_("Vendor contracts"), reverse("vendor-home")),
                (contract.name, reverse("vendor-contract", args=[contract.key])),
                (_("New change notice"), ""),
            ),
        },
        status=400 if request.method == "POST" else 200,
    )


def _notice(request, pk: int) -> ChangeNotice:
    found = (
        visible(request.user, ChangeNotice.objects.all(), NOTICE_PATHS)
        .select_related("contract__vendor", "version", "filed_by", "responded_by")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404(_("No change notice you may read has this number."))
    return found


@login_required
def notice_page(request, pk: int):
    notice = _notice(request, pk)
    user = request.user
    may_answer = notice.status == NoticeStatus.OPEN and (
        notice.version is None or services.may_approve(user, notice.version)
    ) and _vendor_of(user) is None  # fmt: skip
    return render(
        request,
        "vendors/notice.html",
        {
            "notice": notice,
            "changes": [change_words(c) for c in notice.changes],
            "period": notice_period_words(notice),
            "impact": notice.impact or {},
            "may_answer": may_answer,
            "breadcrumbs": breadcrumbs(
                (_("Vendor contracts"), reverse("vendor-home")),
                (notice.contract.name, reverse("vendor-contract", args=[notice.contract.key])),
                (_("Change notice %(n)s") % {"n": notice.pk}, ""),
            ),
        },
    )


@login_required
@require_POST
def notice_answer(request, pk: int):
    notice = _notice(request, pk)
    if notice.version is not None and not services.may_approve(request.user, notice.version):
        raise PermissionDenied(_("Only the owner of a system this interface touches, or the "
                                 "contracts committee, answers its change notices."))  # fmt: skip
    form = NoticeAnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose Acknowledge or Object."))
    else:
        try:
            services.respond_to_notice(
                _actor(request), notice, form.cleaned_data["answer"], form.cleaned_data["reason"]
            )
        except REFUSALS as exc:
            for item in _problems(exc):
                messages.error(request, item["message"])
        else:
            messages.success(request, _("Your answer is recorded; the vendor sees it."))
    return redirect("vendor-notice", notice.pk)
