"""What each person's home page shows: what awaits them, by role, and the committee's health."""

from __future__ import annotations

import datetime
import statistics

from django.utils import timezone

from consult import reports as consult_reports
from consult.models import DecisionLog
from core.choices import Role
from core.pages import roles_of
from governance import queries, reports
from governance.choices import MappingStatus, ReviewStatus, VersionStatus
from governance.models import DefinitionVersion, FieldMapping, Review
from governance.workflow import Tally

# How far back the committee's health figures look.
HEALTH_DAYS = 90
CHART_DAYS = 28


def home_for(user) -> dict:
    roles = roles_of(user)
    context: dict = {"roles": roles}
    if roles & {Role.COMMITTEE, Role.STEWARD, Role.ENGINEER}:
        context["awaiting"] = [review_progress(r, user) for r in queries.reviews_awaiting(user)]
        context["proposals"] = [review_progress(r, user) for r in queries.proposals_of(user)]
        context["drafts"] = list(queries.drafts_of(user)[:20])
        context["recertifications"] = queries.recertifications_for(user)
    if roles & {Role.COMMITTEE, Role.STEWARD}:
        context["health"] = committee_health()
    return context


def review_progress(review: Review, user=None) -> dict:
    """A review with its progress in words a committee member reads at a glance."""
    summary = reports.review_summary(review)
    tally = Tally(**summary["tally"])
    now = timezone.now()
    return {
        "review": review,
        "summary": summary,
        "tally": tally,
        "needed": review.min_approvals,
        "awaiting": summary["awaiting"],
        "overdue": bool(review.is_open and review.due_at and review.due_at < now),
        "may_vote": user is not None and review.is_open,
    }


def committee_health(now: datetime.datetime | None = None) -> dict:
    now = now or timezone.now()
    since = now - datetime.timedelta(days=HEALTH_DAYS)
    consulted = set(
        DecisionLog.objects.filter(at__gte=since, simulated_by="", field_id__isnull=False)
        .values_list("field_id", flat=True)
        .distinct()
    )
    in_force = DefinitionVersion.objects.filter(
        status__in=[VersionStatus.APPROVED, VersionStatus.NEEDS_REVIEW]
    ).values("definition_id")
    defined = set(
        FieldMapping.objects.filter(
            status=MappingStatus.APPROVED, field_id__in=consulted, definition_id__in=in_force
        ).values_list("field_id", flat=True)
    )
    decided = Review.objects.filter(decided_at__gte=since).exclude(
        status__in=[ReviewStatus.OPEN, ReviewStatus.WITHDRAWN]
    )
    hours = [(r.decided_at - r.opened_at).total_seconds() / 3600 for r in decided]
    open_reviews = Review.objects.filter(status=ReviewStatus.OPEN)
    denials = consult_reports.denials_by_reason(CHART_DAYS, now)
    return {
        "days": HEALTH_DAYS,
        "cdp_fields": len(consulted),
        "cdp_fields_defined": len(defined),
        "cdp_coverage": round(100 * len(defined) / len(consulted)) if consulted else None,
        "lead_time_hours": round(statistics.median(hours), 1) if hours else None,
        "decisions": len(hours),
        "open_reviews": open_reviews.count(),
        "overdue_reviews": open_reviews.filter(due_at__lt=now).count(),
        "open_conflicts": len(reports.open_conflicts()),
        "denials": denials,
        "denials_chart": bar_chart(denials),
    }


def bar_chart(series: dict, width: int = 640, height: int = 180) -> dict:
    """A stacked bar chart of `series` (days x reason counts) as SVG geometry the template
    draws; the same numbers are shown in a table beside it."""
    days, reasons, counts = series["days"], series["reasons"], series["counts"]
    totals = [sum(counts[r][i] for r in reasons) for i in range(len(days))]
    top = max(totals, default=0) or 1
    left, bottom = 28, 22
    plot_w, plot_h = width - left - 4, height - bottom - 8
    step = plot_w / max(len(days), 1)
    bars = []
    for i, day in enumerate(days):
        y = 8 + plot_h
        for index, reason in enumerate(reasons):
            value = counts[reason][i]
            if not value:
                continue
            h = plot_h * value / top
            y -= h
            bars.append(
                {"x": round(left + i * step + 1, 1), "y": round(y, 1), "w": round(step - 2, 1),
                 "h": round(h, 1), "reason": reason, "value": value, "day": day,
                 "colour": PALETTE[index % len(PALETTE)]}
            )  # fmt: skip
    labels = [
        {"x": round(left + i * step + step / 2, 1), "text": day.strftime("%m-%d")}
        for i, day in enumerate(days)
        if i % 7 == 0
    ]
    return {"width": width, "height": height, "bars": bars, "labels": labels, "top": top,
            "axis_y": 8 + plot_h, "left": left,
            "legend": [(r, PALETTE[i % len(PALETTE)]) for i, r in enumerate(reasons)]}  # fmt: skip


# Distinguishable for common colour blindness (Okabe-Ito); every bar also has its number.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
