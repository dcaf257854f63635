"""The figures of the four campaigns: one module that the home page, the figures pages, the dashboard,
the figures API and the ranking board all call, so that they always agree.

Every figure carries its definition (numerator, denominator, period rule), shown beside the number.
Periods are inclusive date ranges in Asia/Shanghai; percentages are rounded half up to one decimal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.batch import Aggregate, Rows, gather, run
from apps.enterprises.models import Enterprise
from apps.figures import rollups
from apps.investment.models import YI, Lead, LeadEvent, Trip
from apps.projects.models import MonthlyReport, Project, months_completed
from apps.research.models import Carrier, Entity, EntityVisit, Match, Result, ResultEvent
from apps.service.models import Request, Status, Visit
from apps.units.models import Unit


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: int | Decimal | None
    definition: str
    unit: str = ""  # "%" for rates, "" for counts

    @property
    def display(self) -> str:
        if self.value is None:
            return "—"
        return f"{self.value}{self.unit}"


def pct(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    """numerator ÷ denominator as a percentage, one decimal, rounded half up; None when nothing to measure."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def end_of_period(end: date) -> datetime:
    """The first instant after the period's last day, Asia/Shanghai."""
    return rollups.start_of_day(end + timedelta(days=1))


# --- enterprises -----------------------------------------------------------------------------------


def enterprise_figures(*, unit_id: int | None = None) -> list[Figure]:
    """Enterprises on record and key enterprises, district-wide or for one responsible unit."""
    qs = Enterprise.objects.all()
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    counts = qs.aggregate(total=Count("id"), key=Count("id", filter=Q(is_key=True)))
    return [
        Figure(
            "enterprises", _("Enterprises on record"), counts["total"], _("Enterprise records (一企一档).")
        ),
        Figure(
            "key_enterprises",
            _("Key enterprises"),
            counts["key"],
            _("Enterprises flagged as key enterprises (重点企业)."),
        ),
    ]


# --- campaign 1: serving enterprises --------------------------------------------------------------

SERVICE_DEFINITIONS = {
    "key_enterprises": (
        _("Key enterprises"),
        _("Enterprises flagged as key (of the unit: whose responsible unit it is)."),
    ),
    "key_enterprises_visited": (
        _("Key enterprises visited"),
        _("Key enterprises with at least one visit dated within the period, by any unit."),
    ),
    "visit_coverage_pct": (_("Visit coverage"), _("Key enterprises visited ÷ key enterprises.")),
    "visits": (
        _("Visits"),
        _(
            "Enterprise visits dated within the period (of a unit: that it led or joined); project visits count under project construction."
        ),
    ),
    "requests": (
        _("Requests received"),
        _("Requests received within the period (of a unit: that it handles now)."),
    ),
    "requests_closed": (
        _("Requests closed"),
        _(
            "Requests received within the period that are closed or confirmed, closed by the end of the period."
        ),
    ),
    "closure_rate_pct": (
        _("Closure rate"),
        _("Requests closed ÷ requests received, both within the period."),
    ),
    "closed_on_time": (
        _("Closed on time"),
        _(
            "Requests closed (as above) no later than their closure deadline (working days, extensions and pauses counted)."
        ),
    ),
    "on_time_rate_pct": (_("On-time closure rate"), _("Closed on time ÷ requests closed.")),
    "on_time_due_rate_pct": (
        _("On-time rate (of requests due)"),
        _(
            "Requests whose closure deadline fell within the period and that were closed by it ÷ requests due within the period."
        ),
    ),
    "same_day_ack_rate_pct": (
        _("Same-day acknowledgement (事不过夜)"),
        _(
            "Requests received within the period and acknowledged by the end of their dispatch working day ÷ requests received."
        ),
    ),
    "satisfaction_rate_pct": (
        _("Satisfaction rate"),
        _(
            "(Satisfied + basically satisfied) ÷ requests with a feedback, among requests received within the period."
        ),
    ),
    "reopened": (
        _("Reopened"),
        _("Requests received within the period that were reopened at least once (重办)."),
    ),
    "withdrawn": (_("Withdrawn"), _("Requests received within the period that were withdrawn (撤单).")),
    "avg_workdays_to_close": (
        _("Average working days to close"),
        _("Mean working days from receipt to closure of the requests closed (as above)."),
    ),
}

_PCT_KEYS = {k for k in SERVICE_DEFINITIONS if k.endswith("_pct")}


def _key_counts_plan(start: date, end: date, unit_id: int | None):
    got = yield {"keys": Aggregate(rollups.key_enterprises(unit_id), **rollups.coverage_counts(start, end))}
    return got["keys"]["total"], got["keys"]["visited"]


def service_plan(*, start: date, end: date, unit_id: int | None = None):
    """The raw values of campaign 1 for [start, end], district-wide or for one unit (a plan, see
    apps.core.batch; `service_values` runs it).

    Project visits and project problems count in project construction, not here. Whole months are read
    from the monthly roll-ups (`rollups.py`), partial months from the records."""
    got = yield from gather(
        counts=rollups.request_counts_plan(start, end, unit_id=unit_id),
        due=rollups.due_counts_plan(start, end, unit_id=unit_id),
        visits=rollups.visit_count_plan(start, end, unit_id=unit_id),
        keys=_key_counts_plan(start, end, unit_id),
    )
    counts, due, (key_total, key_visited) = got["counts"], got["due"], got["keys"]
    avg = Decimal(counts["workdays_sum"]) / counts["workdays_n"] if counts["workdays_n"] else None
    return {
        "key_enterprises": key_total,
        "key_enterprises_visited": key_visited,
        "visit_coverage_pct": pct(key_visited, key_total),
        "visits": got["visits"],
        "requests": counts["n"],
        "requests_closed": counts["closed"],
        "closure_rate_pct": pct(counts["closed"], counts["n"]),
        "closed_on_time": counts["on_time"],
        "on_time_rate_pct": pct(counts["on_time"], counts["closed"]),
        "on_time_due_rate_pct": pct(due["due_on_time"], due["due"]),
        "same_day_ack_rate_pct": pct(counts["ack"], counts["n"]),
        "satisfaction_rate_pct": pct(counts["satisfied"], counts["feedback"]),
        "reopened": counts["reopened"],
        "withdrawn": counts["withdrawn"],
        "avg_workdays_to_close": None
        if avg is None
        else avg.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
    }


def service_values(**kwargs) -> dict:
    return run(service_plan(**kwargs))


def service_figures(*, start: date, end: date, unit_id: int | None = None) -> list[Figure]:
    values = service_values(start=start, end=end, unit_id=unit_id)
    return [
        Figure(key, label, values[key], definition, "%" if key in _PCT_KEYS else "")
        for key, (label, definition) in SERVICE_DEFINITIONS.items()
    ]


def coverage_by_unit(*, start: date, end: date) -> list[dict]:
    """Key enterprises and those visited in [start, end], per responsible unit (units with key enterprises)."""
    rows = (
        rollups.key_enterprises().values("unit_id").annotate(**rollups.coverage_counts(start, end)).order_by()
    )
    by_unit = {row["unit_id"]: row for row in rows}
    result = []
    for unit in Unit.objects.filter(pk__in=by_unit):
        row = by_unit[unit.pk]
        result.append(
            {
                "unit": unit,
                "total": row["total"],
                "visited": row["visited"],
                "pct": pct(row["visited"], row["total"]),
            }
        )
    return result


def coverage_total(rows: list[dict]) -> dict:
    total = sum(r["total"] for r in rows)
    visited = sum(r["visited"] for r in rows)
    return {"total": total, "visited": visited, "pct": pct(visited, total)}


def service_by_unit(*, start: date, end: date) -> list[dict]:
    """Campaign-1 request figures per handling unit (whole months from the roll-ups), and the requests of
    the period still open past their deadline now."""
    counts = rollups.request_counts(start, end, by_unit=True)
    overdue = dict(
        Request.objects.received_between(start, end)
        .filter(
            handling_unit__isnull=False,
            project_link__isnull=True,
            status__in=[Status.DISPATCHED, Status.ACKNOWLEDGED, Status.IN_PROGRESS],
            close_due__lt=timezone.now(),
        )
        .values("handling_unit_id")
        .annotate(n=Count("id"))
        .values_list("handling_unit_id", "n")
        .order_by()
    )
    result = []
    for unit in Unit.objects.filter(pk__in=counts):
        r = counts[unit.pk]
        result.append(
            {
                "unit": unit,
                "requests": r["n"],
                "closed": r["closed"],
                "closure_rate_pct": pct(r["closed"], r["n"]),
                "on_time_rate_pct": pct(r["on_time"], r["closed"]),
                "same_day_ack_rate_pct": pct(r["ack"], r["n"]),
                "satisfaction_rate_pct": pct(r["satisfied"], r["feedback"]),
                "overdue": overdue.get(unit.pk, 0),
            }
        )
    return result


# --- campaign 2: project construction -------------------------------------------------------------


def time_elapsed_pct(as_of: date, *, basis: str = "month") -> Decimal:
    """序时进度: months completed ÷ 12 (month basis), or days elapsed ÷ days in the year (day basis)."""
    if basis == "day":
        start = date(as_of.year, 1, 1)
        days = (date(as_of.year + 1, 1, 1) - start).days
        return pct((as_of - start).days + 1, days)
    return pct(months_completed(as_of), 12)


PROJECT_DEFINITIONS = {
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

_PROJECT_PCT = {k for k in PROJECT_DEFINITIONS if k.endswith("_pct")}


def projects_scope(*, unit_id: int | None = None, level: str | None = None):
    qs = Project.objects.all()
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    if level:
        qs = qs.filter(level=level)
    return qs


def _project_main_plan(totals: Aggregate, reports):
    got = yield {"totals": totals, "reported": Aggregate(reports, n=Count("id"))}
    return got["totals"], got["reported"]["n"]


def project_plan(*, start: date, end: date, unit_id: int | None = None, level: str | None = None):
    """Campaign 2 as of `end` (stocks) and within [start, end] (flows: visits, problems); a plan."""
    year, months = end.year, months_completed(end)
    scope = projects_scope(unit_id=unit_id, level=level)
    rows = scope.for_year(year).with_progress(year=year, months=months, as_of=end)
    totals = Aggregate(
        rows,
        projects=Count("id"),
        plan=Sum("plan_wan"),
        done=Sum("completed_wan"),
        new_due=Count("id", filter=Q(is_new_start=True)),
        # a new start of the year that started early, even in the last days of the year before, has started
        new_started=Count("id", filter=Q(is_new_start=True, actual_start__lte=end)),
        due_by_now=Count("id", filter=Q(is_new_start=True, planned_start__lte=end)),
        started_of_due=Count(
            "id",
            filter=Q(is_new_start=True, planned_start__lte=end, actual_start__lte=end),
        ),
        started_early=Count(
            "id", filter=Q(is_new_start=True, actual_start__lte=end, actual_start__lt=F("planned_start"))
        ),
        started_late=Count(
            "id", filter=Q(is_new_start=True, actual_start__lte=end, actual_start__gt=F("planned_start"))
        ),
        completed=Count("id", filter=Q(actual_completion__year=year, actual_completion__lte=end)),
        red=Count("id", filter=Q(light="red")),
        yellow=Count("id", filter=Q(light="yellow")),
        green=Count("id", filter=Q(light="green")),
    )
    last_month = date(year, months, 1) if months else None
    reports = MonthlyReport.objects.filter(project__in=scope.for_year(year), month=last_month)
    got = yield from gather(
        main=_project_main_plan(totals, reports if last_month else reports.none()),
        flows=rollups.project_flows_plan(start, end, scope=scope, unit_id=unit_id, rolled=level is None),
    )
    totals, reported = got["main"]
    visits, raised, solved = got["flows"]["visits"], got["flows"]["raised"], got["flows"]["solved"]
    plan, done = totals["plan"] or Decimal(0), totals["done"] or Decimal(0)
    elapsed = time_elapsed_pct(end)
    exact_rate = done * 100 / plan if plan else None
    return {
        "projects": totals["projects"],
        "annual_plan_wan": plan,
        "completed_wan": done,
        "completion_rate_pct": pct(done, plan) if plan else None,
        "time_elapsed_pct": elapsed,
        # from the exact rate and the exact elapsed share, then rounded: 43.55 亿 of 231.5 亿 at 2/12 → +2.1
        "ahead_pp": None
        if exact_rate is None
        else (exact_rate - Decimal(months) * 100 / 12).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
        "new_due": totals["new_due"],
        "new_started": totals["new_started"],
        "start_rate_pct": pct(totals["new_started"], totals["new_due"]),
        "start_rate_due_pct": pct(totals["started_of_due"], totals["due_by_now"]),
        "started_early": totals["started_early"],
        "started_late": totals["started_late"],
        "completed": totals["completed"],
        "project_visits": visits,
        "problems_raised": raised,
        "problems_solved": solved,
        "reporting_pct": pct(reported, totals["projects"]),
        "lights_red": totals["red"],
        "lights_yellow": totals["yellow"],
        "lights_green": totals["green"],
    }


def project_values(**kwargs) -> dict:
    return run(project_plan(**kwargs))


def project_figures(**kwargs) -> list[Figure]:
    values = project_values(**kwargs)
    return [
        Figure(key, label, values[key], definition, "%" if key in _PROJECT_PCT else "")
        for key, (label, definition) in PROJECT_DEFINITIONS.items()
    ]


def projects_by_unit(*, end: date) -> list[dict]:
    """Per responsible unit: projects, plan, completed, rate, lights, reporting (one grouped query + one)."""
    year, months = end.year, months_completed(end)
    rows = (
        Project.objects.for_year(year)
        .with_progress(year=year, months=months, as_of=end)
        .values("unit_id")
        .annotate(
            n=Count("id"),
            plan=Sum("plan_wan"),
            done=Sum("completed_wan"),
            red=Count("id", filter=Q(light="red")),
            yellow=Count("id", filter=Q(light="yellow")),
        )
        .order_by()
    )
    reported = {}
    if months:
        reported = dict(
            MonthlyReport.objects.filter(month=date(year, months, 1), project__plans__year=year)
            .values("project__unit_id")
            .annotate(n=Count("id"))
            .values_list("project__unit_id", "n")
        )
    by_unit = {r["unit_id"]: r for r in rows}
    result = []
    for unit in Unit.objects.filter(pk__in=by_unit):
        r = by_unit[unit.pk]
        result.append(
            {
                "unit": unit,
                "projects": r["n"],
                "plan": r["plan"],
                "done": r["done"],
                "rate": pct(r["done"] or 0, r["plan"]) if r["plan"] else None,
                "red": r["red"],
                "yellow": r["yellow"],
                "reporting_pct": pct(reported.get(unit.pk, 0), r["n"]),
            }
        )
    return result


# --- campaign 3: research to production -----------------------------------------------------------

RESEARCH_DEFINITIONS = {
    "rd_entities": (_("R&D entities"), _("R&D entities on record (of a unit: it is responsible for).")),
    "rd_entities_visited": (
        _("R&D entities visited"),
        _("R&D entities with at least one visit dated within the period."),
    ),
    "results": (_("Results catalogued"), _("Results entered into the results library within the period.")),
    "results_matching": (
        _("Results in matching"),
        _("Results whose status is matching at the period's end."),
    ),
    "results_landed": (_("Results landed"), _("Results landed (落地) within the period.")),
    "matches_open": (_("Matches under way"), _("Matches proposed, contacted or negotiating.")),
    "matches_landed": (_("Matches landed"), _("Matches that landed.")),
    "matches_failed": (_("Matches failed"), _("Matches that failed.")),
    "carriers": (
        _("Carriers"),
        _("Buildings, incubators, factories and land parcels in the carrier library."),
    ),
    "free_area_m2": (_("Free area (m²)"), _("Free area of all carriers.")),
    "avg_days_to_land": (
        _("Average days from catalogued to landed"),
        _("Mean calendar days from cataloguing to landing of the results landed within the period."),
    ),
}


def _result_status_as_of(end: date):
    """A result's status at the end of `end`, from its events (so past periods stay right); a result with no
    event at all keeps its current status. A period ending today or later: the status now (no subquery)."""
    if end >= timezone.localdate():
        return F("status")
    then = (
        ResultEvent.objects.filter(result=OuterRef("pk"), at__lt=end_of_period(end))
        .order_by("-at", "-id")
        .values("to_status")[:1]
    )
    return Coalesce(Subquery(then), F("status"))


def research_plan(*, start: date, end: date, unit_id: int | None = None):
    entities, results, carriers = Entity.objects.all(), Result.objects.all(), Carrier.objects.all()
    matches, visits = Match.objects.all(), EntityVisit.objects.all()
    if unit_id is not None:
        entities, results = entities.filter(unit_id=unit_id), results.filter(unit_id=unit_id)
        carriers, matches = carriers.filter(unit_id=unit_id), matches.filter(result__unit_id=unit_id)
        visits = visits.filter(entity__unit_id=unit_id)
    landed_in_period = results.filter(landed_on__gte=start, landed_on__lte=end)
    got = yield {
        "entities": Aggregate(entities, n=Count("id")),
        # R&D visits are few among all visits: probe each one's date (a FILTER keeps PostgreSQL from
        # turning it into a join that reads every visit of the period)
        "visited": Aggregate(
            visits,
            n=Count(
                "entity_id",
                distinct=True,
                filter=Exists(
                    Visit.objects.filter(pk=OuterRef("visit_id"), visited_on__gte=start, visited_on__lte=end)
                ),
            ),
        ),
        "results": Aggregate(
            results.annotate(status_then=_result_status_as_of(end)),
            catalogued=Count("id", filter=Q(catalogued_on__gte=start, catalogued_on__lte=end)),
            # a stock: in matching at the period's end — not one catalogued or moved to matching after it
            matching=Count("id", filter=Q(catalogued_on__lte=end, status_then="matching")),
            landed=Count("id", filter=Q(landed_on__gte=start, landed_on__lte=end)),
        ),
        "landed": Rows(landed_in_period.values("catalogued_on", "landed_on")),
        "matches": Aggregate(
            matches,
            open=Count("id", filter=Q(status__in=["proposed", "contacted", "negotiating"])),
            landed=Count("id", filter=Q(status="landed")),
            failed=Count("id", filter=Q(status="failed")),
        ),
        "carriers": Aggregate(carriers, n=Count("id"), free=Sum("free_area_m2")),
    }
    r, m, c = got["results"], got["matches"], got["carriers"]
    days = [
        (date.fromisoformat(row["landed_on"]) - date.fromisoformat(row["catalogued_on"])).days
        for row in got["landed"]
    ]
    return {
        "rd_entities": got["entities"]["n"],
        "rd_entities_visited": got["visited"]["n"],
        "results": r["catalogued"],
        "results_matching": r["matching"],
        "results_landed": r["landed"],
        "matches_open": m["open"],
        "matches_landed": m["landed"],
        "matches_failed": m["failed"],
        "carriers": c["n"],
        "free_area_m2": c["free"] if c["free"] is not None else Decimal(0),
        "avg_days_to_land": (Decimal(sum(days)) / len(days)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if days
        else None,
    }


def research_values(**kwargs) -> dict:
    return run(research_plan(**kwargs))


def research_figures(**kwargs) -> list[Figure]:
    values = research_values(**kwargs)
    return [
        Figure(key, label, values[key], definition)
        for key, (label, definition) in RESEARCH_DEFINITIONS.items()
    ]


def free_area_by_kind_and_park() -> list[dict]:
    kinds = dict(Carrier.Kind.choices)
    rows = (
        Carrier.objects.values("park__short_name", "kind")
        .annotate(n=Count("id"), total=Sum("total_area_m2"), free=Sum("free_area_m2"))
        .order_by("park__short_name", "kind")
    )
    return [
        # the exact areas: int() would truncate 99.90 of 200 m² to 49.5 % instead of 50.0 %
        {**row, "kind_label": kinds[row["kind"]], "pct": pct(row["free"], row["total"])}
        for row in rows
    ]


# --- campaign 4: attracting investment ------------------------------------------------------------

INVESTMENT_DEFINITIONS = {
    "trips": (_("Trips"), _("Investment trips that started within the period (of a unit: it organised).")),
    "trips_led_by_head": (
        _("Trips led by the unit head (一把手带队)"),
        _("Of those trips, the ones its head led."),
    ),
    "leads": (_("Leads created"), _("Investment leads recorded within the period.")),
    "signed": (_("Signed projects"), _("Leads signed within the period (签约).")),
    "signed_amount_wan": (
        _("Signed amount (万元)"),
        _("Sum of the signed amounts of the leads signed within the period."),
    ),
    "pipeline_100m_plus": (
        _("Pipeline ≥ 1 亿 (在手在谈)"),
        _("Leads open at the period's end (not signed, not dropped) expecting at least 1 亿元."),
    ),
    "pipeline_5bn_plus": (_("of which ≥ 50 亿"), _("Open leads expecting at least 50 亿元.")),
    "pipeline_1bn_to_5bn": (
        _("of which 10–50 亿"),
        _("Open leads expecting at least 10 and less than 50 亿元."),
    ),
    "pipeline_100m_to_1bn": (
        _("of which 1–10 亿"),
        _("Open leads expecting at least 1 and less than 10 亿元."),
    ),
    "conversion_pct": (
        _("Conversion to signing"),
        _("Leads created within the period that were signed by its end ÷ leads created within the period."),
    ),
    "stale": (
        _("Past a handling limit"),
        _("Open leads past a limit: response, assessment, feedback or 2-week update."),
    ),
}


def _stage_as_of(end: date):
    """A lead's stage at the end of `end`, from its events (so past periods stay right). A period ending
    today or later: the stage now — nothing has happened after today — without a subquery per lead. A lead
    whose stage last changed before the end (`stage_since`, set with every stage event) was in its current
    stage then: only the leads moved since are read from their events."""
    if end >= timezone.localdate():
        return F("stage")
    at = end_of_period(end)
    then = Subquery(
        LeadEvent.objects.filter(lead=OuterRef("pk"), at__lt=at)
        .exclude(to_stage="")
        .order_by("-at", "-id")
        .values("to_stage")[:1]
    )
    return Case(When(stage_since__lt=at, then=F("stage")), default=then, output_field=CharField())


def investment_plan(
    *, start: date, end: date, unit_id: int | None = None, source: str | None = None, now_stale: bool = True
):
    """Aggregates only: safe to show to every unit (lead details stay confidential). `now_stale`: with the
    leads past a handling limit now — a figure of the moment, left out of what is kept (figures/cache.py)."""
    trips, leads = Trip.objects.filter(start_on__gte=start, start_on__lte=end), Lead.objects.all()
    if unit_id is not None:
        trips, leads = trips.filter(unit_id=unit_id), leads.filter(unit_id=unit_id)
    if source:
        leads = leads.filter(source=source)
    t = Aggregate(trips, n=Count("id"), head=Count("id", filter=Q(led_by_head=True)))
    created = leads.filter(
        created_at__gte=end_of_period(start - timedelta(days=1)), created_at__lt=end_of_period(end)
    )
    signed = Aggregate(
        leads.filter(signed_on__gte=start, signed_on__lte=end), n=Count("id"), amount=Sum("signed_wan")
    )
    open_at_end = (
        leads.filter(created_at__lt=end_of_period(end))
        .annotate(stage_then=_stage_as_of(end))
        .filter(stage_then__in=Lead.OPEN_STAGES, expected_wan__gte=YI)
    )
    bands = Aggregate(
        open_at_end,
        total=Count("id"),
        big=Count("id", filter=Q(expected_wan__gte=50 * YI)),
        mid=Count("id", filter=Q(expected_wan__gte=10 * YI, expected_wan__lt=50 * YI)),
        small=Count("id", filter=Q(expected_wan__lt=10 * YI)),
    )
    created_counts = Aggregate(created, n=Count("id"), signed=Count("id", filter=Q(signed_on__lte=end)))
    got = yield {
        "trips": t,
        "signed": signed,
        "bands": bands,
        "created": created_counts,
        **({"stale": Aggregate(leads.stale(), n=Count("id"))} if now_stale else {}),
    }
    t, signed, bands, created_counts = got["trips"], got["signed"], got["bands"], got["created"]
    return {
        "trips": t["n"],
        "trips_led_by_head": t["head"],
        "leads": created_counts["n"],
        "signed": signed["n"],
        "signed_amount_wan": signed["amount"] or Decimal("0.00"),
        "pipeline_100m_plus": bands["total"],
        "pipeline_5bn_plus": bands["big"],
        "pipeline_1bn_to_5bn": bands["mid"],
        "pipeline_100m_to_1bn": bands["small"],
        "conversion_pct": pct(created_counts["signed"], created_counts["n"]),
        **({"stale": got["stale"]["n"]} if now_stale else {}),
    }


def investment_values(**kwargs) -> dict:
    return run(investment_plan(**kwargs))


def investment_figures(**kwargs) -> list[Figure]:
    values = investment_values(**kwargs)
    return [
        Figure(key, label, values[key], definition, "%" if key.endswith("_pct") else "")
        for key, (label, definition) in INVESTMENT_DEFINITIONS.items()
    ]


def conversion_by(field: str, *, start: date, end: date) -> list[dict]:
    """Leads created in the period, how many of them were signed by its end and for how much (万元; a signing
    after the end counts in neither), grouped by `source` or `unit`."""
    rows = (
        Lead.objects.filter(
            created_at__gte=end_of_period(start - timedelta(days=1)), created_at__lt=end_of_period(end)
        )
        .values(field)
        .annotate(
            n=Count("id"),
            signed=Count("id", filter=Q(signed_on__lte=end)),
            amount=Sum("signed_wan", filter=Q(signed_on__lte=end)),
        )
        .order_by(field)
    )
    return [{**r, "pct": pct(r["signed"], r["n"])} for r in rows]


def stage_ageing(*, unit_id: int | None = None) -> list[dict]:
    """Open leads per stage and the average days they have spent in it (one grouped query)."""
    leads = Lead.objects.open()
    if unit_id is not None:
        leads = leads.filter(unit_id=unit_id)
    age = ExpressionWrapper(Value(timezone.now()) - F("stage_since"), output_field=DurationField())
    rows = leads.values("stage").annotate(n=Count("id"), age=Avg(age)).order_by()
    labels = dict(Lead.Stage.choices)
    by_stage = {r["stage"]: r for r in rows}
    return [
        {
            "stage": labels[s],
            "n": by_stage[s]["n"],
            "avg_days": round(by_stage[s]["age"].total_seconds() / 86400, 1),
        }
        for s in Lead.OPEN_STAGES
        if s in by_stage
    ]
