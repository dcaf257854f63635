"""The working-day calendar: official schedules as data, make-up working days, and a year not yet published.

Dataset: the schedules seeded by the data migration (2004–2026). In 2024 the Spring Festival is 10–17 Feb
off (12–16 Feb are weekday holidays) with Sunday 4 Feb and Sunday 18 Feb as make-up working days; Qingming
is 4–6 Apr off with Sunday 7 Apr worked. 2027 has no schedule yet.
"""

import importlib.util
import io
from datetime import date
from unittest import mock

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from apps.service.models import Request
from apps.service.services import requests_recompute_clocks
from apps.workdays.calendar import clear_cache, get_calendar
from apps.workdays.models import CalendarDay, CalendarYear

from ..conftest import client_for
from .factories import acknowledge, local, make_request

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2024, 3, 4), True, id="monday"),
        pytest.param(date(2024, 3, 8), True, id="friday"),
        pytest.param(date(2024, 3, 9), False, id="saturday"),
        pytest.param(date(2024, 3, 10), False, id="sunday"),
        pytest.param(date(2024, 2, 9), True, id="new-year-eve-friday-is-worked"),
        pytest.param(date(2024, 2, 12), False, id="spring-festival-monday"),
        pytest.param(date(2024, 2, 16), False, id="spring-festival-friday"),
        pytest.param(date(2024, 2, 17), False, id="spring-festival-saturday"),
        pytest.param(date(2024, 2, 4), True, id="make-up-sunday-before-spring-festival"),
        pytest.param(date(2024, 2, 18), True, id="make-up-sunday-after-spring-festival"),
        pytest.param(date(2024, 4, 4), False, id="qingming-thursday"),
        pytest.param(date(2024, 4, 5), False, id="qingming-friday"),
        pytest.param(date(2024, 4, 7), True, id="qingming-make-up-sunday"),
        pytest.param(date(2024, 5, 1), False, id="labour-day-wednesday"),
        pytest.param(date(2024, 5, 11), True, id="labour-day-make-up-saturday"),
    ],
)
def test_is_workday_follows_the_official_2024_schedule(day, expected):
    assert get_calendar().is_workday(day) is expected


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        pytest.param(date(2024, 3, 4), 1, date(2024, 3, 5), id="plain-week"),
        pytest.param(date(2024, 3, 8), 1, date(2024, 3, 11), id="over-a-weekend"),
        pytest.param(date(2024, 2, 9), 1, date(2024, 2, 18), id="eve-to-make-up-sunday"),
        pytest.param(date(2024, 2, 8), 10, date(2024, 2, 28), id="ten-days-across-spring-festival"),
        pytest.param(date(2024, 2, 2), 1, date(2024, 2, 4), id="friday-to-make-up-sunday"),
        pytest.param(date(2024, 4, 3), 1, date(2024, 4, 7), id="into-qingming-make-up-sunday"),
        pytest.param(date(2024, 4, 1), 10, date(2024, 4, 16), id="ten-days-across-qingming"),
        pytest.param(date(2024, 3, 4), 0, date(2024, 3, 4), id="zero-on-a-workday-is-that-day"),
        pytest.param(date(2024, 2, 12), 0, date(2024, 2, 18), id="zero-on-a-holiday-is-next-workday"),
        pytest.param(date(2024, 2, 10), 1, date(2024, 2, 18), id="from-a-holiday-saturday"),
    ],
)
def test_add_workdays_counts_only_working_days_of_the_calendar(start, count, expected):
    assert get_calendar().add_workdays(start, count) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(date(2024, 3, 4), date(2024, 3, 4), 0, id="empty-range"),
        pytest.param(date(2024, 3, 4), date(2024, 3, 11), 5, id="one-plain-week"),
        pytest.param(date(2024, 2, 8), date(2024, 2, 20), 4, id="across-spring-festival"),
        pytest.param(date(2024, 2, 1), date(2024, 3, 1), 18, id="february-2024"),
        pytest.param(date(2024, 4, 1), date(2024, 4, 8), 4, id="qingming-week-with-make-up-sunday"),
    ],
)
def test_workdays_between_counts_the_half_open_range(start, end, expected):
    assert get_calendar().workdays_between(start, end) == expected


def test_seeded_years_are_published_and_2027_is_not():
    calendar = get_calendar()
    assert calendar.is_published(2004)
    assert calendar.is_published(2026)
    assert not calendar.is_published(2027)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2027, 1, 1), True, id="friday-new-year-not-entered-yet"),
        pytest.param(date(2027, 1, 2), False, id="saturday"),
        pytest.param(date(2027, 1, 3), False, id="sunday"),
        pytest.param(date(2027, 2, 8), True, id="monday"),
    ],
)
def test_a_year_without_schedule_counts_monday_to_friday(day, expected):
    assert get_calendar().is_workday(day) is expected


def test_a_year_without_schedule_adds_workdays_monday_to_friday():
    calendar = get_calendar()
    assert calendar.add_workdays(date(2027, 1, 1), 10) == date(2027, 1, 15)
    assert calendar.workdays_between(date(2026, 12, 28), date(2027, 1, 11)) == 10


def test_requests_keep_working_on_1_january_2027_without_a_schedule(staff_a, unit_a):
    req = make_request(staff_a, handling_unit=unit_a, at=local(2027, 1, 1, 10))

    assert req.status == "dispatched"
    assert req.ack_due == local(2027, 1, 1, 18)
    assert req.contact_due == local(2027, 1, 4, 18)
    assert req.close_due == local(2027, 1, 15, 18)

    req = acknowledge(req, staff_a, local(2027, 1, 1, 11))
    assert req.ack_on_time is True

    response = client_for(staff_a).get(reverse("service:request_detail", args=[req.pk]))
    assert response.status_code == 200


# --- the admin: warning for an unpublished year, edits that move deadlines --------------------------


def _frozen_localdate(today: date):
    """`timezone.localdate()` returns `today`; with an argument it converts as usual."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return today if value is None else real(value, timezone)

    return mock.patch("django.utils.timezone.localdate", localdate)


def _admin_messages(admin_user, model: str) -> list[str]:
    response = client_for(admin_user).get(reverse(f"admin:workdays_{model}_changelist"))
    assert response.status_code == 200
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("model", ["calendaryear", "calendarday"])
def test_admin_changelist_warns_on_1_january_2027_that_its_schedule_is_missing(admin_user, model):
    with _frozen_localdate(date(2027, 1, 1)):
        messages = _admin_messages(admin_user, model)

    assert len(messages) == 1
    assert messages[0].startswith("The 2027 holiday schedule has not been entered")


def test_admin_changelist_warns_in_december_about_next_year(admin_user):
    with _frozen_localdate(date(2026, 12, 1)):
        messages = _admin_messages(admin_user, "calendaryear")

    assert len(messages) == 1
    assert "2027" in messages[0]
    assert "2026" not in messages[0]


def test_admin_changelist_does_not_warn_while_the_year_is_published(admin_user):
    with _frozen_localdate(date(2026, 6, 1)):
        assert _admin_messages(admin_user, "calendaryear") == []


def test_admin_warning_stops_once_the_new_year_is_published(admin_user):
    response = client_for(admin_user).post(
        reverse("admin:workdays_calendaryear_add"),
        {"year": "2027", "is_published": "on", "source": "国务院办公厅通知", "_save": "Save"},
    )
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2027).is_published

    with _frozen_localdate(date(2027, 1, 1)):
        assert _admin_messages(admin_user, "calendaryear") == []


def test_the_admin_adds_days_only_on_the_year_grid_and_a_weekday_make_up_day_is_refused(admin_user):
    """The day form has no add (a save there could not recompute deadlines: apps.workbench.workdays)."""
    client = client_for(admin_user)
    assert client.get(reverse("admin:workdays_calendarday_add")).status_code == 403
    response = client.post(
        reverse("admin:workdays_calendarday_add"),
        {"date": "2027-01-04", "kind": "workday", "name": "错误", "_save": "Save"},
    )
    assert response.status_code == 403
    with pytest.raises(ValidationError):
        CalendarDay(date=date(2027, 1, 4), kind=CalendarDay.Kind.WORKDAY, name="错误").full_clean()
    assert not CalendarDay.objects.filter(date=date(2027, 1, 4)).exists()


def test_a_holiday_clicked_on_the_year_grid_moves_deadlines_at_once(admin_user, staff_a, unit_a):
    # Dispatched Monday 4 March 2024 at 10:00, 10 working days: Monday 18 March.
    req = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10))
    assert req.close_due == local(2024, 3, 18, 18)

    response = client_for(admin_user).post(
        reverse("calendar_day", args=[2024]), {"date": "2024-03-08", "name": "测试假日"}
    )
    assert response.status_code == 302

    # No manual recompute: saving the day recomputed the open requests it moves.
    req.refresh_from_db()
    assert req.close_due == local(2024, 3, 19, 18)


def test_a_holiday_added_on_the_dispatch_day_moves_the_ack_deadline(staff_a, unit_a):
    req = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10))
    assert req.ack_due == local(2024, 3, 4, 18)

    CalendarDay.objects.create(date=date(2024, 3, 4), kind=CalendarDay.Kind.HOLIDAY, name="测试")
    clear_cache()
    requests_recompute_clocks(requests=Request.objects.filter(pk=req.pk))
    req.refresh_from_db()

    assert req.ack_due == local(2024, 3, 5, 18)
    # Limits count working days *after* the dispatch day, whether or not that day is worked.
    assert req.contact_due == local(2024, 3, 5, 18)
    assert req.close_due == local(2024, 3, 18, 18)


def test_removing_a_make_up_day_moves_deadlines_after_recompute(staff_a, unit_a):
    # Dispatched Friday 9 Feb 2024 evening: acknowledge by make-up Sunday 18 Feb.
    req = make_request(staff_a, handling_unit=unit_a, at=local(2024, 2, 9, 19))
    assert req.ack_due == local(2024, 2, 18, 18)

    CalendarDay.objects.filter(date=date(2024, 2, 18)).delete()
    clear_cache()
    requests_recompute_clocks(requests=Request.objects.filter(pk=req.pk))
    req.refresh_from_db()

    assert req.ack_due == local(2024, 2, 19, 18)


@pytest.mark.skipif(
    importlib.util.find_spec("apps.service.management.commands.recompute_clocks") is None,
    reason="manage.py recompute_clocks does not exist yet.",
)
def test_recompute_clocks_command_applies_a_newly_entered_holiday(staff_a, unit_a):
    moved = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10))
    untouched = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 20, 10))
    CalendarDay.objects.create(date=date(2024, 3, 8), kind=CalendarDay.Kind.HOLIDAY, name="测试假日")

    call_command("recompute_clocks", stdout=io.StringIO())

    moved.refresh_from_db()
    untouched.refresh_from_db()
    assert moved.close_due == local(2024, 3, 19, 18)
    assert untouched.close_due == local(2024, 4, 3, 18)
