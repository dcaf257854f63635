"""A staff member's unfiltered request list is read as a union of its unit's three arms (handled; logged and
handled elsewhere; co-handled only), each arm's first entries from its own index in the list's order
(Request.objects.visible_arms, apps.core.querysets.OrderedUnion): every page holds exactly the rows, in
exactly the order, of the same list read as one query — first, middle and last pages, past the count's cap
too. Read as that one query (an OR), a page of most units' lists walked the district's list order past every
other unit's requests: 40–85 ms at province scale for a unit with a few thousand requests."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts import roles
from apps.core.batch import composed_rows
from apps.core.querysets import OrderedUnion
from apps.service import selectors
from apps.service.models import Request
from apps.service.views import requests as request_views

from ..conftest import client_for
from ..factories import UserFactory
from .factories import local, make_request

pytestmark = pytest.mark.django_db

LIST = reverse("service:request_list")


@pytest.fixture(autouse=True)
def no_busy_unit(monkeypatch):
    """On a test's few units each has a large share of the requests: none is busy here, unless a test says."""
    monkeypatch.setattr(selectors, "BUSY_SHARE", 1.01)


@pytest.fixture
def requests(staff_a, staff_b, unit_a, unit_b):
    """80 requests unit A sees among 90, received over a week with ties (the order ends on the id)."""
    first = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10))
    fields = {f.attname: getattr(first, f.attname) for f in Request._meta.concrete_fields}
    del fields["id"]
    b = unit_b.pk

    def made(n, **changes):
        return Request.objects.bulk_create(
            Request(**fields | {"received_at": first.received_at - timedelta(days=i % 7)} | changes)
            for i in range(n)
        )

    made(24, logged_unit_id=b)  # handled by A
    made(25, handling_unit_id=b)  # logged by A, handled by B
    made(10, handling_unit_id=None, handler_id=None, status="new")  # logged by A, not dispatched yet
    co_handled = made(15, logged_unit_id=b, handling_unit_id=b)  # co-handled by A only
    both = made(5, logged_unit_id=b)  # handled and co-handled by A: listed once
    for request in co_handled + both:
        request.co_units.add(unit_a)
    made(10, logged_unit_id=b, handling_unit_id=b)  # none of A's
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE service_request")
    return first


def one_query(user):
    return Request.objects.visible_to(user).order_by("-received_at", "-id")


def test_the_union_reads_the_same_rows_in_the_same_order_as_one_query(staff_a, requests):
    expected = list(one_query(staff_a).values_list("pk", flat=True))
    assert len(expected) == 80
    arms = Request.objects.visible_arms(staff_a)
    union = OrderedUnion(one_query(staff_a), arms, within=Request.objects.all())
    assert union.count_upto(1000) == 80 and union.count_upto(10) == 10
    for bottom, top in ((0, 20), (20, 40), (60, 80)):
        assert [r.pk for r in union[bottom:top]] == expected[bottom:top]
    assert [r.pk for r in union.reverse()[0:5]] == expected[::-1][0:5]


@pytest.mark.parametrize("query", ["", "status=dispatched"])
@pytest.mark.parametrize(("cap", "size"), [(1000, 20), (30, 10)])
def test_every_page_shows_what_the_one_query_shows(staff_a, requests, query, cap, size, monkeypatch):
    """Through the arms (unfiltered) and as the OR (filtered), under the count's cap and past it (pages then
    go forward up to the cap, and the last page is read on its own, from the other end)."""
    from apps.core.views import TwoEndedPaginator
    from apps.service.views.requests import RequestListView

    monkeypatch.setattr(TwoEndedPaginator, "cap", cap)
    monkeypatch.setattr(RequestListView, "paginate_by", size)
    expected = list(one_query(staff_a).values_list("pk", flat=True))
    if query:
        expected = list(one_query(staff_a).filter(status="dispatched").values_list("pk", flat=True))
        assert 40 < len(expected) < 80
    client = client_for(staff_a)
    shown = []
    for page in ("1", "2", "3"):
        response = client.get(f"{LIST}?{query}&page={page}")
        assert response.status_code == 200
        assert response.context["paginator"].count == min(len(expected), cap + 1)
        shown += [row.pk for row in response.context["object_list"]]
    assert shown == expected[: 3 * size]
    last = client.get(f"{LIST}?{query}&page=last")
    tail = len(expected) % size if cap > len(expected) else 0
    assert [row.pk for row in last.context["object_list"]] == expected[-(tail or size) :]


def _union_queries(user, query: str = "") -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client_for(user).get(f"{LIST}?{query}").status_code == 200
    # the page's ids (the count's union is another test's)
    return [q["sql"] for q in captured if "UNION ALL" in q["sql"] and not q["sql"].startswith("SELECT COUNT")]


def test_the_arms_find_an_unfiltered_page_and_the_one_query_a_filtered_one(staff_a, requests, leader):
    """Filtered, the OR is answered from the filter's index, and an arm's index in the list's order can be a
    poor way to its rows (a person, a month long past, a search); a leader sees every request, one query."""
    for query in ("", "page=2"):
        [union] = _union_queries(staff_a, query)  # the page's ids
        assert union.count("UNION ALL") == 2, union  # three arms
    for query in ("status=dispatched", "q=人才", f"handler={staff_a.pk}", "date_from=2024-03-01"):
        assert _union_queries(staff_a, query) == [], query
    assert _union_queries(leader) == []


def test_each_arm_reads_its_first_entries_from_its_own_index_in_the_list_order(staff_a, requests):
    [union] = _union_queries(staff_a)
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):  # as at scale
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN {union}")
        explained = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using request_unit_list_order" in explained, explained
    assert "using request_logged_list_order" in explained, explained
    unit_arms = explained.split("InitPlan")[0]  # the co-handled arm (a unit's few) is read by their ids
    assert "request_list_order on" not in unit_arms, explained  # not the district's whole list
    assert explained.count("Limit") == 4, explained  # each arm's first entries, and the page's


def test_an_unfiltered_list_is_counted_through_the_arms_own_indexes_in_no_order(staff_a, requests):
    """Counted as the OR, PostgreSQL read a bitmap of the unit's rows from the table's pages (2.7 ms for a
    middle unit's 1,001 requests at province scale, after planning the query twice for count_upto's
    estimate); through the arms in list order, reading a thousand entries of each took 45-155 ms. In no
    order, each arm is read from its own index alone (0.3 ms), and the count is exact."""
    with CaptureQueriesContext(connection) as captured:
        response = client_for(staff_a).get(LIST)
    assert response.status_code == 200 and response.context["paginator"].count == 80
    statements = [q["sql"] for q in captured]
    assert not [sql for sql in statements if "count_upto" in sql], statements
    [count] = [sql for sql in statements if sql.startswith("SELECT COUNT(*)")]
    assert count.count("UNION ALL") == 2 and "ORDER BY" not in count, count
    with connection.cursor() as cursor:
        # the table's pages all-visible, as at scale once vacuumed: a VACUUM here cannot mark them while
        # another test's transaction runs on the same server (what it saw depended on the other worker); the
        # statistics are written within this test's transaction and rolled back with it
        cursor.execute("ANALYZE service_request")
        cursor.execute("UPDATE pg_class SET relallvisible = relpages WHERE oid = 'service_request'::regclass")
        for setting in ("enable_seqscan", "enable_bitmapscan"):  # as at scale
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN {count}")
        explained = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using request_unit_list_order" in explained, explained
    assert "Index Only Scan using request_logged_list_order" in explained, explained
    assert "Sort" not in explained, explained


def test_a_busy_units_list_is_read_as_the_one_query(staff_a, staff_b, unit_a, unit_b, requests, monkeypatch):
    """A unit with 3% or more of the district's requests of the last three months (the roll-up) finds a page
    among the district list order's first entries: through the arms the busiest unit's page cost 5 ms more
    at province scale (twelve connections 120 → 97 requests/s)."""
    monkeypatch.setattr(selectors, "BUSY_SHARE", 0.03)
    make_request(staff_a, handling_unit=unit_a, at=timezone.now() - timedelta(days=40))  # A: 1 of them
    for _ in range(30):  # B: 30 of the last three months' 31
        make_request(staff_b, handling_unit=unit_b, at=timezone.now() - timedelta(days=1))
    assert selectors.busy_units() == {unit_a.pk, unit_b.pk}
    selectors.clear_busy_units()
    monkeypatch.setattr(selectors, "BUSY_SHARE", 0.04)  # A: 1 of 31, 3.2%
    assert selectors.busy_units() == {unit_b.pk}
    assert _union_queries(staff_b) == []
    assert len(_union_queries(staff_a)) == 1


def test_a_page_found_through_the_arms_reads_its_rows_by_their_ids_alone(staff_a, requests):
    """The page's ids are known once the arms have found them: its rows are read by those ids, the rule
    checked on the same rows, not as a subquery of the table itself (the planner weighed every index of the
    request table twice for it: 1.6-2.5 ms of planning at province scale against 0.8-1.0)."""
    with CaptureQueriesContext(connection) as captured:
        response = client_for(staff_a).get(LIST)
    assert response.status_code == 200
    [rows] = [q["sql"] for q in captured if '"service_request"."title"' in q["sql"]]
    assert rows.count('FROM "service_request"') == 1, rows
    assert '"service_request"."handling_unit_id" = ' in rows, rows  # the rule, on the rows themselves
    ids = [row.pk for row in response.context["page_obj"].object_list]
    assert ids == list(one_query(staff_a).values_list("pk", flat=True)[:50])


def test_a_units_unfiltered_list_composes_its_union_once_per_process(
    staff_a, colleague_a, staff_b, requests, monkeypatch
):
    """Composing a unit's three-armed union cost 1.3-1.5 ms of Python per statement (the count and the
    page's ids) at province scale, PostgreSQL 0.3-0.8 ms to run it: their SQL is composed once per process
    for the unit and the statement's shape, and run on every page. Another unit's list, another page or a
    filtered one is composed for itself; each still shows exactly what the one query shows."""
    composed_rows.cache_clear()  # kept per process: this test counts its own compositions from none
    composed = []
    union = OrderedUnion._union
    monkeypatch.setattr(OrderedUnion, "_union", lambda self, *a: composed.append(1) or union(self, *a))

    def page(user, query=""):
        composed.clear()
        response = client_for(user).get(f"{LIST}?{query}")
        assert response.status_code == 200
        return [row.pk for row in response.context["object_list"]], len(composed)

    expected = list(one_query(staff_a).values_list("pk", flat=True))
    assert page(staff_a) == (expected[:50], 2)  # the count and the first page's ids, composed
    assert page(colleague_a) == (expected[:50], 0)  # the same unit's: run as composed
    assert page(staff_a, "page=2") == (expected[50:], 1)  # another shape: its ids
    assert page(staff_a, "page=2") == (expected[50:], 0)
    theirs = list(one_query(staff_b).values_list("pk", flat=True))
    assert page(staff_b) == (theirs[:50], 2)  # another unit
    closed = list(one_query(staff_a).filter(status="closed").values_list("pk", flat=True))
    assert page(staff_a, "status=closed")[0] == closed[:50]  # filtered: the one query, no union


def test_a_units_page_reads_its_rows_in_a_statement_composed_once_for_any_page(
    staff_a, colleague_a, unit_a, requests, composed_sql
):
    """The page's rows (the table's columns, through the list's visibility rule) were composed again on
    every view, ~2 ms of Python for a request table at province scale: they are composed once per process
    for the unit's list and its order, with the page's ids as one parameter."""
    expected = list(one_query(staff_a).values_list("pk", flat=True))
    client_for(staff_a).get(LIST)
    client_for(staff_a).get(f"{LIST}?page=2")  # its ids composed too
    composed_sql.clear()

    second = client_for(colleague_a).get(f"{LIST}?page=2")
    compiled = [sql for sql in composed_sql if '"service_request"' in sql]

    assert compiled == []  # the count, the page's ids and its rows: composed before
    assert [row.pk for row in second.context["object_list"]] == expected[50:]
    newest = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 5, 9))
    composed_sql.clear()

    first = client_for(staff_a).get(LIST)
    compiled = [sql for sql in composed_sql if '"service_request"' in sql]

    assert compiled == []
    rows = first.context["object_list"]
    assert [row.pk for row in rows] == [newest.pk, *expected[:49]]  # read afresh
    assert (rows[0].title, rows[0].status) == (newest.title, newest.status)


def test_an_unfiltered_page_read_as_one_query_reads_its_rows_in_a_statement_composed_once(
    staff_a, colleague_a, unit_a, requests, composed_sql, monkeypatch
):
    """Read as one query — a leader's list, a busy unit's — an unfiltered page's rows were composed again on
    every view (~1.3 ms of Python for a request table at province scale): they are composed once per process
    for what the list is chosen by (every unit, or the unit) and the page, then read afresh. A leader of the
    same unit has statements of their own: a staff member never reads a leader's rows."""
    monkeypatch.setattr(request_views, "busy_units", lambda: frozenset({unit_a.pk}))
    leader_a = UserFactory(username="leader_a", unit=unit_a, role=roles.LEADER)
    everything = list(Request.objects.order_by("-received_at", "-id").values_list("pk", flat=True))
    theirs = list(one_query(staff_a).values_list("pk", flat=True))
    assert (len(everything), len(theirs)) == (90, 80)

    def shown(response):
        return [row.pk for row in response.context["object_list"]]

    def pages_composed():  # the page's rows: the table's statement (the count is composed on each view)
        return [sql for sql in composed_sql if '"service_request"' in sql and "LIMIT" in sql]

    assert shown(client_for(leader_a).get(LIST)) == everything[:50]
    client_for(staff_a).get(LIST)
    client_for(staff_a).get(f"{LIST}?page=2")
    composed_sql.clear()

    second = client_for(colleague_a).get(f"{LIST}?page=2")

    assert pages_composed() == []
    assert shown(second) == theirs[50:]  # the unit's: not the leader's, composed first under the same unit
    newest = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 5, 9))
    composed_sql.clear()

    first = client_for(staff_a).get(LIST)
    by_leader = client_for(leader_a).get(LIST)

    assert pages_composed() == []
    assert shown(first) == [newest.pk, *theirs[:49]]  # read afresh
    assert (first.context["object_list"][0].title, first.context["object_list"][0].status) == (
        newest.title,
        newest.status,
    )
    assert shown(by_leader) == [newest.pk, *everything[:49]]
    filtered = client_for(staff_a).get(f"{LIST}?status=dispatched")  # filtered: composed on each view
    assert pages_composed() != []
    assert filtered.status_code == 200
