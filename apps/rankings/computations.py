"""The fixed library of indicator computations: each measures every unit for one month in one grouped query
and says where the records behind a number are. Indicators (data) choose one of these by key.

A measure is (value, numerator, denominator), or (value, numerator, denominator, cases) when the
denominator is not a count of cases (an amount); value is None when there is nothing to measure (the
indicator is then "not applicable" for that unit, and its weight goes to the others, as it does when the
cases are fewer than the indicator's minimum).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.core.batch import Plan, Rows, frozen, reused
from apps.core.periods import end_of_period
from apps.investment import selectors as investment
from apps.projects import selectors as projects
from apps.projects.models import months_completed
from apps.research import selectors as research
from apps.service import selectors as service
from apps.service.models import CallbackItem

Measure = (
    tuple[Decimal | None, Decimal | int, Decimal | int]  # (value, numerator, denominator)
    | tuple[Decimal | None, Decimal | int, Decimal | int, int]  # … and its cases, when the others are amounts
)


def _ratio(num, den) -> Measure:
    if not den:
        return (None, num, den)
    return ((Decimal(num) * 100 / Decimal(den)).quantize(Decimal("0.1"), ROUND_HALF_UP), num, den)


def _own_or_all(user, unit_id: int) -> bool:
    """A unit's own records, or any unit's with the district-wide permission (requests, projects, leads:
    another unit's list would show only the few records the viewer shares with it, not the number)."""
    return user.opens_unit(unit_id)


def _anyone(user, unit_id: int) -> bool:
    """Records every signed-in user may open (enterprises, R&D results)."""
    return user.is_authenticated


@dataclass(frozen=True)
class Computation:
    label: str
    # (start, end, units) → a plan (apps.core.batch) whose result is the month's rows of those units;
    # computations with the same rows (the four request rates; the project progress and reporting) share
    # one plan a board month
    rows: Callable[[date, date, Collection[int]], Plan]
    # the rows, start, end → {unit id: measure}
    measure: Callable[[dict, date, date], dict[int, Measure]]
    # the list of the records behind a unit's number for the month (start, end): a URL in which UNIT
    # stands for the unit's id, so that a board of hundreds of units resolves each URL once per indicator.
    # It opens exactly the records the measure's denominator counts (a rate's population: the requests of
    # the month, the leads of the year…); `numerator` is the further filter that leaves exactly those its
    # numerator counts. A measure in money (project progress) opens the projects whose amounts it sums.
    drill: Callable[[date, date], str]
    # the query-string parameters added to `drill`'s URL for the numerator's records ("" when the list has
    # no such filter)
    numerator: Callable[[date, date], str] = lambda start, end: ""
    # whether `user` may open every record behind `unit_id`'s number: a list that showed only some of them
    # would not add up, so the number then shows without a link
    opens: Callable[..., bool] = _own_or_all
    # the numerator and denominator are amounts (万元), confidential to the unit: a viewer who may not open
    # its records sees the rate only (as the figures API gives other units' rates without their amounts)
    in_money: bool = False

    def url(self, unit_id: int, start: date, end: date) -> str:
        return self.drill(start, end).replace(UNIT, str(unit_id))

    def numerator_url(self, unit_id: int, start: date, end: date) -> str:
        extra = self.numerator(start, end)
        return f"{self.url(unit_id, start, end)}{extra}" if extra else ""


UNIT = "{unit}"


def _request_rows(start, end, units):
    return service.request_counts_plan(start, end, by_unit=True, units=units)


def _request_measure(num_key, den_key):
    def measure(rows, start, end):
        return {unit_id: _ratio(r[num_key], r[den_key]) for unit_id, r in rows.items()}

    return measure


def _request_drill(extra=""):
    """The unit's requests about enterprises received in the month (what `request_counts_plan` counts),
    narrowed by `extra` (a filter of the list, which takes the month's end as `{end}`)."""

    def drill(start, end):
        return (
            f"{reverse('service:request_list')}?concerns=enterprise&handling_unit={UNIT}"
            f"&date_from={start:%Y-%m-%d}&date_to={end:%Y-%m-%d}{extra.format(end=f'{end:%Y-%m-%d}')}"
        )

    return drill


def _also(extra: str):
    """A numerator's further filter of the list (`{end}`: the month's end)."""
    return lambda start, end: extra.format(end=f"{end:%Y-%m-%d}")


def _coverage_rows(start, end, units):
    """Key enterprises of the unit visited from 1 January to the month's end."""
    return service.coverage_by_unit_plan(date(end.year, 1, 1), end, units=units)


def _coverage(rows, start, end):
    return {unit_id: _ratio(visited, total) for unit_id, (total, visited) in rows.items()}


def _project_rows(start, end, units):
    # the board's month is completed: months = its month
    return projects.year_totals_by_unit_plan(end, units=units)


def _project_progress(rows, start, end):
    """Investment completion rate ÷ time-elapsed progress (× 100) of the unit's projects of the year. Its
    numerator and denominator are amounts (万元): its cases, for the indicator's minimum, are the projects."""
    months = months_completed(end)
    result = {}
    for unit_id, r in rows.items():
        if not r["plan"] or not months:
            result[unit_id] = (None, r["done"], r["plan"], r["projects"])
            continue
        rate = r["done"] / r["plan"]
        result[unit_id] = (
            (rate * 12 / months * 100).quantize(Decimal("0.1"), ROUND_HALF_UP),
            r["done"],
            r["plan"],
            r["projects"],
        )
    return result


def _project_reporting(rows, start, end):
    """Projects of the year with a report for the board's month ÷ projects of the year."""
    return {unit_id: _ratio(r["reported"], r["projects"]) for unit_id, r in rows.items()}


def _research_rows(start, end, units):
    return research.matching_by_unit_plan(end, units=units)


def _research_matching(rows, start, end):
    """Results of the year in matching or landed ÷ results catalogued this year, by responsible unit."""
    return {unit_id: _ratio(moving, n) for unit_id, (moving, n) in rows.items()}


def _stale_rows(start, end, units):
    return investment.stale_by_unit_plan(end_of_period(end), units=units)


def _investment_stale(rows, start, end):
    """Open leads past a handling limit at the month's end ÷ open leads (lower is better)."""
    return {unit_id: _ratio(stale, n) for unit_id, (stale, n) in rows.items()}


def _lead_rows(start, end, units):
    return investment.leads_plan(date(end.year, 1, 1), end, group="unit_id", signed=False, units=units)


def _investment_conversion(rows, start, end):
    """Leads created this year and signed by the month's end ÷ leads created this year."""
    return {unit_id: _ratio(r["converted"], r["created"]) for unit_id, r in rows.items()}


def _callback_rows(start, end, units):
    """The calls of the month's call-back sample (回访抽查: the requests closed in the month) by the unit
    that closed them: reached (confirmed or not actually solved) and confirmed."""
    got = yield _callback_specs(start, frozen(units))
    return {r["unit_id"]: r for r in got["rows"]}


@reused
def _callback_specs(month: date, units: frozenset | None) -> dict:
    """What `_callback_rows` asks (batch.reused: composed once per process)."""
    items = CallbackItem.objects.filter(sample__month=month)
    if units is not None:
        items = items.filter(unit_id__in=units)
    return {
        "rows": Rows(
            items.reached()
            .order_by()
            .values("unit_id")
            .annotate(
                reached=Count("pk"), confirmed=Count("pk", filter=Q(result=CallbackItem.Result.CONFIRMED))
            )
        )
    }


def _callback_verified(rows, start, end):
    """Sampled closures the enterprise confirmed solved ÷ sampled closures reached; no row (nothing sampled
    or nothing reached yet): not applicable."""
    return {unit_id: _ratio(r["confirmed"], r["reached"]) for unit_id, r in rows.items()}


COMPUTATIONS: dict[str, Computation] = {
    # the requests of the month; closed: those closed by the month's end
    "service_closure_rate": Computation(
        _("Closure rate (requests of the month)"),
        _request_rows,
        _request_measure("closed", "n"),
        _request_drill(),
        _also("&closed_by={end}"),
    ),
    # the requests of the month closed by its end; on time: those closed by their deadline
    "service_on_time_rate": Computation(
        _("On-time closure rate"),
        _request_rows,
        _request_measure("on_time", "closed"),
        _request_drill("&closed_by={end}"),
        _also("&on_time=true"),
    ),
    # the requests of the month whose same-day acknowledgement is decided (all but those not acknowledged yet
    # whose deadline is still ahead); acknowledged the same working day
    "service_same_day_ack": Computation(
        _("Same-day acknowledgement rate"),
        _request_rows,
        _request_measure("ack", "ack_n"),
        _request_drill("&ack_decided=true"),
        _also("&ack_same_day=true"),
    ),
    # the requests of the month with a feedback; satisfied or basically satisfied
    "service_satisfaction": Computation(
        _("Satisfaction rate"),
        _request_rows,
        _request_measure("satisfied", "feedback"),
        _request_drill("&feedback=true"),
        _also("&satisfied=true"),
    ),
    # the month's sampled closures of the unit that were reached; those confirmed solved (a unit opens its own
    # calls once made, leaders every unit's: apps.service.models.CallbackItemQuerySet.visible_to)
    "callback_verified": Computation(
        _("Call-back verification rate"),
        _callback_rows,
        _callback_verified,
        lambda start, end: f"{reverse('service:callback_list')}?month={start:%Y-%m}&unit={UNIT}&reached=true",
        _also("&result=confirmed"),
    ),
    # the unit's key enterprises (every user may open enterprises); the visited ones are on the coverage page
    "key_visit_coverage": Computation(
        _("Key-enterprise visit coverage, year to date"),
        _coverage_rows,
        _coverage,
        lambda start, end: f"{reverse('enterprises:list')}?is_key=true&unit={UNIT}",
        opens=_anyone,
    ),
    # money: the unit's projects of the year, whose plans and completed amounts as of the month's end sum
    # to the denominator and the numerator
    "project_progress": Computation(
        _("Investment completion against time elapsed"),
        _project_rows,
        _project_progress,
        lambda start, end: f"{reverse('projects:list')}?unit={UNIT}&year={end.year}&as_of={end:%Y-%m-%d}",
        in_money=True,
    ),
    # the unit's projects of the year on the month's reporting screen ("done of total reported")
    "project_reporting": Computation(
        _("Monthly reporting completeness"),
        _project_rows,
        _project_reporting,
        lambda start, end: f"{reverse('projects:monthly_report')}?month={end:%Y-%m}&unit={UNIT}",
    ),
    # the results the unit catalogued from 1 January to the month's end; those in matching or landed now
    "research_matching": Computation(
        _("Results in matching or landed"),
        _research_rows,
        _research_matching,
        lambda start, end: (
            f"{reverse('research:result_list')}?unit={UNIT}&date_from={end:%Y}-01-01&date_to={end:%Y-%m-%d}"
        ),
        _also("&moving=true"),
        opens=_anyone,
    ),
    # the unit's open leads recorded by the month's end; those past a handling limit at its end
    "investment_stale": Computation(
        _("Share of open leads past a handling limit"),
        _stale_rows,
        _investment_stale,
        lambda start, end: (
            f"{reverse('investment:lead_list')}?unit={UNIT}&open=true&created_to={end:%Y-%m-%d}"
        ),
        _also("&stale_at={end}"),
    ),
    # the unit's leads recorded from 1 January to the month's end; those signed by its end
    "investment_conversion": Computation(
        _("Lead conversion to signing, year to date"),
        _lead_rows,
        _investment_conversion,
        lambda start, end: (
            f"{reverse('investment:lead_list')}?unit={UNIT}"
            f"&created_from={end:%Y}-01-01&created_to={end:%Y-%m-%d}"
        ),
        _also("&signed_to={end}"),
    ),
}
