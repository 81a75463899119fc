"""A contract version as a document people can attach to the commercial agreement: Markdown
(through the API) and a printable HTML page, both from the same context."""

from __future__ import annotations

import html

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from vendors.choices import Activity, RaciRole
from vendors.models import ContractVersion


def _or_dash(value) -> str:
    return str(value) if value not in (None, "") else "—"


def document_context(version: ContractVersion) -> dict:
    contract = version.contract
    raci = list(version.raci.select_related("version__contract__vendor"))
    matrix = []
    for activity in Activity:
        cells = {role: [] for role in RaciRole}
        for row in raci:
            if row.activity == activity:
                cells[RaciRole(row.role)].append(row.party_label)
        matrix.append(
            {
                "activity": str(activity.label),
                "cells": [", ".join(cells[r]) or "—" for r in RaciRole],
            }
        )
    interface = [
        (N_("Vendor"), f"{contract.vendor.name} ({contract.vendor.key})"),
        (N_("Commercial agreement"), _or_dash(contract.vendor.contract_reference)),
        (N_("Source system"), f"{version.source_system.name} ({version.source_system.key})"),
        (N_("Target system"), f"{version.target_system.name} ({version.target_system.key})"),
        (N_("Direction"), version.get_direction_display()),
        (N_("Mechanism"), version.get_mechanism_display()),
        (N_("Endpoint or location"), _or_dash(version.endpoint)),
        (N_("Format"), _or_dash(version.data_format)),
        (N_("Schedule"), _or_dash(version.schedule)),
        (N_("Expected volume"), _or_dash(version.expected_volume)),
        (
            N_("Effective"),
            _("%(start)s to %(end)s")
            % {"start": _or_dash(version.effective_from), "end": _or_dash(version.effective_until)},
        ),
        (
            N_("Schema change notice"),
            _("%(n)s days") % {"n": _or_dash(version.schema_change_notice_days)},
        ),
    ]
    error_handling = [
        (N_("Detection"), _or_dash(version.error_detection)),
        (N_("Retries"), _or_dash(version.retry_attempts)),
        (N_("Back-off"), _or_dash(version.retry_backoff)),
        (N_("Quarantine of bad records"), _or_dash(version.quarantine)),
        (N_("Replay procedure"), _or_dash(version.replay_procedure)),
        (
            N_("Notification"),
            _("%(party)s within %(minutes)s minutes")
            % {
                "party": _or_dash(version.notify_party),
                "minutes": _or_dash(version.notify_within_minutes),
            },
        ),
    ]
    return {
        "title": f"{contract.name} — integration contract {version}",
        "contract": contract,
        "version": version,
        "status": version.get_status_display(),
        "interface": interface,
        "carries": [d.ref for d in version.datasets.select_related("system")]
        + [f.ref for f in version.fields.select_related("dataset__system")],
        "lineage_jobs": version.lineage_jobs,
        "raci_roles": [str(r.label) for r in RaciRole],
        "raci": matrix,
        "slas": [
            (
                s.get_metric_display(),
                s.target_text,
                s.get_unit_display(),
                s.description,
            )
            for s in version.slas.all()
        ],
        "error_handling": error_handling,
        "escalation": [
            (
                e.level,
                e.contact_label,
                e.contact.email if e.contact_id else "",
                e.contact.phone if e.contact_id else "",
                f"{e.response_time} {e.get_response_unit_display()}",
            )
            for e in version.escalation.select_related("contact")
        ],
    }


def _text(value) -> str:
    """Text people wrote (a vendor, mostly), shown as written: Markdown renders raw HTML, so
    its markup characters become entities and nothing a vendor types runs in a reader's page."""
    return html.escape(str(value), quote=False)


def _cell(value) -> str:
    return _text(value).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines


def render_markdown(version: ContractVersion) -> str:
    ctx = document_context(version)
    lines = [f"# {_text(ctx['title'])}", "", f"Status: **{ctx['status']}**", ""]
    if ctx["contract"].description:
        lines += [_text(ctx["contract"].description), ""]
    lines += ["## Interface", "", *_table(["", ""], ctx["interface"]), ""]
    lines += ["## Data carried", ""]
    lines += [f"- `{ref}`" for ref in ctx["carries"]] or ["- —"]
    if ctx["lineage_jobs"]:
        jobs = ", ".join(f"`{j}`" for j in ctx["lineage_jobs"])
        lines += ["", f"Implemented by ETL jobs: {jobs}"]
    lines += ["", "## Responsibilities (RACI)", ""]
    raci = [[row["activity"], *row["cells"]] for row in ctx["raci"]]
    lines += _table(["Activity", *ctx["raci_roles"]], raci)
    lines += ["", "## Service levels", ""]
    lines += _table(["Metric", "Target", "Unit", "Note"], ctx["slas"])
    lines += ["", "## Error handling", "", *_table(["", ""], ctx["error_handling"])]
    lines += ["", "## Escalation", ""]
    lines += _table(["Level", "Contact", "E-mail", "Phone", "Response time"], ctx["escalation"])
    return "\n".join(lines) + "\n"


def render_html(version: ContractVersion) -> str:
    return render_to_string("vendors/contract.html", document_context(version))
