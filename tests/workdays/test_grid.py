"""The year grid's days and the services that write the calendar.

Dataset: the schedules seeded by the data migration. 2024 (the State Council's notice): the Spring Festival
is 10–17 Feb off — 12–16 Feb are weekday holidays, 10–11 and 17 Feb the weekend inside the break — with
Sunday 4 Feb and Sunday 18 Feb as make-up working days; 251 working days in the year, 8 of them make-up
days, 19 weekday holidays. 2027 has no schedule.
"""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.workdays.calendar import get_calendar
from apps.workdays.forms import notice_text
from apps.workdays.grid import HOLIDAY, MAKEUP, WEEKEND, WORKDAY, year_grid
from apps.workdays.models import CalendarDay, CalendarYear
from apps.workdays.notice import notice_parse
from apps.workdays.services import calendar_day_toggle, calendar_notice_apply, notice_changes

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("day", "kind", "name", "in_break"),
    [
        pytest.param(date(2024, 2, 4), MAKEUP, "Spring Festival", False, id="make-up-sunday-before"),
        pytest.param(date(2024, 2, 9), WORKDAY, "", False, id="eve-friday-is-worked"),
        pytest.param(date(2024, 2, 10), WEEKEND, "Spring Festival", True, id="saturday-in-the-break"),
        pytest.param(date(2024, 2, 12), HOLIDAY, "Spring Festival", False, id="weekday-holiday"),
        pytest.param(date(2024, 2, 17), WEEKEND, "Spring Festival", True, id="last-day-of-the-break"),
        pytest.param(date(2024, 2, 18), MAKEUP, "Spring Festival", False, id="make-up-sunday-after"),
        pytest.param(date(2024, 2, 24), WEEKEND, "", False, id="plain-saturday"),
        pytest.param(date(2024, 4, 6), WEEKEND, "Tomb-sweeping Day", True, id="qingming-saturday"),
        pytest.param(date(2024, 10, 5), WEEKEND, "National Day", True, id="national-day-saturday"),
        pytest.param(date(2024, 10, 12), MAKEUP, "National Day", False, id="national-day-make-up-saturday"),
    ],
)
def test_the_2024_grid_shows_each_day_with_its_kind(day, kind, name, in_break):
    cell = year_grid(2024, today=date(2024, 2, 10)).day(day)
    assert (cell.kind, cell.name, cell.in_break) == (kind, name, in_break)


def test_the_2024_grid_counts_the_year_and_marks_today():
    grid = year_grid(2024, today=date(2024, 2, 10))

    assert (grid.workdays, grid.counts) == (251, {WORKDAY: 243, WEEKEND: 96, HOLIDAY: 19, MAKEUP: 8})
    assert [d.date for m in grid.months for w in m.weeks for d in w if d and d.is_today] == [
        date(2024, 2, 10)
    ]
    # February 2024 starts on a Thursday: its first week has three empty cells, then 1–4 Feb.
    assert [d and d.date.day for d in grid.months[1].weeks[0]] == [None, None, None, 1, 2, 3, 4]
    assert sum(1 for m in grid.months for w in m.weeks for d in w if d) == 366


def test_the_stored_schedule_reads_back_as_a_notice_that_changes_nothing():
    grid = year_grid(2024, today=date(2024, 1, 1))
    text = notice_text(grid)

    assert text.splitlines()[:4] == [
        "2024-01-01 New Year's Day",
        "2024-02-04 Spring Festival 班",
        "2024-02-10~2024-02-17 Spring Festival",
        "2024-02-18 Spring Festival 班",
    ]
    assert notice_changes(notice=notice_parse(text, year=2024), year=2024) == []


def test_toggling_a_weekday_makes_it_a_holiday_then_a_working_day_again(admin_user):
    assert calendar_day_toggle(day=date(2027, 10, 1), name=" 国庆节 ", by=admin_user) == [date(2027, 10, 1)]
    assert list(CalendarDay.objects.filter(date__year=2027).values_list("date", "kind", "name")) == [
        (date(2027, 10, 1), "holiday", "国庆节")
    ]
    assert get_calendar().is_workday(date(2027, 10, 1)) is False

    calendar_day_toggle(day=date(2027, 10, 1), by=admin_user)
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_toggling_a_saturday_makes_it_a_make_up_working_day_named_after_its_holiday(admin_user):
    calendar_day_toggle(day=date(2027, 10, 9), name="国庆节", by=admin_user)
    assert list(CalendarDay.objects.filter(date__year=2027).values_list("date", "kind", "name")) == [
        (date(2027, 10, 9), "workday", "国庆节")
    ]


def test_toggling_needs_the_permission_to_change_the_calendar(staff_a, leader):
    for user in (staff_a, leader):
        with pytest.raises(PermissionDenied):
            calendar_day_toggle(day=date(2027, 10, 1), by=user)
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_a_name_too_long_saves_nothing(admin_user):
    with pytest.raises(ValidationError):
        calendar_day_toggle(day=date(2027, 10, 1), name="节" * 51, by=admin_user)
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_applying_a_notice_replaces_the_year_and_returns_the_days_that_changed_kind(admin_user):
    calendar_day_toggle(day=date(2027, 3, 1), name="误录", by=admin_user)  # not in the notice: removed
    calendar_day_toggle(day=date(2027, 1, 1), name="新年", by=admin_user)  # renamed only
    notice = notice_parse("2027-01-01~2027-01-03 元旦\n2027-02-14 班", year=2027)

    changed = calendar_notice_apply(
        notice=notice, year=2027, source="国办发明电", entered=True, by=admin_user
    )

    assert changed == [date(2027, 2, 14), date(2027, 3, 1)]
    assert list(CalendarDay.objects.filter(date__year=2027).values_list("date", "kind", "name")) == [
        (date(2027, 1, 1), "holiday", "元旦"),
        (date(2027, 2, 14), "workday", ""),
    ]
    assert CalendarYear.objects.filter(year=2027).values_list("is_published", "source").get() == (
        True,
        "国办发明电",
    )


def test_a_notice_with_errors_saves_nothing(admin_user):
    notice = notice_parse("2027-01-01 元旦\n2027-02-30 假", year=2027)
    with pytest.raises(ValidationError):
        calendar_notice_apply(notice=notice, year=2027, source="", entered=True, by=admin_user)
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    assert not CalendarYear.objects.filter(year=2027).exists()
