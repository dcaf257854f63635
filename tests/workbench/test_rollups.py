"""The monthly roll-ups behind spans longer than a month.

One dataset over January–April 2024 with the awkward cases: a request received at 23:59:59 on the last day
of a month, requests closed in a later month (before and after a period's end), reopened, withdrawn and
transferred to another unit, a project problem and a project visit (counted under projects, not here),
joint visits, an enterprise made key after its visit and one handed to another unit. Then:

- the roll-ups kept on every write equal a rebuild from scratch (nothing drifts);
- every figure of campaign 1 and project construction's flows for many spans (whole months, partial edges,
  within one month) equal the same figure counted straight from the records;
- a span of whole months reads no request or visit row at all;
- the number of queries does not depend on the span's length.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.core.figures import pct
from apps.core.periods import end_of_period
from apps.enterprises import services as enterprise_services
from apps.enterprises.models import Enterprise
from apps.projects import services as project_services
from apps.projects.models import Project, ProjectProblem, ProjectVisit
from apps.projects.selectors import project_values
from apps.service.models import CLOSED_STATUSES, Request, Status, Visit
from apps.service.selectors import request_counts, service_values
from apps.workbench import rollups

from ..factories import EnterpriseFactory
from ..projects.factories import ProjectFactory, project_visit
from ..service.factories import (
    A,
    VisitFactory,
    act,
    category,
    close,
    confirm,
    local,
    make_request,
    reopen,
    walk_to,
)

pytestmark = pytest.mark.django_db


def raw_service_values(start: date, end: date, unit_id: int | None = None) -> dict:
    """Campaign 1 counted straight from the records (the definitions in the brief, no roll-up)."""
    requests = Request.objects.filter(received_on__gte=start, received_on__lte=end, project_link__isnull=True)
    due = Request.objects.filter(
        project_link__isnull=True,
        close_due__gte=end_of_period(date.fromordinal(start.toordinal() - 1)),
        close_due__lt=end_of_period(end),
    ).exclude(status=Status.WITHDRAWN)
    visits = Visit.objects.filter(
        visited_on__gte=start, visited_on__lte=end, project_link__isnull=True, rd_link__isnull=True
    )
    keys = Enterprise.objects.filter(is_key=True)
    if unit_id is not None:
        requests, due = requests.filter(handling_unit_id=unit_id), due.filter(handling_unit_id=unit_id)
        visits = visits.filter(Q(lead_unit_id=unit_id) | Q(joint_units__id=unit_id)).distinct()
        keys = keys.filter(unit_id=unit_id)
    closed = Q(status__in=CLOSED_STATUSES, closed_at__lt=end_of_period(end))
    c = requests.aggregate(
        n=Count("id"),
        closed=Count("id", filter=closed),
        on_time=Count("id", filter=closed & Q(closed_on_time=True)),
        ack=Count("id", filter=Q(ack_on_time=True)),
        feedback=Count("id", filter=~Q(satisfaction="")),
        satisfied=Count("id", filter=Q(satisfaction__in=["satisfied", "basic"])),
        reopened=Count("id", filter=Q(reopen_count__gt=0)),
        withdrawn=Count("id", filter=Q(status=Status.WITHDRAWN)),
    )
    days = list(
        requests.filter(closed, workdays_to_close__isnull=False).values_list("workdays_to_close", flat=True)
    )
    d = due.aggregate(
        due=Count("id"), on_time=Count("id", filter=Q(closed_on_time=True, status__in=CLOSED_STATUSES))
    )
    visited = Visit.objects.filter(enterprise=OuterRef("pk"), visited_on__gte=start, visited_on__lte=end)
    k = keys.aggregate(total=Count("id"), visited=Count("id", filter=Exists(visited)))
    return {
        "key_enterprises": k["total"],
        "key_enterprises_visited": k["visited"],
        "visit_coverage_pct": pct(k["visited"], k["total"]),
        "visits": visits.count(),
        "requests": c["n"],
        "requests_closed": c["closed"],
        "closure_rate_pct": pct(c["closed"], c["n"]),
        "closed_on_time": c["on_time"],
        "on_time_rate_pct": pct(c["on_time"], c["closed"]),
        "on_time_due_rate_pct": pct(d["on_time"], d["due"]),
        "same_day_ack_rate_pct": pct(c["ack"], c["n"]),
        "satisfaction_rate_pct": pct(c["satisfied"], c["feedback"]),
        "reopened": c["reopened"],
        "withdrawn": c["withdrawn"],
        "avg_workdays_to_close": (Decimal(sum(days)) / len(days)).quantize(Decimal("0.1"), ROUND_HALF_UP)
        if days
        else None,
    }


@pytest.fixture
def history(staff_a, colleague_a, staff_b, manager_a, leader, unit_a, unit_b):
    """Four months of requests and visits of units A and B, written through the services."""
    key_a1, key_a2 = EnterpriseFactory(unit=unit_a, is_key=True), EnterpriseFactory(unit=unit_a, is_key=True)
    key_b = EnterpriseFactory(unit=unit_b, is_key=True)

    def request(at, unit=unit_a, enterprise=key_a1):
        return make_request(staff_a, at=at, handling_unit=unit, enterprise=enterprise)

    # January: one closed in February; one received at 23:59:59 on 31 January, closed and confirmed next day
    jan = request(local(2024, 1, 15, 10))
    walk_to(jan, "in_progress", handler=colleague_a, manager=manager_a, at=local(2024, 1, 15, 11))
    close(Request.objects.get(pk=jan.pk), colleague_a, local(2024, 2, 5, 9))
    late = request(local(2024, 1, 31, 23, 59, 59))
    walk_to(late, "confirmed", handler=colleague_a, manager=manager_a, at=local(2024, 2, 1, 9))
    # February: closed 10 March; closed 20 March; reopened; withdrawn; transferred from A to B
    for day, closed_on in ((1, 10), (20, 20)):
        r = request(local(2024, 2, day, 10))
        walk_to(r, "in_progress", handler=colleague_a, manager=manager_a, at=local(2024, 2, day, 11))
        close(Request.objects.get(pk=r.pk), colleague_a, local(2024, 3, closed_on, 9))
    again = request(local(2024, 2, 6, 10))
    walk_to(again, "closed", handler=colleague_a, manager=manager_a, at=local(2024, 2, 6, 11))
    reopen(Request.objects.get(pk=again.pk), manager_a, local(2024, 2, 8, 9))
    gone = request(local(2024, 2, 7, 10))
    walk_to(gone, "withdrawn", handler=staff_a, manager=manager_a, at=local(2024, 2, 7, 11))
    moved = request(local(2024, 2, 12, 10))
    act(moved, A.TRANSFER, manager_a, local(2024, 2, 12, 11), unit=unit_b)
    # March and April, unit B
    for day in (3, 31):
        r = request(local(2024, 3, day, 10), unit=unit_b, enterprise=key_b)
        walk_to(r, "closed", handler=staff_b, manager=manager_a, at=local(2024, 3, day, 11))
    confirm(
        Request.objects.filter(handling_unit=unit_b, status="closed").first(), manager_a, local(2024, 4, 2, 9)
    )
    request(local(2024, 4, 2, 10), unit=unit_b, enterprise=key_b)
    # a project problem, raised at a project visit: counted under projects, not here
    project = ProjectFactory(unit=unit_a)
    visit = project_visit(
        project,
        staff_a,
        date(2024, 2, 14),
        [{"category": category(), "title": "施工许可", "handling_unit": unit_a}],
    )
    problem = visit.requests.get()
    walk_to(problem, "in_progress", handler=colleague_a, manager=manager_a, at=local(2024, 2, 14, 11))
    close(Request.objects.get(pk=problem.pk), colleague_a, local(2024, 3, 2, 9))  # solved in March
    other = ProjectFactory(unit=unit_b)
    project_visit(other, staff_b, date(2024, 1, 9))
    project_visit(project, staff_a, date(2024, 3, 20))

    # visits: joint ones, at the end of a leap month, in April
    VisitFactory(created_by=staff_a, enterprise=key_a1, visited_on=date(2024, 1, 10), joint_units=[unit_b])
    VisitFactory(created_by=staff_b, enterprise=key_b, visited_on=date(2024, 2, 29))
    VisitFactory(created_by=staff_a, enterprise=key_a2, visited_on=date(2024, 2, 25))
    VisitFactory(created_by=staff_a, enterprise=key_a2, visited_on=date(2024, 3, 15), joint_units=[unit_b])
    VisitFactory(created_by=staff_b, enterprise=key_b, visited_on=date(2024, 4, 1))
    # coverage follows the enterprises: one made key after its visit, one key enterprise handed to unit B
    made_key = EnterpriseFactory(unit=unit_a, is_key=False)
    VisitFactory(created_by=staff_a, enterprise=made_key, visited_on=date(2024, 2, 5))
    enterprise_services.enterprise_update(enterprise=made_key, by=leader, is_key=True)
    enterprise_services.enterprise_update(enterprise=key_a2, by=leader, unit=unit_b)
    return {"a": unit_a, "b": unit_b}


SPANS = [
    (date(2024, 1, 1), date(2024, 4, 30)),  # whole months only
    (date(2024, 1, 1), date(2024, 3, 15)),  # closings after the end of the last partial month
    (date(2024, 1, 15), date(2024, 3, 15)),  # two partial edges
    (date(2024, 2, 1), date(2024, 2, 29)),  # one whole month
    (date(2024, 2, 10), date(2024, 2, 20)),  # within one month
    (date(2024, 1, 31), date(2024, 3, 9)),  # closings on the 10th and the 20th fall after the end
    (date(2024, 2, 1), date(2024, 3, 31)),
]


def test_roll_ups_kept_on_write_equal_a_rebuild(history):
    kept = rollups.kept()
    assert kept["service_requestmonth"], "the dataset wrote roll-up rows"
    assert rollups.differences() == {}
    rollups.rebuild()
    assert rollups.kept() == kept


@pytest.mark.parametrize(("start", "end"), SPANS)
def test_every_service_figure_equals_the_records(history, start, end):
    for unit_id in (None, history["a"].pk, history["b"].pk):
        assert service_values(start=start, end=end, unit_id=unit_id) == raw_service_values(
            start, end, unit_id
        )


def test_the_dataset_reaches_the_edges(history):
    """The comparisons above are worth something: the awkward cases are in the figures."""
    values = raw_service_values(date(2024, 1, 1), date(2024, 3, 15))
    assert values["requests"] == 8  # 2 in January (one at 23:59:59 on the 31st), 5 in February, 1 in March
    assert values["requests_closed"] == 4  # closed 5 Feb, 1 Feb, 10 Mar, 3 Mar; not the one closed 20 Mar
    assert values["reopened"] == 1 and values["withdrawn"] == 1
    assert service_values(start=date(2024, 1, 1), end=date(2024, 1, 31))["requests"] == 2
    by_b = service_values(start=date(2024, 2, 1), end=date(2024, 2, 29), unit_id=history["b"].pk)
    assert by_b["requests"] == 1  # the transferred request counts for B, not A
    assert (
        service_values(start=date(2024, 3, 1), end=date(2024, 3, 31))["visits"] == 1
    )  # not the project visit
    # 25 and 29 February and the one of the enterprise made key afterwards; not the project visit of the 14th
    assert service_values(start=date(2024, 2, 1), end=date(2024, 2, 29))["visits"] == 3
    # coverage by the enterprises' units now: B has key_b and key_a2 (handed over), both visited in February
    feb = {"start": date(2024, 2, 1), "end": date(2024, 2, 29)}
    by_a, by_b = (service_values(**feb, unit_id=history[u].pk) for u in "ab")
    assert (by_b["key_enterprises"], by_b["key_enterprises_visited"]) == (2, 2)
    assert (by_a["key_enterprises"], by_a["key_enterprises_visited"]) == (2, 1)  # made_key on 5 Feb


def test_a_span_of_whole_months_reads_no_request_or_visit_row(history):
    with CaptureQueriesContext(connection) as queries:
        service_values(start=date(2024, 1, 1), end=date(2024, 4, 30))
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert '"service_request"' not in sql
    assert '"service_visit"' not in sql


def test_query_count_does_not_depend_on_the_span(history):
    counts = []
    for start, end in ((date(2024, 1, 3), date(2024, 3, 9)), (date(2023, 2, 3), date(2024, 3, 9))):
        with CaptureQueriesContext(connection) as queries:
            service_values(start=start, end=end)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def raw_project_flows(start: date, end: date, unit_id: int | None) -> dict:
    projects = Project.objects.all() if unit_id is None else Project.objects.filter(unit_id=unit_id)
    problems = ProjectProblem.objects.filter(project__in=projects)
    return {
        "project_visits": ProjectVisit.objects.filter(
            project__in=projects, visit__visited_on__gte=start, visit__visited_on__lte=end
        ).count(),
        "problems_raised": problems.filter(
            request__received_on__gte=start, request__received_on__lte=end
        ).count(),
        "problems_solved": problems.filter(
            request__status__in=CLOSED_STATUSES,
            request__outcome="solved",
            request__closed_at__gte=end_of_period(date.fromordinal(start.toordinal() - 1)),
            request__closed_at__lt=end_of_period(end),
        ).count(),
    }


@pytest.mark.parametrize(("start", "end"), SPANS)
def test_project_flows_equal_the_records(history, start, end):
    for unit_id in (None, history["a"].pk, history["b"].pk):
        values = project_values(start=start, end=end, unit_id=unit_id)
        assert {k: values[k] for k in ("project_visits", "problems_raised", "problems_solved")} == (
            raw_project_flows(start, end, unit_id)
        )


def test_project_flows_reach_the_edges(history):
    march = project_values(start=date(2024, 3, 1), end=date(2024, 3, 31))
    assert (march["project_visits"], march["problems_raised"], march["problems_solved"]) == (1, 0, 1)
    february = project_values(start=date(2024, 2, 1), end=date(2024, 2, 29))
    assert (february["project_visits"], february["problems_raised"], february["problems_solved"]) == (1, 1, 0)
    january_b = project_values(start=date(2024, 1, 1), end=date(2024, 1, 31), unit_id=history["b"].pk)
    assert january_b["project_visits"] == 1


def test_a_project_moving_to_another_unit_takes_its_flows_along(history, leader):
    project = Project.objects.get(unit=history["b"])
    project_services.project_save(by=leader, project=project, unit=history["a"])
    january = {"start": date(2024, 1, 1), "end": date(2024, 1, 31)}
    assert project_values(**january, unit_id=history["b"].pk)["project_visits"] == 0
    assert project_values(**january, unit_id=history["a"].pk)["project_visits"] == 1
    assert rollups.differences() == {}


def test_the_month_so_far_reads_the_roll_up_and_equals_the_records(history, monkeypatch):
    """A period ending today reads the current month from the roll-up (nothing happens after today)."""
    monkeypatch.setattr(timezone, "localdate", lambda: date(2024, 4, 20))
    start, end = date(2024, 4, 1), date(2024, 4, 20)
    assert service_values(start=start, end=end) == raw_service_values(start, end)
    with CaptureQueriesContext(connection) as queries:
        counts = request_counts(start, end)
    assert counts["n"] == 1  # the request of 2 April
    assert '"service_request"' not in " ".join(q["sql"] for q in queries.captured_queries)
