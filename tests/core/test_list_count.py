"""A list counts its rows up to the cap, and does not count at all when PostgreSQL expects many times the cap:
counting a busy unit's requests up to the cap read ~10,000 rows (13 ms of a 20 ms page at province scale) only
to print "more than 1,000". Either way it is one query (count_upto), so a list's queries stay constant."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.views import TwoEndedPaginator, count_upto
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
    return count, paginator, len(captured)


def test_rows_are_counted_exactly_under_the_cap(twenty, monkeypatch):
    count, paginator, counted = paginate(Request.objects.all(), 100, monkeypatch)
    assert (count, paginator.capped, paginator.count_label, counted) == (20, False, "20", 1)


def test_rows_are_counted_up_to_the_cap_when_the_estimate_is_near_it(twenty, monkeypatch):
    count, paginator, counted = paginate(Request.objects.all(), 10, monkeypatch)  # 20 rows, estimate < 5 × 10
    assert (count, paginator.capped, paginator.count_label, counted) == (11, True, "超过 10", 1)


def test_rows_are_not_counted_when_postgresql_expects_five_times_the_cap(twenty, monkeypatch):
    count, paginator, counted = paginate(Request.objects.all(), 3, monkeypatch)  # 20 ≥ 5 × 3
    assert (count, paginator.capped, paginator.count_label, counted) == (4, True, "超过 3", 1)


def test_the_estimate_decides_not_counting(twenty):
    """PostgreSQL still expects 20 rows (its statistics of before) where 5 are left: with the cap at 3 and a
    margin of 5 it does not count (4: "more than 3", which is true); with the cap at 5 and a margin of 2 it
    does not count either and says 6 where counting would say 5 — the rows were not counted."""
    Request.objects.filter(pk__in=list(Request.objects.values_list("pk", flat=True)[5:])).delete()
    assert Request.objects.count() == 5
    assert count_upto(Request.objects.all(), 3, 5) == 4
    assert count_upto(Request.objects.all(), 5, 2) == 6
    assert count_upto(Request.objects.all(), 5, 5) == 5  # 20 < 25: counted


def test_a_filter_nothing_matches_is_counted_without_a_query(twenty):
    with CaptureQueriesContext(connection) as captured:
        assert count_upto(Request.objects.filter(pk__in=[]), 10, 5) == 0
    assert len(captured) == 0


def test_the_last_page_past_the_cap_is_read_from_the_other_end(twenty, monkeypatch):
    monkeypatch.setattr(TwoEndedPaginator, "cap", 3)
    rows = Request.objects.order_by("-received_at", "-id")
    page = TwoEndedPaginator(rows, 5).page("last")
    assert [r.pk for r in page.object_list] == [r.pk for r in rows][-5:]
