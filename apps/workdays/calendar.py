"""Working-day arithmetic under the official Chinese calendar with make-up working days (调休).

`WorkCalendar` is built from the CalendarDay/CalendarYear tables in one query and then answers without
touching the database. `get_calendar()` keeps one per process for a short while; an admin change clears it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

_CACHE_SECONDS = 60
_cache: tuple[float, WorkCalendar] | None = None


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date]
    makeup_days: frozenset[date]
    published_years: frozenset[int]

    def is_workday(self, day: date) -> bool:
        if day in self.makeup_days:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def next_workday(self, day: date) -> date:
        """The first working day strictly after `day`."""
        day += timedelta(days=1)
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def add_workdays(self, day: date, count: int) -> date:
        """The `count`-th working day after `day` (0 → `day` itself if it is a working day, else the next)."""
        if count <= 0:
            return day if self.is_workday(day) else self.next_workday(day)
        for _ in range(count):
            day = self.next_workday(day)
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in the half-open range [start, end)."""
        count, day = 0, start
        while day < end:
            if self.is_workday(day):
                count += 1
            day += timedelta(days=1)
        return count

    def is_published(self, year: int) -> bool:
        return year in self.published_years


def workday_end() -> tuple[int, int]:
    hour, _, minute = settings.WORKDAY_END.partition(":")
    return int(hour), int(minute or 0)


def end_of(day: date) -> datetime:
    """The end of the working day `day` (WORKDAY_END, default 18:00) in the district's time zone."""
    hour, minute = workday_end()
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


def load_calendar() -> WorkCalendar:
    from .models import CalendarDay, CalendarYear

    holidays, makeup = set(), set()
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        (makeup if kind == CalendarDay.Kind.WORKDAY else holidays).add(day)
    years = frozenset(CalendarYear.objects.filter(is_published=True).values_list("year", flat=True))
    return WorkCalendar(frozenset(holidays), frozenset(makeup), years)


def get_calendar() -> WorkCalendar:
    global _cache
    now = time.monotonic()
    if _cache is None or now - _cache[0] > _CACHE_SECONDS:
        _cache = (now, load_calendar())
    return _cache[1]


def clear_cache() -> None:
    global _cache
    _cache = None
