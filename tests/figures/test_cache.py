"""Kept figures (apps/figures/cache.py): served only while nothing under them has changed.

A result is kept under the figures_generation sequence's value; every statement on a watched table moves the
sequence on (a trigger), and a result computed while another transaction was writing is not kept at all.
"""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.figures import cache
from apps.figures.models import ComputedFigures
from apps.figures.views import compute_campaign_values
from apps.rankings.board import compute_board
from apps.service.models import Notification
from apps.units.models import Unit

from ..conftest import client_for
from ..service.factories import VisitFactory, make_request

pytestmark = pytest.mark.django_db


class Counter:
    """A computation that says how many times it ran."""

    def __init__(self):
        self.runs = 0

    def __call__(self):
        self.runs += 1
        return {"runs": self.runs}


def test_a_result_is_kept_until_a_watched_table_is_written(unit_a):
    compute = Counter()
    assert cache.cached("test", compute) == {"runs": 1}
    with CaptureQueriesContext(connection) as captured:
        assert cache.cached("test", compute) == {"runs": 1}
    assert len(captured) == 1  # the check and the kept result in one query
    assert compute.runs == 1

    Unit.objects.filter(pk=unit_a.pk).update(short_name="改名")
    assert cache.cached("test", compute) == {"runs": 2}
    assert cache.cached("test", compute) == {"runs": 2}


def test_writes_no_figure_reads_keep_the_result(staff_a, unit_a):
    request = make_request(staff_a, handling_unit=unit_a, handler=staff_a)
    compute = Counter()
    cache.cached("test", compute)
    note = Notification.objects.create(user=staff_a, request=request, message="x")  # unwatched: notices
    note.read_at = timezone.now()  # are sent and read all day long
    note.save()
    staff_a.save()  # accounts are not read by the figures
    assert cache.cached("test", compute) == {"runs": 1}


def test_keys_are_kept_apart_and_so_are_days(monkeypatch):
    one, other = Counter(), Counter()
    cache.cached("one", one)
    cache.cached("other", other)
    assert (cache.cached("one", one), cache.cached("other", other)) == ({"runs": 1}, {"runs": 1})
    tomorrow = timezone.localdate() + timedelta(days=1)
    monkeypatch.setattr(cache.timezone, "localdate", lambda: tomorrow)
    assert cache.cached("one", one) == {"runs": 2}  # "as of today" moved without a write


def test_invalidate_forgets_everything_and_old_results_go():
    compute = Counter()
    cache.cached("test", compute)
    cache.invalidate()
    assert cache.cached("test", compute) == {"runs": 2}
    ComputedFigures.objects.update(computed_at=timezone.now() - timedelta(days=cache.KEEP_DAYS, minutes=1))
    cache.cached("another", Counter())
    assert list(ComputedFigures.objects.values_list("key", flat=True)) == [
        f"another@{timezone.localdate():%Y-%m-%d}"
    ]


def test_every_table_the_figures_and_the_board_read_tells_them_when_it_changes(unit_a, staff_a):
    VisitFactory(created_by=staff_a, visited_on=date(2024, 3, 5))
    make_request(staff_a, handling_unit=unit_a)
    with CaptureQueriesContext(connection) as captured:
        compute_campaign_values(start=date(2024, 2, 19), end=date(2024, 3, 15), unit_id=None)
        compute_campaign_values(start=date(2024, 2, 19), end=date(2024, 3, 15), unit_id=unit_a.pk)
        compute_board(date(2024, 3, 1))
    read = set()
    for query in captured:
        read |= set(re.findall(r'(?:FROM|JOIN)\s+"([a-z][a-z0-9_]*)"', query["sql"]))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'figures_touch'"
        )
        watched = {name for (name,) in cursor.fetchall()}
    assert {"service_request", "service_visit", "figures_requestmonth", "rankings_indicator"} <= read
    assert read - {"figures_computedfigures"} <= watched, read - watched
    assert watched == set(cache.watched_tables())


def test_the_figures_api_moves_with_every_write(leader, staff_a, unit_a):
    client = client_for(leader)
    url = reverse("figures_api") + f"?from={timezone.localdate():%Y-%m-01}&to={timezone.localdate():%Y-%m-%d}"
    assert client.get(url).json()["service"]["visits"] == 0
    assert client.get(url).json()["service"]["visits"] == 0  # kept
    VisitFactory(created_by=staff_a, visited_on=timezone.localdate())
    assert client.get(url).json()["service"]["visits"] == 1
    make_request(staff_a, handling_unit=unit_a, at=timezone.now())
    assert client.get(url).json()["service"]["requests"] == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_result_computed_while_another_transaction_writes_is_not_kept(unit_a):
    other = connection.get_new_connection(connection.get_connection_params())  # a second session
    other.autocommit = False
    try:
        with other.cursor() as cursor:  # a transaction that has written and not committed
            cursor.execute("UPDATE units_unit SET short_name = 'in flight' WHERE id = %s", [unit_a.pk])

        def name():
            return Unit.objects.get(pk=unit_a.pk).short_name

        assert cache.cached("name", name) == unit_a.short_name
        assert not ComputedFigures.objects.exists()  # computed, not kept: the write may commit any moment
        other.commit()
        assert cache.cached("name", name) == "in flight"
        assert ComputedFigures.objects.count() == 1
        assert cache.cached("name", lambda: pytest.fail("recomputed")) == "in flight"
    finally:
        other.close()


def test_a_sequence_never_used_still_tells_the_first_write(unit_a):
    """A new sequence reads last_value 1 before and after its first nextval(): generation 0 until then."""
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER SEQUENCE {cache.SEQUENCE} RESTART")  # as a fresh database has it
    compute = Counter()
    cache.cached("test", compute)
    Unit.objects.filter(pk=unit_a.pk).update(short_name="第一次写入")  # the sequence's first nextval()
    assert cache.cached("test", compute) == {"runs": 2}


def test_every_migrate_forgets_what_was_kept_and_a_database_migrated_back_is_left_alone():
    compute = Counter()
    cache.cached("test", compute)
    cache.install_triggers()  # post_migrate: a release may compute or render the figures differently
    assert cache.cached("test", compute) == {"runs": 2}
    with connection.cursor() as cursor:  # migrated back before 0003: no sequence, nothing to install
        cursor.execute(f"ALTER SEQUENCE {cache.SEQUENCE} RENAME TO figures_generation_gone")
        cursor.execute("DROP FUNCTION figures_touch() CASCADE")
    cache.install_triggers()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'figures_touch'")
        assert cursor.fetchone()[0] == 0
