"""Campaign 1's monthly roll-ups: what each request and visit adds to them, and their rebuild.

The services (services.py) keep them exact in the writer's transaction, by increments:

    before = rollups.request_rows(req)
    ...                                            # the write, the clocks
    (rollups.request_rows(req) - before).apply()   # one statement, in the same transaction

A visit adds itself once when it is logged (`visit_rows`); visits are never moved or deleted. Whole months
of a span are read from these tables by selectors.py, partial edge months from the records, so no figure
aggregates more than a month of raw rows. `rebuild()` recomputes every table from the records with the same
definitions (the states in models.py) — the oracle the increments are tested against.
"""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case, DateField, F, Value, When
from django.db.models.functions import Coalesce, TruncMonth

from apps.core.conditions import holds
from apps.core.periods import local_month, month_start
from apps.core.rollups import Delta, Rollup
from apps.enterprises import services as enterprise_services
from apps.enterprises.models import EnterpriseCoverage

from .models import (
    ACK_SAME_DAY,
    ACK_WAITING,
    CLOSED,
    DUE,
    HAS_FEEDBACK,
    ON_TIME,
    REOPENED,
    SATISFIED,
    SOLVED,
    TIMED,
    WITHDRAWN,
    Request,
    RequestAckWait,
    RequestCategoryMonth,
    RequestDueMonth,
    RequestMonth,
    Visit,
    VisitMonth,
)

REQUESTS = Rollup(
    RequestMonth,
    key=("concerns", "district", "unit_id", "month", "closed_month"),
    counts={
        "n": None,
        "closed": CLOSED,
        "solved": SOLVED,
        "on_time": ON_TIME,
        "ack": ACK_SAME_DAY,
        "feedback": HAS_FEEDBACK,
        "satisfied": SATISFIED,
        "reopened": REOPENED,
        "withdrawn": WITHDRAWN,
        "workdays_n": TIMED,
    },
    sums={"workdays_sum": ("workdays_to_close", TIMED)},
)
DEADLINES = Rollup(
    RequestDueMonth,
    key=("concerns", "district", "unit_id", "month"),
    counts={"due": None, "due_on_time": ON_TIME},
)
ACK_WAITS = Rollup(
    RequestAckWait, key=("concerns", "district", "unit_id", "month", "ack_due"), counts={"waiting": None}
)
CATEGORIES = Rollup(
    RequestCategoryMonth, key=("concerns", "district", "unit_id", "month", "category_id"), counts={"n": None}
)
VISITS = Rollup(VisitMonth, key=("concerns", "district", "unit_id", "month"), counts={"visits": None})
ROLLUPS = (REQUESTS, DEADLINES, ACK_WAITS, CATEGORIES, VISITS)
#: derived tables of lower apps that `rebuild()` refills
DERIVED = (EnterpriseCoverage,)
#: every table `rebuild()` writes
TABLES = (*(r.table for r in ROLLUPS), EnterpriseCoverage._meta.db_table)


# --- what one record adds ---------------------------------------------------------------------------------


def counted_unit(record: Request | Visit) -> int | None:
    """The unit a request counts for: the project's unit for a project problem, else its handling unit."""
    return record.counts_for_id or record.handling_unit_id


def request_rows(req: Request) -> Delta:
    """What `req`, as it is in memory now, adds to the request and deadline roll-ups: to its unit's row and
    to the district's total."""
    closed_month = local_month(req.closed_at) if holds(CLOSED, req) else None
    delta = Delta()
    for district, unit in ((False, counted_unit(req)), (True, None)):
        delta += REQUESTS.of(req, (req.concerns, district, unit, month_start(req.received_on), closed_month))
        delta += CATEGORIES.of(
            req, (req.concerns, district, unit, month_start(req.received_on), req.category_id)
        )
        if holds(DUE, req):
            delta += DEADLINES.of(req, (req.concerns, district, unit, local_month(req.close_due)))
        if holds(ACK_WAITING, req):
            delta += ACK_WAITS.of(
                req, (req.concerns, district, unit, month_start(req.received_on), req.ack_due)
            )
    return delta


def visit_units(visit: Visit, joint_unit_ids: Iterable[int]) -> set[int]:
    """The units a visit counts for: the project's unit for a project visit, else those that led or joined."""
    if visit.counts_for_id:
        return {visit.counts_for_id}
    return {visit.lead_unit_id, *joint_unit_ids}


def visit_rows(visit: Visit, joint_unit_ids: Iterable[int]) -> Delta:
    """What a visit adds: one to the district's total of its month and one to each unit it counts for."""
    month = month_start(visit.visited_on)
    delta = VISITS.of(visit, (visit.concerns, True, None, month))
    for unit in visit_units(visit, joint_unit_ids):
        delta += VISITS.of(visit, (visit.concerns, False, unit, month))
    return delta


# --- the rebuild (the oracle) -----------------------------------------------------------------------------


def _local_month(field: str):
    return TruncMonth(field, output_field=DateField(), tzinfo=ZoneInfo(settings.TIME_ZONE))


def rebuild() -> None:
    """Every roll-up of this app, and the enterprises' coverage rows, recomputed from the records."""
    unit = Coalesce(F("counts_for"), F("handling_unit"))
    received = TruncMonth("received_on", output_field=DateField())
    closed = Case(When(CLOSED, then=_local_month("closed_at")), output_field=DateField())
    requests, due = Request.objects.all(), Request.objects.filter(DUE)
    REQUESTS.rebuild(
        (requests, [F("concerns"), Value(False), unit, received, closed]),
        (requests, [F("concerns"), Value(True), None, received, closed]),
    )
    DEADLINES.rebuild(
        (due, [F("concerns"), Value(False), unit, _local_month("close_due")]),
        (due, [F("concerns"), Value(True), None, _local_month("close_due")]),
    )
    ack_waits_rebuild()
    categories_rebuild()
    visit_month = TruncMonth("visited_on", output_field=DateField())
    joint = Visit.joint_units.through.objects.filter(visit__counts_for__isnull=True).exclude(
        unit=F("visit__lead_unit")
    )
    VISITS.rebuild(
        (Visit.objects.all(), [F("concerns"), Value(True), None, visit_month]),
        (
            Visit.objects.all(),
            [F("concerns"), Value(False), Coalesce(F("counts_for"), F("lead_unit")), visit_month],
        ),
        (
            joint,
            [
                F("visit__concerns"),
                Value(False),
                F("unit"),
                TruncMonth("visit__visited_on", output_field=DateField()),
            ],
        ),
    )
    enterprise_services.coverage_rebuild(Visit.objects.filter(enterprise__isnull=False))


def ack_waits_rebuild() -> None:
    """The requests waiting for their same-day acknowledgement, from the records (also the data migration
    that introduced the table)."""
    unit = Coalesce(F("counts_for"), F("handling_unit"))
    received = TruncMonth("received_on", output_field=DateField())
    waiting = Request.objects.filter(ACK_WAITING)
    ACK_WAITS.rebuild(
        (waiting, [F("concerns"), Value(False), unit, received, F("ack_due")]),
        (waiting, [F("concerns"), Value(True), None, received, F("ack_due")]),
    )


def categories_rebuild() -> None:
    """Requests by category and month received, from the records (also the data migration that introduced the
    table)."""
    unit = Coalesce(F("counts_for"), F("handling_unit"))
    received = TruncMonth("received_on", output_field=DateField())
    requests = Request.objects.all()
    CATEGORIES.rebuild(
        (requests, [F("concerns"), Value(False), unit, received, F("category")]),
        (requests, [F("concerns"), Value(True), None, received, F("category")]),
    )


def kept() -> dict[str, set]:
    """What the roll-ups hold now (and the enterprises' visited months), comparable with a rebuild's."""
    coverage = EnterpriseCoverage.objects.values_list("enterprise_id", "unit_id", "is_key", "months")
    return {rollup.table: rollup.rows() for rollup in ROLLUPS} | {
        "enterprise coverage": {(pk, unit, key, months.rstrip("0")) for pk, unit, key, months in coverage}
    }
