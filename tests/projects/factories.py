"""Factories and helpers for campaign 2 (project construction).

Projects, plans and reports are written directly for figures and lists (like campaign 1's VisitFactory),
plans and reports counted as the services count them (apps.projects.rollups); the tests of the write paths
call `apps.projects.services` themselves. A project's own fields are set when it is made: a later change
goes through `services.project_save` or `services.project_start`, which move its figures. Money is Decimal
万元, months are the first day of the month, and every helper takes amounts as strings so that no float ever
gets near them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import factory

from apps.projects import rollups, services
from apps.projects.models import MonthlyReport, Project, TaskForceMember, YearPlan

from ..factories import EnterpriseFactory, UnitFactory, UserFactory
from ..service.factories import local


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    code = factory.Sequence(lambda n: f"T2024-{n:03d}")
    name = factory.Sequence(lambda n: f"测试产业项目{n}")
    unit = factory.SubFactory(UnitFactory)
    owner = factory.SubFactory(EnterpriseFactory, unit=factory.SelfAttribute("..unit"))
    level = Project.Level.DISTRICT
    kind = Project.Kind.INDUSTRIAL
    industry = "C"
    total_investment = Decimal("10000")
    stage = Project.Stage.CONSTRUCTION


class YearPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = YearPlan

    project = factory.SubFactory(ProjectFactory)
    year = 2024
    planned_investment = Decimal("1000")
    is_new_start = False

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        plan = model_class(*args, **kwargs)
        rollups.plan_totals(plan, MonthlyReport.objects.filter(project=plan.project, month__year=plan.year))
        plan.save()
        rollups.plan_rows(plan, plan.project).apply()
        return plan


class MonthlyReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MonthlyReport

    project = factory.SubFactory(ProjectFactory)
    month = date(2024, 1, 1)
    amount = Decimal("100")
    reported_by = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        report = super()._create(model_class, *args, **kwargs)
        rollups.report_counted(report.project, report.month, report.amount, new=True)
        return report


class TaskForceMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaskForceMember

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    is_lead = False


def month(text: str) -> date:
    """'2024-02' → date(2024, 2, 1)."""
    year, mon = text.split("-")
    return date(int(year), int(mon), 1)


def planned(
    unit,
    plan: str | None = "1000",
    *,
    year: int = 2024,
    new_start: bool = False,
    **project_fields,
) -> Project:
    """A project of `unit` with a plan of `plan` 万元 for `year` (no plan when `plan` is None)."""
    project = ProjectFactory(unit=unit, **project_fields)
    if plan is not None:
        YearPlanFactory(project=project, year=year, planned_investment=Decimal(plan), is_new_start=new_start)
    return project


def report(project: Project, when: str, amount: str, *, by=None, note: str = "") -> MonthlyReport:
    """The investment completed in month `when` ('2024-02'), written directly."""
    return MonthlyReportFactory(
        project=project,
        month=month(when),
        amount=Decimal(amount),
        note=note,
        reported_by=by or UserFactory(unit=project.unit),
    )


def reports(project: Project, amounts: dict[str, str], *, by=None) -> list[MonthlyReport]:
    """Several months at once: {'2024-01': '100', '2024-02': '90'}."""
    return [report(project, when, amount, by=by) for when, amount in amounts.items()]


def project_visit(project: Project, by, on: date, problems: Sequence[dict] = ()):
    """A visit to `project` through the service, with one problem (request) per dict in `problems`;
    each problem is received at 11:00 on the visit's day unless it says otherwise."""
    items = [{"received_at": local(on.year, on.month, on.day, 11), **p} for p in problems]
    return services.project_visit_record(
        project=project,
        by=by,
        visited_on=on,
        lead_unit=by.unit,
        mode="on_site",
        summary="了解项目建设进度",
        requests=items,
    )
