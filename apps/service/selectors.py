"""The figures of campaign 1, serving enterprises, each with its definition beside it.

A span [start, end] is read as its whole months from the roll-ups (rollups.py) and at most two partial edge
months from the records, with the same state definitions (models.py), so no figure aggregates more than a
month of raw rows. The functions ending in `_plan` are plans (apps.core.batch): the dashboard, the figures API
and the ranking board run many of them in one database round trip. Visits and requests about projects count
in project construction (apps.projects.selectors reads the same roll-ups with `concerns=project`).
"""

from __future__ import annotations

import time
from collections.abc import Collection
from datetime import date, datetime, timedelta

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.batch import NOW, Aggregate, Rows, at, frozen, gather, reused, run
from apps.core.figures import figures, mean, pct
from apps.core.monthset import any_month
from apps.core.periods import (
    date_ranges,
    end_of_period,
    is_month_end,
    live_end,
    month_start,
    next_month,
    split,
    start_of_day,
    time_ranges,
)
from apps.enterprises.models import EnterpriseCoverage
from apps.units.models import Unit

from .models import (
    ACK_SAME_DAY,
    CLOSED,
    DUE,
    HAS_FEEDBACK,
    ON_TIME,
    OPEN_STATUSES,
    REOPENED,
    SATISFIED,
    SOLVED,
    TIMED,
    WITHDRAWN,
    Concerns,
    Request,
    RequestAckWait,
    RequestCategoryMonth,
    RequestDueMonth,
    RequestMonth,
    Status,
    Visit,
    VisitMonth,
    ack_pending,
    overdue_q,
)

COUNTS = ("n", "feedback", "satisfied", "reopened", "withdrawn", "ack")
CLOSINGS = ("closed", "solved", "on_time", "workdays_sum", "workdays_n")


def handler_counts(user, now: datetime) -> Aggregate:
    """A handler's open items as one spec of a batch (apps.core.batch): all, overdue and due today (the clock
    running: not paused; as `Request.due_state` says it) and to acknowledge. Read from the index request_todo
    alone (handler over the open items, status included). My to-do and the staff's and manager's homes."""
    return at(_handler_count_specs(user.pk, timezone.localdate(now)), now)["mine"]


@reused
def _handler_count_specs(user_id: int, today: date) -> dict:
    """What `handler_counts` asks on `today`, at the moment `NOW` (batch.reused: composed once per process,
    handler and day)."""
    today_end = start_of_day(today + timedelta(days=1))
    running = ~Q(status=Status.PAUSED)
    return {
        "mine": Aggregate(
            Request.objects.open().filter(handler_id=user_id),
            open=Count("pk"),
            overdue=Count("pk", filter=overdue_q(NOW)),
            due_today=Count("pk", filter=running & Q(close_due__gte=NOW, close_due__lt=today_end)),
            to_acknowledge=Count("pk", filter=Q(status=Status.DISPATCHED)),
        )
    }


def _request_aggregates(closed_before, *, closings_only: bool = False, now=None) -> dict:
    """The raw counterparts of the roll-up's counters (same states), closings counted before `closed_before`,
    and (unless `closings_only`) those waiting for their same-day acknowledgement after `now` (`ack_pending`)."""
    closed = CLOSED if closed_before is None else CLOSED & Q(closed_at__lt=closed_before)
    result = {
        "closed": Count("id", filter=closed),
        "solved": Count("id", filter=closed & SOLVED),
        "on_time": Count("id", filter=closed & ON_TIME),
        "workdays_sum": Sum("workdays_to_close", filter=closed & TIMED),
        "workdays_n": Count("id", filter=closed & TIMED),
    }
    if closings_only:
        return result
    return result | {
        "n": Count("id"),
        "ack": Count("id", filter=ACK_SAME_DAY),
        "ack_pending": Count("id", filter=ack_pending(now)),
        "feedback": Count("id", filter=HAS_FEEDBACK),
        "satisfied": Count("id", filter=SATISFIED),
        "reopened": Count("id", filter=REOPENED),
        "withdrawn": Count("id", filter=WITHDRAWN),
    }


def _rolled(rows, *, unit_id: int | None = None, by_unit: bool = False, units: Collection[int] | None = None):
    """A roll-up's rows for one unit, every unit (`by_unit`; of `units` when given), or the district's
    totals."""
    if unit_id is not None:
        return rows.filter(district=False, unit_id=unit_id)
    if by_unit:
        rows = rows.filter(district=False, unit__isnull=False)
        return rows if units is None else rows.filter(unit_id__in=units)
    return rows.filter(district=True)


def _grouped(qs, key: str | None, aggregates: dict):
    return (
        Aggregate(qs, **aggregates) if key is None else Rows(qs.values(key).annotate(**aggregates).order_by())
    )


def request_counts_plan(
    start: date,
    end: date,
    *,
    concerns: str = Concerns.ENTERPRISE,
    unit_id: int | None = None,
    by_unit=False,
    units: Collection[int] | None = None,
):
    """Requests received in [start, end]: received (`n`), closed by the end of `end` (and of those solved, on
    time, with their working days to close), acknowledged the same day (`ack`) and those whose same-day
    acknowledgement is decided now (`ack_n`: all but the ones not acknowledged yet whose deadline is still
    ahead, `ack_pending`), with feedback, satisfied, reopened, withdrawn — district-wide, for the unit they
    count for, or a dict per unit (`by_unit`; of `units` when given)."""
    end = live_end(end)
    unit_field = _unit_field(concerns)
    units = frozen(units)
    # asked at this moment: those still waiting for their same-day acknowledgement are counted as of now
    specs = at(_request_count_specs(start, end, concerns, unit_id, by_unit, units), timezone.now())
    got = yield specs
    keys = (*COUNTS, *CLOSINGS, "ack_pending")
    totals: dict = {}
    for result in got.values():
        for row in result if by_unit else [result]:
            key = (row.get("unit_id") or row.get(unit_field)) if by_unit else None
            bucket = totals.setdefault(key, dict.fromkeys(keys, 0))
            for k in bucket:
                bucket[k] += row.get(k) or 0
    for bucket in totals.values():
        bucket["ack_n"] = bucket["n"] - bucket.pop("ack_pending")
    if by_unit:
        return totals
    return totals.get(None) or dict.fromkeys((*COUNTS, *CLOSINGS, "ack_n"), 0)


def request_counts(start: date, end: date, **kwargs):
    return run(request_counts_plan(start, end, **kwargs))


def _unit_field(concerns: str) -> str:
    """The request's unit it counts for: a project problem's project's unit, else the handling unit."""
    return "counts_for_id" if concerns == Concerns.PROJECT else "handling_unit_id"


@reused
def _request_count_specs(
    start: date, end: date, concerns: str, unit_id: int | None, by_unit: bool, units: frozenset | None
) -> dict:
    """What `request_counts_plan` asks, at the moment `NOW` (batch.reused: composed once per process)."""
    unit_field = _unit_field(concerns)
    edges, whole = split(start, end)
    base = Request.objects.filter(concerns=concerns)
    if unit_id is not None:
        base = base.filter(**{unit_field: unit_id})
    if by_unit:
        base = base.filter(**{f"{unit_field}__isnull": False})
        if units is not None:
            base = base.filter(**{f"{unit_field}__in": units})
    raw_key = unit_field if by_unit else None
    specs = {}
    if edges:
        specs["edges"] = _grouped(
            base.filter(date_ranges("received_on", edges)),
            raw_key,
            _request_aggregates(end_of_period(end), now=NOW),
        )
    if whole:
        rolled = _rolled(
            RequestMonth.objects.filter(concerns=concerns, month__gte=whole[0], month__lte=whole[1]),
            unit_id=unit_id,
            by_unit=by_unit,
            units=units,
        )
        end_month = month_start(end)
        counted = Q(closed_month__lte=end_month) if is_month_end(end) else Q(closed_month__lt=end_month)
        sums = {k: Sum(k) for k in COUNTS} | {k: Sum(k, filter=counted) for k in CLOSINGS}
        specs["rolled"] = _grouped(rolled, "unit_id" if by_unit else None, sums)
        # not acknowledged yet and not late yet: a condition of the moment, kept by deadline
        waiting = _rolled(
            RequestAckWait.objects.filter(
                concerns=concerns, month__gte=whole[0], month__lte=whole[1], ack_due__gt=NOW
            ),
            unit_id=unit_id,
            by_unit=by_unit,
            units=units,
        )
        specs["waiting"] = _grouped(waiting, "unit_id" if by_unit else None, {"ack_pending": Sum("waiting")})
        if not is_month_end(end):
            # closed in the end's month, before the end: the roll-up keeps months, so this part is raw
            late = base.filter(
                received_on__gte=whole[0],
                received_on__lt=next_month(whole[1]),
                closed_at__gte=start_of_day(end_month),
                closed_at__lt=end_of_period(end),
            )
            specs["late"] = _grouped(late, raw_key, _request_aggregates(None, closings_only=True))
    return specs


def categories_plan(start: date, end: date, *, unit_id: int | None = None):
    """Enterprise requests received in [start, end] by category (热点诉求), for the unit they count for or the
    district: rows of the category's id and name and `n`, most first. Whole months are read from their roll-up,
    partial edge months from the requests."""
    got = yield _categories_specs(start, live_end(end), unit_id)
    counts: dict[tuple[int, str], int] = {}
    for rows in got.values():
        for row in rows:
            key = (row["category_id"], row["name"])
            counts[key] = counts.get(key, 0) + (row["n"] or 0)
    rows = [{"id": pk, "name": name, "n": n} for (pk, name), n in counts.items() if n]
    return sorted(rows, key=lambda r: (-r["n"], r["name"]))


@reused
def _categories_specs(start: date, end: date, unit_id: int | None) -> dict:
    """What `categories_plan` asks (batch.reused: composed once per process)."""
    edges, whole = split(start, end)
    specs = {}
    if edges:
        raw = Request.objects.filter(date_ranges("received_on", edges), concerns=Concerns.ENTERPRISE)
        if unit_id is not None:
            raw = raw.filter(handling_unit_id=unit_id)
        specs["edges"] = Rows(
            raw.values("category_id", name=F("category__name")).annotate(n=Count("id")).order_by()
        )
    if whole:
        rolled = _rolled(
            RequestCategoryMonth.objects.filter(
                concerns=Concerns.ENTERPRISE, month__gte=whole[0], month__lte=whole[1]
            ),
            unit_id=unit_id,
        )
        specs["rolled"] = Rows(
            rolled.values("category_id", name=F("category__name")).annotate(n=Sum("n")).order_by()
        )
    return specs


def solved_plan(start: date, end: date, *, concerns: str, unit_id: int | None = None):
    """Requests about `concerns` closed as solved within [start, end] (whenever received), of the unit they
    count for."""
    got = yield _solved_specs(start, live_end(end), concerns, unit_id)
    return sum(row["n"] or 0 for row in got.values())


@reused
def _solved_specs(start: date, end: date, concerns: str, unit_id: int | None) -> dict:
    """What `solved_plan` asks (batch.reused: composed once per process)."""
    edges, whole = split(start, end)
    specs = {}
    if edges:
        raw = Request.objects.filter(SOLVED, time_ranges("closed_at", edges), concerns=concerns)
        if unit_id is not None:
            raw = raw.filter(**{_unit_field(concerns): unit_id})
        specs["edges"] = Aggregate(raw, n=Count("id"))
    if whole:
        rolled = _rolled(
            RequestMonth.objects.filter(
                concerns=concerns, closed_month__gte=whole[0], closed_month__lte=whole[1]
            ),
            unit_id=unit_id,
        )
        specs["rolled"] = Aggregate(rolled, n=Sum("solved"))
    return specs


def due_counts_plan(start: date, end: date, *, unit_id: int | None = None):
    """Requests about enterprises, not withdrawn, whose closing deadline falls in [start, end], and those
    closed on time."""
    got = yield _due_specs(start, end, unit_id)
    return {k: sum(row[k] or 0 for row in got.values()) for k in ("due", "due_on_time")}


@reused
def _due_specs(start: date, end: date, unit_id: int | None) -> dict:
    """What `due_counts_plan` asks (batch.reused: composed once per process)."""
    edges, whole = split(start, end)
    specs = {}
    if edges:
        qs = Request.objects.filter(DUE, concerns=Concerns.ENTERPRISE).filter(time_ranges("close_due", edges))
        if unit_id is not None:
            qs = qs.filter(handling_unit_id=unit_id)
        # counted by the deadline (never NULL here), not the id: the index holds everything asked
        specs["edges"] = Aggregate(qs, due=Count("close_due"), due_on_time=Count("close_due", filter=ON_TIME))
    if whole:
        rolled = _rolled(
            RequestDueMonth.objects.filter(
                concerns=Concerns.ENTERPRISE, month__gte=whole[0], month__lte=whole[1]
            ),
            unit_id=unit_id,
        )
        specs["rolled"] = Aggregate(rolled, due=Sum("due"), due_on_time=Sum("due_on_time"))
    return specs


def visit_count_plan(
    start: date, end: date, *, concerns: str = Concerns.ENTERPRISE, unit_id: int | None = None
):
    """Visits in [start, end] about `concerns` — of a unit: that it counts for (led or joined, or the project's
    unit)."""
    got = yield _visit_count_specs(start, live_end(end), concerns, unit_id)
    return sum(row["n"] or 0 for row in got.values())


@reused
def _visit_count_specs(start: date, end: date, concerns: str, unit_id: int | None) -> dict:
    """What `visit_count_plan` asks (batch.reused: composed once per process)."""
    edges, whole = split(start, end)
    specs = {}
    if edges:
        visits = Visit.objects.filter(date_ranges("visited_on", edges), concerns=concerns)
        if unit_id is not None:
            if concerns == Concerns.PROJECT:
                visits = visits.filter(counts_for_id=unit_id)
            else:
                visits = visits.filter(Q(lead_unit_id=unit_id) | Q(joint_units__id=unit_id))
        specs["edges"] = Aggregate(visits, n=Count("id", distinct=True))
    if whole:
        rolled = _rolled(
            VisitMonth.objects.filter(concerns=concerns, month__gte=whole[0], month__lte=whole[1]),
            unit_id=unit_id,
        )
        specs["rolled"] = Aggregate(rolled, n=Sum("visits"))
    return specs


# --- key-enterprise coverage ----------------------------------------------------------------------------------


def visited_q(start: date, end: date) -> Q:
    """A condition on enterprises' coverage rows: visited (by any unit, about anything) in [start, end] — the
    months marked on the row for the whole months, the visits themselves (one hashed set) for the edges.
    `end` as `live_end` gives it."""
    edges, whole = split(start, end)
    q = Q(pk__in=[])
    if whole:
        q |= Q(any_month("months", whole[0], whole[1]))
    if edges:
        q |= Q(pk__in=Visit.objects.filter(date_ranges("visited_on", edges)).values("enterprise_id"))
    return q


def key_enterprises(unit_id: int | None = None):
    """The coverage rows of the key enterprises (of one responsible unit)."""
    rows = EnterpriseCoverage.objects.filter(is_key=True)
    return rows if unit_id is None else rows.filter(unit_id=unit_id)


def coverage_counts(start: date, end: date) -> dict:
    """The aggregates of coverage over key_enterprises(): how many, and how many visited in [start, end]."""
    return {"total": Count("pk"), "visited": Count("pk", filter=visited_q(start, end))}


def _key_counts_plan(start: date, end: date, unit_id: int | None):
    got = yield _key_counts_specs(start, live_end(end), unit_id)
    return got["keys"]["total"], got["keys"]["visited"]


@reused
def _key_counts_specs(start: date, end: date, unit_id: int | None) -> dict:
    """What `_key_counts_plan` asks (batch.reused: composed once per process)."""
    return {"keys": Aggregate(key_enterprises(unit_id), **coverage_counts(start, end))}


def coverage_by_unit_plan(start: date, end: date, *, units: Collection[int] | None = None):
    """{responsible unit id: (key enterprises, of which visited in [start, end])}, of every unit or of
    `units`."""
    got = yield _coverage_by_unit_specs(start, live_end(end), frozen(units))
    return {r["unit_id"]: (r["total"], r["visited"]) for r in got["rows"]}


@reused
def _coverage_by_unit_specs(start: date, end: date, units: frozenset | None) -> dict:
    """What `coverage_by_unit_plan` asks (batch.reused: composed once per process)."""
    rows = key_enterprises() if units is None else key_enterprises().filter(unit_id__in=units)
    return {"rows": Rows(rows.values("unit_id").annotate(**coverage_counts(start, end)).order_by())}


# --- the campaign's figures ------------------------------------------------------------------------------------

DEFINITIONS = {
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
            "Requests whose closure deadline fell within the period and that were closed by it ÷ requests due within the period; a paused request is left out while paused."
        ),
    ),
    "same_day_ack_rate_pct": (
        _("Same-day acknowledgement (事不过夜)"),
        _(
            "Requests received within the period and acknowledged by the end of their dispatch working day ÷ requests received, leaving out those not acknowledged yet whose deadline is still ahead."
        ),
    ),
    "satisfaction_rate_pct": (
        _("Satisfaction rate"),
        _(
            "(Satisfied + basically satisfied) ÷ requests with a feedback, among requests received within the period. Each request counts with its latest rating: the enterprise's own (given on its enterprise-side page) where it rated the closure, which replaces a rating staff entered for it, else the staff-entered one."
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


def service_plan(*, start: date, end: date, unit_id: int | None = None):
    """The values of campaign 1 for [start, end], district-wide or for one unit (a plan; `service_values`
    runs it)."""
    got = yield from gather(
        counts=request_counts_plan(start, end, unit_id=unit_id),
        due=due_counts_plan(start, end, unit_id=unit_id),
        visits=visit_count_plan(start, end, unit_id=unit_id),
        keys=_key_counts_plan(start, end, unit_id),
    )
    counts, due, (key_total, key_visited) = got["counts"], got["due"], got["keys"]
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
        "same_day_ack_rate_pct": pct(counts["ack"], counts["ack_n"]),
        "satisfaction_rate_pct": pct(counts["satisfied"], counts["feedback"]),
        "reopened": counts["reopened"],
        "withdrawn": counts["withdrawn"],
        "avg_workdays_to_close": mean(counts["workdays_sum"], counts["workdays_n"]),
    }


def service_values(**kwargs) -> dict:
    return run(service_plan(**kwargs))


def service_figures(**kwargs) -> list:
    return figures(service_values(**kwargs), DEFINITIONS)


def coverage_by_unit(*, start: date, end: date) -> list[dict]:
    """Key enterprises and those visited in [start, end], per responsible unit (units with key enterprises)."""
    counts = run(coverage_by_unit_plan(start, end))
    rows = []
    for unit in Unit.objects.filter(pk__in=counts):
        total, visited = counts[unit.pk]
        rows.append({"unit": unit, "total": total, "visited": visited, "pct": pct(visited, total)})
    return rows


def coverage_total(rows: list[dict]) -> dict:
    total = sum(r["total"] for r in rows)
    visited = sum(r["visited"] for r in rows)
    return {"total": total, "visited": visited, "pct": pct(visited, total)}


def service_by_unit(*, start: date, end: date) -> list[dict]:
    """Campaign-1 request figures per handling unit, and the requests of the period still open past their
    deadline now."""
    counts = request_counts(start, end, by_unit=True)
    overdue = dict(
        Request.objects.received_between(start, end)
        .filter(
            concerns=Concerns.ENTERPRISE,
            handling_unit__isnull=False,
            status__in=[s for s in OPEN_STATUSES if s not in (Status.NEW, Status.PAUSED)],
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
                "same_day_ack_rate_pct": pct(r["ack"], r["ack_n"]),
                "satisfaction_rate_pct": pct(r["satisfied"], r["feedback"]),
                "overdue": overdue.get(unit.pk, 0),
            }
        )
    return result


# --- Which units' request lists are read as one OR (RequestListView) -----------------------------------

# A unit with this share of the district's recent requests or more finds a page of its list among the first
# entries of the district's list order (about 1 ÷ share entries a row: 1,700 for fifty at 3%), sooner than
# its arms are read and merged (apps.core.querysets.OrderedUnion). At province scale seven units of 300 had
# 3-15%, the next 1.5%: through the arms the busiest unit's page cost 5 ms more (twelve connections 120 → 97
# requests/s), where most units' pages cost 10-30 ms less.
BUSY_SHARE = 0.03
BUSY_MONTHS = 3  # this month and the two before it
_BUSY_SECONDS = 600
_busy: tuple[float, frozenset[int]] | None = None


def busy_units(today: date | None = None) -> frozenset[int]:
    """The units handling BUSY_SHARE or more of the requests received in the last BUSY_MONTHS months (the
    roll-up), read once every ten minutes per process."""
    global _busy
    now = time.monotonic()
    if _busy is None or now - _busy[0] > _BUSY_SECONDS:
        since = month_start(today or timezone.localdate())
        for _ in range(BUSY_MONTHS - 1):
            since = month_start(since - timedelta(days=1))
        received = dict(
            RequestMonth.objects.filter(district=False, month__gte=since)
            .values("unit_id")
            .annotate(n=Sum("n"))
            .values_list("unit_id", "n")
        )
        total = sum(received.values())
        _busy = (now, frozenset(unit for unit, n in received.items() if total and n >= BUSY_SHARE * total))
    return _busy[1]


def clear_busy_units() -> None:
    global _busy
    _busy = None
