from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, DecimalField, F, Max, Prefetch, Q, Value
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.formats import localize
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.decorators.http import require_POST

from apps.core.exports import xlsx_response
from apps.core.locking import CONFLICT_MESSAGE, EditConflict, EditConflictMixin
from apps.core.querysets import TableRow, table_of
from apps.core.replica import reads_from_replica
from apps.core.templatetags.amounts import format_amount
from apps.core.views import FilteredListView, ImportView, period_from_request, url_maker
from apps.service.models import Request, Visit
from apps.service.views.visits import VisitCreateView
from apps.units.models import Unit
from apps.units.selectors import unit_from_request, units_to_choose

from . import selectors, services
from .filters import ProjectFilter
from .forms import CorrectionForm, PlanForm, ProjectForm, ReportRowForm, StartForm
from .importers import MonthlyInvestmentImporter, ProjectImporter
from .models import (
    MonthlyReport,
    Project,
    TaskForceMember,
    YearPlan,
    late_to_start,
    light_of,
    months_before,
    months_completed,
    progress,
    start_delay,
    time_elapsed,
)


def year_and_as_of(request) -> tuple[int, date]:
    """?year= (default: the latest year with plans) and ?as_of= (default: today, or 31 Dec of a past year)."""
    today = timezone.localdate()
    latest = YearPlan.objects.filter(year__lte=today.year).aggregate(y=Max("year"))["y"] or today.year
    try:
        year = int(request.GET.get("year") or latest)
    except ValueError:
        year = latest
    year = min(max(year, 2000), today.year + 1)
    as_of = today if year == today.year else date(year, 12, 31)
    if request.GET.get("as_of"):
        try:
            chosen = date.fromisoformat(request.GET["as_of"])
            if chosen.year == year:
                as_of = chosen
        except ValueError:
            pass
    return year, as_of


def _rows(request, year, as_of):
    return (
        Project.objects.visible_to(request.user)
        .for_year(year)
        .with_progress(year=year, months=months_completed(as_of), as_of=as_of)
        .select_related("unit", "owner")
    )


def _list_rows(request, year: int, months: int):
    """The year's projects with their year plan's own columns joined (`for_year`) and its running total after
    `months` months, from which `_show_progress` works out the page's progress: no per-project figures in SQL
    (`with_progress`), whose expressions cost more to compose than the rows to read (unless the light is
    filtered on). The unit's short name is read with the page's rows (`ProjectRow`), not joined into the
    count."""
    plan = "plans__"  # the plan `for_year` joined: one per project
    running = F(f"{plan}completed_by_month__{months - 1}") if months else Value(None, DecimalField())
    return (
        Project.objects.visible_to(request.user)
        .for_year(year)
        .annotate(
            plan_wan=F(f"{plan}planned_investment"),
            is_new_start=F(f"{plan}is_new_start"),
            running_wan=running,  # that month's element alone, not the year's twelve
        )
        .order_by("code", "id")  # codes are unique within a unit only
    )


class ProjectRow(TableRow):
    """One row of the project list: the columns it shows and its progress is worked out from, its progress
    (`_show_progress`) and the words it prints (`_show_columns`)."""

    columns = (
        *("pk", "code", "name", "level", "stage", "planned_start", "actual_start"),
        *("unit__short_name", "plan_wan", "is_new_start", "running_wan"),
    )
    __slots__ = (
        *columns,
        *("completed_wan", "rate_pct", "behind_pp", "light"),
        *("url", "level_label", "stage_label", "plan_shown", "completed_shown", "rate_shown"),
        *("start_day", "offset_class", "offset_words"),
    )


def project_table(projects) -> list[ProjectRow]:
    """The rows of a page of the project list (`projects`: `_list_rows`, filtered, ordered, sliced)."""
    return table_of(projects, ProjectRow)


def _show_progress(projects, *, months: int, as_of: date) -> None:
    """Set each project's completed investment, rate, distance behind time-elapsed progress and light as
    `ProjectQuerySet.with_progress` says them in SQL, from its year plan's running total (kept for every
    month, read for `months` by `_list_rows`), with the in-memory twins of its definitions (`progress`,
    `light_of`), as the roll-ups do."""
    late = late_to_start(as_of)  # one condition for the page, asked of each row
    for project in projects:
        project.completed_wan = Decimal(0) if project.running_wan is None else project.running_wan
        measured = progress(project.plan_wan, project.completed_wan, months)
        project.rate_pct, project.behind_pp = measured.rate_pct, measured.behind_pp
        project.light = light_of(project, late=late)  # its rate and its start dates


def _show_columns(projects, *, year: int, as_of: date) -> None:
    """Set each project's link, labels, amounts, start day and start offset as the list prints them, worked
    out here rather than by template tags and filters in every row (the offset in `_start_offset.html`'s
    words)."""
    detail, query = url_maker("projects:detail"), f"?year={year}&as_of={as_of:%Y-%m-%d}"
    levels = {value: str(label) for value, label in Project.Level.choices}
    stages = {value: str(label) for value, label in Project.Stage.choices}
    for project in projects:
        project.url = f"{detail(project.pk)}{query}"
        project.level_label = levels.get(project.level, project.level)
        project.stage_label = stages.get(project.stage, project.stage)
        project.plan_shown = format_amount(project.plan_wan, 0)
        project.completed_shown = format_amount(project.completed_wan, 0)
        project.rate_shown = "—" if project.rate_pct is None else localize(project.rate_pct)
        project.start_day = f"{project.actual_start or project.planned_start or ''}"  # as |date:"Y-m-d"
        project.offset_class, project.offset_words = _start_offset(project)


def _start_offset(project) -> tuple[str, str]:
    """What `projects/_start_offset.html` says of a project's start: its class and words (none: ""), from
    its dates."""
    delay = start_delay(project.planned_start, project.actual_start)
    if early := max(0, -(delay or 0)):
        return "ok", ngettext("%(n)s day early", "%(n)s days early", early) % {"n": localize(early)}
    if late := max(0, delay or 0):
        return "late", ngettext("%(n)s day late", "%(n)s days late", late) % {"n": localize(late)}
    return "", ""


class ProjectListView(FilteredListView):
    filterset_class = ProjectFilter
    template_name = "projects/project_list.html"
    table_rows = project_table
    filter_form_template = "projects/_filter_form.html"  # the year and "as of" before the FilterSet's fields

    def get_queryset(self):
        self.year, self.as_of = year_and_as_of(self.request)
        return _list_rows(self.request, self.year, months_completed(self.as_of))

    def visibility_key(self):
        # Project.objects.visible_to: every unit's, or the unit's and the task forces the user serves on; the
        # year's plans and their running totals after its months so far (`_list_rows`)
        user = self.request.user
        seen = user.units_seen if user.sees_all_units else (user.unit_id, user.pk)
        return seen, self.year, months_completed(self.as_of)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)  # reads the queryset: the year is known
        kwargs["progress"] = {"year": self.year, "months": months_completed(self.as_of), "as_of": self.as_of}
        return kwargs

    def filter_form_context(self):
        return {"year": self.year, "as_of": self.as_of}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        months = months_completed(self.as_of)
        _show_progress(context["object_list"], months=months, as_of=self.as_of)
        _show_columns(context["object_list"], year=self.year, as_of=self.as_of)
        context.update(
            year=self.year,
            as_of=self.as_of,
            elapsed=time_elapsed(months),
            can_add=self.request.user.has_perm("projects.add_project"),
        )
        return context


class ProjectExportView(View):
    def get(self, request):
        year, as_of = year_and_as_of(request)
        qs = ProjectFilter(request.GET, queryset=_rows(request, year, as_of), request=request).qs
        headers = [
            "项目编码", "项目名称", "业主企业", "责任单位", "级别", "阶段", "新开工", "年度计划投资（万元）",
            "累计完成（万元）", "完成率（%）", "序时进度（%）", "亮灯", "计划开工", "实际开工",
        ]  # fmt: skip
        elapsed = time_elapsed(months_completed(as_of))
        light = {"green": "绿", "yellow": "黄", "red": "红", "": ""}
        rows = (
            [
                p.code,
                p.name,
                p.owner.name,
                p.unit.name,
                p.get_level_display(),
                p.get_stage_display(),
                "是" if p.is_new_start else "否",
                p.plan_wan,
                p.completed_wan,
                p.rate_pct,
                elapsed,
                light[p.light],
                p.planned_start.isoformat() if p.planned_start else "",
                p.actual_start.isoformat() if p.actual_start else "",
            ]  # fmt: skip
            for p in qs.order_by("code")
        )
        return xlsx_response(f"projects-{year}", headers, rows)


def project_detail(request, pk):
    year, as_of = year_and_as_of(request)
    months = months_completed(as_of)
    project = get_object_or_404(
        Project.objects.visible_to(request.user)
        .with_progress(year=year, months=months, as_of=as_of)
        .select_related("unit", "owner", "park")
        .prefetch_related(
            Prefetch("task_force", queryset=TaskForceMember.objects.select_related("user__unit"))
        ),
        pk=pk,
    )
    plan = YearPlan.objects.filter(project=project, year=year).first()
    reports = list(
        MonthlyReport.objects.filter(project=project, month__year=year)
        .select_related("reported_by")
        .order_by("month")
    )
    # A task-force member of another unit opens the project, not every unit's visits and problems: what
    # the viewer may not open is told as a count, never listed (a link there would answer 404).
    user = request.user
    readable_visit = Q(visit__in=Visit.objects.visible_to(user).values("pk"))
    visits = (
        project.visit_links.filter(readable_visit)
        .select_related("visit__lead_unit")
        .order_by("-visit__visited_on")[:50]
    )
    problems = (
        Request.objects.visible_to(user)
        .filter(project_link__project=project)
        .select_related("category", "handling_unit", "handler", "enterprise")
    )
    readable_problem = Q(request__in=Request.objects.visible_to(user).values("pk"))
    hidden = {
        "hidden_visits": project.visit_links.aggregate(n=Count("pk", filter=~readable_visit))["n"],
        "hidden_problems": project.problem_links.aggregate(n=Count("pk", filter=~readable_problem))["n"],
    }
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "year": year,
            "as_of": as_of,
            "plan": plan,
            "plans": project.plans.all(),
            "reports": reports,
            "chart": _chart(plan, reports, months),
            "visits": visits,
            "problems": problems,
            **hidden,
            "can_edit": services.can_edit(request.user, project),
            "elapsed": time_elapsed(months),
            "correction_form": CorrectionForm(),
            "start_form": StartForm(),
            "plan_form": PlanForm(initial={"year": year}),
            "red_start_limit": months_before(as_of, 3),
        },
    )


def _chart(plan, reports, months) -> dict | None:
    """Cumulative investment against the year's plan, month by month, as SVG coordinates (no JavaScript)."""
    if plan is None or not plan.planned_investment:
        return None
    width, height, left, bottom = 600, 240, 50, 210
    by_month = {r.month.month: r.amount for r in reports}
    top = max(plan.planned_investment, sum(by_month.values(), Decimal(0))) or Decimal(1)

    def x(m):
        return left + (width - left - 10) * m / 12

    def y(v):
        return bottom - float(v / top) * (bottom - 20)

    cumulative, points = Decimal(0), [(x(0), y(0))]
    for m in range(1, 13):
        if m not in by_month:
            break
        cumulative += by_month[m]
        points.append((x(m), y(cumulative)))
    curve = plan.monthly_curve or [round(100 * m / 12, 1) for m in range(1, 13)]
    plan_points = [(x(0), y(0))] + [
        (x(m), y(plan.planned_investment * Decimal(str(curve[m - 1])) / 100)) for m in range(1, 13)
    ]
    return {
        "width": width,
        "height": height,
        "actual": " ".join(f"{a:.1f},{b:.1f}" for a, b in points),
        "plan": " ".join(f"{a:.1f},{b:.1f}" for a, b in plan_points),
        "elapsed_x": f"{x(months):.1f}",
        "top_label": f"{top:,.0f}",
        "months": [(f"{x(m):.1f}", m) for m in range(1, 13)],
        "bottom": bottom,
        "left": left,
    }


class ProjectFormView(EditConflictMixin, View):
    template_name = "projects/project_form.html"

    def dispatch(self, request, *args, pk=None, **kwargs):
        self.project = None
        if pk is not None:
            self.project = get_object_or_404(Project.objects.visible_to(request.user), pk=pk)
            if not services.can_edit(request.user, self.project):
                raise PermissionDenied
        elif not request.user.has_perm("projects.add_project"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self._render(ProjectForm(instance=self.project, user=request.user))

    def post(self, request):
        form = ProjectForm(request.POST, instance=self.project, user=request.user)
        if form.is_valid():
            data = {f: form.cleaned_data[f] for f in services.PROJECT_FIELDS if f in form.cleaned_data}
            data["owner"] = form.cleaned_data["owner_code"]
            try:
                project = services.project_save(
                    by=request.user,
                    project=self.project,
                    task_force=form.cleaned_data["task_force"],
                    lead=form.cleaned_data["lead"],
                    expected_version=form.expected_version,
                    **data,
                )
            except EditConflict:
                return self.conflict(request, self.project)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Saved “%(name)s”.") % {"name": project.name})
                return redirect("projects:detail", pk=project.pk)
        return self._render(form)

    def _render(self, form):
        return render(self.request, self.template_name, {"form": form, "project": self.project})


@require_POST
def project_plan(request, pk):
    project = get_object_or_404(Project.objects.visible_to(request.user), pk=pk)
    form = PlanForm(request.POST)
    if form.is_valid():
        try:
            services.plan_set(project=project, by=request.user, **form.cleaned_data)
            messages.success(request, _("Plan saved."))
        except PermissionDenied:
            raise
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Check the plan: year and a non-negative amount in 万元."))
    return redirect("projects:detail", pk=project.pk)


@require_POST
def project_start(request, pk):
    project = get_object_or_404(Project.objects.visible_to(request.user), pk=pk)
    form = StartForm(request.POST)
    if form.is_valid():
        try:
            services.project_start(project=project, on=form.cleaned_data["on"], by=request.user)
            messages.success(request, _("Start recorded."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Enter the start date."))
    return redirect("projects:detail", pk=project.pk)


@require_POST
def report_correct(request, pk):
    report = get_object_or_404(
        MonthlyReport.objects.filter(project__in=Project.objects.visible_to(request.user)), pk=pk
    )
    form = CorrectionForm(request.POST)
    if form.is_valid():
        try:
            services.report_correct(report=report, by=request.user, **form.cleaned_data)
            messages.success(request, _("Report corrected; the correction is recorded."))
        except EditConflict:
            messages.error(request, CONFLICT_MESSAGE)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Give a non-negative amount in 万元 and the reason."))
    return redirect("projects:detail", pk=report.project_id)


def monthly_report(request):
    """The unit's monthly reporting page: every project of the unit for one month, last month beside."""
    today = timezone.localdate()
    try:
        month = date.fromisoformat(request.GET.get("month", "") + "-01") if request.GET.get("month") else None
    except ValueError:
        month = None
    if month is not None and month.year < 2000:  # 0001-01 is a typo, not a month with a month before it
        month = None
    month = month or (
        date(today.year, today.month, 1) if today.day > 25 else months_before(today.replace(day=1), 1)
    )
    month = min(month, date(today.year, today.month, 1))
    previous = months_before(month, 1)
    unit_id = request.user.unit_id
    if request.GET.get("unit", "").isdecimal() and request.user.has_perm("accounts.view_all_units"):
        unit_id = int(request.GET["unit"])
    projects = list(Project.objects.filter(unit_id=unit_id, plans__year=month.year).order_by("code"))
    reports = {
        (r.project_id, r.month): r
        for r in MonthlyReport.objects.filter(
            project__in=projects, month__in=[month, previous]
        ).select_related("reported_by")
    }
    can_report = request.user.has_perm("projects.report_investment") and (
        unit_id == request.user.unit_id or request.user.has_perm("accounts.view_all_units")
    )
    if request.method == "POST":
        if not can_report:
            raise PermissionDenied
        saved, errors, unchanged = _save_reports(request, projects, month, reports)
        for e in errors:
            messages.error(request, e)
        for note in unchanged:
            messages.info(request, note)
        if saved:
            messages.success(request, _("%(n)d reports saved.") % {"n": saved})
        return redirect(
            f"{reverse('projects:monthly_report')}?month={month:%Y-%m}"
            + (f"&unit={unit_id}" if unit_id != request.user.unit_id else "")
        )
    lines = [
        {"project": p, "this": reports.get((p.pk, month)), "last": reports.get((p.pk, previous))}
        for p in projects
    ]
    return render(
        request,
        "projects/monthly_report.html",
        {
            "lines": lines,
            "month": month,
            "previous": previous,
            "can_report": can_report,
            "done": sum(1 for line in lines if line["this"]),
            "total": len(lines),
        },
    )


def _save_reports(request, projects, month, existing):
    """Save the lines with an amount. Returns how many were saved, the lines not saved and why (errors), and
    the lines already reported with the same amount by the time the page was sent (nothing lost): a line is
    never dropped without a word, as the import and the service say why they refuse one."""
    by_pk = {p.pk: p for p in projects}
    saved, errors, unchanged = 0, [], []
    for index in range(len(projects)):
        form = ReportRowForm(
            {k.split("-", 1)[1]: v for k, v in request.POST.items() if k.startswith(f"r{index}-")}
        )
        if not form.is_valid():
            errors.append(
                _("Line %(n)d: %(errors)s")
                % {"n": index + 1, "errors": " ".join(str(e) for errs in form.errors.values() for e in errs)}
            )
            continue
        project = by_pk.get(form.cleaned_data["project"])
        amount = form.cleaned_data["amount"]
        if amount is None:
            continue
        if project is None:
            # moved to another unit or out of this year's plans since the page was opened (or never on it:
            # the same words either way, so nothing is told about a project the user may not open)
            errors.append(
                _("Line %(n)d was not saved: the project is no longer on this unit's list for the year.")
                % {"n": index + 1}
            )
            continue
        report = existing.get((project.pk, month))
        if report is not None:  # reported by someone else since the page was opened
            values = {"n": index + 1, "project": project.code, "month": f"{month:%Y-%m}"}
            values |= {"amount": report.amount, "by": report.reported_by}
            if report.amount == amount:
                unchanged.append(
                    _("Line %(n)d (%(project)s): %(month)s was already reported with this amount by %(by)s.")
                    % values
                )
            else:
                errors.append(
                    _(
                        "Line %(n)d (%(project)s) was not saved: %(month)s is already reported "
                        "(%(amount)s 万元, by %(by)s); correct it on the project page."
                    )
                    % values
                )
            continue
        try:
            services.report_month(
                project=project, month=month, amount=amount, by=request.user, note=form.cleaned_data["note"]
            )
            saved += 1
        except ValidationError as exc:
            errors.append(
                _("Line %(n)d (%(project)s) was not saved: %(errors)s")
                % {"n": index + 1, "project": project.code, "errors": " ".join(exc.messages)}
            )
    return saved, errors, unchanged


class ProjectVisitCreateView(VisitCreateView):
    """Campaign 1's visit form with a project as target: its requests become the project's problems."""

    success_message = gettext_lazy("Project visit logged with %(count)d problem(s).")

    def dispatch(self, request, *args, pk, **kwargs):
        self.project = get_object_or_404(
            Project.objects.visible_to(request.user).select_related("owner"), pk=pk
        )
        return super().dispatch(request, *args, **kwargs)

    def fixed_enterprise(self):
        return self.project.owner

    def record(self, fields, requests):
        fields.pop("enterprise")
        return services.project_visit_record(
            project=self.project, by=self.request.user, requests=requests, **fields
        )

    def success_url(self, visit):
        return reverse("projects:detail", args=[self.project.pk])

    def extra_context(self):
        return {"project": self.project}


class ProjectImportView(ImportView):
    permission = "projects.add_project"
    importer_class = ProjectImporter
    success_url = reverse_lazy("projects:list")
    filename_stem = "projects"


class InvestmentImportView(ImportView):
    permission = "projects.report_investment"
    importer_class = MonthlyInvestmentImporter
    success_url = reverse_lazy("projects:monthly_report")
    filename_stem = "monthly-investment"


# --- the campaign's figures ---------------------------------------------------------------------------------


def figure_links(end: date, unit: Unit | None) -> dict[str, str]:
    """Where each project figure's records are."""
    base = f"{reverse('projects:list')}?year={end.year}&as_of={end:%Y-%m-%d}"
    base += f"&unit={unit.pk}" if unit else ""
    return {
        "projects": base,
        "new_due": f"{base}&new_start=new",
        "new_started": f"{base}&new_start=new&started=true",
        "lights_red": f"{base}&light=red",
        "lights_yellow": f"{base}&light=yellow",
        "lights_green": f"{base}&light=green",
    }


@reads_from_replica
def overview(request):
    """Campaign 2 for leaders and units: the figures as of a date, by level and by responsible unit."""
    start, end = period_from_request(request)
    unit = unit_from_request(request)
    district = selectors.project_figures(start=start, end=end)
    mine = selectors.project_figures(start=start, end=end, unit_id=unit.pk) if unit else None
    context = {
        "start": start,
        "end": end,
        "unit": unit,
        "district": [(f, figure_links(end, None).get(f.key)) for f in district],
        "unit_figures": [(f, figure_links(end, unit).get(f.key)) for f in mine] if mine else None,
        "by_level": selectors.by_level(end=end),
        "by_unit": selectors.projects_by_unit(end=end),
        "units": units_to_choose(request),
    }
    return render(request, "projects/overview.html", context)
