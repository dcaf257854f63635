"""TwoEndedPaginator: every page holds exactly what Django's Paginator puts on it, in the same order, but
a page past the middle is read from the other end (a small offset), so the last page is as cheap as the
first."""

import re

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from apps.core.views import TwoEndedPaginator
from apps.units.models import Unit

from ..factories import UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def units():
    Unit.objects.all().delete()
    for i in range(23):  # ties on kind: the order ends on the primary key
        UnitFactory(code=f"u{i:02d}", kind=["park", "street", "bureau"][i % 3])
    return Unit.objects.order_by("kind", "-pk")  # reversed: kind DESC, id ASC


@pytest.mark.parametrize("orphans", [0, 2])
def test_every_page_is_the_same_as_djangos(units, orphans):
    plain, two_ended = Paginator(units, 5, orphans=orphans), TwoEndedPaginator(units, 5, orphans=orphans)
    assert two_ended.num_pages == plain.num_pages
    for number in plain.page_range:
        assert list(two_ended.page(number)) == list(plain.page(number)), number
        assert two_ended.page(number).start_index() == plain.page(number).start_index()


def test_the_last_page_is_read_from_the_other_end(units):
    paginator = TwoEndedPaginator(units, 5)
    paginator.count  # noqa: B018  (counted before: only the page's query is captured)
    with CaptureQueriesContext(connection) as captured:
        list(paginator.page(paginator.num_pages))
    (sql,) = [q["sql"] for q in captured.captured_queries]
    assert re.search(r'ORDER BY "units_unit"."kind" DESC, "units_unit"."id" ASC LIMIT 3\b', sql), sql
    assert "OFFSET" not in sql


@translation.override("en")
def test_past_the_cap_the_count_stops_and_the_last_page_is_the_last_rows(units, monkeypatch):
    monkeypatch.setattr(TwoEndedPaginator, "cap", 10)
    paginator = TwoEndedPaginator(units, 5)
    assert (paginator.count, paginator.capped, paginator.count_label) == (11, True, "more than 10")
    assert list(paginator.page(2)) == list(Paginator(units, 5).page(2))  # forward pages as usual
    assert list(paginator.page("last")) == list(units)[-5:]  # the real last rows, read from the end
    exact = TwoEndedPaginator(units, 5)  # the class's own cap (settings.LIST_COUNT_CAP)
    monkeypatch.undo()
    assert (exact.count, exact.capped, exact.count_label) == (23, False, "23")
