"""The clocks of a request in working days: acknowledge the same working day (事不过夜), first contact and
closure limits from the category shortened by urgency, pauses excluded, extensions, transfer, reopen.

Calendar: the official 2024 schedule (see test_workdays). Category 人才安居 has 1 day to first contact and
10 days to close; 金融上市 1 and 15; 用地空间 2 and 25. Times are Asia/Shanghai; the working day ends 18:00.
"""

from datetime import date

import pytest

from apps.service.clocks import effective_days
from apps.service.models import Request
from apps.service.services import requests_recompute_clocks
from apps.workdays.calendar import clear_cache
from apps.workdays.models import CalendarDay

from .factories import (
    FINANCE,
    LAND,
    A,
    acknowledge,
    act,
    close,
    contact,
    local,
    make_request,
    reopen,
)

pytestmark = pytest.mark.django_db

U = Request.Urgency


@pytest.fixture
def dispatched_monday(staff_a, unit_a):
    """Dispatched to unit A on Monday 4 March 2024 at 10:00: close by Monday 18 March 18:00."""
    return make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10))


@pytest.fixture
def in_progress_monday(dispatched_monday, staff_a):
    req = acknowledge(dispatched_monday, staff_a, local(2024, 3, 4, 11))
    return contact(req, staff_a, local(2024, 3, 4, 12))


# --- acknowledge the same working day -----------------------------------------------------------


@pytest.mark.parametrize(
    ("dispatched", "due"),
    [
        pytest.param(local(2024, 3, 4, 10), local(2024, 3, 4, 18), id="workday-morning-same-day"),
        pytest.param(local(2024, 3, 5, 0, 30), local(2024, 3, 5, 18), id="workday-after-midnight-same-day"),
        pytest.param(local(2024, 3, 4, 17, 59), local(2024, 3, 4, 18), id="one-minute-before-end-same-day"),
        pytest.param(local(2024, 3, 4, 18, 0), local(2024, 3, 5, 18), id="at-end-of-day-next-day"),
        pytest.param(local(2024, 3, 4, 18, 30), local(2024, 3, 5, 18), id="evening-next-workday"),
        pytest.param(local(2024, 3, 8, 19), local(2024, 3, 11, 18), id="friday-evening-monday"),
        pytest.param(local(2024, 3, 9, 10), local(2024, 3, 11, 18), id="saturday-monday"),
        pytest.param(local(2024, 3, 10, 10), local(2024, 3, 11, 18), id="sunday-monday"),
        pytest.param(local(2024, 2, 3, 10), local(2024, 2, 4, 18), id="saturday-make-up-sunday"),
        pytest.param(local(2024, 2, 18, 10), local(2024, 2, 18, 18), id="on-make-up-sunday-same-day"),
        pytest.param(local(2024, 2, 9, 17), local(2024, 2, 9, 18), id="festival-eve-afternoon-same-day"),
        pytest.param(local(2024, 2, 9, 19), local(2024, 2, 18, 18), id="festival-eve-evening-make-up-sunday"),
        pytest.param(local(2024, 2, 12, 10), local(2024, 2, 18, 18), id="public-holiday-make-up-sunday"),
        pytest.param(local(2024, 4, 3, 19), local(2024, 4, 7, 18), id="before-qingming-make-up-sunday"),
    ],
)
def test_ack_deadline_is_end_of_dispatch_workday_or_of_the_next(staff_a, unit_a, dispatched, due):
    req = make_request(staff_a, handling_unit=unit_a, at=dispatched)

    assert req.dispatched_at == dispatched
    assert req.ack_due == due


def test_ack_deadline_follows_the_configured_end_of_day(settings, staff_a, unit_a):
    settings.WORKDAY_END = "17:30"

    before = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 17, 29))
    after = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 17, 45))

    assert before.ack_due == local(2024, 3, 4, 17, 30)
    assert after.ack_due == local(2024, 3, 5, 17, 30)
    assert after.close_due == local(2024, 3, 18, 17, 30)


def test_dispatch_from_the_desk_starts_the_clocks_at_dispatch_not_at_receipt(staff_a, manager_a, unit_b):
    req = make_request(staff_a, at=local(2024, 3, 1, 10))  # Friday, left for the dispatch desk
    assert (req.status, req.dispatched_at, req.ack_due, req.close_due) == ("new", None, None, None)

    req = act(req, A.DISPATCH, manager_a, local(2024, 3, 4, 19), unit=unit_b)

    assert req.dispatched_at == local(2024, 3, 4, 19)
    assert req.ack_due == local(2024, 3, 5, 18)
    assert req.contact_due == local(2024, 3, 5, 18)
    assert req.close_due == local(2024, 3, 18, 18)


def test_acknowledged_before_the_end_of_the_day_is_on_time(dispatched_monday, staff_a):
    req = acknowledge(dispatched_monday, staff_a, local(2024, 3, 4, 17, 59))

    assert req.acknowledged_at == local(2024, 3, 4, 17, 59)
    assert req.ack_on_time is True


def test_acknowledged_the_next_morning_is_late(dispatched_monday, staff_a):
    req = acknowledge(dispatched_monday, staff_a, local(2024, 3, 5, 9))

    assert req.ack_on_time is False


def test_not_yet_acknowledged_is_not_counted_as_on_time(dispatched_monday):
    assert dispatched_monday.acknowledged_at is None
    assert dispatched_monday.ack_on_time is False


# --- first contact and closure limits --------------------------------------------------------------


@pytest.mark.parametrize(
    ("dispatched", "category", "contact_due", "close_due"),
    [
        pytest.param(
            local(2024, 3, 4, 10), "人才安居", local(2024, 3, 5, 18), local(2024, 3, 18, 18), id="plain-weeks"
        ),
        pytest.param(
            local(2024, 2, 8, 10),
            "人才安居",
            local(2024, 2, 9, 18),
            local(2024, 2, 28, 18),
            id="spring-festival",
        ),
        pytest.param(
            local(2024, 2, 8, 10),
            FINANCE,
            local(2024, 2, 9, 18),
            local(2024, 3, 6, 18),
            id="spring-festival-15",
        ),
        pytest.param(
            local(2024, 2, 8, 10),
            LAND,
            local(2024, 2, 18, 18),
            local(2024, 3, 20, 18),
            id="spring-festival-land",
        ),
        pytest.param(
            local(2024, 4, 1, 10), "人才安居", local(2024, 4, 2, 18), local(2024, 4, 16, 18), id="qingming"
        ),
        pytest.param(
            local(2024, 4, 3, 10),
            "人才安居",
            local(2024, 4, 7, 18),
            local(2024, 4, 18, 18),
            id="qingming-eve",
        ),
    ],
)
def test_limits_end_at_the_end_of_the_nth_working_day_after_dispatch(
    staff_a, unit_a, dispatched, category, contact_due, close_due
):
    req = make_request(staff_a, handling_unit=unit_a, at=dispatched, category=category)

    assert req.contact_due == contact_due
    assert req.close_due == close_due


@pytest.mark.parametrize(
    ("days", "urgency", "expected"),
    [
        (10, U.NORMAL, 10),
        (10, U.URGENT, 5),
        (10, U.CRITICAL, 2),
        (15, U.URGENT, 8),
        (15, U.CRITICAL, 3),
        (25, U.CRITICAL, 5),
        (1, U.URGENT, 1),
        (1, U.CRITICAL, 1),
    ],
)
def test_effective_days_shortens_by_urgency_rounding_up_and_never_below_one(days, urgency, expected):
    assert effective_days(days, urgency) == expected


@pytest.mark.parametrize(
    ("urgency", "contact_due", "close_due"),
    [
        (U.NORMAL, local(2024, 3, 5, 18), local(2024, 3, 18, 18)),
        (U.URGENT, local(2024, 3, 5, 18), local(2024, 3, 11, 18)),
        (U.CRITICAL, local(2024, 3, 5, 18), local(2024, 3, 6, 18)),
    ],
)
def test_urgency_shortens_the_closure_limit_of_the_request(staff_a, unit_a, urgency, contact_due, close_due):
    req = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10), urgency=urgency)

    assert req.contact_due == contact_due
    assert req.close_due == close_due


def test_first_contact_time_is_recorded(in_progress_monday):
    assert in_progress_monday.first_contact_at == local(2024, 3, 4, 12)
    assert in_progress_monday.status == "in_progress"


# --- pause, extension ------------------------------------------------------------------------------


def test_pause_keeps_the_deadline_until_resumed(in_progress_monday, staff_a):
    req = act(in_progress_monday, A.PAUSE, staff_a, local(2024, 3, 6, 10))

    assert req.status == "paused"
    assert req.close_due == local(2024, 3, 18, 18)


def test_working_days_paused_move_the_closure_deadline(in_progress_monday, staff_a):
    # Paused Wednesday 6 March, resumed Monday 11 March: 6, 7 and 8 March do not count.
    req = act(in_progress_monday, A.PAUSE, staff_a, local(2024, 3, 6, 10))
    req = act(req, A.RESUME, staff_a, local(2024, 3, 11, 9))

    assert req.status == "in_progress"
    assert req.close_due == local(2024, 3, 21, 18)


def test_pause_over_the_spring_festival_counts_only_its_working_days(staff_a, unit_a):
    # Dispatched Thu 8 Feb (due 28 Feb); paused Fri 9 Feb to Mon 19 Feb: only 9 and 18 Feb were worked.
    req = make_request(staff_a, handling_unit=unit_a, at=local(2024, 2, 8, 10))
    req = acknowledge(req, staff_a, local(2024, 2, 8, 11))
    req = act(req, A.PAUSE, staff_a, local(2024, 2, 9, 10))
    req = act(req, A.RESUME, staff_a, local(2024, 2, 19, 9))

    assert req.close_due == local(2024, 3, 1, 18)


def test_pause_and_resume_the_same_day_moves_nothing(in_progress_monday, staff_a):
    req = act(in_progress_monday, A.PAUSE, staff_a, local(2024, 3, 6, 10))
    req = act(req, A.RESUME, staff_a, local(2024, 3, 6, 16))

    assert req.close_due == local(2024, 3, 18, 18)


def test_two_pauses_add_up(in_progress_monday, staff_a):
    req = act(in_progress_monday, A.PAUSE, staff_a, local(2024, 3, 6, 10))
    req = act(req, A.RESUME, staff_a, local(2024, 3, 7, 10))  # 1 day: 6 March
    req = act(req, A.PAUSE, staff_a, local(2024, 3, 12, 10))
    req = act(req, A.RESUME, staff_a, local(2024, 3, 14, 10))  # 2 days: 12 and 13 March

    assert req.close_due == local(2024, 3, 21, 18)


def test_approved_extension_moves_the_deadline_by_its_working_days(in_progress_monday, staff_a, manager_a):
    req = act(in_progress_monday, A.EXTEND_ASK, staff_a, local(2024, 3, 6, 10), days=5)
    assert req.pending_extension_days == 5
    assert req.close_due == local(2024, 3, 18, 18)

    req = act(req, A.EXTEND_APPROVE, manager_a, local(2024, 3, 6, 11))

    assert req.pending_extension_days == 0
    assert req.close_due == local(2024, 3, 25, 18)
    assert req.events.get(action=A.EXTEND_APPROVE).data == {"days": 5}


def test_refused_extension_keeps_the_deadline(in_progress_monday, staff_a, manager_a):
    req = act(in_progress_monday, A.EXTEND_ASK, staff_a, local(2024, 3, 6, 10), days=5)
    req = act(req, A.EXTEND_REFUSE, manager_a, local(2024, 3, 6, 11))

    assert req.pending_extension_days == 0
    assert req.close_due == local(2024, 3, 18, 18)


def test_extension_and_pause_both_move_the_deadline(in_progress_monday, staff_a, manager_a):
    req = act(in_progress_monday, A.EXTEND_ASK, staff_a, local(2024, 3, 5, 10), days=2)
    req = act(req, A.EXTEND_APPROVE, manager_a, local(2024, 3, 5, 11))  # 10 + 2
    req = act(req, A.PAUSE, staff_a, local(2024, 3, 6, 10))
    req = act(req, A.RESUME, staff_a, local(2024, 3, 11, 9))  # + 3

    assert req.close_due == local(2024, 3, 25, 18)


# --- transfer, return, reopen ----------------------------------------------------------------------


def test_transfer_restarts_every_clock_for_the_new_unit(
    in_progress_monday, staff_a, staff_b, manager_a, unit_b
):
    req = act(in_progress_monday, A.EXTEND_ASK, staff_a, local(2024, 3, 5, 10), days=5)
    req = act(req, A.EXTEND_APPROVE, manager_a, local(2024, 3, 5, 11))
    assert req.close_due == local(2024, 3, 25, 18)

    req = act(req, A.TRANSFER, manager_a, local(2024, 3, 6, 19), unit=unit_b)

    assert req.status == "dispatched"
    assert req.handling_unit == unit_b
    assert req.dispatched_at == local(2024, 3, 6, 19)
    assert req.ack_due == local(2024, 3, 7, 18)
    assert req.acknowledged_at is None
    assert req.ack_on_time is False
    assert req.first_contact_at is None
    assert req.contact_due == local(2024, 3, 7, 18)
    assert req.close_due == local(2024, 3, 20, 18)  # 10 days from 6 March; the old extension is gone

    req = acknowledge(req, staff_b, local(2024, 3, 7, 9))
    assert req.ack_on_time is True


def test_return_clears_the_clocks_and_a_new_dispatch_restarts_them(
    dispatched_monday, staff_a, manager_a, unit_b
):
    req = act(dispatched_monday, A.RETURN, staff_a, local(2024, 3, 4, 11))
    assert (req.dispatched_at, req.ack_due, req.contact_due, req.close_due) == (None, None, None, None)

    req = act(req, A.DISPATCH, manager_a, local(2024, 3, 5, 19), unit=unit_b)

    assert req.ack_due == local(2024, 3, 6, 18)
    assert req.close_due == local(2024, 3, 19, 18)


def test_closing_records_time_flag_and_working_days(in_progress_monday, staff_a):
    req = close(in_progress_monday, staff_a, local(2024, 3, 8, 10))

    assert req.status == "closed"
    assert req.closed_at == local(2024, 3, 8, 10)
    assert req.closed_on_time is True
    assert req.workdays_to_close == 4  # 4, 5, 6 and 7 March


def test_reopen_restarts_the_closure_clock_from_the_reopen_day(in_progress_monday, staff_a, manager_a):
    req = close(in_progress_monday, staff_a, local(2024, 3, 8, 10))
    req = reopen(req, manager_a, local(2024, 3, 12, 10))

    assert req.status == "in_progress"
    assert req.reopen_count == 1
    assert req.close_due == local(2024, 3, 26, 18)
    assert (req.closed_at, req.closed_on_time, req.workdays_to_close) == (None, None, None)
    assert req.dispatched_at == local(2024, 3, 4, 10)  # acknowledgement is not re-run

    req = close(req, staff_a, local(2024, 3, 27, 10))

    assert req.closed_on_time is False
    assert req.workdays_to_close == 17  # working days 4–26 March


@pytest.mark.parametrize(
    ("closed_at", "on_time"),
    [
        pytest.param(local(2024, 3, 6, 17), True, id="before-deadline"),
        pytest.param(local(2024, 3, 6, 18), True, id="at-deadline"),
        pytest.param(local(2024, 3, 6, 18, 1), False, id="one-minute-late"),
        pytest.param(local(2024, 3, 7, 9), False, id="next-day"),
    ],
)
def test_closed_on_time_compares_with_the_closure_deadline(staff_a, unit_a, closed_at, on_time):
    req = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10), urgency=U.CRITICAL)
    req = acknowledge(req, staff_a, local(2024, 3, 4, 11))
    assert req.close_due == local(2024, 3, 6, 18)

    req = close(req, staff_a, closed_at)

    assert req.closed_on_time is on_time


@pytest.mark.parametrize(
    ("received", "closed", "workdays"),
    [
        pytest.param(local(2024, 3, 4, 10), local(2024, 3, 4, 16), 0, id="same-day"),
        pytest.param(local(2024, 3, 8, 10), local(2024, 3, 11, 10), 1, id="over-a-weekend"),
        pytest.param(local(2024, 2, 8, 10), local(2024, 2, 20, 10), 4, id="across-spring-festival"),
        pytest.param(local(2024, 4, 3, 10), local(2024, 4, 8, 10), 2, id="across-qingming"),
    ],
)
def test_workdays_to_close_counts_working_days_from_receipt_to_closure(
    staff_a, unit_a, received, closed, workdays
):
    req = make_request(staff_a, handling_unit=unit_a, at=received)
    req = acknowledge(req, staff_a, received)
    req = close(req, staff_a, closed)

    assert req.workdays_to_close == workdays


# --- re-running the clocks after a calendar change ------------------------------------------------


def test_recompute_after_a_new_holiday_turns_a_late_closure_into_an_on_time_one(in_progress_monday, staff_a):
    req = close(in_progress_monday, staff_a, local(2024, 3, 19, 10))
    assert (req.close_due, req.closed_on_time, req.workdays_to_close) == (local(2024, 3, 18, 18), False, 11)

    CalendarDay.objects.create(date=date(2024, 3, 8), kind=CalendarDay.Kind.HOLIDAY, name="测试假日")
    clear_cache()
    requests_recompute_clocks(requests=Request.objects.filter(pk=req.pk))
    req.refresh_from_db()

    assert req.close_due == local(2024, 3, 19, 18)
    assert req.closed_on_time is True
    assert req.workdays_to_close == 10


def test_recompute_without_calendar_change_changes_nothing(in_progress_monday):
    before = Request.objects.filter(pk=in_progress_monday.pk).values().get()

    requests_recompute_clocks(requests=Request.objects.filter(pk=in_progress_monday.pk))

    assert Request.objects.filter(pk=in_progress_monday.pk).values().get() == before


# --- the due badge and the overdue list -----------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "state"),
    [
        pytest.param(local(2024, 3, 15, 12), "due", id="days-before"),
        pytest.param(local(2024, 3, 18, 0, 1), "due_today", id="deadline-day-morning"),
        pytest.param(local(2024, 3, 18, 18), "due_today", id="at-the-deadline"),
        pytest.param(local(2024, 3, 18, 18, 1), "overdue", id="a-minute-after"),
    ],
)
def test_due_state_of_an_open_request(in_progress_monday, now, state):
    assert in_progress_monday.due_state(now) == state


def test_paused_and_closed_requests_show_no_due_state_and_are_not_overdue(
    in_progress_monday, staff_a, unit_a
):
    late = local(2024, 4, 1, 10)
    paused = act(in_progress_monday, A.PAUSE, staff_a, local(2024, 3, 6, 10))
    closed = close(
        acknowledge(
            make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10)),
            staff_a,
            local(2024, 3, 4, 11),
        ),
        staff_a,
        local(2024, 3, 5, 10),
    )
    open_one = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10))

    assert paused.due_state(late) == ""
    assert closed.due_state(late) == ""
    assert open_one.due_state(late) == "overdue"
    assert list(Request.objects.overdue(late)) == [open_one]
