"""Campaign 1's figures say what their labels say (issue #16, item 9 a and b).

a. The on-time rate of requests due leaves a request out while it is paused: its clock is stopped, so it is
   neither on time nor late. Dataset (unit A, category 人才安居: close within 10 working days):
     R1 received Mon 4 Mar 2024 10:00, dispatched, acknowledged, closed 6 Mar (due 18 Mar): on time
     R2 received Mon 4 Mar 2024 10:00, dispatched, acknowledged, in progress, paused 6 Mar, still paused
   Requests due in March: R1 only (R2 is paused) → 1 of 1 on time = 100.0 % (it was 1 of 2 = 50.0 %).
b. The same-day acknowledgement rate leaves out a request not acknowledged yet whose same-day deadline is
   still ahead; once the deadline passes unacknowledged it counts as missed.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.core.periods import month_start
from apps.service import selectors
from apps.service.models import Request
from apps.workbench import rollups

from .factories import A, acknowledge, act, close, contact, local, make_request

pytestmark = pytest.mark.django_db

MARCH = {"start": date(2024, 3, 1), "end": date(2024, 3, 31)}
MARCH_20 = {"start": date(2024, 3, 1), "end": date(2024, 3, 20)}  # a partial month: read from the records


@pytest.fixture
def paused(staff_a, unit_a):
    r1 = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10))
    close(
        contact(acknowledge(r1, staff_a, local(2024, 3, 4, 11)), staff_a, local(2024, 3, 5, 9)),
        staff_a,
        local(2024, 3, 6, 9),
    )
    r2 = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10))
    r2 = contact(acknowledge(r2, staff_a, local(2024, 3, 4, 11)), staff_a, local(2024, 3, 5, 9))
    return act(r2, A.PAUSE, staff_a, local(2024, 3, 6, 10))


def test_the_paused_request_is_paused_with_a_deadline_in_march(paused):
    assert (paused.status, timezone.localdate(paused.close_due)) == ("paused", date(2024, 3, 18))


@pytest.mark.parametrize("period", [MARCH, MARCH_20], ids=["whole month", "partial month"])
def test_a_paused_request_is_left_out_of_the_on_time_rate_of_requests_due(paused, unit_a, period):
    assert selectors.run(selectors.due_counts_plan(period["start"], period["end"])) == {
        "due": 1,
        "due_on_time": 1,
    }
    assert selectors.service_values(**period)["on_time_due_rate_pct"] == Decimal("100.0")
    assert selectors.service_values(**period, unit_id=unit_a.pk)["on_time_due_rate_pct"] == Decimal("100.0")


def test_a_resumed_request_counts_again_with_its_deadline_moved_by_the_days_paused(paused, staff_a):
    resumed = act(paused, A.RESUME, staff_a, local(2024, 3, 8, 10))  # paused Wed 6 → Fri 8: 2 working days

    assert timezone.localdate(resumed.close_due) == date(2024, 3, 20)
    assert selectors.run(selectors.due_counts_plan(**MARCH)) == {"due": 2, "due_on_time": 1}
    assert selectors.service_values(**MARCH)["on_time_due_rate_pct"] == Decimal("50.0")


def test_pausing_and_resuming_keep_the_deadline_roll_up_equal_to_a_rebuild(paused, staff_a):
    assert rollups.differences() == {}
    act(paused, A.RESUME, staff_a, local(2024, 3, 8, 10))
    assert rollups.differences() == {}


# --- b. same-day acknowledgement --------------------------------------------------------------------------


def this_month() -> dict:
    today = timezone.localdate()
    return {"start": month_start(today), "end": today}


@pytest.fixture
def today(staff_a, unit_a):
    """Two requests received now, dispatched to unit A: one acknowledged at once, one not yet (its same-day
    deadline, the end of today's or the next working day, is still ahead)."""
    now = timezone.now()
    acknowledge(make_request(staff_a, handling_unit=unit_a, at=now), staff_a, now)
    waiting = make_request(staff_a, handling_unit=unit_a, at=now)
    assert waiting.ack_due > timezone.now() and waiting.acknowledged_at is None
    return waiting


def test_a_request_whose_same_day_deadline_is_ahead_is_neither_success_nor_failure(today, unit_a):
    assert selectors.service_values(**this_month())["same_day_ack_rate_pct"] == Decimal("100.0")
    unit_values = selectors.service_values(**this_month(), unit_id=unit_a.pk)
    assert unit_values["same_day_ack_rate_pct"] == Decimal("100.0")
    counts = selectors.request_counts(**this_month())
    assert (counts["n"], counts["ack"], counts["ack_n"]) == (2, 1, 1)


def test_the_boards_rows_carry_the_same_day_denominator_per_unit(today, unit_a):
    [row] = selectors.service_by_unit(**this_month())
    assert row["same_day_ack_rate_pct"] == Decimal("100.0")
    rows = selectors.request_counts(**this_month(), by_unit=True)
    assert {k: rows[unit_a.pk][k] for k in ("n", "ack", "ack_n")} == {"n": 2, "ack": 1, "ack_n": 1}


def test_a_request_not_acknowledged_by_its_passed_deadline_counts_as_missed(staff_a, unit_a):
    make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10))  # due by the end of 4 March
    acknowledge(
        make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10)), staff_a, local(2024, 3, 4, 11)
    )

    counts = selectors.request_counts(**MARCH)
    assert (counts["n"], counts["ack"], counts["ack_n"]) == (2, 1, 2)
    assert selectors.service_values(**MARCH)["same_day_ack_rate_pct"] == Decimal("50.0")
    assert Request.objects.count() == 2


def test_an_empty_period_has_no_same_day_rate():
    assert selectors.request_counts(**MARCH)["ack_n"] == 0
    assert selectors.service_values(**MARCH)["same_day_ack_rate_pct"] is None


def test_a_transferred_request_waits_for_the_new_units_deadline(staff_a, manager_a, unit_a, unit_b):
    """Received in March, acknowledged late there, transferred now to unit B, not yet acknowledged by B: the
    transfer restarts the clock, so it is pending now, in the month it was received."""
    req = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10))
    req = acknowledge(req, staff_a, local(2024, 3, 6, 10))
    act(req, A.TRANSFER, manager_a, timezone.now() - timedelta(seconds=1), unit=unit_b)

    assert selectors.service_values(**MARCH)["same_day_ack_rate_pct"] is None
    counts = selectors.request_counts(**MARCH)
    assert (counts["n"], counts["ack"], counts["ack_n"]) == (1, 0, 0)
