"""Campaign 2's roll-ups: the year plans' running totals and the projects of each year by unit and level.

Two kept things, both by the services (services.py), in the writer's transaction:
- each year plan carries its running totals (`completed_by_month`, `reported_months`), moved by every report
  written or corrected for its project and year;
- `ProjectMonth` holds what each project of a year's plan adds to its unit's and level's figures
  (`plan_rows`: the plan, its reported months, its start and completion, its light by rate after each
  month). A service that changes a plan, a report or a project takes what the plan added before and adds
  what it adds after: `(plan_rows(plan, project) - before).apply()`.

Project visits and project problems are campaign 1's visits and requests, counted in campaign 1's roll-ups
under `concerns=project` for the project's unit (apps.service.rollups); this app reads them there.
`rebuild()` recomputes both kept things from the reports, plans and projects.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from apps.core.rollups import Delta, Rollup

from .models import MonthlyReport, Project, ProjectMonth, YearPlan, light_of, progress

PROJECTS = Rollup(
    ProjectMonth,
    key=("unit_id", "year", "level", "month"),
    values=(
        "projects",
        "plan_wan",
        "new_due",
        "invested_wan",
        "reported",
        "started",
        "due_to_start",
        "started_of_due",
        "started_early",
        "started_late",
        "completed",
        "red",
        "yellow",
        "green",
    ),
)

ROLLUPS = (PROJECTS,)
#: every table `rebuild()` writes
TABLES = (PROJECTS.table, "projects_yearplan")


def date_slot(day: date, year: int) -> int:
    """The `month` of a date in `year`'s rows: 1–12 within the year, 0 before it, 13 after it."""
    return 0 if day.year < year else 13 if day.year > year else day.month


def plan_rows(plan: YearPlan, project: Project) -> Delta:
    """What one project of `plan.year`'s plan adds to its unit's and level's rows (plan and project as they
    are in memory now)."""
    year, delta = plan.year, Delta()

    def add(month: int, **values) -> None:
        delta.add(PROJECTS, (project.unit_id, year, project.level, month), **values)

    add(0, projects=1, plan_wan=plan.planned_investment, new_due=int(plan.is_new_start))
    before = Decimal(0)
    for month, cumulative in enumerate(plan.completed_by_month, start=1):
        reported = plan.reported_months >> (month - 1) & 1
        if cumulative != before or reported:
            add(month, invested_wan=cumulative - before, reported=reported)
        before = cumulative
    planned, actual = project.planned_start, project.actual_start
    if plan.is_new_start:
        if actual is not None:
            add(date_slot(actual, year), started=1)
            if planned is not None and actual != planned:
                add(date_slot(actual, year), **{"started_early" if actual < planned else "started_late": 1})
        if planned is not None:
            add(date_slot(planned, year), due_to_start=1)
        if planned is not None and actual is not None:
            add(date_slot(max(planned, actual), year), started_of_due=1)
    if project.actual_completion is not None and project.actual_completion.year == year:
        add(project.actual_completion.month, completed=1)
    for months in range(13):
        completed = plan.completed_by_month[months - 1] if months else Decimal(0)
        light = light_of(progress(plan.planned_investment, completed, months))
        if light:
            add(months, **{light: 1})
    return delta


def report_moves(plan: YearPlan, month: int, amount: Decimal, *, reported: bool = True) -> None:
    """Add `amount` reported for `month` (1–12) to the plan's running totals, in memory (the caller saves the
    plan it has locked)."""
    totals = list(plan.completed_by_month)
    for i in range(month - 1, 12):
        totals[i] += amount
    plan.completed_by_month = totals
    if reported:
        plan.reported_months |= 1 << (month - 1)


def report_counted(project: Project, month: date, amount: Decimal, *, new: bool) -> None:
    """A report of `project` (as the caller has locked it) for `month` was written (`new`) or corrected by
    `amount`: the project's plan of that year, its row locked, moves its running totals, and its unit's year
    figures move with it. A report of a year the project has no plan for counts nowhere (until a plan is
    set: `plan_totals`)."""
    plan = YearPlan.objects.select_for_update().filter(project=project, year=month.year).first()
    if plan is None:
        return
    before = plan_rows(plan, project)
    report_moves(plan, month.month, amount, reported=new)
    plan.save(update_fields=["completed_by_month", "reported_months"])
    (plan_rows(plan, project) - before).apply()


def plan_totals(plan: YearPlan, reports) -> None:
    """Set a plan's running totals from its project's reports of its year, in memory."""
    plan.completed_by_month, plan.reported_months = [Decimal(0)] * 12, 0
    for report in reports:
        if report.month.year == plan.year:
            report_moves(plan, report.month.month, report.amount)


def rebuild() -> None:
    """Every plan's running totals and the year rows, recomputed from the reports, plans and projects."""
    reports: dict[int, list[MonthlyReport]] = {}
    for report in MonthlyReport.objects.only("project_id", "month", "amount").order_by():
        reports.setdefault(report.project_id, []).append(report)
    plans = list(YearPlan.objects.select_related("project").order_by("pk"))
    delta = Delta()
    for plan in plans:
        plan_totals(plan, reports.get(plan.project_id, []))
        delta += plan_rows(plan, plan.project)
    YearPlan.objects.bulk_update(plans, ["completed_by_month", "reported_months"], batch_size=2000)
    ProjectMonth.objects.all().delete()
    delta.apply_in_chunks()


def kept() -> dict[str, set]:
    """What the year rows and the plans' running totals hold now, comparable with a rebuild's."""
    plans = YearPlan.objects.values_list("pk", "completed_by_month", "reported_months")
    return {
        PROJECTS.table: PROJECTS.rows(),
        "year plan totals": {(pk, tuple(totals), reported) for pk, totals, reported in plans},
    }
