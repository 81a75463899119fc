"""Rules over a whole contract version (its RACI, SLAs, error handling and escalation), on plain
data so the API, the admin and the demo share them. Each problem is {"path", "message"} and the
message names the gap. Single-row rules live in the models' clean()."""

from __future__ import annotations

from collections import Counter

from vendors.choices import Activity, RaciRole, SlaMetric

ERROR_HANDLING_FIELDS = {
    "error_detection": "say how errors are detected",
    "retry_attempts": "say how many times a failed delivery is retried",
    "retry_backoff": "say how long to wait between retries (back-off)",
    "quarantine": "say what happens to bad records (quarantine)",
    "replay_procedure": "describe how a failed or corrupted load is replayed",
    "notify_party": "say who is notified of a failure",
    "notify_within_minutes": "say within how many minutes they are notified",
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
                    "message": f"{Activity(activity).label} has {count} Accountable parties; "
                    "exactly one is allowed.",
                }
            )
    seen = set()
    for index, row in enumerate(raci):
        key = (row["activity"], row["role"], row["party_kind"], row.get("party", "").strip())
        if key in seen:
            errors.append({"path": f"raci[{index}]", "message": "This row appears twice."})
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
                    "message": f"{activity.label} has no Accountable party: name exactly one "
                    "(the vendor or an internal team).",
                }
            )
        if RaciRole.RESPONSIBLE not in roles:
            gaps.append(
                {
                    "path": f"raci.{activity.value}",
                    "message": f"{activity.label} has no Responsible party: name at least one.",
                }
            )
    metrics = {row["metric"] for row in doc.get("slas", [])}
    if not metrics & {SlaMetric.DELIVERY_TIME, SlaMetric.FRESHNESS}:
        gaps.append({"path": "slas", "message": "No delivery time or freshness SLA."})
    for metric in (SlaMetric.AVAILABILITY, SlaMetric.MAX_ERROR_RATE):
        if metric not in metrics:
            gaps.append({"path": "slas", "message": f"No {metric.label.lower()} SLA."})
    for name, what in ERROR_HANDLING_FIELDS.items():
        if doc.get(name) in (None, ""):
            gaps.append({"path": name, "message": f"Error handling: {what}."})
    levels = sorted(row["level"] for row in doc.get("escalation", []))
    if not levels:
        gaps.append(
            {
                "path": "escalation",
                "message": "No escalation levels: give at least one, with a contact and a "
                "response time.",
            }
        )
    elif levels != list(range(1, len(levels) + 1)):
        gaps.append(
            {
                "path": "escalation",
                "message": f"Escalation levels must run 1, 2, 3… without gaps or repeats "
                f"(got {', '.join(map(str, levels))}).",
            }
        )
    if doc.get("schema_change_notice_days") is None:
        gaps.append(
            {
                "path": "schema_change_notice_days",
                "message": "Give the notice period for schema changes, in days.",
            }
        )
    if not doc.get("datasets") and not doc.get("fields"):
        gaps.append(
            {"path": "datasets", "message": "Name the datasets or fields the interface carries."}
        )
    return gaps
