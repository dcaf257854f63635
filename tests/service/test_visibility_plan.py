"""A staff member's request list is answered from indexes (issue #15's defect): `Request.objects.visible_to`
ORs the requests the unit logged, handles and co-handles. Written with `id IN (subquery)` for the last, that
OR was a filter PostgreSQL evaluated on every request — a sequential scan of the whole table to count a unit's
few thousand at province scale. Each arm must be an index condition, so the three are ORed as bitmaps.

On a test database's few rows a scan is the cheaper plan, and for the first page so is walking the list's
order index and filtering each entry (which PostgreSQL picks or not depending on its statistics of the
moment), so the plans are read with `enable_seqscan` and `enable_indexscan` off: what is left is what
PostgreSQL *can* do from bitmaps of the unit's index entries; a filter it cannot index still shows as a scan
of every row."""

import pytest
from django.db import connection

from apps.projects.models import Project
from apps.service.models import Request, Visit

from ..factories import UnitFactory
from ..projects.factories import ProjectFactory, TaskForceMemberFactory
from .factories import VisitFactory, make_request

pytestmark = pytest.mark.django_db


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_staff_members_request_count_and_first_page_are_read_from_indexes(staff_a, staff_b, unit_a, unit_b):
    mine = make_request(staff_a, handling_unit=unit_b)  # logged by A
    make_request(staff_b, handling_unit=unit_a)  # handled by A
    other = make_request(staff_b, handling_unit=unit_b)
    other.co_units.add(unit_a)  # co-handled by A
    none_of_as = make_request(staff_b, handling_unit=unit_b)
    # and 2,000 more none of A's, analyzed: on a few rows without statistics PostgreSQL 15 chose a bitmap of
    # one whole index (request_logged_list_order) filtered by the OR, a plan no larger table gets
    fields = {f.attname: getattr(none_of_as, f.attname) for f in Request._meta.concrete_fields}
    del fields["id"]
    Request.objects.bulk_create(Request(**fields) for _ in range(2000))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE service_request")
    visible = Request.objects.visible_to(staff_a)
    assert visible.count() == 3 and mine in visible
    for queryset in (visible.values("pk"), visible.order_by("-received_at", "-id")[:50]):
        explained = plan(queryset)
        assert "BitmapOr" in explained, explained
        scans = [line for line in explained.splitlines() if "on service_request " in line + " "]
        assert all("Bitmap" in line for line in scans), explained  # no scan of every request


def assert_from_unit_indexes(queryset, table: str):
    """Every read of `table` is bounded by an index condition (no scan of every row or index entry), and no
    DISTINCT."""
    for candidate in (queryset.values("pk"), queryset[:50]):
        explained = plan(candidate)
        lines = explained.splitlines()
        reads = [i for i, line in enumerate(lines) if "Index Scan" in line or f"on {table} " in line + " "]
        assert reads and "Seq Scan" not in explained, explained
        for i in reads:
            if "Index Scan" in lines[i]:
                assert "Index Cond" in lines[i + 1], explained  # a bitmap of the unit's entries, not all
        assert "Unique" not in explained and "HashAggregate" not in explained, explained


def others(instance, n: int, **changes):
    """`n` copies of `instance` (another unit's rows), so the table is big enough for PostgreSQL's plans to be
    the ones it makes at scale: on a handful of rows, reading a whole small index is as cheap as anything."""
    model = type(instance)
    fields = {
        f.attname: getattr(instance, f.attname) for f in model._meta.concrete_fields if not f.primary_key
    }
    model.objects.bulk_create(model(**fields | {k: v(i) for k, v in changes.items()}) for i in range(n))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {model._meta.db_table}")


def test_a_staff_members_visits_are_read_from_indexes_without_distinct(staff_a, staff_b, unit_a):
    """The visit list ORed the lead unit with a join to the joint units and a DISTINCT over every visit: a
    scan of all 600,000 visits for a staff member at province scale (320 ms)."""
    led = VisitFactory(created_by=staff_a)
    joined = VisitFactory(created_by=staff_b)
    joined.joint_units.add(unit_a)
    others(VisitFactory(created_by=staff_b), 3000)
    visible = Visit.objects.visible_to(staff_a)
    assert set(visible) == {led, joined}
    assert_from_unit_indexes(visible.order_by("-visited_on", "-pk"), "service_visit")


def test_a_staff_members_projects_are_read_from_indexes(staff_a, staff_b, unit_b):
    own = ProjectFactory(unit=staff_a.unit)
    served = ProjectFactory(unit=unit_b)
    TaskForceMemberFactory(project=served, user=staff_a)
    others(ProjectFactory(unit=unit_b), 3000, code=lambda i: f"B-{i:05d}")
    visible = Project.objects.visible_to(staff_a)
    assert set(visible) == {own, served}
    assert_from_unit_indexes(visible.order_by("code"), "projects_project")


def test_a_staff_members_status_filtered_requests_are_found_by_unit_and_status(staff_a, unit_b):
    """Filtered by status, the list is the OR of the unit's arms (Request.objects.visible_to): the handled arm
    was read by (unit, status), but the logged arm among every request the unit logged, each read from the
    table to check its status (a middle unit's 1,337 at province scale, to keep its 200 closed ones)."""
    closed = make_request(staff_a, handling_unit=unit_b)  # logged by A, handled by B
    Request.objects.filter(pk=closed.pk).update(status="closed")
    closed.refresh_from_db()
    # twenty units' logged requests, half of them closed: A's open ones and the others' (as at scale, a unit
    # logs a small share of the requests, and the closed are many)
    logged_by = [staff_a.unit_id] + [UnitFactory().pk for _ in range(19)]
    open_or_closed = lambda i: "in_progress" if i % 20 == 0 or i % 40 < 20 else "closed"  # noqa: E731
    others(closed, 4000, logged_unit_id=lambda i: logged_by[i % 20], status=open_or_closed)
    visible = Request.objects.visible_to(staff_a).filter(status="closed")
    assert list(visible) == [closed]
    explained = plan(visible.values("pk")).splitlines()
    [logged] = [i for i, line in enumerate(explained) if "logged_unit" in line and "Index Scan" in line]
    assert "on request_logged_unit_status" in explained[logged], explained
    assert "status" in explained[logged + 1], explained  # its Index Cond: the unit and the status
