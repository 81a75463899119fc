"""Rules over a whole contract version (its RACI, SLAs, error handling and escalation), on plain
data so the API, the admin and the demo share them. Each problem is {"path", "message"} and the
message names the gap. Single-row rules live in the models' clean()."""

from __future__ import annotations

from collections import Counter

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from vendors.choices import Activity, RaciRole, SlaMetric

ERROR_HANDLING_FIELDS = {
    "error_detection": N_("Error handling: say how errors are detected."),
    "retry_attempts": N_("Error handling: say how many times a failed delivery is retried."),
    "retry_backoff": N_("Error handling: say how long to wait between retries (back-off)."),
    "quarantine": N_("Error handling: say what happens to bad records (quarantine)."),
    "replay_procedure": N_("Error handling: describe how a failed or corrupted load is replayed."),
    "notify_party": N_("Error handling: say who is notified of a failure."),
    "notify_within_minutes": N_("Error handling: say within how many minutes they are notified."),
}


def raci_errors(raci: list[dict]) -> list[dict]:
    """Problems that make a matrix wrong whatever its stage: two Accountables, repeated rows."""
    errors = []
    accountable = Counter(row["activity"] for row in raci if row["role"] == RaciRole.ACCOUNTABLE)
    for activity, count in accountable.items():
        if count > 1:
            errors.append(
                {
                    "path": "raci",
                    "message": _(
                        "%(activity)s has %(count)s Accountable parties; exactly one is allowed."
                    )
                    % {"activity": Activity(activity).label, "count": count},
                }
            )
    seen = set()
    for index, row in enumerate(raci):
        key = (row["activity"], row["role"], row["party_kind"], row.get("party", "").strip())
        if key in seen:
            errors.append({"path": f"raci[{index}]", "message": _("This row appears twice.")})
        seen.add(key)
    return errors


def completeness_gaps(doc: dict) -> list[dict]:
    """What a version still lacks before it can be submitted for approval."""
    gaps = []
    raci = doc.get("raci", [])
    for activity in Activity:
        roles = [row["role"] for row in raci if row["activity"] == activity]
        if RaciRole.ACCOUNTABLE not in roles:
            gaps.append(
                {
                    "path": f"raci.{activity.value}",
                    "message": _(
                        "%(activity)s has no Accountable party: name exactly one (the vendor or "
                        "an internal team)."
                    )
                    % {"activity": activity.label},
                }
            )
        if RaciRole.RESPONSIBLE not in roles:
            gaps.append(
                {
                    "path": f"raci.{activity.value}",
                    "message": _("%(activity)s has no Responsible party: name at least one.")
                    % {"activity": activity.label},
                }
            )
    metrics = {row["metric"] for row in doc.get("slas", [])}
    if not metrics & {SlaMetric.DELIVERY_TIME, SlaMetric.FRESHNESS}:
        gaps.append({"path": "slas", "message": _("No delivery time or freshness SLA.")})
    if SlaMetric.AVAILABILITY not in metrics:
        gaps.append({"path": "slas", "message": _("No availability SLA.")})
    if SlaMetric.MAX_ERROR_RATE not in metrics:
        gaps.append({"path": "slas", "message": _("No maximum error rate SLA.")})
    for name, what in ERROR_HANDLING_FIELDS.items():
        if doc.get(name) in (None, ""):
            gaps.append({"path": name, "message": _(what)})
    levels = sorted(row["level"] for row in doc.get("escalation", []))
    if not levels:
        gaps.append(
            {
                "path": "escalation",
                "message": _(
                    "No escalation levels: give at least one, with a contact and a response time."
                ),
            }
        )
    elif levels != list(range(1, len(levels) + 1)):
        gaps.append(
            {
                "path": "escalation",
                "message": _(
                    "Escalation levels must run 1, 2, 3… without gaps or repeats (got %(levels)s)."
                )
                % {"levels": ", ".join(map(str, levels))},
            }
        )
    if doc.get("schema_change_notice_days") is None:
        gaps.append(
            {
                "path": "schema_change_notice_days",
                "message": _("Give the notice period for schema changes, in days."),
            }
        )
    if not doc.get("datasets") and not doc.get("fields"):
        gaps.append(
            {
                "path": "datasets",
                "message": _("Name the datasets or fields the interface carries."),
            }
        )
    return gaps
