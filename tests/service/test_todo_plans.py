"""My to-do and the unit's to-do are read from their indexes (#15): a handler of the busiest unit at province
scale has ~4,800 open items; sorting them all for a page of 50, and reading every one from the table to count
the overdue, cost ~23 ms of a 48 ms page. The indexes request_todo / request_unit_todo hold the lists' order
(urgency rank, deadline, id) over the open items, so a page reads its 50 entries (and, on a vacuumed table,
the counts come from the index alone: request_todo includes every column they read);
request_extension_asked holds the few items with an extension to decide.

The queries are those the pages run (captured), explained with sequential scans, bitmap scans and sorts
made unattractive, as on a test database's few rows any plan is cheap: what is left is what PostgreSQL can
do from the indexes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.service.models import Request

from ..conftest import client_for
from .factories import local, make_request, walk_to

pytestmark = pytest.mark.django_db


def captured_sql(user, url) -> list[str]:
    client = client_for(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def plan(sql: str, *also_off: str) -> str:
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort", *also_off):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def open_items(staff_a, colleague_a, manager_a, unit_a):
    items = [
        walk_to(
            make_request(staff_a, handling_unit=unit_a, at=local(2026, 3, 2, 10)),
            "in_progress",
            handler=staff_a,
            manager=manager_a,
            at=local(2026, 3, 2, 10),
        )
        for _ in range(3)
    ]
    Request.objects.filter(pk=items[0].pk).update(pending_extension_days=5)
    # a colleague's 2,000 open items in the same unit: a unit-wide read is no longer as cheap as the handler's
    fields = {f.attname: getattr(items[1], f.attname) for f in Request._meta.concrete_fields}
    del fields["id"]
    Request.objects.bulk_create(Request(**fields | {"handler_id": colleague_a.pk}) for _ in range(2000))
    # and the handler's own 2,000 closed ones: reading all the handler's items is dearer than the open ones
    Request.objects.bulk_create(Request(**fields | {"status": "closed"}) for _ in range(2000))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE service_request")
    return items


def test_my_todo_reads_its_page_and_counts_from_the_index(staff_a, open_items):
    queries = captured_sql(staff_a, reverse("service:todo"))
    page = next(sql for sql in queries if "ORDER BY CASE WHEN" in sql)
    explained = plan(page)
    assert "using request_todo" in explained, explained
    assert "Sort Key: (CASE" not in explained.split("SubPlan")[0].split("Limit")[1], explained  # no sort


def test_the_unit_todo_reads_its_page_and_extensions_from_indexes(manager_a, open_items):
    queries = captured_sql(manager_a, reverse("service:unit_todo"))
    page = next(sql for sql in queries if "ORDER BY" in sql and "CASE WHEN" in sql and "LIMIT" in sql)
    explained = plan(page)
    assert "using request_unit_todo" in explained, explained
    assert "Sort" not in explained.split("SubPlan")[0], explained
    extensions = [sql for sql in queries if '"pending_extension_days" > 0' in sql]
    assert len(extensions) == 2  # counted and listed
    for sql in extensions:
        assert "using request_extension_asked" in plan(sql), plan(sql)


def test_the_unit_todo_counts_its_three_sections_in_one_round_trip(manager_a, open_items):
    """Each section's paginator counted its rows with a query of its own: three round trips a page."""
    client = client_for(manager_a)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("service:unit_todo"))
    counts = [query["sql"] for query in captured.captured_queries if "COUNT(" in query["sql"]]
    assert len(counts) == 1 and counts[0].count("COUNT(*)") == 3
    sections = ("page_obj", "extensions", "to_confirm")
    assert [response.context[name].paginator.count for name in sections] == [2003, 1, 2000]
    assert [len(response.context[name].object_list) for name in sections] == [50, 1, 50]


def test_the_unit_todo_reads_its_requests_to_confirm_from_their_own_index(manager_a, open_items):
    """The closed requests awaiting the enterprise's feedback ("to confirm") were read by walking every closed
    request of the district in closing order, keeping the unit's (1.8 ms at province scale, ~2,000 entries
    for a page of 50), and counted from the unit's index of every status. A partial index holds the unit's
    closed requests in closing order: the page reads its 50 entries (and, on a vacuumed table, the count
    reads the index alone: not asserted on a test table never vacuumed)."""
    queries = captured_sql(manager_a, reverse("service:unit_todo"))
    [page] = [sql for sql in queries if "ORDER BY" in sql and '"closed_at"' in sql and "LIMIT" in sql]
    explained = plan(page)
    assert "using request_unit_to_confirm" in explained, explained
    assert "Sort" not in explained.split("SubPlan")[0], explained


@pytest.fixture
def waiting_and_dispatched(staff_a, unit_a):
    """Three requests waiting for a unit among 2,000 already dispatched: the desk's queue is a small part of
    the table (1,666 of 1,000,000 at province scale)."""
    waiting = [make_request(staff_a, at=local(2026, 3, 2, 10 + hour)) for hour in range(3)]
    fields = {f.attname: getattr(waiting[0], f.attname) for f in Request._meta.concrete_fields}
    del fields["id"]
    Request.objects.bulk_create(
        Request(**fields | {"status": "dispatched", "handling_unit_id": unit_a.pk}) for _ in range(2000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE service_request")
    return waiting


def test_the_dispatch_desk_reads_the_queue_in_order_from_its_own_index(leader, waiting_and_dispatched):
    """Before: the oldest waiting requests were found by walking the whole list order (received_at, id)
    backwards and dropping every request no longer new — 45,306 index entries for the first page at
    province scale (10 ms)."""
    queries = captured_sql(leader, reverse("service:dispatch_desk"))
    page = next(sql for sql in queries if "LIMIT" in sql and '"received_at" ASC' in sql)
    explained = plan(page)
    assert "using request_dispatch_queue" in explained, explained
    assert "Sort Key" not in explained.split("SubPlan")[0].split("Limit")[-1], explained


def test_a_units_dispatch_desk_reads_its_own_queue_from_its_own_index(manager_a, waiting_and_dispatched):
    """A unit manager's desk holds the requests their unit logged that wait for a unit. PostgreSQL found them
    by ANDing the district's queue with every request the unit ever logged (75,400 entries for a quieter
    unit at province scale: 7 ms of the desk and again of the manager's home, which counts them), or here
    by walking the unit's history. A partial index holds each unit's waiting requests in order."""
    queries = captured_sql(manager_a, reverse("service:dispatch_desk"))
    page = next(sql for sql in queries if "LIMIT" in sql and '"received_at" ASC' in sql)
    explained = plan(page)
    assert "using request_unit_dispatch_queue" in explained, explained
    assert "Sort Key" not in explained.split("SubPlan")[0].split("Limit")[-1], explained


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_managers_home_counts_the_units_waiting_requests_from_their_index(
    manager_a, waiting_and_dispatched, unit_b
):
    """The manager's home counts the same requests with the rest of its figures; here among 2,000 other
    units' waiting requests too, as the district's queue holds more than one unit's, on a vacuumed table (as
    a live one is): the count reads the index alone."""
    fields = {f.attname: getattr(waiting_and_dispatched[0], f.attname) for f in Request._meta.concrete_fields}
    del fields["id"]
    Request.objects.bulk_create(Request(**fields | {"logged_unit_id": unit_b.pk}) for _ in range(2000))
    with connection.cursor() as cursor:  # outside a transaction: the test is transactional
        cursor.execute("VACUUM ANALYZE service_request")
    home = next(sql for sql in captured_sql(manager_a, reverse("home")) if sql.startswith("SELECT (SELECT"))
    explained = plan(home)
    assert "Index Only Scan using request_unit_dispatch_queue" in explained, explained
