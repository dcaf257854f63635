"""Writes of campaign 2. Money is Decimal 万元; a past month's report changes only by an audited
correction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.locking import check_version
from apps.core.rollups import Delta
from apps.service import services as service_services
from apps.service.models import Concerns, Request, Visit

from . import rollups
from .models import (
    MAX_AMOUNT,
    MonthlyReport,
    Project,
    ProjectProblem,
    ProjectVisit,
    ReportCorrection,
    TaskForceMember,
    YearPlan,
)


def can_edit(user, project: Project) -> bool:
    """The responsible unit's staff and leaders edit a project and report its investment."""
    if not user.has_perm("projects.report_investment"):
        return False
    return user.has_perm("accounts.view_all_units") or project.unit_id == user.unit_id


def _check_amount(amount: Decimal) -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValidationError(_("Enter an amount in 万元."))
    if amount < 0:
        raise ValidationError(_("An investment amount cannot be negative."))
    if amount > MAX_AMOUNT:
        raise ValidationError(
            _("%(amount)s 万元 is not plausible; check the unit (万元).") % {"amount": amount}
        )
    return amount.quantize(Decimal("0.01"))


def first_of_month(day: date) -> date:
    return day.replace(day=1)


@transaction.atomic
def report_month(
    *, project: Project, month: date, amount: Decimal, by, note: str = "", at: datetime | None = None
):
    """Report the investment completed in `month`. A second report for the same month is refused. The project
    is read again, locked: it is counted for the unit and level it has now, not those of the page that
    sent the report (and only if `by` may still report for it)."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    if not can_edit(by, project):
        raise PermissionDenied
    month = first_of_month(month)
    today = timezone.localdate()
    if month > first_of_month(today):
        raise ValidationError(_("A month that has not started cannot be reported."))
    report = MonthlyReport(
        project=project,
        month=month,
        amount=_check_amount(amount),
        note=note.strip(),
        reported_by=by,
        reported_at=at or timezone.now(),
    )
    report.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        raise ValidationError(
            _("%(month)s has already been reported for %(project)s; correct that report instead.")
            % {"month": f"{month:%Y-%m}", "project": project.code}
        ) from None
    rollups.report_counted(project, month, report.amount, new=True)
    return report


def _locked_plan(project: Project, year: int) -> YearPlan | None:
    """The project's plan for `year`, its row locked (its running totals are about to move)."""
    return YearPlan.objects.select_for_update().filter(project=project, year=year).first()


@transaction.atomic
def report_correct(
    *, report: MonthlyReport, amount: Decimal, reason: str, by, expected_version: int | None = None
) -> MonthlyReport:
    """Change a past report; the change is recorded with who, when, from, to and why.

    `expected_version` is the version of the report the user saw: EditConflict if it changed since."""
    report = MonthlyReport.objects.select_for_update().select_related("project").get(pk=report.pk)
    if not can_edit(by, report.project):
        raise PermissionDenied
    check_version(report, expected_version)
    amount = _check_amount(amount)
    if not reason.strip():
        raise ValidationError(_("Give the reason for the correction."))
    if amount == report.amount:
        return report
    ReportCorrection.objects.create(
        report=report, old_amount=report.amount, new_amount=amount, reason=reason.strip(), by=by
    )
    rollups.report_counted(report.project, report.month, amount - report.amount, new=False)
    report.amount, report.corrected_at = amount, timezone.now()
    report.version += 1  # the row is locked: no lost update
    report.save(update_fields=["amount", "corrected_at", "version"])
    return report


def _curve_ok(curve: list) -> bool:
    """12 numbers (JSON: int or float), each from 0 to 100, never falling, the last one 100."""
    if len(curve) != 12:
        return False
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 100 for v in curve):
        return False  # also refuses NaN, which compares false with everything
    return all(a <= b for a, b in zip(curve, curve[1:], strict=False)) and curve[-1] == 100


@transaction.atomic
def plan_set(
    *,
    project: Project,
    year: int,
    planned_investment: Decimal,
    is_new_start: bool,
    by,
    monthly_curve: list | None = None,
) -> YearPlan:
    """Set a project's plan for `year`; the project read again, locked, as `report_month` does."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    if not can_edit(by, project):
        raise PermissionDenied
    curve = list(monthly_curve or [])
    if curve and not _curve_ok(curve):
        raise ValidationError(_("The monthly curve has 12 rising cumulative percentages ending at 100."))
    amount = _check_amount(planned_investment)
    plan = _locked_plan(project, year)
    if plan is None:  # a new project of the year: its reports so far count at once
        plan = YearPlan(project=project, year=year)
        rollups.plan_totals(plan, MonthlyReport.objects.filter(project=project, month__year=year))
        before = Delta()
    else:
        before = rollups.plan_rows(plan, project)
    plan.planned_investment, plan.is_new_start, plan.monthly_curve = amount, is_new_start, curve
    plan.full_clean(exclude=["project"])
    plan.save()
    (rollups.plan_rows(plan, project) - before).apply()
    return plan


@transaction.atomic
def project_start(*, project: Project, on: date, by) -> Project:
    """Record the actual start (开工); the stage moves to under construction."""
    if not can_edit(by, project):
        raise PermissionDenied
    if on > timezone.localdate():
        raise ValidationError(_("A start date cannot be in the future."))
    project = Project.objects.select_for_update().get(pk=project.pk)
    plans = list(YearPlan.objects.select_for_update().filter(project=project))
    before = _project_rows(plans, project)
    project.actual_start = on
    if project.stage in (Project.Stage.RESERVE, Project.Stage.PREPARATION):
        project.stage = Project.Stage.CONSTRUCTION
    project.version += 1  # the edit form shows these fields: a form opened before is now stale
    project.save(update_fields=["actual_start", "stage", "version", "updated_at"])
    (_project_rows(plans, project) - before).apply()
    return project


def _project_rows(plans: list[YearPlan], project: Project) -> Delta:
    """What a project adds to the figures of every year it is planned in."""
    delta = Delta()
    for plan in plans:
        delta += rollups.plan_rows(plan, project)
    return delta


@transaction.atomic
def project_visit_record(*, project: Project, by, requests: Iterable[dict] = (), **visit_fields) -> Visit:
    """A visit to a project: campaign 1's visit (target: the project, enterprise: its owner), counted for the
    project's unit, and its problems as to-do items linked to the project."""
    visit = service_services.visit_record(
        by=by,
        enterprise=project.owner,
        target_name=project.name,
        requests=requests,
        concerns=Concerns.PROJECT,
        counts_for=project.unit,
        **visit_fields,
    )
    ProjectVisit.objects.create(project=project, visit=visit)
    ProjectProblem.objects.bulk_create(
        ProjectProblem(project=project, request=r) for r in visit.requests.all()
    )
    return visit


@transaction.atomic
def project_problem_create(*, project: Project, by, **request_fields) -> Request:
    """A problem of a project: a to-do item of campaign 1, counted for the project's unit."""
    req = service_services.request_create(
        by=by, enterprise=project.owner, concerns=Concerns.PROJECT, counts_for=project.unit, **request_fields
    )
    ProjectProblem.objects.create(project=project, request=req)
    return req


PROJECT_FIELDS = [
    "code", "name", "owner", "unit", "park", "level", "kind", "industry", "total_investment", "stage",
    "planned_start", "actual_start", "planned_completion", "actual_completion", "location",
]  # fmt: skip


@transaction.atomic
def project_save(
    *,
    by,
    project: Project | None = None,
    task_force: Iterable | None = None,
    lead=None,
    expected_version: int | None = None,
    **fields,
):
    """Create a project (no `project`) or change one; the user must be allowed to edit the unit.

    A change starts from the stored row, locked (a ModelForm bound to `project` has already copied the new
    values onto it), and `expected_version` is the version the user's form was loaded with: EditConflict if
    the project has changed since."""
    unknown = set(fields) - set(PROJECT_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    plans: list[YearPlan] = []
    if project is not None and project.pk:
        project = Project.objects.select_for_update().get(pk=project.pk)
        check_version(project, expected_version)
        project.version += 1
        plans = list(YearPlan.objects.select_for_update().filter(project=project))
    project = project or Project()
    old_unit = project.unit_id
    before = _project_rows(plans, project)
    for name, value in fields.items():
        setattr(project, name, value)
    if project.pk and old_unit != project.unit_id and not can_edit_unit_id(by, old_unit):
        raise PermissionDenied
    if not can_edit(by, project):
        raise PermissionDenied
    project.full_clean()
    project.save()
    (_project_rows(plans, project) - before).apply()
    if old_unit is not None and old_unit != project.unit_id:  # its visits and problems count for the new unit
        service_services.counted_unit_move(
            requests=Request.objects.filter(project_link__project=project),
            visits=Visit.objects.filter(project_link__project=project),
            to=project.unit,
        )
    if task_force is not None:
        TaskForceMember.objects.filter(project=project).delete()
        members = {u.pk: u for u in task_force}
        if lead is not None:
            members[lead.pk] = lead
        TaskForceMember.objects.bulk_create(
            TaskForceMember(project=project, user=u, is_lead=lead is not None and u.pk == lead.pk)
            for u in members.values()
        )
    return project


def can_edit_unit_id(user, unit_id) -> bool:
    return user.has_perm("projects.report_investment") and (
        user.has_perm("accounts.view_all_units") or user.unit_id == unit_id
    )
