"""A list counts its rows up to the cap, and does not count at all when PostgreSQL expects many times the cap:
counting a busy unit's requests up to the cap read ~10,000 rows (13 ms of a 20 ms page at province scale) only
to print "more than 1,000"."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.views import TwoEndedPaginator, estimated_rows
from apps.service.models import Request

from ..service.factories import make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def twenty(staff_a, unit_a):
    for _ in range(20):
        make_request(staff_a, handling_unit=unit_a)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE service_request")  # the statistics PostgreSQL estimates from


def paginate(rows, cap, monkeypatch):
    monkeypatch.setattr(TwoEndedPaginator, "cap", cap)
    paginator = TwoEndedPaginator(rows.order_by("-received_at", "-id"), 5)
    with CaptureQueriesContext(connection) as captured:
        count = paginator.count
    counted = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    return count, paginator, counted


def test_rows_are_counted_exactly_under_the_cap(twenty, monkeypatch):
    count, paginator, counted = paginate(Request.objects.all(), 100, monkeypatch)
    assert (count, paginator.capped, paginator.count_label, len(counted)) == (20, False, "20", 1)


def test_rows_are_counted_up_to_the_cap_when_the_estimate_is_near_it(twenty, monkeypatch):
    count, paginator, counted = paginate(Request.objects.all(), 10, monkeypatch)  # 20 rows, estimate < 5 × 10
    assert (count, paginator.capped, paginator.count_label, len(counted)) == (11, True, "超过 10", 1)


def test_rows_are_not_counted_when_postgresql_expects_five_times_the_cap(twenty, monkeypatch):
    assert estimated_rows(Request.objects.all()) == 20
    count, paginator, counted = paginate(Request.objects.all(), 3, monkeypatch)  # 20 ≥ 5 × 3
    assert (count, paginator.capped, paginator.count_label, counted) == (4, True, "超过 3", [])


def test_a_filter_nothing_matches_is_estimated_without_a_query(twenty):
    assert estimated_rows(Request.objects.filter(pk__in=[])) == 0


def test_the_last_page_past_the_cap_is_read_from_the_other_end(twenty, monkeypatch):
    monkeypatch.setattr(TwoEndedPaginator, "cap", 3)
    rows = Request.objects.order_by("-received_at", "-id")
    page = TwoEndedPaginator(rows, 5).page("last")
    assert [r.pk for r in page.object_list] == [r.pk for r in rows][-5:]
