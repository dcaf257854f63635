"""The fixed library of indicator computations: each measures every unit for one month in one grouped query
and says where the records behind a number are. Indicators (data) choose one of these by key.

A measure is (value, numerator, denominator); value is None when there is nothing to measure (the
indicator is then "not applicable" for that unit, and its weight goes to the others).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.core.batch import Plan, Rows
from apps.figures.selectors import end_of_period

Measure = tuple[Decimal | None, Decimal | int, Decimal | int]


def _ratio(num, den) -> Measure:
    if not den:
        return (None, num, den)
    return ((Decimal(num) * 100 / Decimal(den)).quantize(Decimal("0.1"), ROUND_HALF_UP), num, den)


@dataclass(frozen=True)
class Computation:
    label: str
    # a plan (apps.core.batch) whose result is {unit id: measure}, or a function returning that dict
    measure: Callable[[date, date], Plan | dict[int, Measure]]
    drill: Callable[[int, date, date], str]


def _request_measure(num_key, den_key):
    def measure(start, end):
        from apps.figures.rollups import request_counts_plan

        # the four request indicators ask the same query: apps.core.batch sends it once
        rows = yield from request_counts_plan(start, end, by_unit=True)
        return {unit_id: _ratio(r[num_key], r[den_key]) for unit_id, r in rows.items()}

    return measure


def _request_drill(extra=""):
    def drill(unit_id, start, end):
        return (
            f"{reverse('service:request_list')}?handling_unit={unit_id}"
            f"&date_from={start:%Y-%m-%d}&date_to={end:%Y-%m-%d}{extra}"
        )

    return drill


def _coverage(start, end):
    """Key enterprises of the unit visited from 1 January to the month's end."""
    from apps.figures.rollups import coverage_counts, key_enterprises

    counts = coverage_counts(date(end.year, 1, 1), end)
    got = yield {"rows": Rows(key_enterprises().values("unit_id").annotate(**counts).order_by())}
    rows = got["rows"]
    return {r["unit_id"]: _ratio(r["visited"], r["total"]) for r in rows}


def _project_progress(start, end):
    """Investment completion rate ÷ time-elapsed progress (× 100) of the unit's projects of the year."""
    from apps.projects.models import Project, months_completed

    months = months_completed(end)
    got = yield {
        "rows": Rows(
            Project.objects.for_year(end.year)
            .with_progress(year=end.year, months=months, as_of=end)
            .values("unit_id")
            .annotate(plan=Sum("plan_wan"), done=Sum("completed_wan"))
            .order_by()
        )
    }
    rows = got["rows"]
    result = {}
    for r in rows:
        if not r["plan"] or not months:
            result[r["unit_id"]] = (None, r["done"] or 0, r["plan"] or 0)
            continue
        rate = (r["done"] or Decimal(0)) / r["plan"]
        result[r["unit_id"]] = (
            (rate * 12 / months * 100).quantize(Decimal("0.1"), ROUND_HALF_UP),
            r["done"],
            r["plan"],
        )
    return result


def _project_reporting(start, end):
    """Projects of the year with a report for the board's month ÷ projects of the year."""
    from apps.projects.models import MonthlyReport, Project

    month = date(end.year, end.month, 1)
    reported = MonthlyReport.objects.filter(project=OuterRef("pk"), month=month)
    got = yield {
        "rows": Rows(
            Project.objects.for_year(end.year)
            .values("unit_id")
            .annotate(n=Count("id", distinct=True), done=Count("id", filter=Exists(reported), distinct=True))
            .order_by()
        )
    }
    rows = got["rows"]
    return {r["unit_id"]: _ratio(r["done"], r["n"]) for r in rows}


def _research_matching(start, end):
    """Results of the year in matching or landed ÷ results catalogued this year, by responsible unit."""
    from apps.research.models import Result

    got = yield {
        "rows": Rows(
            Result.objects.filter(catalogued_on__year=end.year, catalogued_on__lte=end)
            .values("unit_id")
            .annotate(n=Count("id"), moving=Count("id", filter=Q(status__in=["matching", "landed"])))
            .order_by()
        )
    }
    rows = got["rows"]
    return {r["unit_id"]: _ratio(r["moving"], r["n"]) for r in rows}


def _investment_stale(start, end):
    """Open leads past a handling limit at the month's end ÷ open leads (lower is better)."""
    from apps.investment.models import Lead, stale_q

    at = end_of_period(end)
    got = yield {
        "rows": Rows(
            Lead.objects.filter(created_at__lt=at, stage__in=Lead.OPEN_STAGES)
            .values("unit_id")
            .annotate(
                n=Count("id"),
                stale=Count("id", filter=stale_q(now=at)),
            )
            .order_by()
        )
    }
    rows = got["rows"]
    return {r["unit_id"]: _ratio(r["stale"], r["n"]) for r in rows}


def _investment_conversion(start, end):
    """Leads created this year and signed by the month's end ÷ leads created this year."""
    from apps.investment.models import Lead

    got = yield {
        "rows": Rows(
            Lead.objects.filter(
                created_at__gte=end_of_period(date(end.year, 1, 1) - timedelta(days=1)),
                created_at__lt=end_of_period(end),
            )
            .values("unit_id")
            .annotate(n=Count("id"), signed=Count("id", filter=Q(signed_on__lte=end)))
            .order_by()
        )
    }
    rows = got["rows"]
    return {r["unit_id"]: _ratio(r["signed"], r["n"]) for r in rows}


COMPUTATIONS: dict[str, Computation] = {
    "service_closure_rate": Computation(
        _("Closure rate (requests of the month)"), _request_measure("closed", "n"), _request_drill()
    ),
    "service_on_time_rate": Computation(
        _("On-time closure rate"),
        _request_measure("on_time", "closed"),
        _request_drill("&status=closed&status=confirmed"),
    ),
    "service_same_day_ack": Computation(
        _("Same-day acknowledgement rate"), _request_measure("ack", "n"), _request_drill()
    ),
    "service_satisfaction": Computation(
        _("Satisfaction rate"), _request_measure("satisfied", "feedback"), _request_drill("&status=confirmed")
    ),
    "key_visit_coverage": Computation(
        _("Key-enterprise visit coverage, year to date"),
        _coverage,
        lambda unit_id, start, end: (
            f"{reverse('figures:coverage')}?from={end:%Y}-01-01&to={end:%Y-%m-%d}&unit={unit_id}"
        ),
    ),
    "project_progress": Computation(
        _("Investment completion against time elapsed"),
        _project_progress,
        lambda unit_id, start, end: (
            f"{reverse('projects:list')}?unit={unit_id}&year={end.year}&as_of={end:%Y-%m-%d}"
        ),
    ),
    "project_reporting": Computation(
        _("Monthly reporting completeness"),
        _project_reporting,
        lambda unit_id, start, end: f"{reverse('projects:monthly_report')}?month={end:%Y-%m}&unit={unit_id}",
    ),
    "research_matching": Computation(
        _("Results in matching or landed"),
        _research_matching,
        lambda unit_id, start, end: f"{reverse('research:result_list')}?unit={unit_id}",
    ),
    "investment_stale": Computation(
        _("Share of open leads past a handling limit"),
        _investment_stale,
        lambda unit_id, start, end: f"{reverse('investment:lead_list')}?stale=true",
    ),
    "investment_conversion": Computation(
        _("Lead conversion to signing, year to date"),
        _investment_conversion,
        lambda unit_id, start, end: f"{reverse('investment:lead_list')}?stage=signed",
    ),
}
