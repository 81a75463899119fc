"""What a review shows about its subject, for a reader who is not an engineer: the proposal in
full (labelled, names not ids), the difference from what is in force, the definitions and
fields it touches, what approving it replaces, and the conflicts and duplicates it raises.

Every workflow's `describe()` returns `subject(...)`; the API serves it as a review's `subject`,
the review page draws it, and `review_markdown()` writes it for a document to circulate.
Labels are English (gettext_noop: the pages translate them); values are the data's own."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N_

from governance.choices import DiscountTreatment, Domain, Grain, Sensitivity, TaxTreatment
from governance.conflicts import Conflict

# Each content attribute of a definition version with its label, in the order people read them.
DEFINITION_LABELS = {
    "name": N_("Name (English)"),
    "name_zh": N_("Name (Traditional Chinese)"),
    "description": N_("Description (English)"),
    "description_zh": N_("Description (Traditional Chinese)"),
    "data_type": N_("Data type"),
    "unit": N_("Unit"),
    "currency": N_("Currency"),
    "tax": N_("Tax treatment"),
    "discount": N_("Discount treatment"),
    "grain": N_("Grain"),
    "calculation_rule": N_("Calculation rule"),
    "allowed_values": N_("Allowed values"),
    "example_values": N_("Example values"),
    "sensitivity": N_("Sensitivity"),
    "synonyms": N_("Synonyms"),
}
CHOICE_LABELS = {
    "tax": dict(TaxTreatment.choices),
    "discount": dict(DiscountTreatment.choices),
    "grain": dict(Grain.choices),
    "sensitivity": dict(Sensitivity.choices),
    "domain": dict(Domain.choices),
}


def show(value, attribute: str = "") -> str:
    """A value as a reader sees it: choice labels, lists joined, ranges in words."""
    if value in (None, "", [], {}):
        return ""
    if attribute in CHOICE_LABELS:
        return str(CHOICE_LABELS[attribute].get(value, value))
    if isinstance(value, dict):
        if set(value) <= {"min", "max"}:
            low, high = value.get("min"), value.get("max")
            if low is not None and high is not None:
                return gettext("%(low)s to %(high)s") % {"low": low, "high": high}
            if low is not None:
                return gettext("at least %(low)s") % {"low": low}
            return gettext("at most %(high)s") % {"high": high}
        return ", ".join(f"{k}: {show(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(show(v) for v in value)
    return str(value)


def rows(pairs) -> list[dict]:
    """[{"label", "value"}] for (label, value) pairs with a value."""
    return [{"label": label, "value": value} for label, value in pairs if value not in ("", None)]


def changes(before: list[dict] | None, after: list[dict]) -> list[dict]:
    """What `after` says differently from `before`, label by label."""
    if before is None:
        return []
    old = {r["label"]: r["value"] for r in before}
    new = {r["label"]: r["value"] for r in after}
    labels = [r["label"] for r in after] + [r["label"] for r in before if r["label"] not in new]
    return [
        {"label": label, "from": old.get(label, ""), "to": new.get(label, "")}
        for label in labels
        if old.get(label, "") != new.get(label, "")
    ]


def conflict_rows(conflicts: list[Conflict]) -> list[dict]:
    return [{"kind": c.kind, "summary": c.summary} for c in conflicts]


def subject(
    kind: str,
    title: str,
    proposed: list[dict],
    in_force: list[dict] | None = None,
    *,
    definitions: list[str] = (),
    fields: list[str] = (),
    replaces: list[str] = (),
    conflicts: list[Conflict] = (),
    warnings: list[str] = (),
) -> dict:
    return {
        "kind": kind,
        "title": title,
        "proposed": proposed,
        "in_force": in_force,
        "changes": changes(in_force, proposed),
        "touches": {"definitions": sorted(set(definitions)), "fields": sorted(set(fields))},
        "replaces": list(replaces),
        "conflicts": conflict_rows(list(conflicts)),
        "warnings": list(warnings),
    }


def definition_rows(version, definition) -> list[dict]:
    pairs = [(N_("Key"), definition.key), (N_("Domain"), show(definition.domain, "domain"))]
    pairs += [(label, show(getattr(version, name), name)) for name, label in
              DEFINITION_LABELS.items()]  # fmt: skip
    pairs += [
        (N_("Owner"), definition.owner.get_username() if definition.owner_id else ""),
        (N_("Steward"), definition.steward.get_username() if definition.steward_id else ""),
        (N_("Change note"), version.change_note),
    ]
    return rows(pairs)


def review_markdown(review: dict) -> str:
    """A review (the API's representation) as a Markdown document to circulate."""
    s = review["subject"]
    lines = [f"# Review #{review['id']}: {s.get('title') or review['summary']}", ""]
    lines += [
        f"- Status: {review['status']}",
        f"- Proposed by: {review.get('author') or '-'}",
        f"- Opened: {_when(review['opened_at'])}"
        + (f", due {_when(review['due_at'])}" if review.get("due_at") else ""),
        f"- Progress: {review.get('progress') or review['status']}",
        "",
    ]  # fmt: skip
    lines += _table("Proposal", s.get("proposed") or [])
    if s.get("changes"):
        lines += ["## Changes from the version in force", "", "| | In force | Proposed |",
                  "| --- | --- | --- |"]  # fmt: skip
        lines += [f"| {c['label']} | {_cell(c['from'])} | {_cell(c['to'])} |" for c in s["changes"]]
        lines.append("")
    for title, key in (
        ("Approving this replaces", "replaces"),
        ("Conflicts and possible duplicates", "conflicts"),
        ("Warnings", "warnings"),
    ):
        items = s.get(key) or []
        if items:
            lines += [f"## {title}", ""]
            lines += [f"- {i['summary'] if isinstance(i, dict) else i}" for i in items]
            lines.append("")
    touches = s.get("touches") or {}
    if touches.get("definitions") or touches.get("fields"):
        lines += ["## Touches", ""]
        lines += [f"- definition {k}" for k in touches.get("definitions", [])]
        lines += [f"- field {f}" for f in touches.get("fields", [])]
        lines.append("")
    if review.get("votes"):
        lines += ["## Votes", ""]
        lines += [
            f"- {v['voter']}: {v['choice']}" + (f" — {v['comment']}" if v.get("comment") else "")
            for v in review["votes"]
        ]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _table(title: str, items: list[dict]) -> list[str]:
    if not items:
        return []
    lines = [f"## {title}", "", "| | |", "| --- | --- |"]
    lines += [f"| {r['label']} | {_cell(r['value'])} |" for r in items]
    return [*lines, ""]


def _when(value) -> str:
    """An API timestamp as people read it: `2026-12-06 11:33 UTC`."""
    try:
        moment = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ") if value not in (None, "") else "–"
