"""Read-only figures over the decision log, for the committee's pages."""

from __future__ import annotations

import datetime

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from consult.choices import Decision, ReasonCode
from consult.models import DecisionLog


def denials_by_reason(days: int = 28, now: datetime.datetime | None = None) -> dict:
    """Consult denials of real consumers (not what-if simulations) per day and reason code over
    the last `days` days: {"days": [date, ...], "reasons": [code, ...],
    "counts": {code: [count per day]}, "total": n}. A denial counts once under each reason that
    decided it."""
    now = now or timezone.now()
    start = (now - datetime.timedelta(days=days - 1)).date()
    dates = [start + datetime.timedelta(days=i) for i in range(days)]
    rows = (
        DecisionLog.objects.filter(
            decision=Decision.DENY, simulated_by="", at__date__gte=start, at__lte=now
        )
        .annotate(day=TruncDate("at"))
        .values_list("day", "reasons")
    )
    counts: dict[str, dict[datetime.date, int]] = {}
    total = 0
    for day, reasons in rows.iterator(chunk_size=2000):
        total += 1
        for code in _deciding_codes(reasons):
            per_day = counts.setdefault(code, {})
            per_day[day] = per_day.get(day, 0) + 1
    order = [c for c in ReasonCode.values if c in counts]
    return {
        "days": dates,
        "reasons": order,
        "counts": {code: [counts[code].get(d, 0) for d in dates] for code in order},
        "total": total,
    }


def _deciding_codes(reasons) -> set[str]:
    codes = {r.get("code") for r in reasons or [] if isinstance(r, dict)}
    # An allowing policy among the reasons of a denial did not decide it.
    codes.discard("policy_allowed")
    return {c for c in codes if c}


def consult_counts(days: int = 28) -> dict[str, int]:
    since = timezone.now() - datetime.timedelta(days=days)
    rows = DecisionLog.objects.filter(at__gte=since, simulated_by="").values("decision")
    return {r["decision"]: r["n"] for r in rows.annotate(n=Count("id"))}
