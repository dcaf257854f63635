"""Campaign 2 — project construction (项目建设): major projects, their yearly plans and monthly investment.

Money is Decimal in 万元 (1 亿 = 10,000 万). Cumulative investment is derived from the monthly reports,
never typed. Project visits and project problems reuse campaign 1's visits and requests: this app holds the
links (ProjectVisit, ProjectProblem) so the service app never knows projects exist.
"""

import calendar
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import (
    Case,
    CharField,
    DecimalField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf, Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.conditions import holds
from apps.core.querysets import pk_among
from apps.enterprises.models import Enterprise, Industry
from apps.service.models import Request, Visit
from apps.units.models import Unit

MAX_AMOUNT = Decimal("100000000")  # 1 万亿元 in 万元: anything larger is a typing error


def money_field(verbose_name, **kwargs):
    return models.DecimalField(
        verbose_name,
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_AMOUNT)],
        **kwargs,
    )


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see their unit's projects and those whose task force they serve on; leaders see all."""
        if not user.is_authenticated:
            return self.none()
        if user.has_perm("accounts.view_all_units"):
            return self
        # the user's task forces from (user, project) alone (taskforce_user_projects), as an arm PostgreSQL
        # ORs with the unit's index as bitmaps (pk_among says why not a hashed IN)
        serves_on = TaskForceMember.objects.filter(user=user).values("project_id")
        return self.filter(Q(unit_id=user.unit_id) | pk_among(serves_on))

    def for_year(self, year: int):
        """Projects with a plan for `year` (the year's project list, 年度重大项目)."""
        return self.filter(plans__year=year)

    def with_progress(self, *, year: int, months: int, as_of: date):
        """Annotate the year's plan, the investment completed in its first `months` months, the completion
        rate and the traffic light as of `as_of` (see `light_rules`)."""
        money = DecimalField(max_digits=16, decimal_places=2)
        # investment completed in the first `months` months: the year plan's running total (a roll-up kept
        # by `recount_year_progress` on every report write), read through the same join as the plan
        running = F(f"year_plan__completed_by_month__{months - 1}") if months else Value(Decimal(0))
        # a project without a plan for the year (not in the year's figures) is summed from its reports
        summed = (
            MonthlyReport.objects.filter(project=OuterRef("pk"), month__year=year, month__month__lte=months)
            .values("project")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        rate = DecimalField(max_digits=12, decimal_places=1)
        elapsed = Value(time_elapsed(months), output_field=rate)
        # the year's plan as a join (one row: unique per project and year), not a subquery: the figures
        # refer to it many times, and each reference to a subquery is evaluated again for every project
        qs = (
            self.alias(year_plan=FilteredRelation("plans", condition=Q(plans__year=year)))
            .annotate(
                plan_wan=F("year_plan__planned_investment"),
                is_new_start=F("year_plan__is_new_start"),
                completed_wan=Case(
                    When(year_plan__id__isnull=False, then=Coalesce(running, Value(Decimal(0)))),
                    default=Coalesce(Subquery(summed, output_field=money), Value(Decimal(0))),
                    output_field=money,
                ),
            )
            .annotate(
                rate_pct=Round(
                    ExpressionWrapper(
                        F("completed_wan") * 100 / NullIf(F("plan_wan"), Value(Decimal(0))), output_field=rate
                    ),
                    1,
                ),
            )
        )
        return qs.annotate(behind_pp=ExpressionWrapper(elapsed - F("rate_pct"), output_field=rate)).annotate(
            light=light_case(as_of)
        )


def time_elapsed(months: int) -> Decimal:
    """Time-elapsed progress (序时进度) on the month basis: months completed ÷ 12, in percent, one decimal."""
    return (Decimal(months) * 100 / 12).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def months_completed(as_of: date) -> int:
    """Whole months of as_of's year completed by as_of: 15 March → 2; 31 March → 3."""
    return as_of.month if (as_of + timedelta(days=1)).month != as_of.month else as_of.month - 1


def months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


# Traffic lights (brief): green at or above time-elapsed progress (and less than 10 points behind);
# yellow 10–30 points behind (both edges included); red more than 30 points behind, or due to start this year
# and still not started three months after the planned start. Points are one-decimal percentages. One
# definition each, as conditions on a project's progress (rate_pct, behind_pp) and dates: SQL reads them in
# `light_case`, the roll-ups in memory in `light_of` (apps.core.conditions).
LIGHTS = [("green", _("Green")), ("yellow", _("Yellow")), ("red", _("Red"))]
NO_RATE = Q(rate_pct__isnull=True)  # no plan amount to measure against
FAR_BEHIND = Q(behind_pp__gt=30)  # red
BEHIND = Q(behind_pp__gte=10)  # yellow, when not red


def late_to_start(as_of: date) -> Q:
    """A new start of the year not started by `as_of`, three months or more after its planned start."""
    not_started = Q(actual_start__isnull=True) | Q(actual_start__gt=as_of)
    return Q(is_new_start=True, planned_start__lte=months_before(as_of, 3)) & not_started


def light_case(as_of: date) -> Case:
    return Case(
        When(late_to_start(as_of), then=Value("red")),
        When(NO_RATE, then=Value("")),
        When(FAR_BEHIND, then=Value("red")),
        When(BEHIND, then=Value("yellow")),
        default=Value("green"),
        output_field=CharField(),
    )


def light_of(progress, late: Q | None = None) -> str:
    """The light of `progress` (an object with rate_pct and behind_pp, and with the project's start dates and
    is_new_start when `late` is given), as `light_case` says it in SQL; `late`: `late_to_start(as_of)`, built
    once for a page of rows; without it, from the rate alone."""
    if late is not None and holds(late, progress):
        return "red"
    for condition, light in ((NO_RATE, ""), (FAR_BEHIND, "red"), (BEHIND, "yellow")):
        if holds(condition, progress):
            return light
    return "green"


def progress(plan: Decimal | None, completed: Decimal, months: int) -> SimpleNamespace:
    """A plan's completion rate and how far it is behind time-elapsed progress after `months` months, the
    way `ProjectQuerySet.with_progress` computes them in SQL (rounded half up to one decimal)."""
    rate = (completed * 100 / plan).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if plan else None
    return SimpleNamespace(rate_pct=rate, behind_pp=None if rate is None else time_elapsed(months) - rate)


def start_delay(planned_start: date | None, actual_start: date | None) -> int | None:
    """Days late (positive) or early (negative) against the planned start; None until both are known."""
    if planned_start and actual_start:
        return (actual_start - planned_start).days
    return None


class Project(models.Model):
    class Level(models.TextChoices):
        PROVINCIAL = "provincial", _("Provincial major project")
        MUNICIPAL = "municipal", _("Municipal major project")
        DISTRICT = "district", _("District project")

    class Kind(models.TextChoices):
        INDUSTRIAL = "industrial", _("Industrial")
        HEADQUARTERS = "headquarters", _("Headquarters")
        INFRASTRUCTURE = "infrastructure", _("Infrastructure")
        PLATFORM = "platform", _("Platform")
        SERVICE = "service", _("Modern services")

    class Stage(models.TextChoices):
        RESERVE = "reserve", _("Reserve")
        PREPARATION = "preparation", _("Preparation")
        CONSTRUCTION = "construction", _("Under construction")
        COMPLETED = "completed", _("Completed")
        PRODUCTION = "production", _("In production")

    # Unique within the responsible unit, not district-wide: a code another unit holds can be used again, so
    # creating a project never tells a unit whether another unit's project has that code (#17).
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    owner = models.ForeignKey(
        Enterprise, verbose_name=_("owner enterprise"), on_delete=models.PROTECT, related_name="projects"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="projects"
    )
    park = models.ForeignKey(
        Unit,
        verbose_name=_("park"),
        on_delete=models.PROTECT,
        related_name="park_projects",
        null=True,
        blank=True,
    )
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    industry = models.CharField(_("industry"), max_length=1, choices=Industry.choices)
    total_investment = money_field(_("total investment (万元)"))
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, default=Stage.PREPARATION)
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    planned_completion = models.DateField(_("planned completion"), null=True, blank=True)
    actual_completion = models.DateField(_("actual completion"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)  # +1 on every saved edit

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        permissions = [("report_investment", _("Can report monthly investment"))]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "code"],
                name="project_unit_code_key",
                violation_error_message=_("This unit already has a project with this code."),
            )
        ]
        indexes = [
            models.Index(fields=["code"], name="project_code"),  # the lists' order; leaders find by code
            # the year's starts and completions in the end's month so far (selectors.year_plan)
            models.Index(fields=["actual_start"], name="project_actual_start"),
            models.Index(fields=["planned_start"], name="project_planned_start"),
            models.Index(fields=["actual_completion"], name="project_completion"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def start_delay_days(self) -> int | None:
        return start_delay(self.planned_start, self.actual_start)

    @property
    def days_early(self) -> int:
        return max(0, -(self.start_delay_days or 0))

    @property
    def days_late(self) -> int:
        return max(0, self.start_delay_days or 0)


class TaskForceMember(models.Model):
    """The project's service task force (项目服务专班): users from any unit, one of them the lead."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="task_force"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # taskforce_user_projects starts with it
    )
    is_lead = models.BooleanField(_("lead"), default=False)

    class Meta:
        ordering = ["-is_lead", "id"]
        verbose_name = _("task force member")
        verbose_name_plural = _("task force members")
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="taskforce_unique_member")]
        # a user's task forces from the index alone (Project.objects.visible_to)
        indexes = [models.Index(fields=["user", "project"], name="taskforce_user_projects")]

    def __str__(self) -> str:
        return f"{self.project.code} {self.user}"


def _twelve_zeros() -> list[Decimal]:
    return [Decimal(0)] * 12


class YearPlan(models.Model):
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="plans"
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    planned_investment = money_field(_("planned investment of the year (万元)"))
    is_new_start = models.BooleanField(
        _("new start this year"),
        default=False,
        help_text=_("Due to start this year (新开工); otherwise continuing (续建)."),
    )
    # Optional planned cumulative share of the year's plan at the end of each month, 12 values in percent.
    monthly_curve = models.JSONField(_("planned monthly curve (%)"), default=list, blank=True)
    # Investment completed from January to the end of each month of the year (万元), and which months have a
    # report (bit i - 1 for month i), from the monthly reports: kept by the services that write reports and
    # plans (services.py), so that progress figures read one row per project instead of its reports.
    completed_by_month = ArrayField(
        models.DecimalField(max_digits=16, decimal_places=2),
        size=12,
        default=_twelve_zeros,
        editable=False,
        verbose_name=_("completed by the end of each month (万元)"),
    )
    reported_months = models.IntegerField(_("months reported"), default=0, editable=False)

    class Meta:
        ordering = ["project", "-year"]
        verbose_name = _("yearly plan")
        verbose_name_plural = _("yearly plans")
        constraints = [models.UniqueConstraint(fields=["project", "year"], name="yearplan_unique_year")]
        indexes = [
            models.Index(fields=["year", "project"], name="yearplan_year"),
            # the year's new starts late to start (the leader's home, the stocks' red lights): their plan
            # and monthly completion read from the index alone, not from every plan of the year
            models.Index(
                fields=["year", "project"],
                include=["planned_investment", "completed_by_month"],
                condition=Q(is_new_start=True),
                name="yearplan_new_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.year}"


class MonthlyReport(models.Model):
    """Investment completed in one month (本月完成投资). One report per project per month."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="reports"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    amount = money_field(_("investment completed in the month (万元)"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reported by"), on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    corrected_at = models.DateTimeField(_("last corrected at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)  # +1 on every saved edit

    class Meta:
        ordering = ["project", "month"]
        verbose_name = _("monthly investment report")
        verbose_name_plural = _("monthly investment reports")
        constraints = [
            models.UniqueConstraint(fields=["project", "month"], name="report_one_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="report_month_first_day"),
        ]
        indexes = [models.Index(fields=["month", "project"], name="report_month")]

    def __str__(self) -> str:
        return f"{self.project.code} {self.month:%Y-%m}"


class ReportCorrection(models.Model):
    """A correction of a past month's report: the audited edit (who, when, from, to, why)."""

    report = models.ForeignKey(
        MonthlyReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="corrections"
    )
    old_amount = money_field(_("old amount (万元)"))
    new_amount = money_field(_("new amount (万元)"))
    reason = models.CharField(_("reason"), max_length=500)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("report correction")
        verbose_name_plural = _("report corrections")

    def __str__(self) -> str:
        return f"{self.report} {self.old_amount} → {self.new_amount}"


class ProjectVisit(models.Model):
    """A visit whose target is a project (the visit itself is campaign 1's Visit)."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="visit_links"
    )
    visit = models.OneToOneField(
        Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="project_link"
    )

    class Meta:
        verbose_name = _("project visit")
        verbose_name_plural = _("project visits")

    def __str__(self) -> str:
        return f"{self.project.code} {self.visit}"


class ProjectProblem(models.Model):
    """A to-do item (campaign 1's Request) raised for a project and handled by the same life cycle."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="problem_links"
    )
    request = models.OneToOneField(
        Request, verbose_name=_("request"), on_delete=models.CASCADE, related_name="project_link"
    )

    class Meta:
        verbose_name = _("project problem")
        verbose_name_plural = _("project problems")

    def __str__(self) -> str:
        return f"{self.project.code} {self.request}"


class ProjectMonth(models.Model):
    """The projects of each year's plan, by responsible unit and level, month by month: one row per (unit,
    year, level, month), counters added and taken away by the services (rollups.py), so that the year's
    figures read a few hundred rows instead of every project.

    What `month` means depends on the counter:
    - `projects`, `plan_wan`, `new_due` (the year's list and plan) are in month 0;
    - `invested_wan`, `reported` are in the month reported (1–12);
    - the new starts' `started`, `due_to_start`, `started_of_due` (by the later of the planned and actual
      start), `started_early`, `started_late`, and `completed` (actual completion) are in the month of their
      date: 1–12 within the year, 0 before it, 13 after it;
    - `red`, `yellow`, `green` are the projects' lights by their rate alone after `month` months completed
      (0–12): the light of "late to start" depends on the very day, so it is applied when read.
    """

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    level = models.CharField(_("level"), max_length=12, choices=Project.Level.choices)
    month = models.PositiveSmallIntegerField(_("month"))
    projects = models.IntegerField(default=0)
    plan_wan = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    new_due = models.IntegerField(default=0)
    invested_wan = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    reported = models.IntegerField(default=0)
    started = models.IntegerField(default=0)
    due_to_start = models.IntegerField(default=0)
    started_of_due = models.IntegerField(default=0)
    started_early = models.IntegerField(default=0)
    started_late = models.IntegerField(default=0)
    completed = models.IntegerField(default=0)
    red = models.IntegerField(default=0)
    yellow = models.IntegerField(default=0)
    green = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("project roll-up")
        verbose_name_plural = _("project roll-ups")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["year", "unit", "level", "month"], name="project_month_key")
        ]

    def __str__(self):
        return f"{self.unit_id} {self.year} {self.level} {self.month}"
