"""Searching the request and visit lists by a word of a title or an enterprise's name (#15): the search joined
every request with its enterprise to compare names, so PostgreSQL read every request of the district — an
enterprise's name searched on the request list took 1 to 2.8 s at province scale, a leader's visit list 1.3 s.
A term of three characters or more is now found from trigram indexes (the title's, the enterprise name's)
and the enterprises' requests from their index, ORed as bitmaps. A shorter term has no trigram: no index can
find it, and the list is read in its order through the join as before, each row checked.

Every search shows exactly the rows the old one did; plans are read with sequential and plain index scans
made unattractive, as on a test database's few rows any plan is cheap: what is left is what PostgreSQL can do
from bitmaps; a condition no index answers still shows as a scan of every row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.service.models import Request

from ..conftest import client_for
from ..factories import EnterpriseFactory
from .factories import VisitFactory, make_request

pytestmark = pytest.mark.django_db

REQUESTS, VISITS = reverse("service:request_list"), reverse("service:visit_list")


def plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")  # what is left: bitmaps of index entries
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def shown_and_sql(user, url: str, query: dict) -> tuple[list[int], list[str]]:
    client = client_for(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query)
    assert response.status_code == 200
    return [row["pk"] if isinstance(row, dict) else row.pk for row in response.context["object_list"]], [
        q["sql"] for q in captured.captured_queries
    ]


@pytest.fixture
def named(staff_a, unit_a):
    """Requests and visits found by their own text or by their enterprise's name, among others."""
    yangzi = EnterpriseFactory(name="扬子江瑞健康药业有限公司", unit=unit_a)
    other = EnterpriseFactory(name="南京其他制造有限公司", unit=unit_a)
    found = {
        "by title": make_request(staff_a, handling_unit=unit_a, title="瑞健康厂房租金补贴", enterprise=other),
        "by enterprise": make_request(staff_a, handling_unit=unit_a, title="人才公寓申请", enterprise=yangzi),
    }
    make_request(staff_a, handling_unit=unit_a, title="人才公寓申请", enterprise=other)
    make_request(staff_a, handling_unit=unit_a, title="用电增容")  # no enterprise
    visits = {
        "by target": VisitFactory(created_by=staff_a, enterprise=None, target_name="瑞健康产业园项目"),
        "by enterprise": VisitFactory(created_by=staff_a, enterprise=yangzi),
    }
    VisitFactory(created_by=staff_a, enterprise=other)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE service_request; ANALYZE service_visit; ANALYZE enterprises_enterprise")
    return found, visits


@pytest.mark.parametrize("who", ["staff_a", "leader"])
def test_a_three_character_term_is_found_from_indexes(who, named, request):
    user = request.getfixturevalue(who)
    found, visits = named
    shown, queries = shown_and_sql(user, REQUESTS, {"q": "瑞健康"})
    assert sorted(shown) == sorted(r.pk for r in found.values())
    [page] = [sql for sql in queries if sql.startswith('SELECT "service_request"."id" AS "id", "service_r')]
    explained = plan(page)
    assert "Seq Scan on service_request" not in explained, explained
    if who == "leader":  # staff: their unit's requests from its indexes, or the search's, as PostgreSQL likes
        assert "request_title_trgm" in explained, explained
    shown, queries = shown_and_sql(user, VISITS, {"enterprise": "瑞健康"})
    assert sorted(shown) == sorted(v.pk for v in visits.values())
    # the query that finds the page's visits: for staff, the union of their unit's arms (OrderedUnion)
    [found_by] = [sql for sql in queries if "UNION ALL" in sql] or [
        sql for sql in queries if sql.startswith('SELECT "service_visit"."id" AS "pk"')
    ]
    explained = plan(found_by)
    assert "Seq Scan on service_visit" not in explained, explained
    if who == "leader":  # staff: their unit's arms, each from its own index, the search checked on them
        assert "visit_target_trgm" in explained, explained


@pytest.mark.parametrize("term", ["健康", "瑞", "瑞 健康"])
def test_a_shorter_term_finds_the_same_rows(staff_a, named, term):
    """No trigram in it: read in the list's order, each row checked; the same rows as the three-character
    term finds, for the same words."""
    found, visits = named
    shown, _ = shown_and_sql(staff_a, REQUESTS, {"q": term})
    expected = {r.pk for r in found.values()} if term != "瑞 健康" else set()
    assert set(shown) == expected
    shown, _ = shown_and_sql(staff_a, VISITS, {"enterprise": term})
    assert set(shown) == ({v.pk for v in visits.values()} if term != "瑞 健康" else set())


def test_a_term_naming_many_enterprises_is_checked_row_by_row(staff_a, unit_a, named, monkeypatch):
    """An enterprise list too long for an index condition (a term like 有限公司, in every name) is matched as
    the short terms are: the requests' enterprise index probed for each of 200,000 enterprises would cost more
    than the list, whose first rows hold such a term."""
    monkeypatch.setattr("apps.service.filters.FEW_ENTERPRISES", 1)
    shown, queries = shown_and_sql(staff_a, REQUESTS, {"q": "有限公司"})
    assert set(shown) == set(Request.objects.exclude(enterprise=None).values_list("pk", flat=True))
    [page] = [sql for sql in queries if sql.startswith('SELECT "service_request"."id" AS "id", "service_r')]
    assert '"enterprise_id" IN (' not in page  # compared through the join, row by row


def test_up_to_a_few_hundred_enterprises_make_an_index_condition():
    from apps.service.filters import FEW_ENTERPRISES

    assert 100 <= FEW_ENTERPRISES <= 1000
