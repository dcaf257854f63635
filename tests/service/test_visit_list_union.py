"""A staff member's visit list is read as a union of its unit's two arms (led; joined and led by another),
each from its own index (apps.core.querysets.OrderedUnion): every page holds exactly the rows, in exactly the
order, of the same list read as one query — first, middle and last pages, filtered or not."""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.core.querysets import OrderedUnion
from apps.core.views import TwoEndedPaginator
from apps.service.models import Visit

from ..conftest import client_for
from ..factories import UnitFactory
from .factories import VisitFactory

pytestmark = pytest.mark.django_db

LIST = reverse("service:visit_list")


@pytest.fixture
def visits(staff_a, staff_b, unit_a):
    made = []
    for i in range(23):
        led = VisitFactory(created_by=staff_a, visited_on=date(2024, 3, 1) + timedelta(days=i % 7))
        joined = VisitFactory(created_by=staff_b, visited_on=date(2024, 3, 1) + timedelta(days=i % 5))
        joined.joint_units.add(unit_a)
        both = VisitFactory(created_by=staff_a, visited_on=date(2024, 3, 2))
        both.joint_units.add(unit_a)  # led and joined: listed once
        VisitFactory(created_by=staff_b)  # none of A's
        made += [led, joined, both]
    return made


def test_the_union_reads_the_same_rows_in_the_same_order_as_one_query(staff_a, visits):
    one_query = Visit.objects.visible_to(staff_a).order_by("-visited_on", "-id")
    union = OrderedUnion(one_query, Visit.objects.visible_arms(staff_a))
    expected = list(one_query.values_list("pk", flat=True))
    assert len(expected) == len(visits) == 69
    assert union.count_upto(1000) == 69 and union.count_upto(10) == 10
    for bottom, top in ((0, 20), (20, 40), (55, 69)):
        assert [v.pk for v in union[bottom:top]] == expected[bottom:top]
    assert [v.pk for v in union.reverse()[0:5]] == expected[::-1][0:5]


@pytest.mark.parametrize("query", ["", "mode=on_site", "date_from=2024-03-03"])
def test_the_visit_list_pages_show_what_the_one_query_shows(staff_a, visits, query):
    one_query = Visit.objects.visible_to(staff_a).order_by("-visited_on", "-id")
    if query == "date_from=2024-03-03":
        one_query = one_query.filter(visited_on__gte=date(2024, 3, 3))
    expected = list(one_query.values_list("pk", flat=True))
    client = client_for(staff_a)
    shown = []
    for page in ("1", "2", "3", "4"):
        response = client.get(f"{LIST}?{query}&page={page}")
        assert response.status_code == 200
        shown += [row["pk"] for row in response.context["object_list"]]
        if len(shown) >= len(expected):
            break
    assert shown == expected
    last = client.get(f"{LIST}?{query}&page=last")
    size = last.context["paginator"].per_page
    assert [row["pk"] for row in last.context["object_list"]] == expected[-(len(expected) % size or size) :]


def test_the_arms_stand_for_the_visibility_rule_when_the_page_is_found_and_counted(staff_a, visits):
    """Each arm was also ANDed with the rule it is a part of (led OR joined): PostgreSQL read the led arm
    through a BitmapOr of both and looked the joined ids up three times — a filtered page's count and ids
    cost ~12 ms at province scale instead of ~7.5. The arms are the rule (Visit.objects.visible_arms and
    visible_to share `_unit_sees`), and the page's rows are still read through the rule itself."""
    with CaptureQueriesContext(connection) as captured:
        response = client_for(staff_a).get(f"{LIST}?mode=on_site")
    assert response.status_code == 200
    assert response.context["paginator"].count == 69
    unions = [q["sql"] for q in captured if "UNION ALL" in q["sql"]]
    assert len(unions) == 1  # the count and the page's ids, read together (OrderedUnion.count_upto)
    for sql in unions:
        assert sql.count("service_visit_joint_units") == 1, sql  # once: the joined arm
    page_rows = 'SELECT "service_visit"."id" AS "pk"'
    [rows] = [q["sql"] for q in captured if q["sql"].startswith(page_rows) and "UNION ALL" not in q["sql"]]
    # the rule, checked again for the page's rows (in the subquery that chooses them)
    assert f'"lead_unit_id" = {staff_a.unit_id} OR ' in rows and " = ANY(ARRAY(SELECT " in rows, rows


@pytest.mark.parametrize("query", ["", "mode=on_site"])
def test_past_the_count_cap_every_page_still_shows_what_the_one_query_shows(
    staff_a, visits, query, monkeypatch
):
    """The count reads the first ids in order and keeps them (one pass over the union, not two): the pages
    among them are cut from what it read; the last page is read on its own, from the other end."""
    from apps.core.views import TwoEndedPaginator
    from apps.service.views.visits import VisitListView

    monkeypatch.setattr(TwoEndedPaginator, "cap", 30)
    monkeypatch.setattr(VisitListView, "paginate_by", 10)
    expected = list(
        Visit.objects.visible_to(staff_a).order_by("-visited_on", "-id").values_list("pk", flat=True)
    )
    client = client_for(staff_a)
    for page in ("1", "2", "3", "4"):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"{LIST}?{query}&page={page}")
        assert response.context["paginator"].count == 31  # capped: "more than 30", four pages
        shown = [row["pk"] for row in response.context["object_list"]]
        unions = [q for q in captured if "UNION ALL" in q["sql"]]
        if page == "4":  # the last: read backwards
            assert shown == expected[-10:] and len(unions) == 2
        else:
            start = (int(page) - 1) * 10
            assert shown == expected[start : start + 10] and len(unions) == 1


@pytest.mark.parametrize("query", ["", "mode=on_site", "date_from=2024-03-03"])
def test_the_joined_arm_is_answered_from_indexes_alone(staff_a, visits, query):
    """The joined arm found the unit's joint visits through the link table's rows and then read each visit's
    row for its date, lead unit and mode (at province scale ~870 rows, ~2.5 of a staff visit list's 6 ms of
    SQL). Two covering indexes answer it now: the unit's links (unit, visit) and, by id, every column of a
    visit the arm reads. (Which plan PostgreSQL picks for a table this small depends on its costs, not
    asserted here; at province scale it reads both index-only: 5.7 -> 3.5 ms.)"""
    with CaptureQueriesContext(connection) as captured:
        assert client_for(staff_a).get(f"{LIST}?{query}").status_code == 200
    [union] = [q["sql"] for q in captured if "UNION ALL" in q["sql"]]
    joined_arm = union.split("UNION ALL")[1]
    read = set(re.findall(r'"service_visit"\."(\w+)"', joined_arm))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN "
            "('visit_joined_arm', 'visit_joint_units_unit')"
        )
        indexes = dict(cursor.fetchall())
    assert indexes["visit_joint_units_unit"].endswith("(unit_id, visit_id)")
    assert indexes["visit_joined_arm"].endswith("(id) INCLUDE (visited_on, lead_unit_id, mode)")
    assert "visit_id" in joined_arm and "service_visit_joint_units" in joined_arm
    assert read and read <= {"id", "visited_on", "lead_unit_id", "mode"}, read


@pytest.mark.parametrize("who", ["staff_a", "leader"])
@pytest.mark.parametrize("page", ["1", "2", "last"])
def test_a_visit_page_reads_its_rows_in_one_query(who, page, visits, request):
    """The page's ids were read through the visibility rule first, then its rows by those ids: a round trip
    of its own on every visit list. The rows are now read with the ids as a subquery, in the page's order."""
    user = request.getfixturevalue(who)
    client = client_for(user)
    client.get(LIST)  # the session's first reads out of the way
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{LIST}?page={page}")
    assert response.status_code == 200
    reads = [q["sql"] for q in captured if q["sql"].startswith('SELECT "service_visit"."id" AS "pk"')]
    assert len(reads) == 1, reads
    expected = Visit.objects.visible_to(user).order_by("-visited_on", "-id")
    expected = list(expected.values_list("pk", flat=True))
    size = response.context["paginator"].per_page
    shown = [row["pk"] for row in response.context["object_list"]]
    if page == "last":
        assert shown == expected[-(len(expected) % size or size) :]
    else:
        assert shown == expected[(int(page) - 1) * size : int(page) * size]


def test_the_led_arm_filtered_by_mode_is_read_from_its_index_alone(staff_a, visits):
    """The unit's own arm, filtered by how the visit was made, read each visit's row for its mode: the
    busiest unit's phone visits at province scale read 870 pages of rows for 85 (2.7 ms, 0.3 from the index
    alone). visit_unit_order carries the mode, and the arm reads nothing else. (Whether PostgreSQL reads a
    table this small index-only depends on its visibility map, not asserted here.)"""
    with CaptureQueriesContext(connection) as captured:
        assert client_for(staff_a).get(f"{LIST}?mode=phone").status_code == 200
    [union] = [q["sql"] for q in captured if "UNION ALL" in q["sql"]]
    led_arm = union.split("UNION ALL")[0].lstrip("(").rsplit(")", 1)[0]
    read = set(re.findall(r'"service_visit"\."(\w+)"', led_arm))
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'visit_unit_order'")
        [(index,)] = cursor.fetchall()
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort", "enable_incremental_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")  # as at scale
        cursor.execute(f"EXPLAIN {led_arm}")
        explained = "\n".join(row[0] for row in cursor.fetchall())
    assert index.endswith("(lead_unit_id, visited_on DESC, id DESC) INCLUDE (mode)"), index
    assert read == {"id", "visited_on", "lead_unit_id", "mode"}, read
    assert "using visit_unit_order on service_visit" in explained, explained


def test_each_units_list_is_its_own_though_its_union_is_composed_once_per_unit(staff_a, staff_b, visits):
    """The union's statements are composed once per process for the unit (OrderedUnion's `reuse`): unit B's
    staff, after unit A's, see B's visits, and A's again after B's."""
    for user in (staff_a, staff_b, staff_a, staff_b):
        one_query = Visit.objects.visible_to(user).order_by("-visited_on", "-id")
        expected = list(one_query.values_list("pk", flat=True))
        response = client_for(user).get(LIST)
        assert response.status_code == 200
        assert response.context["paginator"].count == len(expected) > 0
        shown = [row["pk"] for row in response.context["object_list"]]
        assert shown == expected[: len(shown)] and shown


def test_the_last_page_past_the_cap_is_counted_in_no_order(staff_a, visits, monkeypatch):
    """Counted in order, the first 1,001 ids serve the pages among them; the last page of a list past the
    cap is read from the other end, so reading them was wasted (the busiest unit's visits at province scale:
    2.6 ms, against 0.4 for each arm's entries in no order, the joined arm not even read)."""
    monkeypatch.setattr(TwoEndedPaginator, "cap", 30)
    expected = list(
        Visit.objects.visible_to(staff_a).order_by("-visited_on", "-id").values_list("pk", flat=True)
    )
    with CaptureQueriesContext(connection) as captured:
        response = client_for(staff_a).get(f"{LIST}?page=last")
    assert response.status_code == 200 and response.context["paginator"].count == 31
    size = response.context["paginator"].per_page
    assert [row["pk"] for row in response.context["object_list"]] == expected[-size:]
    unions = [q["sql"] for q in captured if "UNION ALL" in q["sql"]]
    [count] = [sql for sql in unions if sql.startswith("SELECT COUNT(*)")]
    assert "ORDER BY" not in count, count
    assert len(unions) == 2, unions  # the count, and the last page's ids read from the other end


def test_a_filtered_lists_last_page_is_among_the_ids_counted_in_order(staff_a, visits):
    """Under the cap the first ids read in order to count them are all of them, the last page among them: a
    filtered list (seldom past the cap) is counted in order, in one statement (in no order, then the last
    page's ids: 2.3 ms more for the busiest unit's phone visits at province scale)."""
    one_query = Visit.objects.visible_to(staff_a).filter(mode="on_site").order_by("-visited_on", "-id")
    expected = list(one_query.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as captured:
        response = client_for(staff_a).get(f"{LIST}?mode=on_site&page=last")
    assert response.status_code == 200 and response.context["paginator"].count == len(expected) > 0
    size = response.context["paginator"].per_page
    assert [row["pk"] for row in response.context["object_list"]] == expected[
        -(len(expected) % size or size) :
    ]
    [union] = [q["sql"] for q in captured if "UNION ALL" in q["sql"]]
    assert "ORDER BY" in union and not union.startswith("SELECT COUNT"), union


def test_a_units_visit_page_reads_its_rows_in_a_statement_composed_once_for_any_page(
    staff_a, colleague_a, unit_a, visits, composed_sql
):
    """The page's rows — joint units and people as arrays, through the list's visibility rule — were composed
    again on every view (~5 ms of Python at province scale): they are composed once per process for the
    unit's list and its order, the page's ids one parameter; what they show is read afresh."""
    expected = list(
        Visit.objects.visible_to(staff_a).order_by("-visited_on", "-id").values_list("pk", flat=True)
    )
    client_for(staff_a).get(LIST)
    client_for(staff_a).get(f"{LIST}?page=last")
    composed_sql.clear()

    response = client_for(colleague_a).get(f"{LIST}?page=last")

    assert [sql for sql in composed_sql if '"service_visit"' in sql] == []
    rows = response.context["object_list"]
    last = (len(expected) - 1) // 50 * 50
    assert [row["pk"] for row in rows] == expected[last:]
    visit = Visit.objects.get(pk=rows[0]["pk"])
    visit.staff.add(colleague_a)
    visit.joint_units.add(UnitFactory(code="joined-late", short_name="后加单位"))
    composed_sql.clear()

    again = client_for(staff_a).get(f"{LIST}?page=last").context["object_list"]

    assert [sql for sql in composed_sql if '"service_visit"' in sql] == []
    assert again[0]["pk"] == visit.pk
    assert str(colleague_a) in again[0]["staff_names"]
    assert "后加单位" in again[0]["joint_names"]


def test_a_leaders_unfiltered_page_reads_its_rows_in_a_statement_composed_once(
    leader, staff_a, unit_a, visits, composed_sql
):
    """A leader's list is read as one query: its unfiltered pages' rows (joint units and people as arrays)
    were composed again on every view (~2.4 ms of Python at province scale); they are composed once per
    process for every unit's list and the page, then read afresh."""
    expected = list(Visit.objects.order_by("-visited_on", "-id").values_list("pk", flat=True))
    client_for(leader).get(LIST)
    client_for(leader).get(f"{LIST}?page=last")
    composed_sql.clear()

    rows = client_for(leader).get(f"{LIST}?page=last").context["object_list"]

    assert [sql for sql in composed_sql if '"service_visit"' in sql and "LIMIT" in sql] == []
    last = (len(expected) - 1) // 50 * 50
    assert [row["pk"] for row in rows] == expected[last:]
    visit = VisitFactory(created_by=staff_a, visited_on=date(2024, 4, 1))
    visit.joint_units.add(UnitFactory(code="joined-late", short_name="后加单位"))
    composed_sql.clear()

    first = client_for(leader).get(LIST).context["object_list"]

    assert [sql for sql in composed_sql if '"service_visit"' in sql and "LIMIT" in sql] == []
    assert [row["pk"] for row in first] == [visit.pk, *expected[:49]]
    assert first[0]["joint_names"] == ["后加单位"]
