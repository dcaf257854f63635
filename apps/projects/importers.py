"""Excel imports of projects and of monthly investment, with the shared pipeline (apps.core.imports)."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.imports import (
    Column,
    Importer,
    RowResult,
    choice_parser,
    halfwidth,
    parse_bool,
    parse_date,
    parse_decimal,
)
from apps.core.rollups import Delta
from apps.enterprises.models import Enterprise, Industry
from apps.units.models import Unit

from . import rollups
from .models import MAX_AMOUNT, MonthlyReport, Project, YearPlan
from .services import can_edit_unit_id


def _amount(text: str) -> Decimal:
    return parse_decimal(text, min_value=Decimal(0), max_value=MAX_AMOUNT).quantize(Decimal("0.01"))


def _month(text: str) -> date:
    text = halfwidth(text).replace("年", "-").replace("月", "").replace("/", "-").replace(".", "-").strip()
    parts = text.split("-")
    try:
        year, month = int(parts[0]), int(parts[1])
        return date(year, month, 1)
    except (ValueError, IndexError):
        from django.core.exceptions import ValidationError

        raise ValidationError(_("“%(value)s” is not a month (use YYYY-MM).") % {"value": text}) from None


_LEVEL = choice_parser(Project.Level.choices)
# The short names everyone writes (and the template's example shows): 省重大, 市重大, 区级.
_LEVEL_SHORT = {
    "省重大": Project.Level.PROVINCIAL,
    "市重大": Project.Level.MUNICIPAL,
    "区级": Project.Level.DISTRICT,
}


def _level(text: str) -> str:
    return _LEVEL_SHORT.get(text) or _LEVEL(text)


def _year(text: str) -> int:
    value = parse_decimal(text, min_value=Decimal(2000), max_value=Decimal(2100))
    return int(value)


def _editable_by_code(user, codes) -> dict[str, list[Project]]:
    """The projects with these codes whose unit the user may edit, by code (a code is unique per unit)."""
    projects = Project.objects.filter(code__in=[c for c in codes if c])
    if not user.has_perm("projects.report_investment"):
        return {}
    if not user.has_perm("accounts.view_all_units"):
        projects = projects.filter(unit_id=user.unit_id)
    found: dict[str, list[Project]] = {}
    for project in projects.order_by("pk"):
        found.setdefault(project.code, []).append(project)
    return found


class ProjectImporter(Importer):
    title = gettext_lazy("Import projects")
    key = "项目编码"
    columns = [
        Column("项目编码", "code", required=True, max_length=30, example="JB2025-001"),
        Column("项目名称", "name", required=True, max_length=200, example="示例智能制造基地项目"),
        Column("业主企业信用代码", "owner", required=True, max_length=18, example="91350100M000100Y43"),
        Column("责任单位", "unit", required=True, max_length=100, example="产业技术研创园"),
        Column("项目级别", "level", required=True, parse=_level, example="市重大"),
        Column(
            "项目类型", "kind", required=True, parse=choice_parser(Project.Kind.choices), example="industrial"
        ),
        Column("行业门类", "industry", required=True, parse=choice_parser(Industry.choices), example="C"),
        Column("总投资（万元）", "total_investment", required=True, parse=_amount, example="120000"),
        Column("计划开工", "planned_start", parse=parse_date, example="2025-04-01"),
        Column("年度", "year", required=True, parse=_year, example="2025"),
        Column("年度计划投资（万元）", "planned_investment", required=True, parse=_amount, example="30000"),
        Column("是否新开工", "is_new_start", parse=parse_bool, example="是"),
    ]

    def prepare(self, rows):
        names = {r.data.get("unit") for r in rows if r.data.get("unit")}
        self.units = {}
        for unit in Unit.objects.filter(Q(name__in=names) | Q(short_name__in=names), is_active=True):
            self.units[unit.name] = unit
            self.units.setdefault(unit.short_name, unit)
        codes = {str(r.data.get("owner", "")).upper() for r in rows}
        self.owners = {e.credit_code: e for e in Enterprise.objects.filter(credit_code__in=codes)}
        # Only projects the user may edit are looked up: a code another unit holds is, to this user, a code
        # no project has (codes are unique per unit), so the row creates a project of the user's unit.
        self.editable = _editable_by_code(self.user, [r.data.get("code") for r in rows])
        self.existing: dict[str, Project] = {}

    def clean_row(self, row: RowResult) -> None:
        unit = self.units.get(row.data["unit"])
        owner = self.owners.get(str(row.data["owner"]).upper())
        if unit is None:
            row.add_error("责任单位", _("No unit is called “%(name)s”.") % {"name": row.data["unit"]})
        elif not can_edit_unit_id(self.user, unit.pk):
            row.add_error("责任单位", _("You may only import projects of your own unit."))
        if owner is None:
            row.add_error(
                "业主企业信用代码", _("No enterprise has this credit code. Record the enterprise first.")
            )
        # Codes are unique per unit: the row updates the project of its own unit with this code, else it
        # creates one. Another unit's project with the code is never changed or moved by an import (moving a
        # project to another unit is done on its page).
        candidates = self.editable.get(row.data["code"], [])
        existing = next((p for p in candidates if unit is not None and p.unit_id == unit.pk), None)
        row.data["unit"], row.data["owner"] = unit, owner
        if existing is not None:
            self.existing[row.data["code"]] = existing
        row.action = "update" if existing else "create"

    @transaction.atomic
    def save(self, rows):
        """Projects created or changed with their plan of the year; the year figures of every plan of the
        projects touched move with them (a project may change level or planned start; never its unit: codes
        are unique per unit, and a project moves to another unit on its page)."""
        fields = ["name", "owner", "unit", "level", "kind", "industry", "total_investment"]
        locked = Project.objects.select_for_update().in_bulk([p.pk for p in self.existing.values()])
        existing = {code: locked[p.pk] for code, p in self.existing.items()}
        plans = {
            (plan.project_id, plan.year): plan
            for plan in YearPlan.objects.select_for_update().filter(project__in=locked)
        }
        by_pk = {p.pk: p for p in existing.values()}
        before = Delta()
        for plan in plans.values():
            before += rollups.plan_rows(plan, by_pk[plan.project_id])
        created = updated = 0
        for row in rows:
            d = row.data
            project = existing.get(d["code"]) or Project(code=d["code"])
            for f in fields:
                setattr(project, f, d[f])
            if d.get("planned_start"):
                project.planned_start = d["planned_start"]
            if project.pk:
                updated += 1
                project.version += 1  # the row was read for this import: a form opened before is now stale
            else:
                created += 1
            project.save()
            plan = plans.get((project.pk, d["year"]))
            if plan is None:
                plan = plans[(project.pk, d["year"])] = YearPlan(project=project, year=d["year"])
                rollups.plan_totals(
                    plan, MonthlyReport.objects.filter(project=project, month__year=d["year"])
                )
            plan.project = project
            plan.planned_investment = d["planned_investment"]
            if "is_new_start" in d:  # a column left out of the file keeps the stored value
                plan.is_new_start = bool(d["is_new_start"])
            plan.save()
        after = Delta()
        for plan in plans.values():
            after += rollups.plan_rows(plan, by_pk.get(plan.project_id, plan.project))  # changed in place
        (after - before).apply()
        return created, updated


class MonthlyInvestmentImporter(Importer):
    """A month already reported with the same amount is left as it is; a different amount is refused
    (a past month changes only by an audited correction on the project page)."""

    title = gettext_lazy("Import monthly investment")
    columns = [
        Column("项目编码", "code", required=True, max_length=30, example="JB2024-001"),
        Column("项目名称", "name", max_length=200, example="（可不填，仅供核对）"),
        Column("月份", "month", required=True, parse=_month, example="2024-02"),
        Column("本月完成投资（万元）", "amount", required=True, parse=_amount, example="1250.5"),
    ]

    def prepare(self, rows):
        # Only projects the user may report for are looked up: another unit's code gets the answer a code
        # no project has, and its stored amounts are never read.
        self.projects = _editable_by_code(self.user, [r.data.get("code") for r in rows])
        ids = [p.pk for found in self.projects.values() for p in found]
        self.reports = {(r.project_id, r.month): r for r in MonthlyReport.objects.filter(project_id__in=ids)}
        seen = {}
        for row in rows:
            key = (row.data.get("code"), row.data.get("month"))
            if None not in key and key in seen and not row.errors:
                row.add_error("月份", _("Same project and month as row %(row)d.") % {"row": seen[key]})
            seen.setdefault(key, row.number)

    def clean_row(self, row):
        found = self.projects.get(row.data["code"], [])
        if not found:
            row.add_error("项目编码", _("No project has this code."))
            return
        if len(found) > 1:  # only for a user who may report for every unit
            row.add_error(
                "项目编码", _("Several units have a project with this code: report it on the project's page.")
            )
            return
        project = found[0]
        today = timezone.localdate()
        if row.data["month"] > date(today.year, today.month, 1):
            row.add_error("月份", _("A month that has not started cannot be reported."))
        existing = self.reports.get((project.pk, row.data["month"]))
        if existing is not None and existing.amount != row.data["amount"]:
            row.add_error(
                "本月完成投资（万元）",
                _("This month is already reported (%(amount)s 万元); correct it on the project page.")
                % {"amount": existing.amount},
            )
        row.data["project"] = project
        row.action = "unchanged" if existing is not None else "create"

    @transaction.atomic
    def save(self, rows):
        new = [
            MonthlyReport(
                project=r.data["project"],
                month=r.data["month"],
                amount=r.data["amount"],
                reported_by=self.user,
            )
            for r in rows
            if r.action == "create"
        ]
        MonthlyReport.objects.bulk_create(new, batch_size=2000)
        # the running totals of the projects' plans of those years, and their year figures
        keys = {(r.project_id, r.month.year) for r in new}
        plans = {
            (plan.project_id, plan.year): plan
            for plan in YearPlan.objects.select_for_update()
            .select_related("project")
            .filter(project_id__in={k[0] for k in keys}, year__in={k[1] for k in keys})
        }
        delta = Delta()
        for report in new:
            plan = plans.get((report.project_id, report.month.year))
            if plan is not None:
                before = rollups.plan_rows(plan, plan.project)
                rollups.report_moves(plan, report.month.month, report.amount)
                delta += rollups.plan_rows(plan, plan.project) - before
        YearPlan.objects.bulk_update(
            plans.values(), ["completed_by_month", "reported_months"], batch_size=2000
        )
        delta.apply()
        return len(new), 0
