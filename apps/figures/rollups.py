"""Monthly roll-ups: how they are kept exact, and how a span is read from them.

Maintenance. Every write of a request, a visit, a project or a link that moves one in or out of the
service campaign (project problem, project visit, R&D visit) recomputes, in the same transaction, the
roll-up rows of the (unit, month) pairs it touched before and after the change — one unit's month of raw
rows, through an index, under a transaction-scoped advisory lock so two concurrent writers cannot overwrite
each other's recount — once per operation (`apps.core.coalesce`). Bulk loads (`generate_scale`, imports of
history) end with `manage.py rebuild_rollups`.

Why recount instead of adding deltas: a recount is right by construction whatever the write did (reopen,
move to another unit, a deadline that changed month); deltas would have to mirror every transition rule.
Its cost grows with the unit's month (35 ms for the busiest province unit's 8,400 requests, see
bench/RESULTS.md): that is where increments would pay.

Reading. A span [start, end] splits into whole calendar months, read from the roll-ups, and at most two
partial edge months (each shorter than a month), read raw. Nothing on the request path aggregates more than
a month of raw rows.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone

from apps.core.batch import Aggregate, Rows, run
from apps.core.coalesce import later
from apps.figures.models import (
    EnterpriseCoverage,
    EnterpriseVisitMonth,
    ProjectMonth,
    RequestDueMonth,
    RequestMonth,
    VisitMonth,
)
from apps.projects.models import recount_year_progress
from apps.service.models import CLOSED_STATUSES, Request, Status, Visit

CLOSED_SQL = "r.status IN ('{}', '{}') AND r.closed_at IS NOT NULL".format(*CLOSED_STATUSES)
SATISFIED = (Request.Satisfaction.SATISFIED, Request.Satisfaction.BASIC)
NOT_PROJECT_REQUEST = "NOT EXISTS (SELECT 1 FROM projects_projectproblem p WHERE p.request_id = r.id)"
SERVICE_VISIT = (
    "NOT EXISTS (SELECT 1 FROM projects_projectvisit pv WHERE pv.visit_id = v.id) "
    "AND NOT EXISTS (SELECT 1 FROM research_entityvisit ev WHERE ev.visit_id = v.id)"
)
_LOCK_SPACE = {"request": 7301, "due": 7302, "visit": 7303, "enterprise": 7304, "project": 7305}

REQUEST_SQL = f"""
INSERT INTO figures_requestmonth
    (unit_id, month, closed_month, n, closed, on_time, ack, feedback, satisfied, reopened, withdrawn,
     workdays_sum, workdays_n)
SELECT r.handling_unit_id, date_trunc('month', r.received_on)::date,
       CASE WHEN {CLOSED_SQL} THEN date_trunc('month', r.closed_at AT TIME ZONE %(tz)s)::date END,
       count(*),
       count(*) FILTER (WHERE {CLOSED_SQL}),
       count(*) FILTER (WHERE {CLOSED_SQL} AND r.closed_on_time),
       count(*) FILTER (WHERE r.ack_on_time),
       count(*) FILTER (WHERE r.satisfaction <> ''),
       count(*) FILTER (WHERE r.satisfaction IN %(satisfied)s),
       count(*) FILTER (WHERE r.reopen_count > 0),
       count(*) FILTER (WHERE r.status = %(withdrawn)s),
       coalesce(sum(r.workdays_to_close) FILTER (WHERE {CLOSED_SQL}), 0),
       count(r.workdays_to_close) FILTER (WHERE {CLOSED_SQL})
FROM service_request r
WHERE {NOT_PROJECT_REQUEST} {{where}}
GROUP BY 1, 2, 3
"""

DUE_SQL = f"""
INSERT INTO figures_requestduemonth (unit_id, month, due, due_on_time)
SELECT r.handling_unit_id, date_trunc('month', r.close_due AT TIME ZONE %(tz)s)::date, count(*),
       count(*) FILTER (WHERE r.closed_on_time AND r.status IN %(closed)s)
FROM service_request r
WHERE r.close_due IS NOT NULL AND r.status <> %(withdrawn)s AND {NOT_PROJECT_REQUEST} {{where}}
GROUP BY 1, 2
"""

VISIT_DISTRICT_SQL = f"""
INSERT INTO figures_visitmonth (unit_id, month, visits)
SELECT NULL, date_trunc('month', v.visited_on)::date, count(*)
FROM service_visit v
WHERE {SERVICE_VISIT} {{where}}
GROUP BY 2
"""

VISIT_UNIT_SQL = f"""
INSERT INTO figures_visitmonth (unit_id, month, visits)
SELECT u.unit_id, date_trunc('month', v.visited_on)::date, count(DISTINCT v.id)
FROM service_visit v
JOIN (SELECT id AS visit_id, lead_unit_id AS unit_id FROM service_visit
      UNION SELECT visit_id, unit_id FROM service_visit_joint_units) u ON u.visit_id = v.id
WHERE u.unit_id IS NOT NULL AND {SERVICE_VISIT} {{where}}
GROUP BY 1, 2
"""

# Project construction's flows by the project's unit: problems raised (by the month received), solved (by
# the month closed as solved), project visits (by the month of the visit).
PROJECT_SQL = f"""
INSERT INTO figures_projectmonth (unit_id, month, raised, solved, visits)
SELECT unit_id, month, sum(raised), sum(solved), sum(visits) FROM (
    SELECT p.unit_id, date_trunc('month', r.received_on)::date AS month, 1 AS raised, 0 AS solved, 0 AS visits
    FROM projects_projectproblem pp JOIN projects_project p ON p.id = pp.project_id
    JOIN service_request r ON r.id = pp.request_id
    WHERE true {{raised}}
    UNION ALL
    SELECT p.unit_id, date_trunc('month', r.closed_at AT TIME ZONE %(tz)s)::date, 0, 1, 0
    FROM projects_projectproblem pp JOIN projects_project p ON p.id = pp.project_id
    JOIN service_request r ON r.id = pp.request_id
    WHERE {CLOSED_SQL} AND r.outcome = %(solved)s {{solved}}
    UNION ALL
    SELECT p.unit_id, date_trunc('month', v.visited_on)::date, 0, 0, 1
    FROM projects_projectvisit pv JOIN projects_project p ON p.id = pv.project_id
    JOIN service_visit v ON v.id = pv.visit_id
    WHERE true {{visits}}
) flows
GROUP BY unit_id, month
"""

ENTERPRISE_SQL = """
INSERT INTO figures_enterprisevisitmonth (enterprise_id, month)
SELECT DISTINCT v.enterprise_id, date_trunc('month', v.visited_on)::date
FROM service_visit v
WHERE v.enterprise_id IS NOT NULL {where}
"""


# EnterpriseCoverage, kept by statement triggers with transition tables (one upsert per statement, however
# many rows it wrote). The coverage rows are locked first, in order, so that two transactions adding months
# to one enterprise each read the other's committed month (READ COMMITTED: a new snapshot per statement).
COVERAGE_SQL = """
CREATE OR REPLACE FUNCTION figures_refresh_coverage(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM figures_enterprisecoverage WHERE enterprise_id = ANY(ids)
     ORDER BY enterprise_id FOR UPDATE;
    INSERT INTO figures_enterprisecoverage (enterprise_id, unit_id, is_key, months)
    SELECT e.id, e.unit_id, e.is_key,
           COALESCE((SELECT array_agg(m.month ORDER BY m.month) FROM figures_enterprisevisitmonth m
                     WHERE m.enterprise_id = e.id), '{}')
      FROM enterprises_enterprise e
     WHERE e.id = ANY(ids)
    ON CONFLICT (enterprise_id) DO UPDATE
       SET unit_id = EXCLUDED.unit_id, is_key = EXCLUDED.is_key, months = EXCLUDED.months;
END $$;

CREATE OR REPLACE FUNCTION figures_coverage_of_months() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM figures_refresh_coverage(ARRAY(SELECT DISTINCT enterprise_id FROM changed ORDER BY 1));
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION figures_coverage_of_enterprises() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM figures_refresh_coverage(ARRAY(SELECT id FROM changed ORDER BY 1));
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER figures_coverage_months_added AFTER INSERT ON figures_enterprisevisitmonth
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION figures_coverage_of_months();
CREATE OR REPLACE TRIGGER figures_coverage_months_removed AFTER DELETE ON figures_enterprisevisitmonth
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION figures_coverage_of_months();
CREATE OR REPLACE TRIGGER figures_coverage_enterprise_added AFTER INSERT ON enterprises_enterprise
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION figures_coverage_of_enterprises();
CREATE OR REPLACE TRIGGER figures_coverage_enterprise_changed AFTER UPDATE ON enterprises_enterprise
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION figures_coverage_of_enterprises();
"""

COVERAGE_DROP_SQL = """
DROP TRIGGER IF EXISTS figures_coverage_months_added ON figures_enterprisevisitmonth;
DROP TRIGGER IF EXISTS figures_coverage_months_removed ON figures_enterprisevisitmonth;
DROP TRIGGER IF EXISTS figures_coverage_enterprise_added ON enterprises_enterprise;
DROP TRIGGER IF EXISTS figures_coverage_enterprise_changed ON enterprises_enterprise;
DROP FUNCTION IF EXISTS figures_coverage_of_months();
DROP FUNCTION IF EXISTS figures_coverage_of_enterprises();
DROP FUNCTION IF EXISTS figures_refresh_coverage(bigint[]);
"""

# Every enterprise's row from scratch (after a bulk load with triggers off).
COVERAGE_REBUILD_SQL = """
INSERT INTO figures_enterprisecoverage (enterprise_id, unit_id, is_key, months)
SELECT e.id, e.unit_id, e.is_key, COALESCE(m.months, '{}')
  FROM enterprises_enterprise e
  LEFT JOIN (SELECT enterprise_id, array_agg(month ORDER BY month) AS months
               FROM figures_enterprisevisitmonth GROUP BY enterprise_id) m ON m.enterprise_id = e.id
"""


def _params(**extra) -> dict:
    return {
        "tz": settings.TIME_ZONE,
        "satisfied": tuple(str(s) for s in SATISFIED),
        "withdrawn": str(Status.WITHDRAWN),
        "closed": tuple(str(s) for s in CLOSED_STATUSES),
        "solved": str(Request.Outcome.SOLVED),
        **extra,
    }


# --- calendar helpers --------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def split(start: date, end: date) -> tuple[list[tuple[date, date]], tuple[date, date] | None]:
    """The partial edge months of [start, end] (read raw) and its whole months (first days, inclusive)."""
    first = start if start.day == 1 else next_month(start)
    last_end = end if is_month_end(end) else month_start(end) - timedelta(days=1)
    if first > last_end:
        return [(start, end)], None
    edges = []
    if start < first:
        edges.append((start, first - timedelta(days=1)))
    if last_end < end:
        edges.append((last_end + timedelta(days=1), end))
    return edges, (first, month_start(last_end))


def live_end(end: date) -> date:
    """A period that ends today (or later) in the current month reads that month from the roll-up: nothing
    is received, closed or visited after today, so the month so far *is* the whole month — the month-to-date
    figures then read no raw row either. (Not for deadlines, which fall in the future.)"""
    today = timezone.localdate()
    if end >= today and month_start(end) == month_start(today):
        return next_month(end) - timedelta(days=1)
    return end


def date_ranges(field: str, ranges: Iterable[tuple[date, date]]) -> Q:
    q = Q(pk__in=[])
    for a, b in ranges:
        q |= Q(**{f"{field}__gte": a, f"{field}__lte": b})
    return q


def time_ranges(field: str, ranges: Iterable[tuple[date, date]]) -> Q:
    q = Q(pk__in=[])
    for a, b in ranges:
        q |= Q(**{f"{field}__gte": start_of_day(a), f"{field}__lt": start_of_day(b + timedelta(days=1))})
    return q


# --- maintenance --------------------------------------------------------------------------------------


def _key_sql(column: str, key: int | None) -> str:
    return f"{column} IS NULL" if key is None else f"{column} = %(key)s"


def _lock(cursor, space: str, keys) -> None:
    for key in sorted(keys, key=lambda k: (k[0] or 0, k[1])):
        unit, month = key
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)",
            [_LOCK_SPACE[space], ((unit or 0) * 10_000 + month.year * 12 + month.month) % 2_147_483_647],
        )


def _recount(space: str, table: str, column: str, keys: set, insert: Callable[[int | None], str]) -> None:
    """The shape of every recount: under the (key, month) locks, delete the roll-up rows of each (key,
    month) and insert them again from the records (`insert(key)` is the INSERT … SELECT for one key)."""
    with connection.cursor() as cursor:
        _lock(cursor, space, keys)
        for key, month in keys:
            params = _params(
                key=key,
                month=month,
                next=next_month(month),
                since=start_of_day(month),
                until=start_of_day(next_month(month)),
            )
            cursor.execute(f"DELETE FROM {table} WHERE {_key_sql(column, key)} AND month = %(month)s", params)
            cursor.execute(insert(key), params)


_IN_MONTH = {
    "received": "AND r.received_on >= %(month)s AND r.received_on < %(next)s",
    "due": "AND r.close_due >= %(since)s AND r.close_due < %(until)s",
    "closed": "AND r.closed_at >= %(since)s AND r.closed_at < %(until)s",
    "visited": "AND v.visited_on >= %(month)s AND v.visited_on < %(next)s",
}


def recount_requests(keys: Iterable[tuple[int | None, date]]) -> None:
    """Recount the request roll-up of each (handling unit, month received)."""
    keys = {(u, month_start(m)) for u, m in keys if m is not None}
    if later(recount_requests, keys):  # recounted once at the end of the operation
        return
    _recount(
        "request",
        "figures_requestmonth",
        "unit_id",
        keys,
        lambda unit: REQUEST_SQL.format(
            where=f"AND {_key_sql('r.handling_unit_id', unit)} {_IN_MONTH['received']}"
        ),
    )


def recount_due(keys: Iterable[tuple[int | None, date]]) -> None:
    """Recount the deadline roll-up of each (handling unit, month the closing deadline falls in)."""
    keys = {(u, month_start(m)) for u, m in keys if m is not None}
    if later(recount_due, keys):  # recounted once at the end of the operation
        return
    _recount(
        "due",
        "figures_requestduemonth",
        "unit_id",
        keys,
        lambda unit: DUE_SQL.format(where=f"AND {_key_sql('r.handling_unit_id', unit)} {_IN_MONTH['due']}"),
    )


def recount_visits(keys: Iterable[tuple[int | None, date]]) -> None:
    """Recount the visit roll-up of each (unit, month); unit None is the district row."""
    keys = {(u, month_start(m)) for u, m in keys if m is not None}
    if later(recount_visits, keys):  # recounted once at the end of the operation
        return
    _recount(
        "visit",
        "figures_visitmonth",
        "unit_id",
        keys,
        lambda unit: (
            VISIT_DISTRICT_SQL.format(where=_IN_MONTH["visited"])
            if unit is None
            else VISIT_UNIT_SQL.format(where=_IN_MONTH["visited"] + " AND u.unit_id = %(key)s")
        ),
    )


def recount_enterprises(keys: Iterable[tuple[int | None, date]]) -> None:
    """Recount whether each (enterprise, month) had a visit."""
    keys = {(e, month_start(m)) for e, m in keys if e is not None and m is not None}
    if later(recount_enterprises, keys):  # recounted once at the end of the operation
        return
    _recount(
        "enterprise",
        "figures_enterprisevisitmonth",
        "enterprise_id",
        keys,
        lambda _e: ENTERPRISE_SQL.format(where="AND v.enterprise_id = %(key)s " + _IN_MONTH["visited"]),
    )


def recount_projects(keys: Iterable[tuple[int | None, date]]) -> None:
    """Recount project construction's flows of each (project unit, month)."""
    keys = {(u, month_start(m)) for u, m in keys if u is not None and m is not None}
    if later(recount_projects, keys):  # recounted once at the end of the operation
        return
    of_unit = "AND p.unit_id = %(key)s "
    _recount(
        "project",
        "figures_projectmonth",
        "unit_id",
        keys,
        lambda _u: PROJECT_SQL.format(
            raised=of_unit + _IN_MONTH["received"],
            solved=of_unit + _IN_MONTH["closed"],
            visits=of_unit + _IN_MONTH["visited"],
        ),
    )


PROJECT_MONTHS_SQL = """
SELECT date_trunc('month', r.received_on)::date FROM projects_projectproblem pp
JOIN service_request r ON r.id = pp.request_id WHERE pp.project_id = %(project)s
UNION SELECT date_trunc('month', r.closed_at AT TIME ZONE %(tz)s)::date FROM projects_projectproblem pp
JOIN service_request r ON r.id = pp.request_id WHERE pp.project_id = %(project)s AND r.closed_at IS NOT NULL
UNION SELECT date_trunc('month', v.visited_on)::date FROM projects_projectvisit pv
JOIN service_visit v ON v.id = pv.visit_id WHERE pv.project_id = %(project)s
"""


def project_months(project_id: int) -> set[date]:
    """Every month a project's flows fall in (to recount both units after the project changes unit)."""
    with connection.cursor() as cursor:
        cursor.execute(PROJECT_MONTHS_SQL, _params(project=project_id))
        return {row[0] for row in cursor.fetchall()}


def rebuild_all() -> dict[str, int]:
    """Rebuild every roll-up from the raw rows (after bulk loads); returns the row counts."""
    counts = rebuild_service_rollups() | rebuild_project_rollups()
    recount_year_progress()  # the projects' running totals, the other roll-up of campaign 2
    return counts


def rebuild_service_rollups(*, coverage: bool = True) -> dict[str, int]:
    """Rebuild the request and visit roll-ups (this app's own tables); `coverage`: and EnterpriseCoverage
    (False only in the migration that predates it)."""
    params = _params()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses with deferred checks pending
        cursor.execute(
            "TRUNCATE figures_requestmonth, figures_requestduemonth, figures_visitmonth, "
            "figures_enterprisevisitmonth" + (", figures_enterprisecoverage" if coverage else "")
        )
        cursor.execute(REQUEST_SQL.format(where=""), params)
        cursor.execute(DUE_SQL.format(where=""), params)
        cursor.execute(VISIT_DISTRICT_SQL.format(where=""), params)
        cursor.execute(VISIT_UNIT_SQL.format(where=""), params)
        if not coverage:
            cursor.execute(ENTERPRISE_SQL.format(where=""), params)
            return {}
        # the coverage rows are written once below, not once per enterprise by the trigger
        trigger = "figures_enterprisevisitmonth {} TRIGGER figures_coverage_months_added"
        cursor.execute(f"ALTER TABLE {trigger.format('DISABLE')}")
        cursor.execute(ENTERPRISE_SQL.format(where=""), params)
        cursor.execute(f"ALTER TABLE {trigger.format('ENABLE')}")
        cursor.execute(COVERAGE_REBUILD_SQL)
    return {
        model._meta.model_name: model.objects.count()
        for model in (RequestMonth, RequestDueMonth, VisitMonth, EnterpriseVisitMonth, EnterpriseCoverage)
    }


def rebuild_project_rollups() -> dict[str, int]:
    """Rebuild project construction's monthly flows."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE figures_projectmonth")
        cursor.execute(PROJECT_SQL.format(raised="", solved="", visits=""), _params())
    return {"projectmonth": ProjectMonth.objects.count()}


def local_month(moment: datetime | None) -> date | None:
    return None if moment is None else month_start(timezone.localdate(moment))


def recount_for_request_rows(rows: Iterable[tuple]) -> None:
    """rows: (handling_unit_id, received_on, close_due) of the requests before and after a change."""
    months, dues = [], []
    for unit, received_on, close_due in rows:
        months.append((unit, received_on))
        dues.append((unit, local_month(close_due)))
    recount_requests(months)
    recount_due(dues)


def visit_units(visit_id: int) -> set[int]:
    through = Visit.joint_units.through
    return set(through.objects.filter(visit_id=visit_id).values_list("unit_id", flat=True))


def recount_for_visit_rows(rows: Iterable[tuple]) -> None:
    """rows: (visit units, visited_on, enterprise_id) of a visit before and after a change."""
    visits, enterprises = [], []
    for units, visited_on, enterprise_id in rows:
        visits.append((None, visited_on))
        visits += [(u, visited_on) for u in units if u is not None]
        enterprises.append((enterprise_id, visited_on))
    recount_visits(visits)
    recount_enterprises(enterprises)


# --- reading a span -----------------------------------------------------------------------------------


def request_aggregates(closed_before: datetime | None, *, closed_only: bool = False) -> dict:
    """The raw counts of service requests (see `request_counts`), as aggregate expressions."""
    closed = Q(status__in=CLOSED_STATUSES, closed_at__isnull=False)
    if closed_before is not None:
        closed &= Q(closed_at__lt=closed_before)
    aggregates = {
        "closed": Count("id", filter=closed),
        "on_time": Count("id", filter=closed & Q(closed_on_time=True)),
        "workdays_sum": Sum("workdays_to_close", filter=closed),
        "workdays_n": Count("workdays_to_close", filter=closed),
    }
    if closed_only:
        return aggregates
    return aggregates | {
        "n": Count("id"),
        "ack": Count("id", filter=Q(ack_on_time=True)),
        "feedback": Count("id", filter=~Q(satisfaction="")),
        "satisfied": Count("id", filter=Q(satisfaction__in=SATISFIED)),
        "reopened": Count("id", filter=Q(reopen_count__gt=0)),
        "withdrawn": Count("id", filter=Q(status=Status.WITHDRAWN)),
    }


_REQUEST_SUMS = ("n", "ack", "feedback", "satisfied", "reopened", "withdrawn")
_CLOSED_SUMS = ("closed", "on_time", "workdays_sum", "workdays_n")


def _grouped_or_total(qs, key: str | None, aggregates: dict):
    if key is None:
        return Aggregate(qs, **aggregates)
    return Rows(qs.values(key).annotate(**aggregates).order_by())


def request_counts_plan(start: date, end: date, *, unit_id: int | None = None, by_unit: bool = False):
    """Service requests received in [start, end]: received, closed by the end of `end`, closed on time,
    acknowledged the same day, with feedback, satisfied, reopened, withdrawn, and the working days to close
    (sum, count). District-wide (or one unit), or a dict per handling unit when `by_unit`. A plan (see
    apps.core.batch): every part goes to the database in one round."""
    end = live_end(end)
    edges, whole = split(start, end)
    base = Request.objects.filter(project_link__isnull=True)
    if unit_id is not None:
        base = base.filter(handling_unit_id=unit_id)
    if by_unit:
        base = base.filter(handling_unit__isnull=False)
    raw_key = "handling_unit_id" if by_unit else None
    specs = {}
    if edges:
        closed_before = start_of_day(end + timedelta(days=1))
        specs["edges"] = _grouped_or_total(
            base.filter(date_ranges("received_on", edges)), raw_key, request_aggregates(closed_before)
        )
    if whole:
        rolled = RequestMonth.objects.filter(month__gte=whole[0], month__lte=whole[1])
        if unit_id is not None:
            rolled = rolled.filter(unit_id=unit_id)
        if by_unit:
            rolled = rolled.filter(unit__isnull=False)
        end_month = month_start(end)
        counted = Q(closed_month__lte=end_month) if is_month_end(end) else Q(closed_month__lt=end_month)
        sums = {k: Sum(k) for k in _REQUEST_SUMS} | {k: Sum(k, filter=counted) for k in _CLOSED_SUMS}
        specs["rolled"] = _grouped_or_total(rolled, "unit_id" if by_unit else None, sums)
        if not is_month_end(end):
            # closed in the end's month, before the end: the roll-up keeps months, so this part is raw
            late = base.filter(
                received_on__gte=whole[0],
                received_on__lt=next_month(whole[1]),
                status__in=CLOSED_STATUSES,
                closed_at__gte=start_of_day(end_month),
                closed_at__lt=start_of_day(end + timedelta(days=1)),
            )
            specs["late"] = _grouped_or_total(late, raw_key, request_aggregates(None, closed_only=True))
    got = yield specs
    totals: dict = {}
    for result in got.values():
        for row in result if by_unit else [result]:
            key = (row.get("unit_id") or row.get("handling_unit_id")) if by_unit else None
            bucket = totals.setdefault(key, dict.fromkeys(_REQUEST_SUMS + _CLOSED_SUMS, 0))
            for k in bucket:
                bucket[k] += row.get(k) or 0
    if by_unit:
        return totals
    return totals.get(None) or dict.fromkeys(_REQUEST_SUMS + _CLOSED_SUMS, 0)


def request_counts(start: date, end: date, *, unit_id: int | None = None, by_unit: bool = False):
    return run(request_counts_plan(start, end, unit_id=unit_id, by_unit=by_unit))


def due_counts_plan(start: date, end: date, *, unit_id: int | None = None):
    """Service requests (not withdrawn) whose closing deadline falls in [start, end], and those closed on
    time."""
    edges, whole = split(start, end)
    specs = {}
    if edges:
        qs = Request.objects.filter(time_ranges("close_due", edges), project_link__isnull=True).exclude(
            status=Status.WITHDRAWN
        )
        if unit_id is not None:
            qs = qs.filter(handling_unit_id=unit_id)
        on_time = Q(closed_on_time=True, status__in=CLOSED_STATUSES)
        specs["edges"] = Aggregate(qs, due=Count("id"), due_on_time=Count("id", filter=on_time))
    if whole:
        rolled = RequestDueMonth.objects.filter(month__gte=whole[0], month__lte=whole[1])
        if unit_id is not None:
            rolled = rolled.filter(unit_id=unit_id)
        specs["rolled"] = Aggregate(rolled, due=Sum("due"), due_on_time=Sum("due_on_time"))
    got = yield specs
    return {k: sum(row[k] or 0 for row in got.values()) for k in ("due", "due_on_time")}


def visit_count_plan(start: date, end: date, *, unit_id: int | None = None):
    """Enterprise-service visits in [start, end] (of a unit: that it led or joined)."""
    end = live_end(end)
    edges, whole = split(start, end)
    specs = {}
    if edges:
        visits = Visit.objects.filter(date_ranges("visited_on", edges)).filter(
            project_link__isnull=True, rd_link__isnull=True
        )
        if unit_id is not None:
            visits = visits.filter(Q(lead_unit_id=unit_id) | Q(joint_units__id=unit_id))
        specs["edges"] = Aggregate(visits, n=Count("id", distinct=True))
    if whole:
        rolled = VisitMonth.objects.filter(month__gte=whole[0], month__lte=whole[1])
        rolled = rolled.filter(unit__isnull=True) if unit_id is None else rolled.filter(unit_id=unit_id)
        specs["rolled"] = Aggregate(rolled, n=Sum("visits"))
    got = yield specs
    return sum(row["n"] or 0 for row in got.values())


def visited_q(start: date, end: date) -> Q:
    """A condition on EnterpriseCoverage rows: the enterprise had a visit in [start, end] — its months for the
    whole months, the visits themselves (one set, hashed) for the partial edge months."""
    end = live_end(end)
    edges, whole = split(start, end)
    q = Q(pk__in=[])
    if whole:
        months, month = [], whole[0]
        while month <= whole[1]:
            months.append(month)
            month = next_month(month)
        q |= Q(months__overlap=months)
    if edges:
        visits = Visit.objects.filter(date_ranges("visited_on", edges))
        q |= Q(enterprise_id__in=visits.values("enterprise_id"))
    return q


def key_enterprises(unit_id: int | None = None):
    """The key enterprises' coverage rows (of one responsible unit)."""
    rows = EnterpriseCoverage.objects.filter(is_key=True)
    return rows if unit_id is None else rows.filter(unit_id=unit_id)


def coverage_counts(start: date, end: date) -> dict:
    """The aggregates of coverage over key_enterprises(): how many, and how many visited in [start, end]."""
    return {"total": Count("pk"), "visited": Count("pk", filter=visited_q(start, end))}


def project_flows_plan(start: date, end: date, *, scope, unit_id: int | None, rolled: bool = True):
    """Project visits, problems raised and problems solved in [start, end] for the projects of `scope` (all,
    or one unit's). Whole months come from the roll-up when `rolled` (the scope is not narrower than a
    unit, e.g. by level); the rest from the records."""
    from apps.projects.models import ProjectProblem, ProjectVisit

    end = live_end(end)
    edges, whole = split(start, end)
    if not rolled:
        edges, whole = [(start, end)], None
    specs = {}
    if edges:
        problems = ProjectProblem.objects.filter(project__in=scope)
        specs["visits"] = Aggregate(
            ProjectVisit.objects.filter(date_ranges("visit__visited_on", edges), project__in=scope),
            n=Count("id"),
        )
        specs["raised"] = Aggregate(
            problems.filter(date_ranges("request__received_on", edges)), n=Count("id")
        )
        specs["solved"] = Aggregate(
            problems.filter(
                time_ranges("request__closed_at", edges),
                request__status__in=CLOSED_STATUSES,
                request__outcome=Request.Outcome.SOLVED,
            ),
            n=Count("id"),
        )
    if whole:
        months = ProjectMonth.objects.filter(month__gte=whole[0], month__lte=whole[1])
        if unit_id is not None:
            months = months.filter(unit_id=unit_id)
        specs["rolled"] = Aggregate(months, visits=Sum("visits"), raised=Sum("raised"), solved=Sum("solved"))
    got = yield specs
    totals = {}
    for name in ("visits", "raised", "solved"):
        totals[name] = (got[name]["n"] if name in got else 0) + ((got.get("rolled") or {}).get(name) or 0)
    return totals
