"""The lineage explorer (/lineage/?field=<ref> or ?dataset=<system>:<dataset>) with its picture
data, list and CSV, and the pre-change check (/lineage/check/). Thin over
workspace.lineage_pages, which reuses the API's services; what the caller may not read is a
404, as in the API."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.lookups import get_visible
from core.pages import apply_error, breadcrumbs
from lineage import queries
from lineage.models import EtlJob
from lineage.parsing import ParseLimits
from lineage.services import can_read_lineage
from workspace import lineage_pages as pages


def may_check(user) -> bool:
    """The check needs a job to check: a role that reads lineage, or jobs granted."""
    return bool(can_read_lineage(user) or queries.allowed_jobs(user))


def _may_check(user) -> None:
    if not may_check(user):
        raise PermissionDenied(_("Your account may not read any ETL job."))


def _result(request, annotate: bool = True):
    query = pages.read_query(request.GET)
    if query is None:
        return None
    try:
        return pages.explore(request.user, query, annotate=annotate)
    except DomainError as exc:  # unknown, or a malformed reference: as if unknown, for a page
        raise Http404(exc.message) from None


@login_required
def explorer(request):
    result = _result(request)
    context = {
        "result": result,
        "query": result.query if result else None,
        "breadcrumbs": breadcrumbs((_("Lineage"), "")),
        "list_cap": pages.LIST_CAP,
        "may_check": may_check(request.user),
    }
    if result is not None:
        query = result.query
        picture = pages.picture(request.user, result)
        context.update(
            {
                "picture": picture,
                "not_drawn": sum(picture["more"].values()),
                "root_url": (pages.field_url if result.is_field else pages.dataset_url)(query.ref),
                "listed": result.rows[: pages.LIST_CAP],
                "upstream_count": len(result.direction_rows("upstream")),
                "downstream_count": len(result.direction_rows("downstream")),
                "more_up_url": query.url(up=min(query.up + 1, pages.MAX_HOPS)),
                "more_down_url": query.url(down=min(query.down + 1, pages.MAX_HOPS)),
                "fewer_up_url": query.url(up=max(query.up - 1, 0)),
                "fewer_down_url": query.url(down=max(query.down - 1, 0)),
                "direct_url": query.url(types="direct"),
                "all_url": query.url(types="all"),
                "csv_url": "/lineage/list.csv?" + query.url().split("?", 1)[1],
                "api_urls": [
                    query.api_url(d)
                    for d, n in (("upstream", query.up), ("downstream", query.down))
                    if n
                ],
                "max_hops": pages.MAX_HOPS,
                "words": _words(),
            }
        )
    return render(request, "workspace/lineage/explorer.html", context)


def _words() -> dict:
    """What the picture's script writes, translated (%(n)s: a number)."""
    return {
        "more": _("+%(n)s more"),
        "moreHelp": _("Not drawn: open the list"),
        "open": _("Open its page"),
        "explore": _("Explore from here"),
        "up": _("Expand one hop upstream"),
        "down": _("Expand one hop downstream"),
        "job": _("ETL job"),
        "masked": _("masked"),
        "from": _("Use as path start"),
        "to": _("Use as path end"),
        "noPath": _("No path between these columns that you may read."),
        "paths": _("Paths found: %(n)s"),
        "hiddenPaths": _("Paths you may not read: %(n)s"),
        "columns": _("%(n)s columns"),
        "fold": _("Fold its columns"),
        "unfold": _("Unfold its columns"),
        "capped": _("Capped: %(n)s more not drawn."),
        "hidden": _("%(n)s hidden (you may not read them)"),
        "error": _("The request failed."),
        "direct": _("DIRECT"),
        "indirect": _("INDIRECT"),
    }


@login_required
def explorer_csv(request):
    result = _result(request)
    if result is None:
        raise Http404(_("Name a field or a dataset."))
    response = HttpResponse(pages.to_csv(result), content_type="text/csv; charset=utf-8")
    name = result.query.ref.replace(":", "_")
    response["Content-Disposition"] = f'attachment; filename="lineage-{name}.csv"'
    return response


@login_required
def explorer_picture(request):
    """One hop (or the hops asked for) from a node, for the picture to merge: JSON, capped."""
    result = _result(request, annotate=False)
    if result is None:
        raise Http404(_("Name a field or a dataset."))
    return JsonResponse(pages.picture(request.user, result))


@login_required
def explorer_paths(request):
    try:
        source = queries.find_field(request.user, request.GET.get("source", ""), "source")
        target = queries.find_field(request.user, request.GET.get("target", ""), "target")
    except DomainError as exc:
        raise Http404(exc.message) from None
    types = request.GET.get("types") if request.GET.get("types") in pages.TYPES else "all"
    return JsonResponse(pages.path_picture(request.user, source, target, types))


class CheckForm(forms.Form):
    job = forms.ChoiceField(label=gettext_lazy("ETL job"))
    sql = forms.CharField(
        label=gettext_lazy("New SQL"),
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 12, "spellcheck": "false", "class": "textarea is-family-monospace"}
        ),
        help_text=gettext_lazy("Paste the job's new SQL, or upload a file below."),
    )
    upload = forms.FileField(
        label=gettext_lazy("or a .sql file"),
        required=False,
    )

    def __init__(self, *args, jobs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["job"].choices = [("", _("Choose a job"))] + [
            (j.key, f"{j.key} · {j.name}") for j in jobs
        ]

    def clean(self):
        data = super().clean()
        upload = data.get("upload")
        if upload is not None:
            try:
                data["sql"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                self.add_error("upload", _("The file is not UTF-8 text."))
        if not (data.get("sql") or "").strip() and not self.errors:
            self.add_error("sql", _("Paste the new SQL or upload a file."))
        return data


@login_required
def check(request):
    """The pre-change check: the same verdict as POST /api/v1/lineage/check/ and
    `manage.py lineage_check` (lineage.queries.check_change), nothing saved."""
    _may_check(request.user)
    jobs = list(pages.jobs_for(request.user))
    outcome = None
    if request.method == "POST":
        form = CheckForm(request.POST, request.FILES, jobs=jobs)
        if form.is_valid():
            data = form.cleaned_data
            try:
                job = get_visible(request.user, EtlJob.objects.all(), data["job"], param="job")
                report = queries.check_change(
                    job, data["sql"], request.user, limits=ParseLimits.for_requests()
                )
                outcome = pages.annotate_check(request.user, report)
            except DomainError as exc:
                apply_error(form, exc)
    else:
        initial = {}
        key = request.GET.get("job", "")
        job = next((j for j in jobs if j.key == key), None)
        if job is not None:
            initial["job"] = job.key
            if job.current_version_id:
                initial["sql"] = job.current_version.sql
        form = CheckForm(initial=initial, jobs=jobs)
    return render(
        request,
        "workspace/lineage/check.html",
        {
            "form": form,
            "outcome": outcome,
            "edge_groups": [
                (_("Edges removed"), outcome.report["edges_removed"]),
                (_("Edges added"), outcome.report["edges_added"]),
            ]
            if outcome
            else [],
            "breadcrumbs": breadcrumbs((_("Lineage"), "/lineage/"), (_("Pre-change check"), "")),
        },
    )
