"""The figures of campaign 2, project construction, each with its definition beside it.

Stocks are as of the period's end, on the month basis (序时进度: months completed ÷ 12): read from the year's
rows (`ProjectMonth`, rollups.py), plus the projects whose dates fall in the end's month before the end when
the end is not a month's end, plus — for the lights — the few new starts late to start at that very day.
Flows (project visits, problems raised and solved) are campaign 1's visits and requests about projects,
read from its roll-ups for the project's unit. The `_plan` functions are plans (apps.core.batch).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, FilteredRelation, Q, Sum
from django.utils.translation import gettext_lazy as _

from apps.core.batch import Aggregate, Rows, frozen, gather, reused, run
from apps.core.conditions import renamed
from apps.core.figures import figures, one_decimal, pct
from apps.core.periods import end_of_period, is_month_end, month_start, start_of_day
from apps.service import selectors as service_selectors
from apps.service.models import SOLVED, Concerns
from apps.units.models import Unit

from .models import (
    Project,
    ProjectMonth,
    ProjectProblem,
    ProjectVisit,
    YearPlan,
    late_to_start,
    light_of,
    months_completed,
    progress,
    time_elapsed,
)

DEFINITIONS = {
    "projects": (
        _("Projects this year"),
        _("Projects with an investment plan for the year of the period's end."),
    ),
    "annual_plan_wan": (
        _("Annual planned investment (万元)"),
        _("Sum of the year's planned investment of those projects."),
    ),
    "completed_wan": (
        _("Completed to date (万元)"),
        _("Investment reported for the months of the year completed by the period's end."),
    ),
    "completion_rate_pct": (
        _("Investment completion rate"),
        _("Completed to date ÷ annual planned investment."),
    ),
    "time_elapsed_pct": (
        _("Time-elapsed progress (序时进度)"),
        _("Months completed by the period's end ÷ 12 (end of February = 16.7 %)."),
    ),
    "ahead_pp": (
        _("Ahead of schedule (points)"),
        _("Completion rate − time-elapsed progress, in percentage points (negative: behind)."),
    ),
    "new_due": (_("New projects due to start"), _("Projects planned as new starts (新开工) this year.")),
    "new_started": (
        _("New projects started"),
        _("New starts of the year with an actual start by the period's end."),
    ),
    "start_rate_pct": (_("Start rate"), _("New projects started ÷ new projects due to start this year.")),
    "start_rate_due_pct": (
        _("Start rate (of those due by now)"),
        _("New projects due to start by the period's end that have started ÷ those due by then."),
    ),
    "started_early": (_("Started early"), _("New starts that started before their planned start date.")),
    "started_late": (_("Started late"), _("New starts that started after their planned start date.")),
    "completed": (_("Completed"), _("Projects of the year completed (竣工) by the period's end.")),
    "project_visits": (_("Project visits"), _("Visits to projects dated within the period.")),
    "problems_raised": (
        _("Project problems raised"),
        _("To-do items raised for projects within the period."),
    ),
    "problems_solved": (
        _("Project problems solved"),
        _("Project problems closed as solved within the period (by the end of the period)."),
    ),
    "reporting_pct": (
        _("Reporting completeness"),
        _("Projects of the year with a report for the last completed month ÷ projects of the year."),
    ),
    "lights_red": (_("Red lights"), _("More than 30 points behind, or a new start 3 months late.")),
    "lights_yellow": (_("Yellow lights"), _("10–30 points behind time-elapsed progress.")),
    "lights_green": (_("Green lights"), _("Less than 10 points behind, or ahead.")),
}


def time_elapsed_pct(as_of: date, *, basis: str = "month") -> Decimal:
    """序时进度: months completed ÷ 12 (month basis), or days elapsed ÷ days in the year (day basis)."""
    if basis == "day":
        first = date(as_of.year, 1, 1)
        return pct((as_of - first).days + 1, (date(as_of.year + 1, 1, 1) - first).days)
    return pct(months_completed(as_of), 12)


#: The counters of the year's rows that count a date (the month of the date).
_DATED = ("started", "due_to_start", "started_of_due", "started_early", "started_late", "completed")


def _rows(end: date, unit_id: int | None, level: str | None):
    rows = ProjectMonth.objects.filter(year=end.year)
    if unit_id is not None:
        rows = rows.filter(unit_id=unit_id)
    if level:
        rows = rows.filter(level=level)
    return rows


def _projects_of_year(end: date, unit_id: int | None, level: str | None):
    """Projects with a plan for the year of `end` (their plan joined as `plan`)."""
    projects = Project.objects.alias(
        plan=FilteredRelation("plans", condition=Q(plans__year=end.year))
    ).filter(plan__isnull=False)
    if unit_id is not None:
        projects = projects.filter(unit_id=unit_id)
    if level:
        projects = projects.filter(level=level)
    return projects


def _year_aggregates(end: date) -> dict:
    """The sums of the year's rows that make the stocks as of `end` (`_dated` adds the end's month so far)."""
    months = months_completed(end)
    # a dated counter counts up to the end's month (included when the end is that month's last day)
    dated = Q(month__lte=end.month) if is_month_end(end) else Q(month__lt=end.month)
    result = {
        "projects": Sum("projects", filter=Q(month=0)),
        "plan": Sum("plan_wan", filter=Q(month=0)),
        "new_due": Sum("new_due", filter=Q(month=0)),
        "done": Sum("invested_wan", filter=Q(month__gte=1, month__lte=months)),
        "reported": Sum("reported", filter=Q(month=months) & Q(month__gte=1)),
        "red": Sum("red", filter=Q(month=months)),
        "yellow": Sum("yellow", filter=Q(month=months)),
        "green": Sum("green", filter=Q(month=months)),
    }
    return result | {name: Sum(name, filter=dated) for name in _DATED}


def _dated(end: date) -> dict:
    """The projects' dates in the end's month up to the end (when the end is not a month's end)."""
    since, new = month_start(end), Q(plan__is_new_start=True)
    started = Q(actual_start__gte=since, actual_start__lte=end)
    planned = Q(planned_start__gte=since, planned_start__lte=end)
    both_by_end = Q(actual_start__lte=end, planned_start__lte=end)
    return {
        "started": Count("pk", filter=new & started),
        "due_to_start": Count("pk", filter=new & planned),
        "started_of_due": Count("pk", filter=new & both_by_end & (started | planned)),
        "started_early": Count("pk", filter=new & started & Q(actual_start__lt=F("planned_start"))),
        "started_late": Count("pk", filter=new & started & Q(actual_start__gt=F("planned_start"))),
        "completed": Count("pk", filter=Q(actual_completion__gte=since, actual_completion__lte=end)),
    }


def year_plan(
    *,
    end: date,
    unit_id: int | None = None,
    level: str | None = None,
    by_unit: bool = False,
    lights: bool = True,
):
    """The year's stocks as of `end` — projects, plan, completed, new starts, reporting and, with `lights`,
    the lights — of the district, a unit or a level, or per unit (`by_unit`): a plan, one round trip."""
    months = months_completed(end)
    group = "unit_id" if by_unit else None
    got = yield _year_plan_specs(end, unit_id, level, by_unit, lights)
    totals: dict = {}
    for name in ("rolled", "dated"):
        for row in (got[name] if by_unit else [got[name]]) if name in got else []:
            bucket = totals.setdefault(row.get(group) if group else None, {})
            for key, value in row.items():
                if key != group:
                    bucket[key] = (bucket.get(key) or 0) + (value or 0)
    for row in got.get("late", []):
        bucket = totals.setdefault(row["unit_id"] if group else None, {})
        completed = Decimal(row["completed_by_month"][months - 1]) if months else Decimal(0)
        light = light_of(progress(Decimal(row["planned_investment"]), completed, months))
        if light:
            bucket[light] = (bucket.get(light) or 0) - 1
        bucket["red"] = (bucket.get("red") or 0) + 1
    if by_unit:
        return {unit: _stocks(values, end, lights) for unit, values in totals.items()}
    return _stocks(totals.get(None, {}), end, lights)


@reused
def _year_plan_specs(end: date, unit_id: int | None, level: str | None, by_unit: bool, lights: bool) -> dict:
    """What `year_plan` asks: a function of its arguments alone, so built and composed once (batch.reused)."""
    since = month_start(end)
    rows = _rows(end, unit_id, level)
    specs = {"rolled": Rows(rows.values("unit_id").annotate(**_year_aggregates(end)).order_by()) if by_unit
             else Aggregate(rows, **_year_aggregates(end))}  # fmt: skip
    projects = _projects_of_year(end, unit_id, level)
    if not is_month_end(end):
        in_month = projects.filter(
            Q(actual_start__gte=since, actual_start__lte=end)
            | Q(planned_start__gte=since, planned_start__lte=end)
            | Q(actual_completion__gte=since, actual_completion__lte=end)
        )
        specs["dated"] = (
            Rows(in_month.values("unit_id").annotate(**_dated(end)).order_by())
            if by_unit
            else Aggregate(in_month, **_dated(end))
        )
    if lights:  # the new starts late to start at the very day are red whatever their rate: their light moves
        late = YearPlan.objects.filter(_late_q(end), year=end.year)
        if unit_id is not None:
            late = late.filter(project__unit_id=unit_id)
        if level:
            late = late.filter(project__level=level)
        specs["late"] = Rows(
            late.values("planned_investment", "completed_by_month", unit_id=F("project__unit_id"))
        )
    return specs


def _late_q(end: date) -> Q:
    """`late_to_start` asked of a year plan (its own `is_new_start`, its project's dates)."""
    return renamed(
        late_to_start(end),
        {"planned_start": "project__planned_start", "actual_start": "project__actual_start"},
    )


def _stocks(v: dict, end: date, lights: bool) -> dict:
    """The stocks' figures from their sums (the lights only when they were asked for: without the late starts
    they would be wrong)."""
    months = months_completed(end)
    plan, done = Decimal(v.get("plan") or 0), Decimal(v.get("done") or 0)
    exact_rate = done * 100 / plan if plan else None
    stocks = {
        "projects": v.get("projects") or 0,
        "annual_plan_wan": plan,
        "completed_wan": done,
        "completion_rate_pct": pct(done, plan) if plan else None,
        "time_elapsed_pct": time_elapsed(months),
        # from the exact rate and the exact elapsed share, then rounded: 43.55 亿 of 231.5 亿 at 2/12 → +2.1
        "ahead_pp": None if exact_rate is None else one_decimal(exact_rate - Decimal(months) * 100 / 12),
        "new_due": v.get("new_due") or 0,
        "new_started": v.get("started") or 0,
        "start_rate_pct": pct(v.get("started") or 0, v.get("new_due") or 0),
        "start_rate_due_pct": pct(v.get("started_of_due") or 0, v.get("due_to_start") or 0),
        "started_early": v.get("started_early") or 0,
        "started_late": v.get("started_late") or 0,
        "completed": v.get("completed") or 0,
        "reporting_pct": pct(v.get("reported") or 0, v.get("projects") or 0),
    }
    if lights:
        stocks |= {"lights_red": v.get("red") or 0, "lights_yellow": v.get("yellow") or 0,
                   "lights_green": v.get("green") or 0}  # fmt: skip
    return stocks


def flows_plan(*, start: date, end: date, unit_id: int | None = None):
    """Project visits, problems raised and problems solved in [start, end] (of the projects of a unit): campaign
    1's visits and requests about projects."""
    got = yield from gather(
        visits=service_selectors.visit_count_plan(start, end, concerns=Concerns.PROJECT, unit_id=unit_id),
        raised=service_selectors.request_counts_plan(start, end, concerns=Concerns.PROJECT, unit_id=unit_id),
        solved=service_selectors.solved_plan(start, end, concerns=Concerns.PROJECT, unit_id=unit_id),
    )
    return {
        "project_visits": got["visits"],
        "problems_raised": got["raised"]["n"],
        "problems_solved": got["solved"],
    }


def level_flows_plan(*, start: date, end: date, level: str, unit_id: int | None = None):
    """The flows of the projects of one level, counted from the project's links to its visits and problems:
    a level is not a key of campaign 1's roll-ups. (No page asks for them; the figures by level show stocks.)"""
    projects = Project.objects.filter(level=level)
    if unit_id is not None:
        projects = projects.filter(unit_id=unit_id)
    problems = ProjectProblem.objects.filter(project__in=projects)
    got = yield {
        "visits": Aggregate(
            ProjectVisit.objects.filter(
                project__in=projects, visit__visited_on__gte=start, visit__visited_on__lte=end
            ),
            n=Count("id"),
        ),
        "raised": Aggregate(
            problems.filter(request__received_on__gte=start, request__received_on__lte=end), n=Count("id")
        ),
        "solved": Aggregate(
            problems.filter(
                renamed(SOLVED, {f: f"request__{f}" for f in ("status", "closed_at", "outcome")}),
                request__closed_at__gte=start_of_day(start),
                request__closed_at__lt=end_of_period(end),
            ),
            n=Count("id"),
        ),
    }
    return {
        "project_visits": got["visits"]["n"],
        "problems_raised": got["raised"]["n"],
        "problems_solved": got["solved"]["n"],
    }


def project_plan(
    *, start: date, end: date, unit_id: int | None = None, level: str | None = None, lights: bool = True
):
    """Campaign 2 as of `end` (stocks) and within [start, end] (flows), district-wide, of one unit, of one level."""
    flows = (
        level_flows_plan(start=start, end=end, level=level, unit_id=unit_id)
        if level
        else flows_plan(start=start, end=end, unit_id=unit_id)
    )
    got = yield from gather(
        stocks=year_plan(end=end, unit_id=unit_id, level=level, lights=lights), flows=flows
    )
    return {**got["stocks"], **got["flows"]}


def project_values(**kwargs) -> dict:
    return run(project_plan(**kwargs))


def project_figures(**kwargs) -> list:
    return figures(project_values(**kwargs), DEFINITIONS)


def year_totals_by_unit_plan(end: date, *, units: Collection[int] | None = None):
    """Per responsible unit (of `units` when given): the year's projects, plan, investment completed in the
    months completed by `end`, and the projects reported for the last of those months (the board's
    indicators)."""
    got = yield _year_totals_by_unit_specs(end, frozen(units))
    return {
        r["unit_id"]: {
            "projects": r["projects"] or 0,
            "plan": Decimal(r["plan"] or 0),
            "done": Decimal(r["done"] or 0),
            "reported": r["reported"] or 0,
        }
        for r in got["rows"]
        if r["projects"]
    }


@reused
def _year_totals_by_unit_specs(end: date, units: frozenset | None) -> dict:
    """What `year_totals_by_unit_plan` asks (batch.reused: composed once per process)."""
    months = months_completed(end)
    rows = ProjectMonth.objects.filter(year=end.year)
    if units is not None:
        rows = rows.filter(unit_id__in=units)
    rows = rows.values("unit_id").annotate(
        projects=Sum("projects", filter=Q(month=0)),
        plan=Sum("plan_wan", filter=Q(month=0)),
        done=Sum("invested_wan", filter=Q(month__gte=1, month__lte=months)),
        reported=Sum("reported", filter=Q(month=months) & Q(month__gte=1)),
    )
    return {"rows": Rows(rows.order_by())}


def by_level(*, end: date) -> list[tuple[str, dict]]:
    """The year's stocks per level, one round trip."""
    got = run(gather(**{level: year_plan(end=end, level=level) for level, _label in Project.Level.choices}))
    return [(label, got[level]) for level, label in Project.Level.choices]


def projects_by_unit(*, end: date) -> list[dict]:
    """Per responsible unit: projects, plan, completed, rate, lights, reporting."""
    values = run(year_plan(end=end, by_unit=True))
    result = []
    for unit in Unit.objects.filter(pk__in=[u for u, v in values.items() if v["projects"]]):
        v = values[unit.pk]
        result.append(
            {
                "unit": unit,
                "projects": v["projects"],
                "plan": v["annual_plan_wan"],
                "done": v["completed_wan"],
                "rate": v["completion_rate_pct"],
                "red": v["lights_red"],
                "yellow": v["lights_yellow"],
                "reporting_pct": v["reporting_pct"],
            }
        )
    return result
