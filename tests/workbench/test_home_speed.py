"""The home page at province scale (issue "Fast pages for everyone").

Before: the district's enterprise figures counted `id`, which no index holds with the key flag, so PostgreSQL
read the whole table of 200,000 enterprises (24–35 ms); now they count rows and key flags, which the
(is_key, unit) index answers alone. And the user's and the unit's overdue requests were two passes over the
same open requests; now one (and since #18, with the whole staff home, one round trip).

On a test database's few rows (never vacuumed) a scan of the table is the cheaper plan, so the plan is read
with `enable_seqscan` and `enable_bitmapscan` off: what is left is what PostgreSQL *can* do from an index
alone, if anything."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.enterprises.selectors import enterprise_figures
from apps.service.models import Request

from ..conftest import client_for
from ..factories import EnterpriseFactory
from ..service.factories import local, make_request, walk_to

pytestmark = pytest.mark.django_db


def values(figures) -> dict:
    return {f.key: f.value for f in figures}


@pytest.fixture
def enterprises(unit_a, unit_b):
    """Unit A: three enterprises, one key; unit B: two, both key."""
    EnterpriseFactory.create_batch(2, unit=unit_a)
    EnterpriseFactory(unit=unit_a, is_key=True)
    EnterpriseFactory.create_batch(2, unit=unit_b, is_key=True)


def test_the_enterprise_figures_count_the_district_and_a_unit_exactly(enterprises, unit_a, unit_b, office):
    assert values(enterprise_figures()) == {"enterprises": 5, "key_enterprises": 3}
    assert values(enterprise_figures(unit_id=unit_a.pk)) == {"enterprises": 3, "key_enterprises": 1}
    assert values(enterprise_figures(unit_id=unit_b.pk)) == {"enterprises": 2, "key_enterprises": 2}
    assert values(enterprise_figures(unit_id=office.pk)) == {"enterprises": 0, "key_enterprises": 0}


def test_the_district_enterprise_figures_are_read_from_an_index_alone(enterprises):
    with CaptureQueriesContext(connection) as queries:
        enterprise_figures()
    [sql] = [q["sql"] for q in queries]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        explained = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan" in explained, explained
    assert "Seq Scan" not in explained, explained


@pytest.fixture
def requests(staff_a, colleague_a, manager_a, staff_b, unit_a, unit_b):
    """Received on 4 March 2024 (due within ten working days, so overdue now) unless said otherwise."""
    enterprise = EnterpriseFactory(unit=unit_a)

    def dispatched(handler, **kwargs):
        return make_request(
            staff_a, enterprise=enterprise, handling_unit=handler.unit, handler=handler, **kwargs
        )

    dispatched(staff_a)  # mine, overdue
    dispatched(staff_a, at=timezone.now() - timedelta(hours=1))  # mine, not due yet
    walk_to(dispatched(staff_a), "paused", handler=staff_a, manager=manager_a, at=local(2024, 3, 5, 9))
    walk_to(dispatched(staff_a), "closed", handler=staff_a, manager=manager_a, at=local(2024, 3, 5, 9))
    dispatched(colleague_a)  # my unit's, overdue
    dispatched(staff_b)  # another unit's, overdue


def test_the_home_page_counts_my_open_and_overdue_requests_in_one_query(requests, staff_a, unit_a):
    """The staff home (apps.workbench.homes) reads the user's open, overdue, due-today and to-acknowledge
    counts with the rest of the page's figures in one round trip (apps.core.batch): one query names the
    request table, whatever the number of figures. (Before #18 the home showed the unit's overdue count
    here; a unit's overdue items are now on its manager's home, by handler.)"""
    with CaptureQueriesContext(connection) as queries:
        response = client_for(staff_a).get(reverse("home"))
    assert response.status_code == 200
    mine = response.context["home"]["mine"]
    assert (mine["open"], mine["overdue"]) == (3, 1)
    assert mine["overdue"] == Request.objects.overdue().filter(handler=staff_a).count()
    assert len([q for q in queries if '"service_request"' in q["sql"]]) == 1


def _home_plan(user) -> str:
    """The home's one batched SELECT of figures, explained with table scans and bitmap scans made dear (on a
    test database's few rows any plan is cheap)."""
    with CaptureQueriesContext(connection) as queries:
        assert client_for(user).get(reverse("home")).status_code == 200
    [sql] = [q["sql"] for q in queries if q["sql"].startswith("SELECT (SELECT")]
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off; SET enable_bitmapscan = off")
        try:
            cursor.execute(f"EXPLAIN {sql}")
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:  # the manager's test is transactional: its settings would outlive it
            cursor.execute("RESET enable_seqscan; RESET enable_bitmapscan")


@pytest.fixture
def busy_unit(requests, colleague_a, unit_a):
    """Unit A with a colleague's 2,000 open items and 2,000 closed ones, vacuumed as a live table is: on a
    handful of rows any index will do, so the plan is read where the unit's items are many, as at scale."""
    item = Request.objects.filter(handling_unit=unit_a, handler=colleague_a).first()
    fields = {f.attname: getattr(item, f.attname) for f in Request._meta.concrete_fields}
    del fields["id"]
    Request.objects.bulk_create(Request(**fields) for _ in range(2000))
    Request.objects.bulk_create(Request(**fields | {"status": "closed"}) for _ in range(2000))
    with connection.cursor() as cursor:  # outside a transaction: the test is transactional
        cursor.execute("VACUUM ANALYZE service_request")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_managers_home_counts_the_units_open_items_per_handler_from_an_index_alone(busy_unit, manager_a):
    """The busiest unit at province scale has ~4,800 open items: counted per handler (all, overdue,
    unassigned, extensions asked) from the table they cost 7–11 ms of the home's 22 ms of SQL, and the
    unit's open and closed items counted together another 10 (27,000 entries, each tested twice). Now the
    open items come from request_unit_open (which holds every column the counts read) and only the closed
    ones are counted from (handling_unit, status)."""
    explained = _home_plan(manager_a)
    assert "Index Only Scan using request_unit_open" in explained, explained


def test_a_second_cockpit_the_same_day_composes_nothing(leader, composed):
    """Building and composing the SQL of the cockpit's ~20 figures cost more than PostgreSQL spent on them
    (~14 of 37 ms at province scale). They are composed once a day per process; the overdue count and the
    oldest overdue requests, which compare with the time, are composed with the placeholder batch.NOW and
    read at the moment of each view."""
    from apps.workbench import homes

    morning = local(2031, 7, 15, 9)

    homes.leader_home(leader, now=morning)
    first = len(composed)
    composed.clear()
    homes.leader_home(leader, now=morning + timedelta(hours=8))
    same_day = len(composed)
    composed.clear()
    homes.leader_home(leader, now=morning + timedelta(days=1))
    next_day = len(composed)

    assert same_day == 0, (first, same_day)
    assert first == next_day >= 10, (first, next_day)


def test_a_staff_home_reads_what_they_logged_and_their_visits_from_their_own_indexes(
    requests, staff_b, unit_b
):
    """The bench measured the busiest unit's staff only; a quieter one's home took twice as long (44 ms at
    province scale). Their latest visits were found by walking the visit link's (visit, user) key backwards
    until five were theirs: every entry for someone who went on none (9 ms). And what they logged in the last
    30 days, by status, ANDed the unit's entries with every request they ever logged (75,000, 8 ms). Now
    each reads its own index: visit_staff_user (user, visit) and request_logged_by (user, day, with the unit
    and status), the latter alone."""
    # their unit's last month: 2,000 requests others logged (the enterprises themselves), as at scale
    item = Request.objects.filter(handling_unit=unit_b).first()
    fields = {f.attname: getattr(item, f.attname) for f in Request._meta.concrete_fields} | {
        "logged_unit_id": unit_b.pk,
        "created_by_id": None,
        "received_at": timezone.now(),
        "received_on": timezone.localdate(),
    }
    del fields["id"]
    Request.objects.bulk_create(Request(**fields) for _ in range(2000))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE service_request")
    explained = _home_plan(staff_b)
    latest = explained.split("service_visit_staff")
    assert "Backward using service_visit_staff_visit_id_user_id" not in explained, explained
    assert "using visit_staff_user on service_visit_staff" in explained, latest
    assert "Index Only Scan using request_logged_by on service_request" in explained, explained


def test_a_staff_homes_visits_this_month_are_looked_up_by_their_ids(requests, staff_a):
    """The visits they went on this month were a join of their visit links with the visits: PostgreSQL
    hashed every visit of the district's month so far, 11-19 ms at the end of a month at province scale.
    Their ids, read from the staff link's index, are looked up one by one instead (3-5 ms): the statement
    says so, as the plan depends on a month's worth of data a test table does not hold. (The count itself:
    test_homes.test_a_staff_member_sees_their_items_requests_visits_and_assignments.)"""
    with CaptureQueriesContext(connection) as queries:
        assert client_for(staff_a).get(reverse("home")).status_code == 200
    [sql] = [q["sql"] for q in queries if q["sql"].startswith("SELECT (SELECT")]
    looked_up = (
        '"service_visit"."id" = ANY(ARRAY(SELECT "U0"."visit_id" AS "visit_id" FROM "service_visit_staff"'
    )
    assert looked_up in sql, sql
    assert '"service_visit"."id" IN (SELECT' not in sql, sql


def test_a_second_staff_home_the_same_day_composes_nothing(requests, staff_a, unit_a, composed):
    """Composing a staff home's seven figures cost more than PostgreSQL spent on them (~6 of 18 ms for the
    busiest unit's staff at province scale). They are composed once a day per process and user
    (apps.core.batch.reused); their open items' counts, which compare with the time, with the placeholder
    batch.NOW, read at the moment of each view. What they logged since still shows."""
    from apps.workbench import homes

    morning = local(2031, 7, 15, 9)

    first = homes.staff_home(staff_a, now=morning)
    first_composed = len(composed)
    composed.clear()
    make_request(staff_a, handling_unit=unit_a, at=morning)  # they log one more
    later = homes.staff_home(staff_a, now=morning + timedelta(hours=8))
    same_day = len(composed)
    composed.clear()
    homes.staff_home(staff_a, now=morning + timedelta(days=1))
    next_day = len(composed)

    assert same_day == 0, (first_composed, same_day)
    assert first_composed == next_day == 7, (first_composed, next_day)
    assert later["mine"] == first["mine"] == {"open": 3, "overdue": 2, "due_today": 0, "to_acknowledge": 2}
    assert later["logged_total"] == first["logged_total"] + 1


def test_a_second_managers_desk_composes_only_their_own_counts_of_a_new_day(
    requests, manager_a, staff_a, unit_a, composed
):
    """What a manager's desk asks about the unit (its items by handler, closed requests to confirm, requests
    to dispatch, the published ranks) is composed once per process and unit; their own items' counts once a
    day. What compares with the time is read at the moment of each view (batch.NOW). A request closed since
    still counts."""
    from apps.workbench import homes

    morning = local(2031, 7, 15, 9)

    first = homes.manager_home(manager_a, now=morning)
    first_composed = len(composed)
    composed.clear()
    closing = local(2024, 3, 5, 9)
    walk_to(
        make_request(staff_a, handling_unit=unit_a), "closed", handler=staff_a, manager=manager_a, at=closing
    )
    same_day = homes.manager_home(manager_a, now=morning + timedelta(hours=8))
    again_same_day = len(composed)
    later = homes.manager_home(manager_a, now=morning + timedelta(days=1))
    again = len(composed) - again_same_day

    to_confirm = {q["key"]: q["n"] for q in first["queue"]}["to_confirm"]
    assert (first_composed, again_same_day, again) == (5, 0, 1)
    assert same_day["queue"] == later["queue"]
    assert {q["key"]: q["n"] for q in later["queue"]}["to_confirm"] == to_confirm + 1 == 2
